#include "ident/template/record_check.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ident/registry.h"
#include "ident/test_util.h"
#include "ident/template/test_templates.h"
#include "tenant/field_error.h"

namespace qilian::ident::templates {
namespace {

using ident::test::ExpectCode;
using ident::test::Value;

constexpr std::string_view kTemplate = R"({
  "name": "food-batch", "industry": "C14",
  "fields": [
    {"name": "productName", "type": "string", "required": true, "limits": {"maxLength": 8}},
    {"name": "batchNo", "type": "string", "required": true, "limits": {"pattern": "[A-Z0-9]{6}"}},
    {"name": "producedAt", "type": "date-time"},
    {"name": "shelfLife", "type": "integer", "unit": "d", "limits": {"minimum": 1}},
    {"name": "supplier", "type": "string", "public": false}
  ]})";

class RecordCheckTest : public ::testing::Test {
 protected:
  RecordCheckTest() { node_.Define("88.999", kTemplate); }

  // A valid record under food-batch@1.
  static std::vector<HandleValue> Good() {
    return {Value(1, "URL", "https://example.cn/p/1"), Value(1000, "TEMPLATE", "food-batch@1"),
            Value(2000, "productName", "挂面"), Value(2001, "batchNo", "B20261"),
            Value(2002, "producedAt", "2026-12-01T08:00:00+08:00"),
            Value(2003, "shelfLife", "365")};
  }

  // The write of `values` is refused with 202 naming `field`.
  void ExpectRefused(std::vector<HandleValue> values, std::string_view field,
                     std::string_view message) {
    absl::Status s = registry_.Create("88.999/X", std::move(values));
    ExpectCode(s, ResponseCode::kInvalidValue, message);
    EXPECT_EQ(tenant::FieldOf(s), std::string(field));
    EXPECT_EQ(ResponseCodeOf(registry_.Get("88.999/X", {}).status()), ResponseCode::kHandleNotFound);
  }

  test::TemplatedRegistry node_;
  Registry& registry_ = node_.registry;
};

TEST_F(RecordCheckTest, ValidRecordIsStored) {
  ASSERT_TRUE(registry_.Create("88.999/FOOD-1", Good()).ok());
  EXPECT_EQ(registry_.Get("88.999/FOOD-1", {})->values.size(), 6u);
}

TEST_F(RecordCheckTest, RecordsWithoutTemplateAreNotChecked) {
  EXPECT_TRUE(registry_.Create("88.999/PLAIN", {Value(2000, "anything", "x")}).ok());
}

TEST_F(RecordCheckTest, EachRuleIsNamed) {
  auto with = [](uint32_t index, std::string type, std::string data) {
    std::vector<HandleValue> v = Good();
    for (auto& value : v) {
      if (value.index == index) {
        value.type = type;
        value.data = data;
        return v;
      }
    }
    v.push_back(Value(index, type, data));
    return v;
  };
  ExpectRefused(with(2000, "productName", "一二三四五六七八九"), "productName",
                "productName: maxLength: '一二三四五六七八九' has 9 characters, more than 8");
  ExpectRefused(with(2001, "batchNo", "b-1"), "batchNo",
                "batchNo: pattern: 'b-1' does not match '[A-Z0-9]{6}'");
  ExpectRefused(with(2002, "producedAt", "2026-12-01"), "producedAt",
                "producedAt: type: '2026-12-01' is not an RFC 3339 date-time");
  ExpectRefused(with(2003, "shelfLife", "0"), "shelfLife", "shelfLife: minimum: 0 is less than 1");
  ExpectRefused(with(2004, "color", "red"), "color",
                "color: unknownField: the value at index 2004 is not a field of template "
                "'food-batch@1'");
  ExpectRefused(with(2004, "batchNo", "B20262"), "batchNo",
                "batchNo: duplicate: the field has values at indexes 2001 and 2004");
  ExpectRefused(with(5, "batchNo", "B20262"), "batchNo",
                "batchNo: index: template fields belong at index 2000 and above, not 5");
  ExpectRefused(with(1000, "TEMPLATE", "food-batch@2"), "template",
                "template: reference: template 'food-batch' version 2 does not exist under "
                "prefix '88.999'");
  ExpectRefused(with(1000, "TEMPLATE", "food batch"), "template",
                "template: reference: 'food batch' is not a reference <name>@<version>");
  ExpectRefused(with(1000, "URL", "x"), "template",
                "template: index: index 1000 is reserved for the template reference (type "
                "TEMPLATE), not 'URL'");
  ExpectRefused(with(7, "TEMPLATE", "food-batch@1"), "template",
                "template: index: the template reference belongs at index 1000, not 7");
  std::vector<HandleValue> missing = Good();
  missing.erase(missing.begin() + 3);  // batchNo
  ExpectRefused(missing, "batchNo",
                "batchNo: required: template 'food-batch@1' requires this field");
}

TEST_F(RecordCheckTest, EveryWriteChecksTheResultingRecord) {
  ASSERT_TRUE(registry_.Create("88.999/FOOD-2", Good()).ok());
  ExpectCode(registry_.ModifyValues("88.999/FOOD-2", {Value(2003, "shelfLife", "x")}),
             ResponseCode::kInvalidValue, "shelfLife: type: 'x' is not an integer");
  ExpectCode(registry_.RemoveValues("88.999/FOOD-2", {2001}), ResponseCode::kInvalidValue,
             "batchNo: required: template 'food-batch@1' requires this field");
  ExpectCode(registry_.AddValues("88.999/FOOD-2", {Value(2010, "grade", "A")}),
             ResponseCode::kInvalidValue,
             "grade: unknownField: the value at index 2010 is not a field of template "
             "'food-batch@1'");
  // An empty string is a string (no minLength): accepted.
  EXPECT_TRUE(registry_.PutValues("88.999/FOOD-2", {Value(2000, "productName", "")}, true).ok());
  ExpectCode(registry_.Replace("88.999/FOOD-2", {Value(1000, "TEMPLATE", "food-batch@1")}, true)
                 .status(),
             ResponseCode::kInvalidValue,
             "productName: required: template 'food-batch@1' requires this field");
  // Nothing refused was stored.
  absl::StatusOr<HandleRecord> record = registry_.Get("88.999/FOOD-2", {});
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->values.size(), 6u);
  // Removing the reference leaves an ordinary record.
  EXPECT_TRUE(registry_.RemoveValues("88.999/FOOD-2", {1000}).ok());
  EXPECT_TRUE(registry_.AddValues("88.999/FOOD-2", {Value(2010, "grade", "A")}).ok());
}

TEST_F(RecordCheckTest, PrivateFieldsLosePublicRead) {
  std::vector<HandleValue> values = Good();
  values.push_back(Value(2004, "supplier", "91620100MA7XXXXX0X"));
  ASSERT_TRUE(registry_.Create("88.999/FOOD-3", values).ok());
  absl::StatusOr<HandleRecord> record = registry_.Get("88.999/FOOD-3", ValueFilter{{2004}, {}});
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->values[0].permissions, kPermAdminRead | kPermAdminWrite);
}

}  // namespace
}  // namespace qilian::ident::templates
