// InfluxDB line protocol (docs/line-protocol.md): the text Telegraf, Node-RED
// and most gateways POST to /write and /api/v2/write. A pure codec: no I/O,
// no logging, no storage. ParseLines turns a body into points and per-line
// errors; one bad line never stops the lines after it.
//
// Zero-copy: every string_view in a Point points into the body, or, for an
// element written with a backslash escape, into storage the parser owns
// (the ParsedBody's arena, or for a LineSink the parser's scratch, valid
// only during the OnPoint call).
#ifndef QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_LINE_PROTOCOL_H_
#define QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_LINE_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace qilian::platform::lp {

// The unit of the timestamps in a body (the `precision` query parameter).
enum class Precision : uint8_t { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds, kMinutes, kHours };

// Nanoseconds per unit of `p`.
int64_t NanosPer(Precision p);
// The canonical name: "ns", "us", "ms", "s", "m", "h".
std::string_view PrecisionName(Precision p);

// InfluxDB stores nanoseconds in an int64 and keeps the two extreme values
// for itself; a timestamp outside this range after scaling is refused.
inline constexpr int64_t kMinNanoTime = INT64_MIN + 2;
inline constexpr int64_t kMaxNanoTime = INT64_MAX - 1;

// Per-body limits. Lengths are in bytes as written (before unescaping).
struct Limits {
  static constexpr size_t kDefaultMaxLineBytes = 256 * 1024;
  static constexpr size_t kDefaultMaxTags = 64;
  static constexpr size_t kDefaultMaxFields = 512;
  static constexpr size_t kDefaultMaxKeyBytes = 256;  // measurement, tag key, field key
  static constexpr size_t kDefaultMaxTagValueBytes = 1024;
  static constexpr size_t kDefaultMaxStringBytes = 64 * 1024;  // a string field, quotes excluded
  static constexpr size_t kDefaultMaxLines = 500'000;          // points + bad lines per body

  size_t max_line_bytes = kDefaultMaxLineBytes;
  size_t max_tags = kDefaultMaxTags;
  size_t max_fields = kDefaultMaxFields;
  size_t max_key_bytes = kDefaultMaxKeyBytes;
  size_t max_tag_value_bytes = kDefaultMaxTagValueBytes;
  size_t max_string_bytes = kDefaultMaxStringBytes;
  size_t max_lines = kDefaultMaxLines;
};

enum class FieldType : uint8_t { kFloat, kInteger, kUnsigned, kString, kBoolean };

struct FieldValue {
  FieldType type = FieldType::kFloat;
  union {
    double f;
    int64_t i;
    uint64_t u;
    bool b;
  };
  std::string_view s;  // kString only
  FieldValue() : f(0) {}
};

struct Tag {
  std::string_view key;
  std::string_view value;
};

struct Field {
  std::string_view key;
  FieldValue value;
};

struct Point {
  size_t line = 0;  // 1-based line of the body where the point starts
  std::string_view measurement;
  std::vector<Tag> tags;      // sorted by key (bytewise), keys unique
  std::vector<Field> fields;  // in the order written; a repeated key keeps its first place, last value
  int64_t time_ms = 0;        // epoch milliseconds (floor)
  int32_t time_sub_ms_ns = 0; // 0..999'999 nanoseconds past time_ms (finer precisions only)
  bool time_given = false;    // false: the line had no timestamp and `now_ms` was used
};

// One refused line: where and why. `reason` is one of the messages listed
// in docs/line-protocol.md; Format() gives `line 3: field "temp": invalid
// float "12.3.4"`.
struct LineError {
  size_t line = 0;    // 1-based
  size_t column = 0;  // 1-based byte offset from the start of the line
  std::string reason;
  std::string Format() const;
  bool operator==(const LineError&) const = default;
};

// Receives the parse of each line, in order. The Point's views into the
// parser's scratch (escaped elements) are valid only during OnPoint.
class LineSink {
 public:
  virtual ~LineSink() = default;
  virtual void OnPoint(const Point& point) = 0;
  virtual void OnError(LineError error) = 0;
};

struct ParseSummary {
  size_t points = 0;
  size_t errors = 0;
  bool truncated = false;  // stopped at Limits::max_lines; the rest of the body is unread
};

struct ParseOptions {
  Precision precision = Precision::kNanoseconds;
  int64_t now_ms = 0;  // the time of lines without a timestamp (truncated to a coarser precision)
  Limits limits;
};

ParseSummary ParseLines(std::string_view body, const ParseOptions& options, LineSink& sink);

// The whole body at once. Views point into the body (which must outlive
// this) or into `arena`; not copyable, so the views stay valid.
struct ParsedBody {
  std::vector<Point> points;
  std::vector<LineError> errors;
  std::deque<std::string> arena;
  bool truncated = false;
  ParsedBody() = default;
  ParsedBody(const ParsedBody&) = delete;
  ParsedBody& operator=(const ParsedBody&) = delete;
  ParsedBody(ParsedBody&&) = default;
  ParsedBody& operator=(ParsedBody&&) = default;
};

void ParseLines(std::string_view body, const ParseOptions& options, ParsedBody* out);

// Quotes `s` for an error message: within double quotes, `"` and `\`
// escaped, bytes outside printable ASCII as \xNN, cut after 64 bytes with
// "..." so that messages stay short, ASCII and JSON-safe.
std::string QuoteForMessage(std::string_view s);

}  // namespace qilian::platform::lp

#endif  // QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_LINE_PROTOCOL_H_
