#include "platform/thing_model/import.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/thing_model/test_util.h"
#include "platform/thing_model/thing_model_json.h"
#include "platform/thing_model/value_check.h"

namespace qilian::platform {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using testing::Message;
using testing::ReadTestData;

TEST(ImportAlibaba, RealisticTslMapsEveryType) {
  auto result = ImportAlibabaTsl(ReadTestData("alibaba_water_pump.tsl.json"), 2);
  ASSERT_TRUE(result.ok()) << result.status();
  const ThingModel& model = result->model;
  EXPECT_EQ(model.version, 2u);
  ASSERT_EQ(model.properties.size(), 8u);

  const Property& pressure = model.properties[0];
  EXPECT_EQ(pressure.identifier, "OutletPressure");
  EXPECT_EQ(pressure.name.zh, "出口压力");
  EXPECT_EQ(pressure.access, Access::kRead);
  EXPECT_EQ(pressure.type.kind, TypeKind::kFloat);
  EXPECT_EQ(pressure.type.unit, "MPa");
  EXPECT_EQ(pressure.type.min, 0);
  EXPECT_EQ(pressure.type.max, 2.5);
  EXPECT_EQ(pressure.type.step, 0.01);

  const Property& speed = model.properties[1];
  EXPECT_EQ(speed.type.kind, TypeKind::kInt);
  EXPECT_EQ(speed.access, Access::kReadWrite);
  EXPECT_EQ(speed.description, "变频器给定转速");
  EXPECT_EQ(speed.type.step, 10);

  EXPECT_EQ(model.properties[2].type.kind, TypeKind::kBool);
  EXPECT_EQ(model.properties[2].type.true_text, "开启");
  EXPECT_EQ(model.properties[2].type.false_text, "关闭");
  ASSERT_EQ(model.properties[3].type.items.size(), 3u);
  EXPECT_EQ(model.properties[3].type.items[2].value, 2);
  EXPECT_EQ(model.properties[3].type.items[2].name.zh, "远程");
  EXPECT_EQ(model.properties[4].type.max_length, 128u);
  EXPECT_EQ(model.properties[5].type.kind, TypeKind::kDate);
  EXPECT_EQ(model.properties[6].type.size, 4u);
  EXPECT_EQ(model.properties[6].type.element.at(0).unit, "°C");
  ASSERT_EQ(model.properties[7].type.fields.size(), 2u);
  EXPECT_EQ(model.properties[7].type.fields[0].type.step, 0.000001);

  // The system post event and get/set services are skipped.
  ASSERT_EQ(model.events.size(), 1u);
  EXPECT_EQ(model.events[0].identifier, "Overpressure");
  EXPECT_EQ(model.events[0].level, EventLevel::kAlert);
  ASSERT_EQ(model.services.size(), 1u);
  EXPECT_EQ(model.services[0].call_type, CallType::kSync);
  EXPECT_EQ(model.services[0].input[0].type.max, 2980);

  EXPECT_THAT(
      result->warnings,
      ElementsAre("schema: no equivalent, dropped", "profile.productKey: no equivalent, dropped",
                  "profile.version: no equivalent, dropped",
                  "properties[0].required: standard-feature flag, no equivalent, dropped",
                  "properties[0].dataType.specs.unitName: display name of the unit, dropped (the "
                  "unit is kept)",
                  "properties[1].required: standard-feature flag, no equivalent, dropped",
                  "properties[1].dataType.specs.unitName: display name of the unit, dropped (the "
                  "unit is kept)",
                  "properties[2].required: standard-feature flag, no equivalent, dropped",
                  "properties[3].required: standard-feature flag, no equivalent, dropped",
                  "properties[4].required: standard-feature flag, no equivalent, dropped",
                  "properties[5].required: standard-feature flag, no equivalent, dropped",
                  "properties[6].required: standard-feature flag, no equivalent, dropped",
                  "properties[7].required: standard-feature flag, no equivalent, dropped",
                  "properties[7].dataType.specs[0].dataType.specs.unitName: display name of the "
                  "unit, dropped (the unit is kept)",
                  "properties[7].dataType.specs[1].dataType.specs.unitName: display name of the "
                  "unit, dropped (the unit is kept)",
                  "events[0]: system event 'thing.event.property.post' skipped (built into "
                  "Qilian's property topics)",
                  "events[1].required: standard-feature flag, no equivalent, dropped",
                  "events[1].method: Alibaba topic method, dropped (Qilian topics are by "
                  "identifier)",
                  "services[0]: system service 'thing.service.property.set' skipped (built into "
                  "Qilian's property topics)",
                  "services[1]: system service 'thing.service.property.get' skipped (built into "
                  "Qilian's property topics)",
                  "services[2].required: standard-feature flag, no equivalent, dropped",
                  "services[2].method: Alibaba topic method, dropped (Qilian topics are by "
                  "identifier)"));

  // The imported model checks device data like any other.
  ModelIndex index(result->model);
  EXPECT_TRUE(index.CheckProperty("OutletPressure", json(1.25)).ok());
  EXPECT_EQ(Message(index.CheckProperty("OutletPressure", json(3.0))),
            "OutletPressure: 3.0 is above the maximum 2.5");
}

TEST(ImportAlibaba, Refusals) {
  auto refused = [](const std::string& text) {
    auto result = ImportAlibabaTsl(text);
    EXPECT_FALSE(result.ok()) << text;
    return result.ok() ? std::string() : Message(result.status());
  };
  EXPECT_EQ(refused(R"({"properties":[{"identifier":"f","name":"文件","accessMode":"r",
                        "dataType":{"type":"file","specs":{}}}]})"),
            "properties[0].dataType.type: unsupported type 'file' (int, float, double, bool, enum, "
            "text, date, struct, array)");
  EXPECT_EQ(refused(R"({"properties":[{"identifier":"t","name":"温度","accessMode":"r",
                        "dataType":{"type":"int","specs":{"min":"abc"}}}]})"),
            "properties[0].dataType.specs.min: 'abc' is not an integer");
  EXPECT_EQ(refused(R"({"properties":[{"identifier":"t","name":"温度","accessMode":"r",
                        "dataType":{"type":"float","specs":{"max":"1.5x"}}}]})"),
            "properties[0].dataType.specs.max: '1.5x' is not a number");
  EXPECT_EQ(refused(R"({"properties":[{"identifier":"m","name":"模式","accessMode":"r",
                        "dataType":{"type":"enum","specs":{"a":"甲"}}}]})"),
            "properties[0].dataType.specs.a: 'a' is not an integer");
  EXPECT_EQ(refused(R"({"properties":[{"identifier":"m","name":"模式","accessMode":"x",
                        "dataType":{"type":"bool","specs":{}}}]})"),
            "properties[0].accessMode: unknown access mode 'x'");
  EXPECT_EQ(refused(R"({"properties":[{"identifier":"9m","name":"模式","accessMode":"r",
                        "dataType":{"type":"bool","specs":{}}}]})"),
            "imported model: properties[0].identifier: '9m' is not an identifier (letters, "
            "digits, '_', '-', starting with a letter or '_', at most 64 characters)");
  EXPECT_EQ(refused("[]"), "model: must be an object");
  EXPECT_EQ(refused(R"({"properties":[{"identifier":"s","name":"结构","accessMode":"r",
                        "dataType":{"type":"struct","specs":{}}}]})"),
            "properties[0].dataType.specs: must be an array of fields");
  EXPECT_EQ(refused(R"({"properties":[{"identifier":"a","name":"数组","accessMode":"r",
                        "dataType":{"type":"array","specs":{"size":"4"}}}]})"),
            "properties[0].dataType.specs.item: missing");
  EXPECT_EQ(refused(R"({"properties":{}})"), "properties: must be an array");
}

