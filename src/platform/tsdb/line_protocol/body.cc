#include "platform/tsdb/line_protocol/body.h"

#include <zlib.h>

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace qilian::platform::lp {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip header and trailer

absl::Status TooBig(size_t max_bytes) {
  return absl::ResourceExhaustedError(absl::StrCat("body over ", max_bytes, " bytes after decompression"));
}

}  // namespace

absl::Status Gunzip(std::string_view compressed, size_t max_bytes, std::string* out) {
  out->clear();
  z_stream zs{};
  if (inflateInit2(&zs, kGzipWindowBits) != Z_OK) return absl::InternalError("gzip: inflateInit2 failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  absl::Status status;
  for (;;) {
    // One byte of room past the limit tells "exactly the limit" from "over".
    const size_t room = max_bytes + 1 - out->size();
    const size_t step = std::min(room, kInflateChunkBytes);
    const size_t before = out->size();
    out->resize(before + step);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + before);
    zs.avail_out = static_cast<uInt>(step);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out->resize(before + (step - zs.avail_out));
    if (out->size() > max_bytes) {
      status = TooBig(max_bytes);
      break;
    }
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (concatenated streams are one body).
      if (inflateReset(&zs) != Z_OK) {
        status = absl::InternalError("gzip: inflateReset failed");
        break;
      }
      continue;
    }
    if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      status = absl::InvalidArgumentError(
          absl::StrCat("gzip: corrupt stream (", zs.msg != nullptr ? zs.msg : "invalid data", ")"));
      break;
    }
    if (rc == Z_MEM_ERROR) {
      status = absl::ResourceExhaustedError("gzip: out of memory");
      break;
    }
    if (rc == Z_BUF_ERROR || (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)) {
      // No progress possible: the input ended inside the stream.
      status = absl::InvalidArgumentError("gzip: truncated stream");
      break;
    }
  }
  inflateEnd(&zs);
  if (!status.ok()) out->clear();
  return status;
}

absl::StatusOr<std::string_view> DecodeBody(std::string_view raw, ContentEncoding encoding,
                                            size_t max_bytes, std::string* storage) {
  if (encoding == ContentEncoding::kIdentity) {
    if (raw.size() > max_bytes) return absl::ResourceExhaustedError(absl::StrCat("body over ", max_bytes, " bytes"));
    return raw;
  }
  absl::Status s = Gunzip(raw, max_bytes, storage);
  if (!s.ok()) return s;
  return std::string_view(*storage);
}

std::string Gzip(std::string_view data) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace qilian::platform::lp
