#include "platform/tsdb/line_protocol/line_protocol.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace qilian::platform::lp {
namespace {

constexpr size_t kMaxQuotedBytes = 64;  // QuoteForMessage shows at most this much
// InfluxDB refuses a tag or field named "time" (the timestamp's column).
constexpr std::string_view kReservedKey = "time";

// Debian's Abseil has its own string_view (docs/dependencies.md).
absl::string_view ToAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Character classes, one bit each, looked up per byte.
enum : uint8_t {
  kStopMeasurement = 1,  // ends a measurement: ',' ' ' '\n' (and '\r' before '\n')
  kStopKey = 2,          // ends a tag key, tag value or field key: ',' '=' ' ' '\n' '\r'
  kStopValue = 4,        // ends an unquoted field value or a timestamp: ',' ' ' '\n' '\r'
};

struct ClassTable {
  uint8_t c[256] = {};
  constexpr ClassTable() {
    for (unsigned char ch : {',', ' ', '\n', '\r'}) c[ch] |= kStopMeasurement | kStopKey | kStopValue;
    c[static_cast<unsigned char>('=')] |= kStopKey;
  }
};
constexpr ClassTable kClass;

// A body is cut into lines at '\n'; "\r\n" counts as '\n'. A lone '\r' is data.
inline bool AtEol(const char* p, const char* end) {
  return p == end || *p == '\n' || (*p == '\r' && (p + 1 == end || p[1] == '\n'));
}

// Scans an element that ends at a byte of `stop` class, where a backslash
// before a byte of `escapable` makes that byte part of the element. Other
// backslashes are literal (InfluxDB's rule). Sets *escaped when the element
// needs unescaping.
template <uint8_t stop>
inline const char* ScanEscaped(const char* p, const char* end, bool (*escapable)(char), bool* escaped) {
  while (p < end) {
    const char c = *p;
    if (c == '\\') {
      if (p + 1 < end && escapable(p[1])) {
        *escaped = true;
        p += 2;
        continue;
      }
      ++p;
      continue;
    }
    if (kClass.c[static_cast<unsigned char>(c)] & stop) {
      if (c != '\r' || AtEol(p, end)) return p;
    }
    ++p;
  }
  return p;
}

// '=' needs no escape in a measurement, but InfluxDB 1.x reads "\=" there
// as "=", and clients that share one escaper for names and tags send it.
bool MeasurementEscapable(char c) { return c == ',' || c == ' ' || c == '='; }
bool KeyEscapable(char c) { return c == ',' || c == '=' || c == ' '; }

void Unescape(std::string_view raw, bool (*escapable)(char), std::string* out) {
  out->clear();
  out->reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size() && escapable(raw[i + 1])) ++i;
    out->push_back(raw[i]);
  }
}

bool StringEscapable(char c) { return c == '"' || c == '\\'; }

// Parses [-]digits into an int64; false when not that shape or out of range
// (*range says which).
bool ParseInt64(std::string_view s, int64_t* out, bool* range) {
  *range = false;
  size_t i = 0;
  bool neg = false;
  if (i < s.size() && s[i] == '-') {
    neg = true;
    ++i;
  }
  if (i == s.size()) return false;
  uint64_t v = 0;
  const uint64_t limit = neg ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  bool over = false;
  for (; i < s.size(); ++i) {
    const unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return false;
    if (!over && (v > (limit - d) / 10)) over = true;
    if (!over) v = v * 10 + d;
  }
  if (over) {
    *range = true;
    return false;
  }
  *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
  return true;
}

bool ParseUint64(std::string_view s, uint64_t* out, bool* range) {
  *range = false;
  if (s.empty()) return false;
  uint64_t v = 0;
  bool over = false;
  for (char ch : s) {
    const unsigned d = static_cast<unsigned char>(ch) - '0';
    if (d > 9) return false;
    if (!over && v > (UINT64_MAX - d) / 10) over = true;
    if (!over) v = v * 10 + d;
  }
  if (over) {
    *range = true;
    return false;
  }
  *out = v;
  return true;
}

bool ParseBool(std::string_view s, bool* out) {
  switch (s.size()) {
    case 1:
      if (s == "t" || s == "T") return *out = true, true;
      if (s == "f" || s == "F") return *out = false, true;
      return false;
    case 4:
      if (s == "true" || s == "True" || s == "TRUE") return *out = true, true;
      return false;
    case 5:
      if (s == "false" || s == "False" || s == "FALSE") return *out = false, true;
      return false;
    default:
      return false;
  }
}

