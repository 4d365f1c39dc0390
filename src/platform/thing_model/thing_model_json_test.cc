#include "platform/thing_model/thing_model_json.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "platform/thing_model/test_util.h"

namespace qilian::platform {
namespace {

using nlohmann::json;
using testing::Message;
using testing::ReadTestData;

TEST(ThingModelJson, GoldenParsesToTheExpectedModel) {
  auto model = ParseThingModel(ReadTestData("golden_model.json"));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->version, 3u);
  EXPECT_EQ(model->description, "golden: every type once");
  ASSERT_EQ(model->properties.size(), 11u);
  const Property& speed = model->properties[0];
  EXPECT_EQ(speed.identifier, "speed");
  EXPECT_EQ(speed.name.zh, "转速");
  EXPECT_EQ(speed.name.en, "Speed");
  EXPECT_EQ(speed.access, Access::kReadWrite);
  EXPECT_EQ(speed.type.kind, TypeKind::kInt);
  EXPECT_EQ(speed.type.unit, "rpm");
  EXPECT_EQ(speed.type.min, 0);
  EXPECT_EQ(speed.type.max, 3000);
  EXPECT_EQ(speed.type.step, 10);
  EXPECT_EQ(model->properties[1].type.kind, TypeKind::kLong);
  EXPECT_FALSE(model->properties[1].type.max.has_value());
  EXPECT_EQ(model->properties[3].description, "sensor at the outlet");
  EXPECT_EQ(model->properties[4].type.true_text, "运行");
  ASSERT_EQ(model->properties[5].type.items.size(), 3u);
  EXPECT_EQ(model->properties[5].type.items[2].name.en, "Remote");
  EXPECT_EQ(model->properties[6].type.max_length, 16u);
  EXPECT_EQ(model->properties[7].name.en, "");
  ASSERT_EQ(model->properties[8].type.fields.size(), 2u);
  EXPECT_EQ(model->properties[8].type.fields[1].identifier, "y");
  EXPECT_EQ(model->properties[9].type.size, 4u);
  EXPECT_EQ(model->properties[9].type.element.at(0).kind, TypeKind::kDouble);
  EXPECT_EQ(model->properties[10].type.kind, TypeKind::kGeoPoint);
  ASSERT_EQ(model->events.size(), 1u);
  EXPECT_EQ(model->events[0].level, EventLevel::kAlert);
  ASSERT_EQ(model->services.size(), 1u);
  EXPECT_EQ(model->services[0].call_type, CallType::kSync);
  EXPECT_EQ(model->services[0].output[0].type.kind, TypeKind::kBool);
}

TEST(ThingModelJson, GoldenIsCanonicalAndRoundTrips) {
  std::string text = ReadTestData("golden_model.json");
  auto model = ParseThingModel(text);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(EncodeThingModel(*model), text);
  auto again = ParseThingModel(EncodeThingModel(*model));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *model);
}

TEST(ThingModelJson, MinimalModelGetsDefaultsWrittenOut) {
  auto model = ParseThingModel(
      R"({"version":1,"properties":[{"identifier":"t","name":{"zh":"文本"},"access":"r",
          "dataType":{"type":"text"}}]})");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->properties[0].type.max_length, kMaxTextLength);
  json encoded = ThingModelToJson(*model);
  EXPECT_EQ(encoded["properties"][0]["dataType"]["specs"]["maxLength"], kMaxTextLength);
  EXPECT_EQ(encoded["events"], json::array());
}

TEST(ThingModelJson, EnumItemsAreSortedByValue) {
  auto model = ParseThingModel(
      R"({"version":1,"properties":[{"identifier":"m","name":{"zh":"模式"},"access":"r",
          "dataType":{"type":"enum","specs":{"items":[{"value":5,"name":{"zh":"五"}},
          {"value":-1,"name":{"zh":"负一"}},{"value":2,"name":{"zh":"二"}}]}}}]})");
  ASSERT_TRUE(model.ok()) << model.status();
  const auto& items = model->properties[0].type.items;
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].value, -1);
  EXPECT_EQ(items[1].value, 2);
  EXPECT_EQ(items[2].value, 5);
}

