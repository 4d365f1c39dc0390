#include "ident/template/field_check.h"

#include <string>

#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "tenant/field_error.h"

namespace qilian::ident::templates {
namespace {

// One template with a field of `type`; returns the message of checking
// `text` ("" when it passes) and expects code 202 and the field named.
std::string Check(Field field, std::string_view text) {
  Template t;
  t.name = "t";
  field.name = "f";
  t.fields.push_back(std::move(field));
  CompiledTemplate compiled(std::move(t));
  absl::Status s = compiled.CheckValue(0, text);
  if (s.ok()) return "";
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kInvalidValue);
  EXPECT_EQ(tenant::FieldOf(s), "f");
  return std::string(s.message());
}

Field Of(FieldType type) {
  Field f;
  f.type = type;
  return f;
}

TEST(FieldCheckTest, StringTypeAndLengthInCharacters) {
  Field f = Of(FieldType::kString);
  f.limits.min_length = 2;
  f.limits.max_length = 4;
  EXPECT_EQ(Check(f, "石化原料"), "");  // 4 characters, 12 bytes
  EXPECT_EQ(Check(f, "a"), "f: minLength: 'a' has 1 characters, fewer than 2");
  EXPECT_EQ(Check(f, "abcde"), "f: maxLength: 'abcde' has 5 characters, more than 4");
  EXPECT_EQ(Check(f, "a\x01"), "f: type: contains a control character");
  EXPECT_EQ(Check(f, "\xff\xfe"), "f: type: is not valid UTF-8 text");
}

TEST(FieldCheckTest, StringPatternIsAnchored) {
  Field f = Of(FieldType::kString);
  f.limits.pattern = "[A-Z]{2}[0-9]{4}";
  EXPECT_EQ(Check(f, "AB1234"), "");
  EXPECT_EQ(Check(f, "xAB1234"), "f: pattern: 'xAB1234' does not match '[A-Z]{2}[0-9]{4}'");
  EXPECT_EQ(Check(f, "AB12345"), "f: pattern: 'AB12345' does not match '[A-Z]{2}[0-9]{4}'");
}

TEST(FieldCheckTest, IntegerSyntaxAndRange) {
  Field f = Of(FieldType::kInteger);
  f.limits.minimum = 0;
  f.limits.maximum = 3650;
  EXPECT_EQ(Check(f, "730"), "");
  EXPECT_EQ(Check(f, "0"), "");
  EXPECT_EQ(Check(f, "-1"), "f: minimum: -1 is less than 0");
  EXPECT_EQ(Check(f, "3651"), "f: maximum: 3651 is greater than 3650");
  for (std::string_view bad : {"", "07", "1.0", "+1", "-0", "1e3", " 1", "99999999999999999999"}) {
    EXPECT_EQ(Check(Of(FieldType::kInteger), bad),
              "f: type: '" + std::string(bad) + "' is not an integer")
        << bad;
  }
}

TEST(FieldCheckTest, DecimalSyntaxAndRange) {
  Field f = Of(FieldType::kDecimal);
  f.limits.minimum = -40.5;
  f.limits.maximum = 85;
  EXPECT_EQ(Check(f, "25.75"), "");
  EXPECT_EQ(Check(f, "-40.5"), "");
  EXPECT_EQ(Check(f, "-40.6"), "f: minimum: -40.6 is less than -40.5");
  EXPECT_EQ(Check(f, "85.01"), "f: maximum: 85.01 is greater than 85");
  for (std::string_view bad : {".5", "5.", "1e2", "01.5", "NaN", "inf", "1,5"}) {
    EXPECT_EQ(Check(Of(FieldType::kDecimal), bad),
              "f: type: '" + std::string(bad) + "' is not a decimal number")
        << bad;
  }
}

TEST(FieldCheckTest, DateTimeIsRfc3339) {
  for (std::string_view good : {"2026-12-08T01:30:00Z", "2024-02-29T23:59:60+08:00",
                                "2026-01-01t00:00:00.123456789z", "2026-06-30T12:00:00-05:30"}) {
    EXPECT_EQ(Check(Of(FieldType::kDateTime), good), "") << good;
  }
  for (std::string_view bad : {"2026-12-08", "2026-12-08 01:30:00Z", "2025-02-29T00:00:00Z",
                               "2026-13-01T00:00:00Z", "2026-12-08T24:00:00Z",
                               "2026-12-08T01:30:00", "2026-12-08T01:30:00+0800",
                               "2026-12-08T01:30:00.Z"}) {
    EXPECT_EQ(Check(Of(FieldType::kDateTime), bad),
              "f: type: '" + std::string(bad) + "' is not an RFC 3339 date-time")
        << bad;
  }
}

TEST(FieldCheckTest, EnumBooleanHandleUrlGeo) {
  Field e = Of(FieldType::kEnum);
  e.enum_values = {"合格", "不合格"};
  EXPECT_EQ(Check(e, "合格"), "");
  EXPECT_EQ(Check(e, "pass"), "f: enum: 'pass' is not one of 合格, 不合格");

  EXPECT_EQ(Check(Of(FieldType::kBoolean), "true"), "");
  EXPECT_EQ(Check(Of(FieldType::kBoolean), "True"), "f: type: 'True' is not true or false");

  EXPECT_EQ(Check(Of(FieldType::kHandle), "88.999.7/BATCH-1"), "");
  EXPECT_EQ(Check(Of(FieldType::kHandle), "BATCH-1"),
            "f: type: 'BATCH-1' is not an identifier (prefix/suffix)");

  EXPECT_EQ(Check(Of(FieldType::kUrl), "https://example.cn/p?id=1"), "");
  for (std::string_view bad : {"example.cn", "https://", "1http://x", "http://a b", "://x"}) {
    EXPECT_EQ(Check(Of(FieldType::kUrl), bad),
              "f: type: '" + std::string(bad) + "' is not an absolute URL")
        << bad;
  }

  EXPECT_EQ(Check(Of(FieldType::kGeoPoint), "36.0611,103.8343"), "");
  EXPECT_EQ(Check(Of(FieldType::kGeoPoint), "-90,180"), "");
  for (std::string_view bad : {"91,0", "0,-180.5", "36.06", "36.06, 103.8", "a,b"}) {
    EXPECT_EQ(Check(Of(FieldType::kGeoPoint), bad),
              "f: type: '" + std::string(bad) +
                  "' is not a geo point 'lat,lon' (latitude -90..90, longitude -180..180)")
        << bad;
  }
}

TEST(FieldCheckTest, LongValuesAreQuotedShort) {
  Field f = Of(FieldType::kString);
  f.limits.max_length = 3;
  std::string long_text(100, 'x');
  EXPECT_EQ(Check(f, long_text),
            "f: maxLength: '" + std::string(64, 'x') + "...' has 100 characters, more than 3");
}

TEST(FieldCheckTest, PatternsAreBounded) {
  EXPECT_TRUE(CheckPattern("[0-9]{8}").ok());
  EXPECT_EQ(CheckPattern("(a").message(), "is not a valid RE2 pattern: missing ): (a");
  // Backreferences are not regular: RE2 refuses them rather than backtrack.
  EXPECT_EQ(CheckPattern("(a)\\1").message(),
            "is not a valid RE2 pattern: invalid escape sequence: \\1");
  EXPECT_EQ(CheckPattern(std::string(257, 'a')).message(), "is longer than 256 bytes");
  // A repetition whose program would exceed the memory bound.
  EXPECT_FALSE(CheckPattern("((((a{100}){100}){100}){100})").ok());
}

}  // namespace
}  // namespace qilian::ident::templates
