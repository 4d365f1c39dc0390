// Request bodies of the line-protocol write endpoints (docs/line-protocol.md):
// Content-Encoding gzip inflated through zlib with the decompressed size
// checked while inflating, so a small zip bomb costs at most the limit.
// Pure: no I/O, no logging.
#ifndef QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_BODY_H_
#define QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_BODY_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace qilian::platform::lp {

// The largest body, after decompression, one write request may carry
// (InfluxDB 1.x's max-body-size defaults to 25 MB).
inline constexpr size_t kDefaultMaxBodyBytes = 32 * 1024 * 1024;
// Inflation proceeds in steps of this many output bytes.
inline constexpr size_t kInflateChunkBytes = 64 * 1024;

enum class ContentEncoding : uint8_t { kIdentity, kGzip };

// Inflates a gzip body (one or more concatenated members) into *out.
// Errors: InvalidArgument "gzip: corrupt stream (<zlib's reason>)",
// "gzip: truncated stream" (bytes after the last member must be another
// member: anything else is a corrupt stream);
// ResourceExhausted "body over N bytes after decompression".
absl::Status Gunzip(std::string_view compressed, size_t max_bytes, std::string* out);

// The body as text: `raw` itself for identity (checked against max_bytes),
// the inflated bytes, kept in *storage, for gzip.
absl::StatusOr<std::string_view> DecodeBody(std::string_view raw, ContentEncoding encoding,
                                            size_t max_bytes, std::string* storage);

// Compresses `data` as one gzip member (for clients, tests and benchmarks).
std::string Gzip(std::string_view data);

}  // namespace qilian::platform::lp

#endif  // QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_BODY_H_