TEST(ImportAlibaba, WriteOnlyBecomesReadWrite) {
  auto result = ImportAlibabaTsl(R"({"properties":[{"identifier":"cmd","name":"命令",
      "accessMode":"w","dataType":{"type":"int","specs":{}}}]})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->model.properties[0].access, Access::kReadWrite);
  EXPECT_THAT(result->warnings,
              ElementsAre("properties[0].accessMode: write-only 'w' imported as 'rw'"));
}

TEST(ImportJetLinks, RealisticMetadataMapsEveryType) {
  auto result = ImportJetLinksMetadata(ReadTestData("jetlinks_boiler.metadata.json"));
  ASSERT_TRUE(result.ok()) << result.status();
  const ThingModel& model = result->model;
  EXPECT_EQ(model.version, 1u);
  ASSERT_EQ(model.properties.size(), 10u);
  EXPECT_EQ(model.properties[0].type.kind, TypeKind::kDouble);
  EXPECT_EQ(model.properties[0].type.max, 2.5);
  EXPECT_EQ(model.properties[0].access, Access::kRead);
  EXPECT_EQ(model.properties[1].type.min, -300);  // minValue, the older spelling
  EXPECT_EQ(model.properties[1].access, Access::kRead);
  EXPECT_EQ(model.properties[2].access, Access::kReadWrite);
  EXPECT_EQ(model.properties[3].type.kind, TypeKind::kBool);
  EXPECT_EQ(model.properties[3].type.true_text, "点火");
  ASSERT_EQ(model.properties[4].type.items.size(), 2u);
  EXPECT_EQ(model.properties[4].type.items[1].name.zh, "轻油");
  EXPECT_EQ(model.properties[5].type.kind, TypeKind::kText);
  EXPECT_EQ(model.properties[5].type.max_length, 32u);
  EXPECT_EQ(model.properties[6].type.kind, TypeKind::kDate);
  EXPECT_EQ(model.properties[7].type.kind, TypeKind::kStruct);
  EXPECT_EQ(model.properties[7].type.fields[1].identifier, "temperature");
  EXPECT_EQ(model.properties[8].type.kind, TypeKind::kArray);
  EXPECT_EQ(model.properties[8].type.size, kMaxArraySize);
  EXPECT_EQ(model.properties[9].type.kind, TypeKind::kGeoPoint);

  ASSERT_EQ(model.services.size(), 2u);
  EXPECT_EQ(model.services[0].call_type, CallType::kSync);
  ASSERT_EQ(model.services[0].output.size(), 1u);
  EXPECT_EQ(model.services[0].output[0].identifier, "result");
  EXPECT_EQ(model.services[1].call_type, CallType::kAsync);
  EXPECT_EQ(model.services[1].output[0].identifier, "duration");

  ASSERT_EQ(model.events.size(), 2u);
  EXPECT_EQ(model.events[0].level, EventLevel::kError);
  EXPECT_EQ(model.events[0].output[0].identifier, "furnacePressure");
  EXPECT_EQ(model.events[1].level, EventLevel::kAlert);
  EXPECT_EQ(model.events[1].output[0].identifier, "value");

  EXPECT_THAT(
      result->warnings,
      ElementsAre("id: no equivalent, dropped", "name: no equivalent, dropped",
                  "tags: no equivalent, dropped",
                  "properties[0].expands.source: no equivalent, dropped",
                  "properties[0].expands.storageType: no equivalent, dropped",
                  "properties[0].valueType.scale: display precision, dropped",
                  "properties[3].valueType.falseValue: no equivalent, dropped",
                  "properties[3].valueType.trueValue: no equivalent, dropped",
                  "properties[4].valueType.elements[0].description: no equivalent, dropped",
                  "properties[6].valueType.format: no equivalent, dropped",
                  "properties[6].valueType.tz: no equivalent, dropped",
                  "events[0].expands.eventType: no equivalent, dropped",
                  "events[1].valueType: a single value, imported as the parameter 'value'",
                  "functions[0].output: a single value, imported as the parameter 'result'"));
}