TEST(ThingModelJson, IntegerBoundsOfRealTypesKeepTheirType) {
  auto model = ParseThingModel(
      R"({"version":1,"properties":[{"identifier":"p","name":{"zh":"压力"},"access":"r",
          "dataType":{"type":"double","specs":{"min":0,"max":16}}}]})");
  ASSERT_TRUE(model.ok()) << model.status();
  json encoded = ThingModelToJson(*model);
  EXPECT_TRUE(encoded["properties"][0]["dataType"]["specs"]["max"].is_number_float());
}

// One corruption per field: take the golden model, change one place, and
// expect the exact error naming that place.
struct Corruption {
  const char* pointer;  // JSON pointer into the golden model
  json value;           // new value; null with erase=true removes the key
  bool erase;
  const char* message;
};

void PrintTo(const Corruption& c, std::ostream* os) { *os << c.pointer << " = " << c.value; }

class ThingModelCorruption : public ::testing::TestWithParam<Corruption> {};

TEST_P(ThingModelCorruption, IsRefusedWithThePath) {
  const Corruption& c = GetParam();
  json model = json::parse(ReadTestData("golden_model.json"));
  json::json_pointer pointer(c.pointer);
  if (c.erase) {
    model[pointer.parent_pointer()].erase(pointer.back());
  } else {
    model[pointer] = c.value;
  }
  auto parsed = ThingModelFromJson(model);
  ASSERT_FALSE(parsed.ok()) << c.pointer;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(parsed.status()), c.message);
}

