#include "ident/template/template_json.h"

#include <string>

#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "tenant/field_error.h"

namespace qilian::ident::templates {
namespace {

constexpr std::string_view kGood = R"({
  "name": "food-batch",
  "industry": "C1431",
  "description": {"zh": "食品批次", "en": "Food batch"},
  "fields": [
    {"name": "productName", "type": "string", "required": true,
     "limits": {"minLength": 1, "maxLength": 64},
     "description": {"zh": "产品名称", "en": "Product name"}},
    {"name": "batchNo", "type": "string", "required": true,
     "limits": {"pattern": "[A-Z0-9]{6,20}"}},
    {"name": "shelfLife", "type": "integer", "unit": "d", "limits": {"minimum": 1, "maximum": 3650}},
    {"name": "result", "type": "enum", "values": ["合格", "不合格"]},
    {"name": "supplierCode", "type": "string", "public": false}
  ]
})";

absl::StatusOr<Template> Parse(std::string_view text) {
  absl::StatusOr<nlohmann::ordered_json> json = ParseTemplateText(text);
  if (!json.ok()) return json.status();
  return TemplateFromJson(*json);
}

// The message of parsing `text`, which must fail with 202 on `field`.
std::string Error(std::string_view text, std::string_view field) {
  absl::StatusOr<Template> t = Parse(text);
  EXPECT_FALSE(t.ok());
  if (t.ok()) return "";
  EXPECT_EQ(ResponseCodeOf(t.status()), ResponseCode::kInvalidValue);
  EXPECT_EQ(tenant::FieldOf(t.status()), std::string(field));
  return std::string(t.status().message());
}

std::string WithField(std::string_view field_json) {
  return R"({"name":"t","industry":"C","fields":[)" + std::string(field_json) + "]}";
}

TEST(TemplateJsonTest, ParsesEveryMember) {
  absl::StatusOr<Template> t = Parse(kGood);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->name, "food-batch");
  EXPECT_EQ(t->version, 1u);
  EXPECT_EQ(t->industry, "1431");
  EXPECT_EQ(t->description_zh, "食品批次");
  ASSERT_EQ(t->fields.size(), 5u);
  EXPECT_TRUE(t->fields[0].required);
  EXPECT_EQ(t->fields[0].limits.max_length, 64u);
  EXPECT_EQ(t->fields[1].limits.pattern, "[A-Z0-9]{6,20}");
  EXPECT_EQ(t->fields[2].type, FieldType::kInteger);
  EXPECT_EQ(t->fields[2].unit, "d");
  EXPECT_EQ(t->fields[2].limits.maximum, 3650.0);
  EXPECT_EQ(t->fields[3].enum_values, (std::vector<std::string>{"合格", "不合格"}));
  EXPECT_TRUE(t->fields[0].is_public);
  EXPECT_FALSE(t->fields[4].is_public);
}

TEST(TemplateJsonTest, StoredFormRoundTrips) {
  absl::StatusOr<Template> t = Parse(kGood);
  ASSERT_TRUE(t.ok());
  t->prefix = "88.999.7";
  t->version = 3;
  t->created_at = 1700000000;
  t->updated_at = 1700000500;
  nlohmann::ordered_json encoded = TemplateToJson(*t);
  EXPECT_EQ(encoded["reference"], "food-batch@3");
  absl::StatusOr<Template> back = TemplateFromJson(encoded, JsonSource::kStored);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, *t);
  // A request may not set what the server owns.
  absl::StatusOr<Template> as_request = TemplateFromJson(encoded, JsonSource::kRequest);
  EXPECT_EQ(as_request.status().message(), "prefix: is not a known member");
}

TEST(TemplateJsonTest, BodyLevelErrors) {
  EXPECT_EQ(Error("[1]", "body"), "body: must be a JSON object");
  EXPECT_EQ(Error("{", "body"), "body: is not valid JSON");
  EXPECT_EQ(Error(std::string(7, '[') + std::string(7, ']'), "body"),
            "body: nests deeper than 6 levels");
  EXPECT_EQ(Error(std::string(256 * 1024 + 1, ' '), "body"),
            "body: is longer than 262144 bytes");
  EXPECT_EQ(Error(R"({"name":"t","industry":"C","fields":[],"x":1})", "x"),
            "x: is not a known member");
}

