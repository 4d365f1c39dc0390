#include "platform/tsdb/line_protocol/write_request.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace qilian::platform::lp {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding of one key or value.
absl::StatusOr<std::string> FormDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      const int hi = i + 2 < s.size() ? HexDigit(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? HexDigit(s[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return absl::InvalidArgumentError(absl::StrCat("query: bad percent escape in ", QuoteForMessage(s)));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string JsonString(std::string_view s) {
  // Messages are ASCII (QuoteForMessage); escape what JSON requires.
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::string_view(&"0123456789abcdef"[(c >> 4) & 15], 1),
                      absl::string_view(&"0123456789abcdef"[c & 15], 1));
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

absl::StatusOr<Precision> ParsePrecision(std::string_view v) {
  if (v == "ns" || v == "n") return Precision::kNanoseconds;
  if (v == "us" || v == "u") return Precision::kMicroseconds;
  if (v == "ms") return Precision::kMilliseconds;
  if (v == "s") return Precision::kSeconds;
  if (v == "m") return Precision::kMinutes;
  if (v == "h") return Precision::kHours;
  return absl::InvalidArgumentError(absl::StrCat("precision ", QuoteForMessage(v),
                                                 " is not one of ns, us, ms, s (n, u, m, h also accepted)"));
}

absl::StatusOr<WriteRequest> ParseWriteRequest(std::string_view method, std::string_view path,
                                               std::string_view query, std::span<const Header> headers) {
  WriteRequest req;
  if (path == "/write") {
    req.api = WriteApi::kV1;
  } else if (path == "/api/v2/write") {
    req.api = WriteApi::kV2;
  } else {
    return absl::NotFoundError(absl::StrCat("path ", QuoteForMessage(path), " not found"));
  }
  if (method != "POST")
    return absl::FailedPreconditionError(absl::StrCat("method ", QuoteForMessage(method), " not allowed: use POST"));

  bool have_precision = false;
  for (absl::string_view apair : absl::StrSplit(absl::string_view(query.data(), query.size()), '&', absl::SkipEmpty())) {
    const std::string_view pair(apair.data(), apair.size());
    const size_t eq = pair.find('=');
    auto key = FormDecode(pair.substr(0, eq));
    if (!key.ok()) return key.status();
    auto value = FormDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    if (!value.ok()) return value.status();
    if (value->size() > kMaxQueryValueBytes)
      return absl::InvalidArgumentError(absl::StrCat("query: ", QuoteForMessage(*key), " longer than ",
                                                     kMaxQueryValueBytes, " bytes"));
    const std::string& k = *key;
    if (k == "precision") {
      if (have_precision) return absl::InvalidArgumentError("query: precision given twice");
      have_precision = true;
      auto p = ParsePrecision(*value);
      if (!p.ok()) return p.status();
      req.precision = *p;
    } else if (req.api == WriteApi::kV1 && k == "db") {
      req.db = *value;
    } else if (req.api == WriteApi::kV1 && k == "rp") {
      req.rp = *value;
    } else if (req.api == WriteApi::kV2 && k == "org") {
      req.org = *value;
    } else if (req.api == WriteApi::kV2 && k == "orgID") {
      req.org_id = *value;
    } else if (req.api == WriteApi::kV2 && k == "bucket") {
      req.bucket = *value;
    }
    // Others (1.x u, p, consistency) are ignored, as InfluxDB ignores
    // what it does not know; credentials are the route's business.
  }
  if (req.api == WriteApi::kV1 && req.db.empty()) return absl::InvalidArgumentError("query: db is required");
  if (req.api == WriteApi::kV2 && req.bucket.empty())
    return absl::InvalidArgumentError("query: bucket is required");
  if (req.api == WriteApi::kV2 && req.org.empty() && req.org_id.empty())
    return absl::InvalidArgumentError("query: org or orgID is required");

  for (const Header& h : headers) {
    if (!absl::EqualsIgnoreCase(absl::string_view(h.first.data(), h.first.size()), "content-encoding")) continue;
    std::string v = absl::AsciiStrToLower(absl::StripAsciiWhitespace(absl::string_view(h.second.data(), h.second.size())));
    if (v == "gzip") {
      req.encoding = ContentEncoding::kGzip;
    } else if (v.empty() || v == "identity") {
      req.encoding = ContentEncoding::kIdentity;
    } else {
      return absl::UnimplementedError(
          absl::StrCat("Content-Encoding ", QuoteForMessage(h.second), " not supported: use gzip or identity"));
    }
  }
  return req;
}

WriteReply RefusalReply(const absl::Status& status) {
  WriteReply r;
  std::string_view code;
  switch (status.code()) {
    case absl::StatusCode::kNotFound: r.http_status = 404, code = "not found"; break;
    case absl::StatusCode::kFailedPrecondition: r.http_status = 405, code = "method not allowed"; break;
    case absl::StatusCode::kUnimplemented: r.http_status = 415, code = "unsupported media type"; break;
    case absl::StatusCode::kResourceExhausted: r.http_status = 413, code = "request too large"; break;
    case absl::StatusCode::kInvalidArgument: r.http_status = 400, code = "invalid"; break;
    default: r.http_status = 500, code = "internal error"; break;
  }
  r.body = absl::StrCat("{\"code\":", JsonString(code), ",\"message\":", JsonString(std::string_view(status.message().data(), status.message().size())), "}");
  return r;
}

WriteReply ParseReply(size_t points, const std::vector<LineError>& errors, bool truncated) {
  WriteReply r;
  if (errors.empty()) return r;
  r.http_status = 400;
  std::string message = absl::StrCat("partial write: ", points, " points accepted, ", errors.size(),
                                     " lines rejected", truncated ? " (body truncated)" : "", "; first: ",
                                     errors.front().Format());
  std::string list;
  const size_t n = std::min(errors.size(), kMaxReportedErrors);
  for (size_t i = 0; i < n; ++i) {
    const LineError& e = errors[i];
    absl::StrAppend(&list, i ? "," : "", "{\"line\":", e.line, ",\"column\":", e.column,
                    ",\"message\":", JsonString(e.reason), "}");
  }
  r.body = absl::StrCat("{\"code\":\"invalid\",\"message\":", JsonString(message), ",\"line\":",
                        errors.front().line, ",\"errors\":[", list, "],\"errors_omitted\":",
                        errors.size() - n, "}");
  return r;
}

}  // namespace qilian::platform::lp