const Corruption kCorruptions[] = {
    {"/version", nullptr, true, "version: missing"},
    {"/version", 0, false, "version: must be an integer from 1 to 4294967295"},
    {"/version", "3", false, "version: must be an integer from 1 to 4294967295"},
    {"/description", 7, false, "description: must be a string"},
    {"/product", "x", false, "product: unknown key"},
    {"/properties", json::object(), false, "properties: must be an array"},
    {"/properties/0", "speed", false, "properties[0]: must be an object"},
    {"/properties/0/identifier", nullptr, true, "properties[0].identifier: missing"},
    {"/properties/0/identifier", 5, false, "properties[0].identifier: must be a string"},
    {"/properties/0/identifier", "9speed", false,
     "properties[0].identifier: '9speed' is not an identifier (letters, digits, '_', '-', "
     "starting with a letter or '_', at most 64 characters)"},
    {"/properties/0/identifier", "a b", false,
     "properties[0].identifier: 'a b' is not an identifier (letters, digits, '_', '-', "
     "starting with a letter or '_', at most 64 characters)"},
    {"/properties/2/identifier", "speed", false,
     "properties[2].identifier: duplicate 'speed' (also properties[0])"},
    {"/properties/0/name", nullptr, true, "properties[0].name: missing"},
    {"/properties/0/name", "转速", false, "properties[0].name: must be an object"},
    {"/properties/0/name/zh", nullptr, true, "properties[0].name.zh: missing"},
    {"/properties/0/name/en", 1, false, "properties[0].name.en: must be a string"},
    {"/properties/0/name/fr", "x", false, "properties[0].name.fr: unknown key"},
    {"/properties/0/name/zh", std::string(129, 'x'), false,
     "properties[0].name.zh: longer than 128 bytes"},
    {"/properties/0/access", "w", false, "properties[0].access: must be r or rw"},
    {"/properties/0/access", nullptr, true, "properties[0].access: missing"},
    {"/properties/0/unit", "rpm", false, "properties[0].unit: unknown key"},
    {"/properties/0/dataType", nullptr, true, "properties[0].dataType: missing"},
    {"/properties/0/dataType/type", "integer", false,
     "properties[0].dataType.type: unknown type 'integer' (int, long, float, double, bool, "
     "enum, text, date, struct, array, geoPoint)"},
    {"/properties/0/dataType/specs", json::array(), false,
     "properties[0].dataType.specs: must be an object"},
    {"/properties/0/dataType/specs/length", 3, false,
     "properties[0].dataType.specs.length: unknown key"},
    // int
    {"/properties/0/dataType/specs/min", "0", false,
     "properties[0].dataType.specs.min: must be an integer"},
    {"/properties/0/dataType/specs/max", 2.5, false,
     "properties[0].dataType.specs.max: must be an integer"},
    {"/properties/0/dataType/specs/max", 3000000000LL, false,
     "properties[0].dataType.specs.max: out of the range of int"},
    {"/properties/0/dataType/specs/max", -1, false,
     "properties[0].dataType.specs.max: is below min"},
    {"/properties/0/dataType/specs/step", 0, false,
     "properties[0].dataType.specs.step: must be positive"},
    {"/properties/0/dataType/specs/unit", std::string(33, 'm'), false,
     "properties[0].dataType.specs.unit: longer than 32 bytes"},
    // long
    {"/properties/1/dataType/specs/min", 9007199254740993LL, false,
     "properties[1].dataType.specs.min: out of the range of long"},
    // float, double
    {"/properties/2/dataType/specs/min", "0", false,
     "properties[2].dataType.specs.min: must be a number"},
    {"/properties/2/dataType/specs/max", 1e39, false,
     "properties[2].dataType.specs.max: out of the range of float"},
    {"/properties/3/dataType/specs/step", -0.5, false,
     "properties[3].dataType.specs.step: must be positive"},
    // bool
    {"/properties/4/dataType/specs/trueText", true, false,
     "properties[4].dataType.specs.trueText: must be a string"},
    {"/properties/4/dataType/specs/items", json::array(), false,
     "properties[4].dataType.specs.items: unknown key"},
    // enum
    {"/properties/5/dataType/specs/items", nullptr, true,
     "properties[5].dataType.specs.items: missing"},
    {"/properties/5/dataType/specs/items", json::array(), false,
     "properties[5].dataType.specs.items: must not be empty"},
    {"/properties/5/dataType/specs/items/1/value", 0, false,
     "properties[5].dataType.specs.items[1].value: duplicate 0 (also "
     "properties[5].dataType.specs.items[0])"},
    {"/properties/5/dataType/specs/items/1/value", "1", false,
     "properties[5].dataType.specs.items[1].value: must be a 32-bit integer"},
    {"/properties/5/dataType/specs/items/1/value", 4294967296LL, false,
     "properties[5].dataType.specs.items[1].value: must be a 32-bit integer"},
    {"/properties/5/dataType/specs/items/2/name", nullptr, true,
     "properties[5].dataType.specs.items[2].name: missing"},
    // text
    {"/properties/6/dataType/specs/maxLength", 0, false,
     "properties[6].dataType.specs.maxLength: must be an integer from 1 to 10240"},
    {"/properties/6/dataType/specs/maxLength", 10241, false,
     "properties[6].dataType.specs.maxLength: must be an integer from 1 to 10240"},
    // date
    {"/properties/7/dataType/specs", json{{"format", "yyyy-MM-dd"}}, false,
     "properties[7].dataType.specs.format: unknown key"},
    // struct
    {"/properties/8/dataType/specs/fields", nullptr, true,
     "properties[8].dataType.specs.fields: missing"},
    {"/properties/8/dataType/specs/fields", json::array(), false,
     "properties[8].dataType.specs.fields: must not be empty"},
    {"/properties/8/dataType/specs/fields/1/identifier", "x", false,
     "properties[8].dataType.specs.fields[1].identifier: duplicate 'x' (also "
     "properties[8].dataType.specs.fields[0])"},
    {"/properties/8/dataType/specs/fields/0/dataType/type", "decimal", false,
     "properties[8].dataType.specs.fields[0].dataType.type: unknown type 'decimal' (int, long, "
     "float, double, bool, enum, text, date, struct, array, geoPoint)"},
    {"/properties/8/dataType/specs/fields/0/dataType/specs/min", "low", false,
     "properties[8].dataType.specs.fields[0].dataType.specs.min: must be a number"},
    // array
    {"/properties/9/dataType/specs/item", nullptr, true,
     "properties[9].dataType.specs.item: missing"},
    {"/properties/9/dataType/specs/size", 1025, false,
     "properties[9].dataType.specs.size: must be an integer from 1 to 1024"},
    {"/properties/9/dataType/specs/item/specs/max", "hot", false,
     "properties[9].dataType.specs.item.specs.max: must be a number"},
    // geoPoint
    {"/properties/10/dataType/specs", json{{"crs", "WGS84"}}, false,
     "properties[10].dataType.specs.crs: unknown key"},
    // events and services
    {"/events/0/type", "warning", false, "events[0].type: must be info or alert or error"},
    {"/events/0/output", json::object(), false, "events[0].output: must be an array"},
    {"/events/0/output/0/dataType", nullptr, true, "events[0].output[0].dataType: missing"},
    {"/events/0/level", "alert", false, "events[0].level: unknown key"},
    {"/services/0/callType", "oneway", false, "services[0].callType: must be sync or async"},
    {"/services/0/input/0/identifier", "a.b", false,
     "services[0].input[0].identifier: 'a.b' is not an identifier (letters, digits, '_', '-', "
     "starting with a letter or '_', at most 64 characters)"},
    {"/services/0/output/0/dataType/type", nullptr, true,
     "services[0].output[0].dataType.type: missing"},
};