// Epoch nanoseconds as floor milliseconds and the nanoseconds past them,
// without overflow at the ends of the range.
void SplitNanos(int64_t ns, int64_t* ms, int32_t* sub) {
  int64_t q = ns / 1'000'000, r = ns % 1'000'000;
  if (r < 0) {
    q -= 1;
    r += 1'000'000;
  }
  *ms = q;
  *sub = static_cast<int32_t>(r);
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Parses one body. Holds the reusable per-line storage.
class Parser {
 public:
  Parser(std::string_view body, const ParseOptions& options, std::deque<std::string>* arena)
      : body_(body), opt_(options), arena_(arena != nullptr ? arena : &scratch_), own_scratch_(arena == nullptr) {
    const int64_t unit = NanosPer(options.precision);
    // Lines without a timestamp take `now`, truncated to the body's precision.
    int64_t now_ns = 0;
    if (__builtin_mul_overflow(options.now_ms, int64_t{1'000'000}, &now_ns)) now_ns = 0;
    now_ns = FloorDiv(now_ns, unit) * unit;
    SplitNanos(now_ns, &now_ms_, &now_sub_);
  }

  ParseSummary Run(LineSink& sink);

 private:
  struct Failure {
    const char* at;
    std::string reason;
  };

  // Parses the entry starting at p (not blank, not a comment) into point_.
  // Returns where parsing stopped: the line's end on success (at '\n' or
  // the end), the place of the error otherwise (with *failure set).
  const char* ParseEntry(const char* p, bool* ok, Failure* failure);
  // Scans a tag or field key and the '=' after it; `what` is "tag " or
  // "field ", `index` the element's 1-based place for messages.
  const char* ScanKey(const char* p, std::string_view what, size_t index, std::string_view* key, bool* ok,
                      Failure* failure);
  std::string_view Keep(std::string_view raw, bool escaped, bool (*escapable)(char)) {
    return escaped ? KeepEscaped(raw, escapable) : raw;
  }
  std::string_view KeepEscaped(std::string_view raw, bool (*escapable)(char));
  std::string_view KeepString(std::string_view raw);

  std::string_view body_;
  const ParseOptions& opt_;
  std::deque<std::string> scratch_;
  std::deque<std::string>* arena_;
  bool own_scratch_;
  Point point_;
  size_t newlines_in_entry_ = 0;
  int64_t now_ms_ = 0;
  int32_t now_sub_ = 0;
};

std::string_view Parser::KeepEscaped(std::string_view raw, bool (*escapable)(char)) {
  Unescape(raw, escapable, &arena_->emplace_back());
  return arena_->back();
}

std::string_view Parser::KeepString(std::string_view raw) {
  if (raw.find('\\') == std::string_view::npos) return raw;
  Unescape(raw, StringEscapable, &arena_->emplace_back());
  return arena_->back();
}

#define QL_LP_FAIL(where, ...)                        \
  do {                                                \
    failure->at = (where);                            \
    failure->reason = absl::StrCat(__VA_ARGS__);      \
    *ok = false;                                      \
    return (where);                                   \
  } while (0)

const char* Parser::ScanKey(const char* p, std::string_view what, size_t index, std::string_view* key,
                            bool* ok, Failure* failure) {
  const char* const end = body_.data() + body_.size();
  const char* k = p;
  bool escaped = false;
  p = ScanEscaped<kStopKey>(p, end, KeyEscapable, &escaped);
  if (p == k) QL_LP_FAIL(k, ToAbsl(what), index, ": missing key");
  if (static_cast<size_t>(p - k) > opt_.limits.max_key_bytes)
    QL_LP_FAIL(k, ToAbsl(what), index, ": key of ", p - k, " bytes, limit ", opt_.limits.max_key_bytes);
  *key = Keep(std::string_view(k, p - k), escaped, KeyEscapable);
  if (p == end || *p != '=') QL_LP_FAIL(p, ToAbsl(what), QuoteForMessage(*key), ": missing \"=\"");
  return p + 1;
}

const char* Parser::ParseEntry(const char* p, bool* ok, Failure* failure) {
  const char* const end = body_.data() + body_.size();
  const Limits& lim = opt_.limits;
  *ok = true;
  point_.tags.clear();
  point_.fields.clear();

  // Measurement.
  bool escaped = false;
  const char* m = p;
  p = ScanEscaped<kStopMeasurement>(p, end, MeasurementEscapable, &escaped);
  if (p == m) QL_LP_FAIL(m, "missing measurement");
  if (static_cast<size_t>(p - m) > lim.max_key_bytes)
    QL_LP_FAIL(m, "measurement: ", p - m, " bytes, limit ", lim.max_key_bytes);
  point_.measurement = Keep(std::string_view(m, p - m), escaped, MeasurementEscapable);

  // Tags.
  while (p < end && *p == ',') {
    ++p;
    const size_t index = point_.tags.size() + 1;
    if (point_.tags.size() == lim.max_tags) QL_LP_FAIL(p, "more than ", lim.max_tags, " tags");
    const char* k = p;
    std::string_view key;
    p = ScanKey(p, "tag ", index, &key, ok, failure);
    if (!*ok) return p;
    const char* v = p;
    bool escaped = false;
    p = ScanEscaped<kStopKey>(p, end, KeyEscapable, &escaped);
    if (p == v) QL_LP_FAIL(v, "tag ", QuoteForMessage(key), ": missing value");
    if (static_cast<size_t>(p - v) > lim.max_tag_value_bytes)
      QL_LP_FAIL(v, "tag ", QuoteForMessage(key), ": value of ", p - v, " bytes, limit ",
                 lim.max_tag_value_bytes);
    if (p < end && *p == '=') QL_LP_FAIL(p, "tag ", QuoteForMessage(key), ": unescaped \"=\" in value");
    if (key == kReservedKey) QL_LP_FAIL(k, "tag \"time\": reserved key");
    for (const Tag& t : point_.tags)
      if (t.key == key) QL_LP_FAIL(k, "tag ", QuoteForMessage(key), ": duplicate key");
    point_.tags.push_back(Tag{key, Keep(std::string_view(v, p - v), escaped, KeyEscapable)});
  }
  if (AtEol(p, end)) QL_LP_FAIL(p, "missing fields");
  // Here *p == ' ': the scans above stop only there, at ',' or at the end of line.
  while (p < end && *p == ' ') ++p;
  if (AtEol(p, end)) QL_LP_FAIL(p, "missing fields");

  // Fields.
  uint64_t seen_keys = 0;
  for (;;) {
    const size_t index = point_.fields.size() + 1;
    const char* k = p;
    std::string_view key;
    p = ScanKey(p, "field ", index, &key, ok, failure);
    if (!*ok) return p;
    if (key == kReservedKey) QL_LP_FAIL(k, "field \"time\": reserved key");
    const char* v = p;
    Field field;
    field.key = key;
    FieldValue& value = field.value;
    if (p < end && *p == '"') {
      // A string: up to the next unescaped quote; raw newlines belong to it.
      ++p;
      const char* s = p;
      bool closed = false;
      while (p < end) {
        if (*p == '\\' && p + 1 < end && StringEscapable(p[1])) {
          p += 2;
          continue;
        }
        if (*p == '"') {
          closed = true;
          break;
        }
        if (*p == '\n') ++newlines_in_entry_;
        ++p;
      }
      if (!closed) {
        newlines_in_entry_ = 0;  // recovery restarts after the quote's own line
        QL_LP_FAIL(v, "field ", QuoteForMessage(key), ": unterminated string");
      }
      if (static_cast<size_t>(p - s) > lim.max_string_bytes)
        QL_LP_FAIL(v, "field ", QuoteForMessage(key), ": string of ", p - s, " bytes, limit ",
                   lim.max_string_bytes);
      value.type = FieldType::kString;
      value.s = KeepString(std::string_view(s, p - s));
      ++p;
      if (!(p == end || *p == ',' || *p == ' ' || AtEol(p, end)))
        QL_LP_FAIL(p, "field ", QuoteForMessage(key), ": unexpected ", QuoteForMessage(std::string_view(p, 1)),
                   " after string");
    } else {
      while (p < end && !(kClass.c[static_cast<unsigned char>(*p)] & kStopValue && (*p != '\r' || AtEol(p, end))))
        ++p;
      std::string_view tok(v, p - v);
      if (tok.empty()) QL_LP_FAIL(v, "field ", QuoteForMessage(key), ": missing value");
      const char c = tok[0];
      if (c == 't' || c == 'T' || c == 'f' || c == 'F') {
        value.type = FieldType::kBoolean;
        if (!ParseBool(tok, &value.b))
          QL_LP_FAIL(v, "field ", QuoteForMessage(key), ": invalid boolean ", QuoteForMessage(tok));
      } else if (c == '-' || c == '.' || (c >= '0' && c <= '9')) {
        const char last = tok.back();
        bool range = false;
        if (last == 'i') {
          value.type = FieldType::kInteger;
          if (!ParseInt64(tok.substr(0, tok.size() - 1), &value.i, &range))
            QL_LP_FAIL(v, "field ", QuoteForMessage(key), range ? ": integer " : ": invalid integer ",
                       QuoteForMessage(tok), range ? " out of range" : "");
        } else if (last == 'u') {
          value.type = FieldType::kUnsigned;
          if (!ParseUint64(tok.substr(0, tok.size() - 1), &value.u, &range))
            QL_LP_FAIL(v, "field ", QuoteForMessage(key), range ? ": unsigned " : ": invalid unsigned ",
                       QuoteForMessage(tok), range ? " out of range" : "");
        } else {
          value.type = FieldType::kFloat;
          auto [ptr, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), value.f);
          if (ec == std::errc::result_out_of_range && ptr == tok.data() + tok.size())
            QL_LP_FAIL(v, "field ", QuoteForMessage(key), ": float ", QuoteForMessage(tok), " out of range");
          if (ec != std::errc() || ptr != tok.data() + tok.size() || !std::isfinite(value.f))
            QL_LP_FAIL(v, "field ", QuoteForMessage(key), ": invalid float ", QuoteForMessage(tok));
        }
      } else {
        QL_LP_FAIL(v, "field ", QuoteForMessage(key), ": invalid value ", QuoteForMessage(tok));
      }
    }
    // Last write wins for a repeated key, as InfluxDB's field map does. A
    // 64-bit signature of the keys seen skips the search for most new keys.
    const uint64_t bit = uint64_t{1} << ((key.size() * 7 + static_cast<unsigned char>(key.back()) * 31 +
                                           static_cast<unsigned char>(key.front())) & 63);
    bool replaced = false;
    if (seen_keys & bit) {
      for (Field& f : point_.fields) {
        if (f.key == key) {
          f.value = value;
          replaced = true;
          break;
        }
      }
    }
    seen_keys |= bit;
    if (!replaced) {
      if (point_.fields.size() == lim.max_fields) QL_LP_FAIL(k, "more than ", lim.max_fields, " fields");
      point_.fields.push_back(field);
    }
    if (p < end && *p == ',') {
      ++p;
      continue;
    }
    break;
  }

  // Timestamp.
  while (p < end && *p == ' ') ++p;
  if (AtEol(p, end)) {
    point_.time_given = false;
    point_.time_ms = now_ms_;
    point_.time_sub_ms_ns = now_sub_;
  } else {
    const char* t = p;
    while (p < end && !(kClass.c[static_cast<unsigned char>(*p)] & kStopValue && (*p != '\r' || AtEol(p, end))))
      ++p;
    std::string_view tok(t, p - t);
    int64_t ts = 0;
    bool range = false;
    if (tok.empty()) QL_LP_FAIL(t, "unexpected \",\" after fields");
    if (!ParseInt64(tok, &ts, &range)) {
      if (range) QL_LP_FAIL(t, "timestamp ", QuoteForMessage(tok), " out of range");
      QL_LP_FAIL(t, "invalid timestamp ", QuoteForMessage(tok));
    }
    int64_t ns = 0;
    if (__builtin_mul_overflow(ts, NanosPer(opt_.precision), &ns) || ns < kMinNanoTime || ns > kMaxNanoTime)
      QL_LP_FAIL(t, "timestamp ", QuoteForMessage(tok), " out of range for precision ",
                 ToAbsl(PrecisionName(opt_.precision)));
    point_.time_given = true;
    SplitNanos(ns, &point_.time_ms, &point_.time_sub_ms_ns);
    while (p < end && *p == ' ') ++p;
    if (!AtEol(p, end)) {
      const char* x = p;
      while (!AtEol(p, end)) ++p;
      QL_LP_FAIL(x, "unexpected text after timestamp: ", QuoteForMessage(std::string_view(x, p - x)));
    }
  }

  // Tags sorted by key; Telegraf sends them sorted already.
  auto by_key = [](const Tag& a, const Tag& b) { return a.key < b.key; };
  if (!std::is_sorted(point_.tags.begin(), point_.tags.end(), by_key))
    std::sort(point_.tags.begin(), point_.tags.end(), by_key);
  return p;
}

