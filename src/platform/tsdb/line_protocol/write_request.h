// The HTTP shape of InfluxDB's write endpoints (docs/line-protocol.md) as
// pure functions, for the routes that come with the time-series engine:
// POST /write (1.x: db, rp, precision) and POST /api/v2/write (2.x: org or
// orgID, bucket, precision) to a WriteRequest, and the parse outcome to an
// InfluxDB-compatible reply. No server code here.
#ifndef QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_WRITE_REQUEST_H_
#define QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_WRITE_REQUEST_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "platform/tsdb/line_protocol/body.h"
#include "platform/tsdb/line_protocol/line_protocol.h"

namespace qilian::platform::lp {

// A reply names at most this many bad lines (InfluxDB 3 reports up to 100).
inline constexpr size_t kMaxReportedErrors = 100;
// Query values longer than this are refused (names, not data).
inline constexpr size_t kMaxQueryValueBytes = 256;

enum class WriteApi : uint8_t { kV1, kV2 };  // /write, /api/v2/write

struct WriteRequest {
  WriteApi api = WriteApi::kV2;
  Precision precision = Precision::kNanoseconds;
  std::string db, rp;                 // /write
  std::string org, org_id, bucket;    // /api/v2/write
  ContentEncoding encoding = ContentEncoding::kIdentity;
};

using Header = std::pair<std::string_view, std::string_view>;  // name (any case), value

// Parses `precision`: ns, n, us, u, ms, s, m, h (the union of what 1.x and
// 2.x clients send). Unknown: InvalidArgument
// `precision "x" is not one of ns, us, ms, s (n, u, m, h also accepted)`.
absl::StatusOr<Precision> ParsePrecision(std::string_view value);

// method, path (no query), the raw query string (no '?') and the headers.
// Errors: NotFound (path), FailedPrecondition (method: 405), InvalidArgument
// (query), Unimplemented (Content-Encoding other than gzip/identity: 415).
absl::StatusOr<WriteRequest> ParseWriteRequest(std::string_view method, std::string_view path,
                                               std::string_view query, std::span<const Header> headers);

// A reply: status and JSON body (empty body for 204).
struct WriteReply {
  int http_status = 204;
  std::string body;
};

// The reply to a refused request: InfluxDB 2's {"code":...,"message":...}.
WriteReply RefusalReply(const absl::Status& status);

// The reply to a parsed body: 204 when every line was good; otherwise 400
// {"code":"invalid","message":"partial write: ...","line":N,"errors":[...]}
// naming up to kMaxReportedErrors bad lines. Good lines are written either
// way (InfluxDB 1.x's behaviour; 2.x refuses the whole batch).
WriteReply ParseReply(size_t points, const std::vector<LineError>& errors, bool truncated);

}  // namespace qilian::platform::lp

#endif  // QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_WRITE_REQUEST_H_
