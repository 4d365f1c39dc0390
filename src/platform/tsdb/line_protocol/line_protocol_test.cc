#include "platform/tsdb/line_protocol/line_protocol.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace qilian::platform::lp {
namespace {

constexpr int64_t kNowMs = 1765094400123;  // 2025-12-07T08:00:00.123Z

ParseOptions Options(Precision p = Precision::kNanoseconds) {
  ParseOptions o;
  o.precision = p;
  o.now_ms = kNowMs;
  return o;
}

ParsedBody Parse(std::string_view body, const ParseOptions& options = Options()) {
  ParsedBody out;
  ParseLines(body, options, &out);
  return out;
}

// The one point of a one-line body that must parse. The body and its parse
// are kept to the end of the test program, since the point's views need them.
Point One(std::string_view text, const ParseOptions& options = Options()) {
  static std::deque<std::string> bodies;
  static std::deque<ParsedBody> parses;
  const std::string& body = bodies.emplace_back(text);
  ParsedBody& b = parses.emplace_back(Parse(body, options));
  EXPECT_TRUE(b.errors.empty()) << (b.errors.empty() ? "" : b.errors[0].Format());
  EXPECT_EQ(b.points.size(), 1u);
  return b.points.empty() ? Point() : b.points[0];
}

// The message of the one error of a one-line body that must fail.
std::string Err(std::string_view body, const ParseOptions& options = Options()) {
  ParsedBody b = Parse(body, options);
  EXPECT_TRUE(b.points.empty());
  EXPECT_EQ(b.errors.size(), 1u);
  return b.errors.empty() ? "" : b.errors[0].Format();
}

// ---- Golden parses (examples of InfluxData's line-protocol reference) ----

TEST(LineProtocolGolden, ReferenceExample) {
  Point p = One("myMeasurement,tag1=value1,tag2=value2 fieldKey=\"fieldValue\" 1556813561098000000");
  EXPECT_EQ(p.measurement, "myMeasurement");
  ASSERT_EQ(p.tags.size(), 2u);
  EXPECT_EQ(p.tags[0].key, "tag1");
  EXPECT_EQ(p.tags[0].value, "value1");
  EXPECT_EQ(p.tags[1].key, "tag2");
  EXPECT_EQ(p.tags[1].value, "value2");
  ASSERT_EQ(p.fields.size(), 1u);
  EXPECT_EQ(p.fields[0].key, "fieldKey");
  EXPECT_EQ(p.fields[0].value.type, FieldType::kString);
  EXPECT_EQ(p.fields[0].value.s, "fieldValue");
  EXPECT_TRUE(p.time_given);
  EXPECT_EQ(p.time_ms, 1556813561098);
  EXPECT_EQ(p.time_sub_ms_ns, 0);
  EXPECT_EQ(p.line, 1u);
}

TEST(LineProtocolGolden, HomeSensorDataSecondPrecision) {
  Point p = One("home,room=Kitchen temp=21.0,hum=35.9,co=0i 1641024000", Options(Precision::kSeconds));
  EXPECT_EQ(p.measurement, "home");
  ASSERT_EQ(p.fields.size(), 3u);
  EXPECT_EQ(p.fields[0].value.type, FieldType::kFloat);
  EXPECT_EQ(p.fields[0].value.f, 21.0);
  EXPECT_EQ(p.fields[1].value.f, 35.9);
  EXPECT_EQ(p.fields[2].value.type, FieldType::kInteger);
  EXPECT_EQ(p.fields[2].value.i, 0);
  EXPECT_EQ(p.time_ms, 1641024000000);
}

TEST(LineProtocolGolden, MeasurementWithEscapedSpace) {
  Point p = One("my\\ Measurement fieldKey=\"string value\"");
  EXPECT_EQ(p.measurement, "my Measurement");
  EXPECT_EQ(p.fields[0].value.s, "string value");
}

TEST(LineProtocolGolden, MeasurementEscapedComma) {
  EXPECT_EQ(One("cpu\\,total v=1").measurement, "cpu,total");
}

TEST(LineProtocolGolden, MeasurementEqualsAndOtherBackslashesAreLiteral) {
  EXPECT_EQ(One("a=b v=1").measurement, "a=b");
  EXPECT_EQ(One("a\\=b v=1").measurement, "a=b");  // InfluxDB 1.x unescapes it too
  EXPECT_EQ(One("a\\b v=1").measurement, "a\\b");
  // "\\," is a literal backslash, then an escaped comma.
  EXPECT_EQ(One("a\\\\,b v=1").measurement, "a\\,b");
}

TEST(LineProtocolGolden, DoubleQuotesInStringField) {
  Point p = One("myMeasurement fieldKey=\"\\\"string\\\" within a string\"");
  EXPECT_EQ(p.fields[0].value.s, "\"string\" within a string");
}

TEST(LineProtocolGolden, TagKeysAndValuesWithSpaces) {
  Point p = One("myMeasurement,tag\\ Key1=tag\\ Value1,tag\\ Key2=tag\\ Value2 fieldKey=100");
  ASSERT_EQ(p.tags.size(), 2u);
  EXPECT_EQ(p.tags[0].key, "tag Key1");
  EXPECT_EQ(p.tags[0].value, "tag Value1");
  EXPECT_EQ(p.tags[1].key, "tag Key2");
  EXPECT_EQ(p.tags[1].value, "tag Value2");
  EXPECT_EQ(p.fields[0].value.type, FieldType::kFloat);
  EXPECT_EQ(p.fields[0].value.f, 100.0);
}

TEST(LineProtocolGolden, Emojis) {
  Point p = One("myMeasurement,tagKey=\xF0\x9F\x8D\xAD fieldKey=\"Launch \xF0\x9F\x9A\x80\" 1556813561098000000");
  EXPECT_EQ(p.tags[0].value, "\xF0\x9F\x8D\xAD");
  EXPECT_EQ(p.fields[0].value.s, "Launch \xF0\x9F\x9A\x80");
}

TEST(LineProtocolGolden, TagAndFieldKeyEscapes) {
  Point p = One("m,k\\,1=v\\=1,k\\=2=v\\,2 f\\ 1=1i,f\\,2=2i,f\\=3=3i");
  EXPECT_EQ(p.tags[0].key, "k,1");
  EXPECT_EQ(p.tags[0].value, "v=1");
  EXPECT_EQ(p.tags[1].key, "k=2");
  EXPECT_EQ(p.tags[1].value, "v,2");
  EXPECT_EQ(p.fields[0].key, "f 1");
  EXPECT_EQ(p.fields[1].key, "f,2");
  EXPECT_EQ(p.fields[2].key, "f=3");
}

TEST(LineProtocolGolden, StringBackslashes) {
  // InfluxData's table: \ and \\ are one backslash, \\\ and \\\\ two.
  EXPECT_EQ(One("m s=\"a\\b\"").fields[0].value.s, "a\\b");
  EXPECT_EQ(One("m s=\"a\\\\b\"").fields[0].value.s, "a\\b");
  EXPECT_EQ(One("m s=\"a\\\\\\b\"").fields[0].value.s, "a\\\\b");
  EXPECT_EQ(One("m s=\"a\\\\\\\\b\"").fields[0].value.s, "a\\\\b");
  // Commas, spaces and equals signs need no escape inside a string.
  EXPECT_EQ(One("m s=\"a, b=c\"").fields[0].value.s, "a, b=c");
  EXPECT_EQ(One("m s=\"\"").fields[0].value.s, "");
}

TEST(LineProtocolGolden, StringWithRawNewlineCountsLines) {
  ParsedBody b = Parse("m s=\"two\nlines\" 1\nm v=2 2\n");
  ASSERT_EQ(b.points.size(), 2u);
  EXPECT_EQ(b.points[0].fields[0].value.s, "two\nlines");
  EXPECT_EQ(b.points[1].line, 3u);
}

TEST(LineProtocolGolden, EscapeValuesAreViewsIntoTheBodyWhenUnescaped) {
  std::string body = "cpu,host=a usage=1";
  ParsedBody b = Parse(body);
  ASSERT_EQ(b.points.size(), 1u);
  EXPECT_EQ(b.points[0].measurement.data(), body.data());
  EXPECT_TRUE(b.arena.empty());
}

TEST(LineProtocolGolden, FieldTypes) {
  Point p = One("m f=1.5,e=-1.5e-3,g=.5,h=1.,i=-42i,u=42u,s=\"x\",b=t");
  ASSERT_EQ(p.fields.size(), 8u);
  EXPECT_EQ(p.fields[0].value.f, 1.5);
  EXPECT_EQ(p.fields[1].value.f, -1.5e-3);
  EXPECT_EQ(p.fields[2].value.f, 0.5);
  EXPECT_EQ(p.fields[3].value.f, 1.0);
  EXPECT_EQ(p.fields[4].value.type, FieldType::kInteger);
  EXPECT_EQ(p.fields[4].value.i, -42);
  EXPECT_EQ(p.fields[5].value.type, FieldType::kUnsigned);
  EXPECT_EQ(p.fields[5].value.u, 42u);
  EXPECT_EQ(p.fields[6].value.type, FieldType::kString);
  EXPECT_EQ(p.fields[7].value.type, FieldType::kBoolean);
  EXPECT_TRUE(p.fields[7].value.b);
}

TEST(LineProtocolGolden, IntegerAndUnsignedExtremes) {
  Point p = One("m a=9223372036854775807i,b=-9223372036854775808i,c=18446744073709551615u,d=0u");
  EXPECT_EQ(p.fields[0].value.i, INT64_MAX);
  EXPECT_EQ(p.fields[1].value.i, INT64_MIN);
  EXPECT_EQ(p.fields[2].value.u, UINT64_MAX);
  EXPECT_EQ(p.fields[3].value.u, 0u);
}

TEST(LineProtocolGolden, BooleanSpellings) {
  for (std::string_view t : {"t", "T", "true", "True", "TRUE"}) {
    Point p = One(std::string("m b=") + std::string(t));
    EXPECT_EQ(p.fields[0].value.type, FieldType::kBoolean) << t;
    EXPECT_TRUE(p.fields[0].value.b) << t;
  }
  for (std::string_view f : {"f", "F", "false", "False", "FALSE"}) {
    Point p = One(std::string("m b=") + std::string(f));
    EXPECT_FALSE(p.fields[0].value.b) << f;
  }
}

TEST(LineProtocolGolden, TagsSortedByKey) {
  Point p = One("m,zone=b,area=a,mid=c v=1");
  ASSERT_EQ(p.tags.size(), 3u);
  EXPECT_EQ(p.tags[0].key, "area");
  EXPECT_EQ(p.tags[1].key, "mid");
  EXPECT_EQ(p.tags[2].key, "zone");
  EXPECT_EQ(p.tags[2].value, "b");
}

TEST(LineProtocolGolden, DuplicateFieldLastWinsInFirstPlace) {
  Point p = One("m a=1,b=2,a=3i");
  ASSERT_EQ(p.fields.size(), 2u);
  EXPECT_EQ(p.fields[0].key, "a");
  EXPECT_EQ(p.fields[0].value.type, FieldType::kInteger);
  EXPECT_EQ(p.fields[0].value.i, 3);
  EXPECT_EQ(p.fields[1].key, "b");
}

TEST(LineProtocolGolden, CommentsBlankLinesCrlfAndSpaces) {
  ParsedBody b = Parse("# a comment\r\n\r\n  \ncpu v=1 10\r\n   # indented comment\n\ncpu  v=2   20  \r\ncpu v=3");
  ASSERT_TRUE(b.errors.empty()) << b.errors[0].Format();
  ASSERT_EQ(b.points.size(), 3u);
  EXPECT_EQ(b.points[0].line, 4u);
  EXPECT_EQ(b.points[1].line, 7u);
  EXPECT_EQ(b.points[1].fields[0].value.f, 2.0);
  EXPECT_EQ(b.points[1].time_sub_ms_ns, 20);
  EXPECT_EQ(b.points[2].line, 8u);
  EXPECT_FALSE(b.points[2].time_given);
}

TEST(LineProtocolGolden, LoneCarriageReturnIsData) {
  Point p = One("m\rx v=1");
  EXPECT_EQ(p.measurement, "m\rx");
}

TEST(LineProtocolGolden, GoodLinesAroundBadOnes) {
  ParsedBody b = Parse("m v=1 1\nm v=oops 2\nm v=3 3\nm\n");
  ASSERT_EQ(b.points.size(), 2u);
  EXPECT_EQ(b.points[0].line, 1u);
  EXPECT_EQ(b.points[1].line, 3u);
  ASSERT_EQ(b.errors.size(), 2u);
  EXPECT_EQ(b.errors[0].Format(), "line 2: field \"v\": invalid value \"oops\"");
  EXPECT_EQ(b.errors[0].column, 5u);
  EXPECT_EQ(b.errors[1].Format(), "line 4: missing fields");
}

class RecordingSink : public LineSink {
 public:
  void OnPoint(const Point& p) override { measurements.emplace_back(p.measurement); }
  void OnError(LineError e) override { errors.push_back(e.Format()); }
  std::vector<std::string> measurements, errors;
};

TEST(LineProtocolGolden, SinkGetsUnescapedViewsDuringTheCall) {
  RecordingSink sink;
  ParseSummary s = ParseLines("a\\ b v=1\nc\\,d v=1\nbad\n", Options(), sink);
  EXPECT_EQ(s.points, 2u);
  EXPECT_EQ(s.errors, 1u);
  EXPECT_FALSE(s.truncated);
  EXPECT_EQ(sink.measurements, (std::vector<std::string>{"a b", "c,d"}));
  EXPECT_EQ(sink.errors, (std::vector<std::string>{"line 3: missing fields"}));
}

// ---- Timestamps and precision ----

TEST(LineProtocolTime, PrecisionScaling) {
  EXPECT_EQ(One("m v=1 1641024000123456789").time_ms, 1641024000123);
  EXPECT_EQ(One("m v=1 1641024000123456789").time_sub_ms_ns, 456789);
  EXPECT_EQ(One("m v=1 1641024000123456", Options(Precision::kMicroseconds)).time_ms, 1641024000123);
  EXPECT_EQ(One("m v=1 1641024000123456", Options(Precision::kMicroseconds)).time_sub_ms_ns, 456000);
  EXPECT_EQ(One("m v=1 1641024000123", Options(Precision::kMilliseconds)).time_ms, 1641024000123);
  EXPECT_EQ(One("m v=1 1641024000", Options(Precision::kSeconds)).time_ms, 1641024000000);
  EXPECT_EQ(One("m v=1 27350400", Options(Precision::kMinutes)).time_ms, 1641024000000);
  EXPECT_EQ(One("m v=1 455840", Options(Precision::kHours)).time_ms, 1641024000000);
}

TEST(LineProtocolTime, NegativeTimestampsFloor) {
  Point p = One("m v=1 -1");
  EXPECT_EQ(p.time_ms, -1);
  EXPECT_EQ(p.time_sub_ms_ns, 999999);
  EXPECT_EQ(One("m v=1 -1500", Options(Precision::kMilliseconds)).time_ms, -1500);
}

TEST(LineProtocolTime, AbsentTimestampIsNowTruncatedToPrecision) {
  Point p = One("m v=1");
  EXPECT_FALSE(p.time_given);
  EXPECT_EQ(p.time_ms, kNowMs);
  EXPECT_EQ(One("m v=1", Options(Precision::kSeconds)).time_ms, 1765094400000);
}

TEST(LineProtocolTime, Extremes) {
  // Found by fuzzing: the floor division overflowed at the low end.
  Point low = One("m v=1 -9223372036854775806");
  EXPECT_EQ(low.time_ms, -9223372036855);
  EXPECT_EQ(low.time_sub_ms_ns, 224194);
  EXPECT_EQ(One("m v=1 9223372036854775806").time_ms, 9223372036854);
  EXPECT_EQ(One("m v=1 9223372036854", Options(Precision::kMilliseconds)).time_ms, 9223372036854);
}

// ---- One test per malformation, with its exact message ----

TEST(LineProtocolError, MissingMeasurement) {
  EXPECT_EQ(Err(",t=1 v=1"), "line 1: missing measurement");
}
TEST(LineProtocolError, MeasurementTooLong) {
  EXPECT_EQ(Err(std::string(257, 'm') + " v=1"), "line 1: measurement: 257 bytes, limit 256");
}
TEST(LineProtocolError, MissingFieldsAfterMeasurement) { EXPECT_EQ(Err("cpu"), "line 1: missing fields"); }
TEST(LineProtocolError, MissingFieldsAfterSpace) { EXPECT_EQ(Err("cpu   "), "line 1: missing fields"); }
TEST(LineProtocolError, MissingFieldsAfterTags) { EXPECT_EQ(Err("cpu,host=a"), "line 1: missing fields"); }
TEST(LineProtocolError, TagMissingKey) { EXPECT_EQ(Err("cpu,=a v=1"), "line 1: tag 1: missing key"); }
TEST(LineProtocolError, TagTrailingComma) { EXPECT_EQ(Err("cpu,a=1, v=1"), "line 1: tag 2: missing key"); }
TEST(LineProtocolError, TagMissingEquals) { EXPECT_EQ(Err("cpu,host v=1"), "line 1: tag \"host\": missing \"=\""); }
TEST(LineProtocolError, TagEmptyValue) { EXPECT_EQ(Err("cpu,host= v=1"), "line 1: tag \"host\": missing value"); }
TEST(LineProtocolError, TagUnescapedEquals) {
  EXPECT_EQ(Err("cpu,host=a=b v=1"), "line 1: tag \"host\": unescaped \"=\" in value");
}
TEST(LineProtocolError, TagDuplicateKey) {
  ParsedBody b = Parse("cpu,host=a,zone=z,host=b v=1");
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].Format(), "line 1: tag \"host\": duplicate key");
  EXPECT_EQ(b.errors[0].column, 19u);
}
TEST(LineProtocolError, TagReservedKey) { EXPECT_EQ(Err("m,time=x v=1"), "line 1: tag \"time\": reserved key"); }
TEST(LineProtocolError, FieldReservedKey) { EXPECT_EQ(Err("m time=1"), "line 1: field \"time\": reserved key"); }
TEST(LineProtocolGolden, ManyDistinctFieldKeys) {
  std::string line = "m ";
  for (int i = 0; i < 200; ++i) line += (i ? ",k" : "k") + std::to_string(i) + "=" + std::to_string(i) + "i";
  Point p = One(line);
  ASSERT_EQ(p.fields.size(), 200u);
  for (int i = 0; i < 200; ++i) EXPECT_EQ(p.fields[i].value.i, i);
}
TEST(LineProtocolError, TagKeyTooLong) {
  EXPECT_EQ(Err("cpu," + std::string(257, 'k') + "=v v=1"), "line 1: tag 1: key of 257 bytes, limit 256");
}
TEST(LineProtocolError, TagValueTooLong) {
  EXPECT_EQ(Err("cpu,k=" + std::string(1025, 'v') + " v=1"), "line 1: tag \"k\": value of 1025 bytes, limit 1024");
}
TEST(LineProtocolError, TooManyTags) {
  ParseOptions o = Options();
  o.limits.max_tags = 2;
  EXPECT_EQ(Err("cpu,a=1,b=2,c=3 v=1", o), "line 1: more than 2 tags");
}
TEST(LineProtocolError, FieldMissingKey) { EXPECT_EQ(Err("cpu =1"), "line 1: field 1: missing key"); }
TEST(LineProtocolError, FieldTrailingComma) { EXPECT_EQ(Err("cpu a=1,"), "line 1: field 2: missing key"); }
TEST(LineProtocolError, FieldMissingEquals) { EXPECT_EQ(Err("cpu value"), "line 1: field \"value\": missing \"=\""); }
TEST(LineProtocolError, FieldMissingValue) { EXPECT_EQ(Err("cpu value= 1"), "line 1: field \"value\": missing value"); }
TEST(LineProtocolError, FieldMissingValueAtEnd) { EXPECT_EQ(Err("cpu value="), "line 1: field \"value\": missing value"); }
TEST(LineProtocolError, FieldKeyTooLong) {
  EXPECT_EQ(Err("cpu " + std::string(257, 'f') + "=1"), "line 1: field 1: key of 257 bytes, limit 256");
}
TEST(LineProtocolError, TooManyFields) {
  ParseOptions o = Options();
  o.limits.max_fields = 2;
  EXPECT_EQ(Err("cpu a=1,b=2,c=3", o), "line 1: more than 2 fields");
  EXPECT_EQ(One("cpu a=1,b=2,a=3", o).fields.size(), 2u);  // a repeat is not one more
}
TEST(LineProtocolError, InvalidFloat) {
  EXPECT_EQ(Err("m temp=12.3.4"), "line 1: field \"temp\": invalid float \"12.3.4\"");
}
TEST(LineProtocolError, FloatOutOfRange) { EXPECT_EQ(Err("m v=1e999"), "line 1: field \"v\": float \"1e999\" out of range"); }
TEST(LineProtocolError, FloatInfinityRefused) { EXPECT_EQ(Err("m v=-inf"), "line 1: field \"v\": invalid float \"-inf\""); }
TEST(LineProtocolError, FloatNaNRefused) { EXPECT_EQ(Err("m v=NaN"), "line 1: field \"v\": invalid value \"NaN\""); }
TEST(LineProtocolError, FloatLeadingPlusRefused) { EXPECT_EQ(Err("m v=+1"), "line 1: field \"v\": invalid value \"+1\""); }
TEST(LineProtocolError, InvalidInteger) { EXPECT_EQ(Err("m v=1.5i"), "line 1: field \"v\": invalid integer \"1.5i\""); }
TEST(LineProtocolError, IntegerOutOfRange) {
  EXPECT_EQ(Err("m v=9223372036854775808i"), "line 1: field \"v\": integer \"9223372036854775808i\" out of range");
}
TEST(LineProtocolError, InvalidUnsigned) { EXPECT_EQ(Err("m v=-1u"), "line 1: field \"v\": invalid unsigned \"-1u\""); }
TEST(LineProtocolError, UnsignedOutOfRange) {
  EXPECT_EQ(Err("m v=18446744073709551616u"), "line 1: field \"v\": unsigned \"18446744073709551616u\" out of range");
}
TEST(LineProtocolError, InvalidBoolean) { EXPECT_EQ(Err("m v=tru"), "line 1: field \"v\": invalid boolean \"tru\""); }
TEST(LineProtocolError, InvalidValue) { EXPECT_EQ(Err("m v=abc"), "line 1: field \"v\": invalid value \"abc\""); }
TEST(LineProtocolError, UnterminatedString) {
  ParsedBody b = Parse("m s=\"open 1\nm v=2 2\n");
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].Format(), "line 1: field \"s\": unterminated string");
  EXPECT_EQ(b.errors[0].column, 5u);
  // Recovery starts on the line after the quote: the next line still parses.
  ASSERT_EQ(b.points.size(), 1u);
  EXPECT_EQ(b.points[0].line, 2u);
}
TEST(LineProtocolError, StringTooLong) {
  ParseOptions o = Options();
  o.limits.max_string_bytes = 3;
  EXPECT_EQ(Err("m s=\"abcd\"", o), "line 1: field \"s\": string of 4 bytes, limit 3");
}
TEST(LineProtocolError, TextAfterString) {
  EXPECT_EQ(Err("m s=\"a\"b"), "line 1: field \"s\": unexpected \"b\" after string");
}
TEST(LineProtocolError, InvalidTimestamp) { EXPECT_EQ(Err("m v=1 12ab"), "line 1: invalid timestamp \"12ab\""); }
TEST(LineProtocolError, FloatTimestamp) { EXPECT_EQ(Err("m v=1 1.5"), "line 1: invalid timestamp \"1.5\""); }
TEST(LineProtocolError, TimestampOutOfInt64) {
  EXPECT_EQ(Err("m v=1 9223372036854775808"), "line 1: timestamp \"9223372036854775808\" out of range");
}
TEST(LineProtocolError, TimestampOutOfRangeAfterScaling) {
  EXPECT_EQ(Err("m v=1 9223372037", Options(Precision::kSeconds)),
            "line 1: timestamp \"9223372037\" out of range for precision s");
  EXPECT_EQ(Err("m v=1 9223372036854775807"), "line 1: timestamp \"9223372036854775807\" out of range for precision ns");
}
TEST(LineProtocolError, TextAfterTimestamp) {
  EXPECT_EQ(Err("m v=1 10 extra"), "line 1: unexpected text after timestamp: \"extra\"");
}
TEST(LineProtocolError, CommaBeforeTimestamp) { EXPECT_EQ(Err("m v=1 ,10"), "line 1: unexpected \",\" after fields"); }
TEST(LineProtocolError, LineTooLong) {
  ParseOptions o = Options();
  o.limits.max_line_bytes = 10;
  ParsedBody b = Parse("m v=1 1\nm value=123456\nm v=2 2", o);
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].Format(), "line 2: line of 14 bytes, limit 10");
  EXPECT_EQ(b.points.size(), 2u);
}
TEST(LineProtocolError, TooManyLinesStopsTheBody) {
  ParseOptions o = Options();
  o.limits.max_lines = 2;
  ParsedBody b = Parse("# c\nm v=1\nm v=2\nm v=3\nm v=4\n", o);
  EXPECT_EQ(b.points.size(), 2u);
  ASSERT_EQ(b.errors.size(), 1u);
  EXPECT_EQ(b.errors[0].Format(), "line 4: more than 2 lines");
  EXPECT_TRUE(b.truncated);
}
TEST(LineProtocolError, MessagesQuoteControlAndLongText) {
  EXPECT_EQ(Err("m v=\x01x"), "line 1: field \"v\": invalid value \"\\x01x\"");
  EXPECT_EQ(QuoteForMessage(std::string(70, 'a')), "\"" + std::string(64, 'a') + "...\"");
  EXPECT_EQ(QuoteForMessage("a\"b\\"), "\"a\\\"b\\\\\"");
}

}  // namespace
}  // namespace qilian::platform::lp
