#include "cli/security_args.h"

#include <string>

#include "gtest/gtest.h"

namespace qilian::cli {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

TEST(SecurityArgs, Targets) {
  EXPECT_EQ(SensorTarget(3), "/api/enterprises/3/sensors");
  EXPECT_EQ(SensorTarget(3, "3f9c0a7d51e2b846", "/token"),
            "/api/enterprises/3/sensors/3f9c0a7d51e2b846/token");
  EXPECT_EQ(SensorTarget(3, "a b"), "/api/enterprises/3/sensors/a%20b");
  EXPECT_EQ(EventsTarget({}, 100, ""), "/api/security/events?limit=100");
  EventFilter f;
  f.enterprise = 2;
  f.sensor = "3f9c0a7d51e2b846";
  f.protocol = "modbus";
  f.from = "2026-12-07T00:00:00Z";
  f.to = "2026-12-08T00:00:00Z";
  EXPECT_EQ(EventsTarget(f, 1000, "AAB-_x"),
            "/api/security/events?enterprise=2&sensor=3f9c0a7d51e2b846&protocol=modbus"
            "&from=2026-12-07T00%3A00%3A00Z&to=2026-12-08T00%3A00%3A00Z&limit=1000&cursor=AAB-_x");
}

TEST(SecurityArgs, SensorTables) {
  json sensors = json::array({{{"id", "3f9c0a7d51e2b846"},
                               {"name", "plant-1-line-3"},
                               {"events_received", 1520},
                               {"last_seen", "2026-12-07T16:05:00Z"},
                               {"last_event_ts", "2026-12-07T16:04:59.5Z"}},
                              {{"id", "00000000000000aa"},
                               {"name", "spare"},
                               {"events_received", 0},
                               {"last_seen", nullptr},
                               {"last_event_ts", nullptr}}});
  EXPECT_EQ(
      FormatSensors(sensors),
      "ID                NAME            EVENTS  LAST_SEEN             LAST_EVENT\n"
      "3f9c0a7d51e2b846  plant-1-line-3  1520    2026-12-07T16:05:00Z  2026-12-07T16:04:59.5Z\n"
      "00000000000000aa  spare           0       -                     -\n");
  json one = sensors[1];
  one["description"] = "";
  one["enterprise"] = 2;
  one["created"] = "2026-12-07T16:00:00Z";
  EXPECT_EQ(FormatSensor(one),
            "id: 00000000000000aa\nname: spare\ndescription: -\nenterprise: 2\n"
            "created: 2026-12-07T16:00:00Z\nlast_seen: -\nevents_received: 0\nlast_event_ts: -\n");
}

TEST(SecurityArgs, EventRowsKeepTheProtocolsFieldsInOrder) {
  ordered_json e = ordered_json::parse(
      R"({"id":"s1:7","sensor":"3f9c0a7d51e2b846","enterprise":2,"received":"2026-12-07T16:05:00Z",
          "ts":"2026-12-07T16:04:59.5Z","flow":3,"proto":"modbus","orig_h":"10.1.0.5",
          "orig_p":50412,"resp_h":"fe80::1","resp_p":502,"unit":1,"func":"read_coils",
          "values":[true,false]})");
  EXPECT_EQ(EventRow(e),
            (std::vector<std::string>{"2026-12-07T16:04:59.5Z", "modbus", "10.1.0.5:50412",
                                      "[fe80::1]:502", "3f9c0a7d51e2b846", "s1:7",
                                      "unit=1 func=read_coils values=[true,false]"}));
  EXPECT_EQ(EventHeader(),
            (std::vector<std::string>{"TS", "PROTO", "ORIG", "RESP", "SENSOR", "ID", "DETAIL"}));
}

}  // namespace
}  // namespace qilian::cli