#undef QL_LP_FAIL

ParseSummary Parser::Run(LineSink& sink) {
  ParseSummary summary;
  const char* const begin = body_.data();
  const char* const end = begin + body_.size();
  const char* p = begin;
  size_t line = 1;
  size_t entries = 0;
  Failure failure;
  while (p < end) {
    const char* start = p;
    while (p < end && *p == ' ') ++p;
    if (p == end) break;
    if (*p == '\n') {
      ++p;
      ++line;
      continue;
    }
    if (*p == '\r' && AtEol(p, end)) {
      p += (p + 1 < end) ? 2 : 1;
      ++line;
      continue;
    }
    if (*p == '#') {
      const void* nl = std::memchr(p, '\n', end - p);
      if (nl == nullptr) break;
      p = static_cast<const char*>(nl) + 1;
      ++line;
      continue;
    }
    if (entries == opt_.limits.max_lines) {
      sink.OnError(LineError{line, static_cast<size_t>(p - start) + 1,
                             absl::StrCat("more than ", opt_.limits.max_lines, " lines")});
      ++summary.errors;
      summary.truncated = true;
      break;
    }
    ++entries;
    if (own_scratch_) scratch_.clear();
    newlines_in_entry_ = 0;
    bool ok = false;
    const char* stop = ParseEntry(p, &ok, &failure);
    const char* line_end = stop;
    if (ok) {
      if (stop < end && *stop == '\r') ++stop;  // "\r\n"
    } else {
      // Recover at the next newline after the error.
      const void* nl = std::memchr(stop, '\n', end - stop);
      stop = nl == nullptr ? end : static_cast<const char*>(nl);
      line_end = stop;
      if (line_end > start && line_end[-1] == '\r') --line_end;
    }
    const size_t length = static_cast<size_t>(line_end - start);
    if (length > opt_.limits.max_line_bytes) {
      sink.OnError(LineError{line, 1,
                             absl::StrCat("line of ", length, " bytes, limit ", opt_.limits.max_line_bytes)});
      ++summary.errors;
    } else if (ok) {
      point_.line = line;
      sink.OnPoint(point_);
      ++summary.points;
    } else {
      sink.OnError(LineError{line, static_cast<size_t>(failure.at - start) + 1, std::move(failure.reason)});
      ++summary.errors;
    }
    line += newlines_in_entry_;
    p = stop;
    if (p < end) {  // at '\n'
      ++p;
      ++line;
    }
  }
  return summary;
}

