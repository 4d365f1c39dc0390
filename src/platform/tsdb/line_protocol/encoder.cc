#include "platform/tsdb/line_protocol/encoder.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace qilian::platform::lp {
namespace {

constexpr std::string_view kReservedKey = "time";  // as the parser refuses it

absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Appends `s` with a backslash before every byte of `escaped`. Two names
// cannot be written so as to read back the same, and are refused: one that
// ends with a backslash (it would escape the separator after it), and one
// with a backslash before a byte the parser unescapes but the writer does
// not escape (`\=` in a measurement: InfluxDB 1.x reads it as "=").
absl::Status AppendName(std::string_view what, std::string_view s, std::string_view escaped,
                        std::string_view unescaped_by_parser, std::string* out) {
  if (s.empty()) return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), ": empty"));
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\n') return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), ": contains a newline"));
    if (c == '\\' && (i + 1 == s.size() || (unescaped_by_parser.find(s[i + 1]) != std::string_view::npos &&
                                             escaped.find(s[i + 1]) == std::string_view::npos)))
      return absl::InvalidArgumentError(absl::StrCat(ToAbsl(what), ": backslash that cannot be written"));
    if (escaped.find(c) != std::string_view::npos) out->push_back('\\');
    out->push_back(c);
  }
  return absl::OkStatus();
}

template <typename T>
void AppendNumber(T v, std::string* out) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, end);
}

absl::Status AppendPoint(const Point& p, std::string* out) {
  if (!p.measurement.empty() && p.measurement[0] == '#')
    return absl::InvalidArgumentError("measurement: starts with \"#\"");
  if (absl::Status s = AppendName("measurement", p.measurement, ", ", ", =", out); !s.ok()) return s;
  for (const Tag& t : p.tags) {
    out->push_back(',');
    if (t.key == kReservedKey) return absl::InvalidArgumentError("tag key: reserved");
    if (absl::Status s = AppendName("tag key", t.key, ",= ", ",= ", out); !s.ok()) return s;
    out->push_back('=');
    if (absl::Status s = AppendName("tag value", t.value, ",= ", ",= ", out); !s.ok()) return s;
  }
  if (p.fields.empty()) return absl::InvalidArgumentError("no fields");
  char sep = ' ';
  for (const Field& f : p.fields) {
    out->push_back(sep);
    sep = ',';
    if (f.key == kReservedKey) return absl::InvalidArgumentError("field key: reserved");
    if (absl::Status s = AppendName("field key", f.key, ",= ", ",= ", out); !s.ok()) return s;
    out->push_back('=');
    const FieldValue& v = f.value;
    switch (v.type) {
      case FieldType::kFloat:
        if (!std::isfinite(v.f))
          return absl::InvalidArgumentError(absl::StrCat("field ", QuoteForMessage(f.key), ": not finite"));
        AppendNumber(v.f, out);
        // "1e+20" and "-0" read back as floats; a bare integer does too.
        break;
      case FieldType::kInteger:
        AppendNumber(v.i, out);
        out->push_back('i');
        break;
      case FieldType::kUnsigned:
        AppendNumber(v.u, out);
        out->push_back('u');
        break;
      case FieldType::kBoolean:
        out->append(v.b ? "true" : "false");
        break;
      case FieldType::kString:
        out->push_back('"');
        for (char c : v.s) {
          if (c == '"' || c == '\\') out->push_back('\\');
          out->push_back(c);
        }
        out->push_back('"');
        break;
    }
  }
  // time_ms * 1e6 + sub; below zero taken from the next millisecond up, so
  // that the lowest times (whose floor lies below int64 nanoseconds) fit.
  int64_t ns = 0;
  const bool carry = p.time_ms < 0 && p.time_sub_ms_ns > 0;
  if (p.time_sub_ms_ns < 0 || p.time_sub_ms_ns > 999'999 ||
      __builtin_mul_overflow(p.time_ms + (carry ? 1 : 0), int64_t{1'000'000}, &ns) ||
      __builtin_add_overflow(ns, carry ? p.time_sub_ms_ns - int64_t{1'000'000} : p.time_sub_ms_ns, &ns) ||
      ns < kMinNanoTime ||
      ns > kMaxNanoTime)
    return absl::InvalidArgumentError("time out of range");
  out->push_back(' ');
  AppendNumber(ns, out);
  out->push_back('\n');
  return absl::OkStatus();
}

}  // namespace

absl::Status AppendLine(const Point& point, std::string* out) {
  const size_t before = out->size();
  absl::Status s = AppendPoint(point, out);
  if (!s.ok()) out->resize(before);
  return s;
}

}  // namespace qilian::platform::lp