TEST(TemplateJsonTest, TemplateMemberErrors) {
  EXPECT_EQ(Error(R"({"industry":"C","fields":[]})", "name"), "name: is required");
  EXPECT_EQ(Error(R"({"name":"Food","industry":"C","fields":[]})", "name"),
            "name: 'Food' must be 1..64 characters of a-z, 0-9 and '-', starting with a letter "
            "or digit and not ending with '-'");
  EXPECT_EQ(Error(R"({"name":"t","version":0,"industry":"C","fields":[]})", "version"),
            "version: must be an integer 1..1000000");
  EXPECT_EQ(Error(R"({"name":"t","industry":"Z","fields":[]})", "industry"),
            "industry: 'Z' is not a GB/T 4754-2017 section (A-T)");
  EXPECT_EQ(Error(R"({"name":"t","industry":"C","fields":[]})", "fields"),
            "fields: must be an array of 1..128 fields");
  std::string many = R"({"name":"t","industry":"C","fields":[)";
  for (int i = 0; i < 129; ++i) many += (i ? "," : "") + std::string(R"({"name":"f)") +
                                          std::to_string(i) + R"(","type":"string"})";
  EXPECT_EQ(Error(many + "]}", "fields"), "fields: must be an array of 1..128 fields");
  EXPECT_EQ(Error(R"({"name":"t","industry":"C","description":"x","fields":[]})", "description"),
            "description: must be an object {\"zh\": ..., \"en\": ...}");
}

TEST(TemplateJsonTest, FieldErrorsNameTheirPath) {
  EXPECT_EQ(Error(WithField(R"({"type":"string"})"), "fields[0].name"),
            "fields[0].name: is required");
  EXPECT_EQ(Error(WithField(R"({"name":"HS_ADMIN","type":"string"})"), "fields[0].name"),
            "fields[0].name: 'HS_ADMIN' must be 1..64 letters, digits and '_', starting with a "
            "letter, not HS_* or TEMPLATE");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"text"})"), "fields[0].type"),
            "fields[0].type: 'text' is not one of string, integer, decimal, date-time, enum, "
            "boolean, handle, url, geo-point");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"string"},{"name":"a","type":"url"})"),
                  "fields[1].name"),
            "fields[1].name: 'a' appears more than once");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"string","required":1})"),
                  "fields[0].required"),
            "fields[0].required: must be true or false");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"string","size":1})"), "fields[0].size"),
            "fields[0].size: is not a known member");
}

TEST(TemplateJsonTest, LimitErrors) {
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"integer","limits":{"maxLength":3}})"),
                  "fields[0].limits.maxLength"),
            "fields[0].limits.maxLength: applies only to string, url and handle fields");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"string","limits":{"minimum":3}})"),
                  "fields[0].limits.minimum"),
            "fields[0].limits.minimum: applies only to integer and decimal fields");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"string","limits":{"minLength":5,"maxLength":3}})"),
                  "fields[0].limits.minLength"),
            "fields[0].limits.minLength: is greater than maxLength");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"decimal","limits":{"minimum":5,"maximum":3}})"),
                  "fields[0].limits.minimum"),
            "fields[0].limits.minimum: is greater than maximum");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"string","limits":{"maxLength":-1}})"),
                  "fields[0].limits.maxLength"),
            "fields[0].limits.maxLength: must be an integer 0..65536");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"string","limits":{"pattern":"(a"}})"),
                  "fields[0].limits.pattern"),
            "fields[0].limits.pattern: is not a valid RE2 pattern: missing ): (a");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"url","limits":{"pattern":"x"}})"),
                  "fields[0].limits.pattern"),
            "fields[0].limits.pattern: applies only to string fields");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"string","limits":{"pattern":")" +
                            std::string(257, 'a') + R"("}})"),
                  "fields[0].limits.pattern"),
            "fields[0].limits.pattern: is longer than 256 bytes");
}

TEST(TemplateJsonTest, EnumErrors) {
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"enum"})"), "fields[0].values"),
            "fields[0].values: is required for an enum field");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"enum","values":[]})"), "fields[0].values"),
            "fields[0].values: must be an array of 1..256 strings");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"enum","values":["x","x"]})"),
                  "fields[0].values[1]"),
            "fields[0].values[1]: 'x' appears more than once");
  EXPECT_EQ(Error(WithField(R"({"name":"a","type":"string","values":["x"]})"),
                  "fields[0].values"),
            "fields[0].values: applies only to enum fields");
}

}  // namespace
}  // namespace qilian::ident::templates
