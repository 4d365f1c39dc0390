#include "platform/thing_model/value_check.h"

#include <string>

#include "gtest/gtest.h"
#include "platform/thing_model/test_util.h"
#include "platform/thing_model/thing_model_json.h"

namespace qilian::platform {
namespace {

using nlohmann::json;
using testing::Message;
using testing::ReadTestData;

class ValueCheckTest : public ::testing::Test {
 protected:
  static ThingModel Golden() {
    auto model = ParseThingModel(ReadTestData("golden_model.json"));
    EXPECT_TRUE(model.ok()) << model.status();
    return *std::move(model);
  }

  // "" when the value passes, else the error message.
  std::string Check(std::string_view property, std::string_view value_json) {
    absl::Status status = index_.CheckProperty(property, json::parse(value_json));
    return status.ok() ? "" : Message(status);
  }

  ModelIndex index_{Golden()};
};

TEST_F(ValueCheckTest, Int) {
  EXPECT_EQ(Check("speed", "1500"), "");
  EXPECT_EQ(Check("speed", "0"), "");
  EXPECT_EQ(Check("speed", "3000"), "");
  EXPECT_EQ(Check("speed", "3010"), "speed: 3010 is above the maximum 3000");
  EXPECT_EQ(Check("speed", "-10"), "speed: -10 is below the minimum 0");
  EXPECT_EQ(Check("speed", "1505"), "speed: 1505 is not a multiple of the step 10 from 0");
  EXPECT_EQ(Check("speed", "1500.0"), "speed: expected an integer, got a number with a fraction");
  EXPECT_EQ(Check("speed", "\"1500\""), "speed: expected an integer, got a string");
  EXPECT_EQ(Check("speed", "null"), "speed: expected an integer, got null");
  EXPECT_EQ(Check("speed", "2147483648"), "speed: 2147483648 is out of the range of int");
}

TEST_F(ValueCheckTest, Long) {
  EXPECT_EQ(Check("counter", "9223372036854775807"), "");
  EXPECT_EQ(Check("counter", "9223372036854775808"),
            "counter: 9223372036854775808 is out of the range of long");
  EXPECT_EQ(Check("counter", "-1"), "counter: -1 is below the minimum 0");
}

TEST_F(ValueCheckTest, FloatAndDouble) {
  EXPECT_EQ(Check("load", "55.5"), "");
  EXPECT_EQ(Check("load", "55"), "");  // an integer is a number too
  EXPECT_EQ(Check("load", "100.5"), "load: 100.5 is above the maximum 100.0");
  EXPECT_EQ(Check("temperature", "-40.1"), "temperature: -40.1 is below the minimum -40.0");
  EXPECT_EQ(Check("temperature", "true"), "temperature: expected a number, got a boolean");
}

TEST(ValueCheck, RealStepAllowsRoundingButNotOffGrid) {
  auto type = DataTypeFromJson(
      json::parse(R"({"type":"double","specs":{"min":5,"max":60,"step":0.1}})"), "t");
  ASSERT_TRUE(type.ok()) << type.status();
  EXPECT_TRUE(CheckValue(*type, json(50.3), "f").ok());
  EXPECT_TRUE(CheckValue(*type, json(5.1 + 0.2), "f").ok());
  EXPECT_EQ(Message(CheckValue(*type, json(50.35), "f")),
            "f: 50.35 is not a multiple of the step 0.1 from 5.0");
  auto floats = DataTypeFromJson(json::parse(R"({"type":"float"})"), "t");
  EXPECT_EQ(Message(CheckValue(*floats, json(1e39), "f")), "f: 1e+39 is out of the range of float");
}

TEST_F(ValueCheckTest, Bool) {
  EXPECT_EQ(Check("running", "true"), "");
  EXPECT_EQ(Check("running", "false"), "");
  EXPECT_EQ(Check("running", "1"), "");
  EXPECT_EQ(Check("running", "0"), "");
  EXPECT_EQ(Check("running", "2"), "running: expected true, false, 0 or 1, got an integer");
  EXPECT_EQ(Check("running", "\"true\""), "running: expected true, false, 0 or 1, got a string");
}

TEST_F(ValueCheckTest, Enum) {
  EXPECT_EQ(Check("mode", "2"), "");
  EXPECT_EQ(Check("mode", "3"), "mode: 3 is not one of the enum values (0, 1, 2)");
  EXPECT_EQ(Check("mode", "-1"), "mode: -1 is not one of the enum values (0, 1, 2)");
  EXPECT_EQ(Check("mode", "18446744073709551615"),
            "mode: 18446744073709551615 is not one of the enum values (0, 1, 2)");
  EXPECT_EQ(Check("mode", "\"auto\""), "mode: expected an enum value (an integer), got a string");
}

TEST(ValueCheck, LongEnumListsAreCut) {
  json items = json::array();
  for (int i = 0; i < 10; ++i) items.push_back({{"value", i * 2}, {"name", {{"zh", "项"}}}});
  auto type = DataTypeFromJson({{"type", "enum"}, {"specs", {{"items", items}}}}, "t");
  ASSERT_TRUE(type.ok()) << type.status();
  EXPECT_EQ(Message(CheckValue(*type, json(3), "e")),
            "e: 3 is not one of the enum values (0, 2, 4, 6, 8, 10, 12, 14, ...)");
}

TEST_F(ValueCheckTest, TextCountsCharactersNotBytes) {
  EXPECT_EQ(Check("note", "\"\""), "");
  EXPECT_EQ(Check("note", "\"一二三四五六七八九十一二三四五六\""), "");  // 16 chars, 48 bytes
  EXPECT_EQ(Check("note", "\"一二三四五六七八九十一二三四五六七\""),
            "note: text of 17 characters is longer than the maximum 16");
  EXPECT_EQ(Check("note", "12"), "note: expected a string, got an integer");
}

TEST_F(ValueCheckTest, Date) {
  EXPECT_EQ(Check("installedAt", "1700000000000"), "");
  EXPECT_EQ(Check("installedAt", "\"2026-12-07T14:00:00Z\""), "");
  EXPECT_EQ(Check("installedAt", "\"2026-12-07T14:00:00.123+08:00\""), "");
  EXPECT_EQ(Check("installedAt", "\"2024-02-29T00:00:00Z\""), "");
  EXPECT_EQ(Check("installedAt", "\"2026-02-29T00:00:00Z\""),
            "installedAt: \"2026-02-29T00:00:00Z\" is not an ISO 8601 date-time "
            "(YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm))");
  EXPECT_EQ(Check("installedAt", "\"2026-12-07 14:00:00\""),
            "installedAt: \"2026-12-07 14:00:00\" is not an ISO 8601 date-time "
            "(YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm))");
  EXPECT_EQ(Check("installedAt", "-1"),
            "installedAt: -1 is outside epoch milliseconds 0 to 253402300799999");
  EXPECT_EQ(Check("installedAt", "\"1700000000000\""), "");  // Alibaba's string form
  EXPECT_EQ(Check("installedAt", "\"99999999999999999999999\""),
            "installedAt: \"99999999999999999999999\" is outside epoch milliseconds 0 to "
            "253402300799999");
  EXPECT_EQ(Check("installedAt", "\"\""),
            "installedAt: \"\" is not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm))");
  // Long texts are cut in the message, at a character boundary: 80 bytes
  // hold the quote, 30 ASCII letters and 16 three-byte characters.
  std::string hot;
  for (int i = 0; i < 20; ++i) hot += "温";
  std::string shown = "\"" + std::string(30, 'x');
  for (int i = 0; i < 16; ++i) shown += "温";
  EXPECT_EQ(Check("installedAt", "\"" + std::string(30, 'x') + hot + "\""),
            "installedAt: " + shown +
                " is not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ss[.fff](Z|+hh:mm))");
  EXPECT_EQ(Check("installedAt", "1.5"),
            "installedAt: expected epoch milliseconds or an ISO 8601 string, got a number with a "
            "fraction");
}

TEST(ValueCheck, IsoDateTimeToEpochMillis) {
  EXPECT_EQ(ParseIsoDateTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIsoDateTime("2023-11-14T22:13:20Z"), 1700000000000);
  EXPECT_EQ(ParseIsoDateTime("2023-11-15T06:13:20.5+08:00"), 1700000000500);
  EXPECT_EQ(ParseIsoDateTime("2023-11-14T17:13:20.123456789-05:00"), 1700000000123);
  EXPECT_FALSE(ParseIsoDateTime("2023-11-14T22:13:20").has_value());
  EXPECT_FALSE(ParseIsoDateTime("2023-11-14T24:00:00Z").has_value());
  EXPECT_FALSE(ParseIsoDateTime("2023-13-01T00:00:00Z").has_value());
  EXPECT_FALSE(ParseIsoDateTime("2023-11-14T22:13:20.Z").has_value());
  EXPECT_FALSE(ParseIsoDateTime("2023-11-14T22:13:20Z ").has_value());
  EXPECT_FALSE(ParseIsoDateTime("2023-11-14T22:13:20+0800").has_value());
}

TEST_F(ValueCheckTest, Struct) {
  EXPECT_EQ(Check("position", R"({"x": 1.5, "y": -2})"), "");
  EXPECT_EQ(Check("position", R"({"x": 1.5})"), "position: missing field 'y'");
  EXPECT_EQ(Check("position", R"({"x": 1, "y": 2, "z": 3})"), "position: unknown field 'z'");
  EXPECT_EQ(Check("position", R"({"x": 1, "y": 2000})"),
            "position.y: 2000 is above the maximum 1000.0");
  EXPECT_EQ(Check("position", "[1, 2]"), "position: expected an object, got an array");
}

TEST_F(ValueCheckTest, Array) {
  EXPECT_EQ(Check("temps", "[]"), "");
  EXPECT_EQ(Check("temps", "[20, 21.5, 22, 23]"), "");
  EXPECT_EQ(Check("temps", "[20, 21, 22, 23, 24]"), "temps: 5 elements, more than the maximum 4");
  EXPECT_EQ(Check("temps", "[20, 250]"), "temps[1]: 250 is above the maximum 200.0");
  EXPECT_EQ(Check("temps", "{}"), "temps: expected an array, got an object");
}

TEST_F(ValueCheckTest, GeoPoint) {
  EXPECT_EQ(Check("location", R"({"lon": 103.83, "lat": 36.06})"), "");
  EXPECT_EQ(Check("location", R"({"lon": 181, "lat": 36})"),
            "location.lon: 181 is outside -180 to 180");
  EXPECT_EQ(Check("location", R"({"lon": 103, "lat": -90.5})"),
            "location.lat: -90.5 is outside -90 to 90");
  EXPECT_EQ(Check("location", R"({"lon": 103})"), "location: missing field 'lat'");
  EXPECT_EQ(Check("location", R"({"lon": 103, "lat": 36, "alt": 1500})"),
            "location: unknown field 'alt'");
  EXPECT_EQ(Check("location", R"({"lon": "103", "lat": 36})"),
            "location.lon: expected a number, got a string");
  EXPECT_EQ(Check("location", "\"103.83,36.06\""),
            "location: expected an object {\"lon\", \"lat\"}, got a string");
}

TEST_F(ValueCheckTest, UnknownIdentifiersAreNotFound) {
  absl::Status status = index_.CheckProperty("pressure", json(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(status), "pressure: no such property");
  EXPECT_EQ(Message(index_.CheckEvent("trip", json::object())), "trip: no such event");
  EXPECT_EQ(Message(index_.CheckServiceInput("reboot", json::object())), "reboot: no such service");
  EXPECT_EQ(index_.FindProperty("temps"), &index_.model().properties[9]);
  EXPECT_EQ(index_.FindProperty("temp"), nullptr);
}

TEST_F(ValueCheckTest, WritesNeedReadWriteAccess) {
  EXPECT_TRUE(index_.CheckPropertyWrite("speed", json(100)).ok());
  absl::Status status = index_.CheckPropertyWrite("temperature", json(20));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(status), "temperature: property is read-only");
  EXPECT_EQ(Message(index_.CheckPropertyWrite("speed", json(5))),
            "speed: 5 is not a multiple of the step 10 from 0");
}

TEST_F(ValueCheckTest, EventAndServiceParameters) {
  EXPECT_FALSE(index_.CheckEvent("overheat", json{{"temperature", 130}}).ok());
  EXPECT_EQ(Message(index_.CheckEvent("overheat", json{{"temperature", 130}})),
            "overheat.temperature: 130 is above the maximum 125.0");
  EXPECT_TRUE(index_.CheckEvent("overheat", json{{"temperature", 120}}).ok());
  EXPECT_EQ(Message(index_.CheckEvent("overheat", json::array())),
            "overheat: expected an object, got an array");
  EXPECT_TRUE(index_.CheckServiceInput("setSpeed", json{{"speed", 2000}}).ok());
  EXPECT_EQ(Message(index_.CheckServiceInput("setSpeed", json::object())),
            "setSpeed: missing field 'speed'");
  EXPECT_EQ(Message(index_.CheckServiceInput("setSpeed", json{{"speed", 2000}, {"ramp", 5}})),
            "setSpeed: unknown field 'ramp'");
  EXPECT_TRUE(index_.CheckServiceOutput("setSpeed", json{{"ok", true}}).ok());
  EXPECT_EQ(Message(index_.CheckServiceOutput("setSpeed", json{{"ok", "yes"}})),
            "setSpeed.ok: expected true, false, 0 or 1, got a string");
}

TEST_F(ValueCheckTest, PassingChecksDoNotAllocate) {
  const json speed = 1500, load = 42.5, running = true, mode = 1, note = "备注",
             installed = "2026-12-07T14:00:00.250+08:00", position = {{"x", 1.0}, {"y", 2.0}},
             temps = {20.5, 21.0, 22.5}, location = {{"lon", 103.83}, {"lat", 36.06}},
             overheat = {{"temperature", 90.0}}, set_speed = {{"speed", 2000}};
  size_t before = testing::AllocationCount();
  bool all_ok = true;
  for (int i = 0; i < 100; ++i) {
    all_ok &= index_.CheckProperty("speed", speed).ok();
    all_ok &= index_.CheckProperty("load", load).ok();
    all_ok &= index_.CheckProperty("running", running).ok();
    all_ok &= index_.CheckProperty("mode", mode).ok();
    all_ok &= index_.CheckProperty("note", note).ok();
    all_ok &= index_.CheckProperty("installedAt", installed).ok();
    all_ok &= index_.CheckProperty("position", position).ok();
    all_ok &= index_.CheckProperty("temps", temps).ok();
    all_ok &= index_.CheckProperty("location", location).ok();
    all_ok &= index_.CheckEvent("overheat", overheat).ok();
    all_ok &= index_.CheckServiceInput("setSpeed", set_speed).ok();
  }
  size_t allocations = testing::AllocationCount() - before;
  EXPECT_TRUE(all_ok);
  EXPECT_EQ(allocations, 0u);
}

TEST(ValueCheck, NestedPathsNameEveryLevel) {
  auto type = DataTypeFromJson(json::parse(R"({"type":"array","specs":{"size":8,"item":
      {"type":"struct","specs":{"fields":[{"identifier":"cell","name":{"zh":"槽"},
      "dataType":{"type":"int","specs":{"max":10}}}]}}}})"),
                               "t");
  ASSERT_TRUE(type.ok()) << type.status();
  EXPECT_EQ(Message(CheckValue(*type, json::parse(R"([{"cell":1},{"cell":11}])"), "pots")),
            "pots[1].cell: 11 is above the maximum 10");
}

}  // namespace
}  // namespace qilian::platform