TEST(ImportJetLinks, Refusals) {
  auto refused = [](const std::string& text) {
    auto result = ImportJetLinksMetadata(text);
    EXPECT_FALSE(result.ok()) << text;
    return result.ok() ? std::string() : Message(result.status());
  };
  EXPECT_EQ(refused(R"({"properties":[{"id":"photo","name":"照片","valueType":{"type":"file"}}]})"),
            "properties[0].valueType.type: unsupported type 'file' (int, long, float, double, "
            "boolean, enum, string, date, object, array, geoPoint)");
  EXPECT_EQ(
      refused(R"({"properties":[{"id":"pw","name":"密码","valueType":{"type":"password"}}]})"),
      "properties[0].valueType.type: unsupported type 'password' (int, long, float, double, "
      "boolean, enum, string, date, object, array, geoPoint)");
  EXPECT_EQ(refused(R"({"properties":[{"id":"s","name":"状态","valueType":{"type":"enum",
                        "elements":[{"value":"on","text":"开"}]}}]})"),
            "properties[0].valueType.elements[0].value: \"on\" is not an integer (Qilian enum "
            "values are integers)");
  EXPECT_EQ(refused(R"({"functions":[{"id":"f","name":"功能","inputs":[{"id":"x","name":"x",
                        "valueType":{"type":"object","properties":[{"id":"y","name":"y",
                        "valueType":{"type":"file"}}]}}]}]})"),
            "functions[0].inputs[0].valueType.properties[0].valueType.type: unsupported type "
            "'file' (int, long, float, double, boolean, enum, string, date, object, array, "
            "geoPoint)");
  EXPECT_EQ(refused(R"({"events":[{"id":"e","name":"事件","expands":{"level":"fatal"}}]})"),
            "events[0].expands.level: unknown level 'fatal' (ordinary, warn, urgent)");
  EXPECT_EQ(refused(R"({"properties":[{"id":"t","name":"温度"}]})"),
            "properties[0].valueType: missing");
  // Found by the fuzzer: a type that is not a string.
  EXPECT_EQ(refused(R"({"events":[{"id":"e","name":"事件","valueType":{"type":5}}]})"),
            "events[0].valueType.type: must be a string");
  EXPECT_EQ(refused(R"({"functions":[{"id":"f","name":"功能","output":{"type":["object"]}}]})"),
            "functions[0].output.type: must be a string");
  EXPECT_EQ(refused(R"({"properties":[{"id":"s","name":"串","valueType":{"type":"string",
                        "expands":{"maxLength":"long"}}}]})"),
            "properties[0].valueType.maxLength: 'long' is not an integer");
}

TEST(ImportJetLinks, MissingNamesFallBackToTheIdentifier) {
  auto result = ImportJetLinksMetadata(
      R"({"properties":[{"id":"rpm","valueType":{"type":"int"},"expands":{"readOnly":false}}]})");
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->model.properties[0].name.zh, "rpm");
  EXPECT_EQ(result->model.properties[0].access, Access::kReadWrite);
  EXPECT_THAT(result->warnings,
              ElementsAre("properties[0].name: missing, the identifier is used as the name"));
}

}  // namespace
}  // namespace qilian::platform
