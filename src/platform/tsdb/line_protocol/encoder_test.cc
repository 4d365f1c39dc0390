#include "platform/tsdb/line_protocol/encoder.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace qilian::platform::lp {
namespace {

ParseOptions Options() {
  ParseOptions o;
  o.now_ms = 1765094400123;
  return o;
}

FieldValue Float(double f) {
  FieldValue v;
  v.type = FieldType::kFloat;
  v.f = f;
  return v;
}

// Parses `text`, writes every point back, and checks the second parse
// equals the first field by field (floats bit for bit).
void ExpectRoundTrip(std::string_view text) {
  ParsedBody first;
  ParseLines(text, Options(), &first);
  ASSERT_TRUE(first.errors.empty()) << first.errors[0].Format();
  std::string written;
  for (const Point& p : first.points) ASSERT_TRUE(AppendLine(p, &written).ok()) << text;
  ParsedBody second;
  ParseLines(written, Options(), &second);
  ASSERT_TRUE(second.errors.empty()) << second.errors[0].Format() << " in " << written;
  ASSERT_EQ(second.points.size(), first.points.size());
  for (size_t i = 0; i < first.points.size(); ++i) {
    const Point& a = first.points[i];
    const Point& b = second.points[i];
    EXPECT_EQ(a.measurement, b.measurement);
    ASSERT_EQ(a.tags.size(), b.tags.size());
    for (size_t t = 0; t < a.tags.size(); ++t) {
      EXPECT_EQ(a.tags[t].key, b.tags[t].key);
      EXPECT_EQ(a.tags[t].value, b.tags[t].value);
    }
    ASSERT_EQ(a.fields.size(), b.fields.size());
    for (size_t f = 0; f < a.fields.size(); ++f) {
      EXPECT_EQ(a.fields[f].key, b.fields[f].key);
      EXPECT_EQ(a.fields[f].value.type, b.fields[f].value.type);
      EXPECT_EQ(0, std::memcmp(&a.fields[f].value.u, &b.fields[f].value.u, 8));
      EXPECT_EQ(a.fields[f].value.s, b.fields[f].value.s);
    }
    EXPECT_EQ(a.time_ms, b.time_ms);
    EXPECT_EQ(a.time_sub_ms_ns, b.time_sub_ms_ns);
  }
}

TEST(Encoder, TelegrafShape) {
  ParsedBody b;
  ParseLines("cpu,cpu=cpu-total,host=gw\\ 1 usage_idle=97.25,n=3i,c=7u,on=T,msg=\"say \\\"hi\\\" \\\\o/\" 1765094400123456789",
             Options(), &b);
  ASSERT_EQ(b.points.size(), 1u);
  std::string out;
  ASSERT_TRUE(AppendLine(b.points[0], &out).ok());
  EXPECT_EQ(out,
            "cpu,cpu=cpu-total,host=gw\\ 1 usage_idle=97.25,n=3i,c=7u,on=true,msg=\"say \\\"hi\\\" \\\\o/\" "
            "1765094400123456789\n");
}

TEST(Encoder, RoundTrips) {
  ExpectRoundTrip("my\\ Measurement,tag\\ Key1=tag\\ Value1 fieldKey=\"string value\" 1556813561098000000");
  ExpectRoundTrip("m\\,x,k\\,1=v\\=1,k\\=2=v\\,2 f\\ 1=1i,f\\,2=2u,f\\=3=-0,g=1e+300,h=-1.5e-300 -1");
  ExpectRoundTrip("a=b,t=a\\b\\\\c v=0.1 9223372036854775806");
  ExpectRoundTrip("m s=\"two\nlines \\\\ \\\" \\q\" -9223372036854775806");
  ExpectRoundTrip("m\rx,t=\x01 v=1");
}

TEST(Encoder, Refusals) {
  Point p;
  p.measurement = "m";
  p.fields.push_back({"v", Float(1)});
  std::string out = "kept";
  p.measurement = "";
  EXPECT_EQ(AppendLine(p, &out), absl::InvalidArgumentError("measurement: empty"));
  p.measurement = "#m";
  EXPECT_EQ(AppendLine(p, &out), absl::InvalidArgumentError("measurement: starts with \"#\""));
  p.measurement = "a\\";
  EXPECT_EQ(AppendLine(p, &out), absl::InvalidArgumentError("measurement: backslash that cannot be written"));
  p.measurement = "a\\=b";
  EXPECT_EQ(AppendLine(p, &out), absl::InvalidArgumentError("measurement: backslash that cannot be written"));
  p.measurement = "a\nb";
  EXPECT_EQ(AppendLine(p, &out), absl::InvalidArgumentError("measurement: contains a newline"));
  p.measurement = "m";
  p.tags.push_back({"time", "x"});
  EXPECT_EQ(AppendLine(p, &out), absl::InvalidArgumentError("tag key: reserved"));
  p.tags.clear();
  p.fields[0].value = Float(std::nan(""));
  EXPECT_EQ(AppendLine(p, &out), absl::InvalidArgumentError("field \"v\": not finite"));
  p.fields.clear();
  EXPECT_EQ(AppendLine(p, &out), absl::InvalidArgumentError("no fields"));
  p.fields.push_back({"v", Float(1)});
  p.time_ms = INT64_MAX / 1000;
  EXPECT_EQ(AppendLine(p, &out), absl::InvalidArgumentError("time out of range"));
  EXPECT_EQ(out, "kept");
}

}  // namespace
}  // namespace qilian::platform::lp
