#include "platform/thing_model/compatibility.h"

#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/thing_model/test_util.h"
#include "platform/thing_model/thing_model_json.h"

namespace qilian::platform {

void PrintTo(const BreakingChange& c, std::ostream* os) { *os << c.path << ": " << c.reason; }

namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::Message;
using testing::ReadTestData;

json Golden() { return json::parse(ReadTestData("golden_model.json")); }

ThingModel Parse(const json& model) {
  auto parsed = ThingModelFromJson(model);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : ThingModel{};
}

// The breaking changes from the golden model to the golden model edited by
// `edit`.
std::vector<BreakingChange> Changes(const std::function<void(json&)>& edit) {
  json next = Golden();
  edit(next);
  return FindBreakingChanges(Parse(Golden()), Parse(next));
}

json& Specs(json& model, int property) {
  return model["properties"][property]["dataType"]["specs"];
}

TEST(Compatibility, IdenticalModelsAreCompatible) {
  EXPECT_THAT(Changes([](json&) {}), IsEmpty());
}

TEST(Compatibility, CompatibleChanges) {
  EXPECT_THAT(Changes([](json& m) {
                m["properties"].push_back({{"identifier", "pressure"},
                                           {"name", {{"zh", "压力"}}},
                                           {"access", "r"},
                                           {"dataType", {{"type", "double"}}}});
                m["events"].push_back({{"identifier", "trip"},
                                       {"name", {{"zh", "跳闸"}}},
                                       {"type", "error"},
                                       {"output", json::array()}});
                m["services"].push_back(
                    {{"identifier", "reset"}, {"name", {{"zh", "复位"}}}, {"callType", "sync"}});
                m["properties"][0]["name"] = {{"zh", "主轴转速"}, {"en", "Spindle speed"}};
                m["properties"][0]["description"] = "new text";
                Specs(m, 0)["min"] = -100;   // widened
                Specs(m, 0)["max"] = 5000;   // widened
                Specs(m, 0)["step"] = 5;     // divides 10, same base
                Specs(m, 2)["max"] = 200.0;  // widened
                Specs(m, 3).erase("min");    // bound dropped
                Specs(m, 5)["items"].push_back({{"value", 3}, {"name", {{"zh", "远程2"}}}});
                Specs(m, 5)["items"][0]["name"]["zh"] = "就地";
                Specs(m, 6)["maxLength"] = 64;  // longer texts allowed
                Specs(m, 9)["size"] = 8;
                m["properties"][1]["access"] = "rw";                // r -> rw
                m["properties"][0]["dataType"]["type"] = "long";    // int -> long
                m["properties"][2]["dataType"]["type"] = "double";  // float -> double
                m["events"][0]["type"] = "error";                   // level is display
                m["events"][0]["name"]["en"] = "Overheat";
              }),
              IsEmpty());
}

TEST(Compatibility, BreakingChangesAreListedWithReasons) {
  auto changes = Changes([](json& m) {
    Specs(m, 0)["max"] = 2000;
    Specs(m, 0)["min"] = 100;  // on the old grid of step 10: no step change
    m["properties"][0]["access"] = "r";
    m["properties"][1]["dataType"]["type"] = "int";
    Specs(m, 3)["unit"] = "K";
    Specs(m, 5)["items"].erase(1);
    Specs(m, 6)["maxLength"] = 8;
    Specs(m, 8)["fields"].erase(0);
    Specs(m, 9)["size"] = 2;
    Specs(m, 9)["item"]["specs"]["max"] = 150.0;
    m["properties"][10]["dataType"] = {{"type", "text"}};
    m["properties"].erase(4);  // running
  });
  EXPECT_THAT(
      changes,
      ElementsAre(BreakingChange{"properties.speed", "access narrowed from rw to r"},
                  BreakingChange{"properties.speed", "minimum raised from 0 to 100"},
                  BreakingChange{"properties.speed", "maximum lowered from 3000 to 2000"},
                  BreakingChange{"properties.counter", "type changed from long to int"},
                  BreakingChange{"properties.temperature", "unit changed from '°C' to 'K'"},
                  BreakingChange{"properties.running", "removed"},
                  BreakingChange{"properties.mode", "enum value 1 removed"},
                  BreakingChange{"properties.note", "maximum length reduced from 16 to 8"},
                  BreakingChange{"properties.position.x", "removed"},
                  BreakingChange{"properties.temps", "maximum size reduced from 4 to 2"},
                  BreakingChange{"properties.temps[]", "maximum lowered from 200 to 150"},
                  BreakingChange{"properties.location", "type changed from geoPoint to text"}));
}

TEST(Compatibility, BoundsAndStepsAddedAreBreaking) {
  EXPECT_THAT(Changes([](json& m) {
                Specs(m, 1)["max"] = 1000;
                Specs(m, 2)["step"] = 0.5;
              }),
              ElementsAre(BreakingChange{"properties.counter", "maximum 1000 added"},
                          BreakingChange{"properties.load", "step 0.5 added"}));
  // Step 1 on an integer type changes nothing.
  EXPECT_THAT(Changes([](json& m) { Specs(m, 1)["step"] = 1; }), IsEmpty());
  // A coarser step is breaking.
  EXPECT_THAT(
      Changes([](json& m) { Specs(m, 0)["step"] = 20; }),
      ElementsAre(BreakingChange{"properties.speed", "step changed from 10 from 0 to 20 from 0"}));
}

TEST(Compatibility, EventAndServiceChanges) {
  auto changes = Changes([](json& m) {
    m["events"][0]["output"].push_back(
        {{"identifier", "limit"}, {"name", {{"zh", "限值"}}}, {"dataType", {{"type", "double"}}}});
    m["services"][0]["callType"] = "async";
    m["services"][0]["input"][0]["dataType"]["specs"]["max"] = 2500;
    m["services"][0]["output"].clear();
  });
  EXPECT_THAT(
      changes,
      ElementsAre(
          BreakingChange{"events.overheat.output.limit", "added (a value must carry every field)"},
          BreakingChange{"services.setSpeed", "call type changed from sync to async"},
          BreakingChange{"services.setSpeed.input.speed", "maximum lowered from 3000 to 2500"},
          BreakingChange{"services.setSpeed.output.ok", "removed"}));
  EXPECT_THAT(Changes([](json& m) {
                m["events"].clear();
                m["services"].clear();
              }),
              ElementsAre(BreakingChange{"events.overheat", "removed"},
                          BreakingChange{"services.setSpeed", "removed"}));
}

TEST(Compatibility, RevisionRules) {
  ThingModel current = Parse(Golden());
  json breaking = Golden();
  breaking["properties"].erase(0);
  ThingModel next = Parse(breaking);

  absl::Status status = CheckNewRevision(current, next);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(status),
            "version: 3 has breaking changes, it needs a version above 3: properties.speed: "
            "removed");
  next.version = 4;
  EXPECT_TRUE(CheckNewRevision(current, next).ok());
  next.version = 2;
  EXPECT_EQ(Message(CheckNewRevision(current, next)),
            "version: 2 is older than the current version 3");
  // A compatible edit may keep its version.
  json compatible = Golden();
  compatible["properties"][0]["name"]["en"] = "Rotational speed";
  EXPECT_TRUE(CheckNewRevision(current, Parse(compatible)).ok());
}

}  // namespace
}  // namespace qilian::platform