INSTANTIATE_TEST_SUITE_P(OnePerField, ThingModelCorruption, ::testing::ValuesIn(kCorruptions));

TEST(ThingModelJson, TypesNestedTooDeepAreRefused) {
  // struct > array > struct > array > int is five levels.
  json leaf = {{"type", "int"}};
  json level4 = {{"type", "array"}, {"specs", {{"item", leaf}}}};
  json level3 = {
      {"type", "struct"},
      {"specs",
       {{"fields", {{{"identifier", "a"}, {"name", {{"zh", "甲"}}}, {"dataType", level4}}}}}}};
  json level2 = {{"type", "array"}, {"specs", {{"item", level3}}}};
  json level1 = {
      {"type", "struct"},
      {"specs",
       {{"fields", {{{"identifier", "b"}, {"name", {{"zh", "乙"}}}, {"dataType", level2}}}}}}};
  auto type = DataTypeFromJson(level1, "t");
  ASSERT_FALSE(type.ok());
  EXPECT_EQ(Message(type.status()),
            "t.specs.fields[0].dataType.specs.item.specs.fields[0].dataType.specs.item: types "
            "nested deeper than 4 levels");
  EXPECT_TRUE(DataTypeFromJson(level2, "t").ok());
}

TEST(ThingModelJson, TooManyPropertiesAreRefused) {
  json model = {{"version", 1}, {"properties", json::array()}};
  for (size_t i = 0; i <= kMaxProperties; ++i) {
    model["properties"].push_back({{"identifier", absl::StrCat("p", i)},
                                   {"name", {{"zh", "属性"}}},
                                   {"access", "r"},
                                   {"dataType", {{"type", "bool"}}}});
  }
  auto parsed = ThingModelFromJson(model);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(Message(parsed.status()), "properties: more than 1024 entries");
  model["properties"].erase(model["properties"].size() - 1);
  EXPECT_TRUE(ThingModelFromJson(model).ok());
}

TEST(ThingModelJson, IdentifierLengthIsBounded) {
  std::string longest(kMaxIdentifierLength, 'a');
  json model = json::parse(ReadTestData("golden_model.json"));
  model["properties"][0]["identifier"] = longest;
  EXPECT_TRUE(ThingModelFromJson(model).ok());
  model["properties"][0]["identifier"] = longest + "a";
  EXPECT_FALSE(ThingModelFromJson(model).ok());
}

TEST(ThingModelJson, TextLevelErrors) {
  EXPECT_EQ(Message(ParseThingModel("").status()), "model: malformed JSON");
  EXPECT_EQ(Message(ParseThingModel("{\"version\":1,").status()), "model: malformed JSON");
  EXPECT_EQ(Message(ParseThingModel("[1]").status()), "model: must be an object");
  EXPECT_EQ(Message(ParseThingModel(std::string(40, '[')).status()),
            "model: nested deeper than 32 levels");
  // Brackets inside strings do not count.
  EXPECT_EQ(Message(ParseThingModel("{\"description\":\"" + std::string(40, '[') + "\"}").status()),
            "version: missing");
  EXPECT_EQ(Message(ParseThingModel(std::string(kMaxModelBytes + 1, ' ')).status()),
            "model: longer than 1048576 bytes");
  EXPECT_EQ(Message(ParseThingModel("{\"version\":1,\"description\":\"\xff\"}").status()),
            "model: malformed JSON");
}

}  // namespace
}  // namespace qilian::platform