class CollectingSink : public LineSink {
 public:
  explicit CollectingSink(ParsedBody* out) : out_(out) {}
  void OnPoint(const Point& point) override { out_->points.push_back(point); }
  void OnError(LineError error) override { out_->errors.push_back(std::move(error)); }

 private:
  ParsedBody* out_;
};

}  // namespace

int64_t NanosPer(Precision p) {
  switch (p) {
    case Precision::kNanoseconds: return 1;
    case Precision::kMicroseconds: return 1'000;
    case Precision::kMilliseconds: return 1'000'000;
    case Precision::kSeconds: return 1'000'000'000;
    case Precision::kMinutes: return 60'000'000'000;
    case Precision::kHours: return 3'600'000'000'000;
  }
  return 1;
}

std::string_view PrecisionName(Precision p) {
  switch (p) {
    case Precision::kNanoseconds: return "ns";
    case Precision::kMicroseconds: return "us";
    case Precision::kMilliseconds: return "ms";
    case Precision::kSeconds: return "s";
    case Precision::kMinutes: return "m";
    case Precision::kHours: return "h";
  }
  return "ns";
}

std::string LineError::Format() const { return absl::StrCat("line ", line, ": ", reason); }

std::string QuoteForMessage(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  const size_t n = std::min(s.size(), kMaxQuotedBytes);
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > n) out += "...";
  out.push_back('"');
  return out;
}

ParseSummary ParseLines(std::string_view body, const ParseOptions& options, LineSink& sink) {
  Parser parser(body, options, nullptr);
  return parser.Run(sink);
}

void ParseLines(std::string_view body, const ParseOptions& options, ParsedBody* out) {
  Parser parser(body, options, &out->arena);
  CollectingSink sink(out);
  out->truncated = parser.Run(sink).truncated;
}

}  // namespace qilian::platform::lp
