#include "cli/device_args.h"

#include "gtest/gtest.h"

namespace qilian::cli {
namespace {

using nlohmann::json;

TEST(DeviceArgs, Bodies) {
  DeviceFieldArgs f;
  f.name_zh = "泵";
  f.serial = "SN1";
  f.tags = {"line=2", "site=lz"};
  f.model_version = 2;
  auto body = BuildDeviceCreateBody("p-1", "pump", f);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, json({{"id", "p-1"},
                         {"product", "pump"},
                         {"name", {{"zh", "泵"}}},
                         {"serial", "SN1"},
                         {"modelVersion", 2},
                         {"tags", {{"line", "2"}, {"site", "lz"}}}}));
  f.tags = {"x"};
  EXPECT_EQ(BuildDeviceCreateBody("p", "pump", f).status().message(),
            "--tag 'x' is not NAME=VALUE");
  f.tags = {"a=1", "a=2"};
  EXPECT_EQ(BuildDeviceCreateBody("p", "pump", f).status().message(), "--tag 'a' is given twice");
  EXPECT_EQ(BuildDeviceUpdateBody(DeviceFieldArgs{}).status().message(),
            "give at least one field to change");
  DeviceFieldArgs clear;
  clear.clear_tags = true;
  clear.gateway = "";
  clear.enabled = false;
  EXPECT_EQ(*BuildDeviceUpdateBody(clear),
            json({{"gateway", ""}, {"enabled", false}, {"tags", json::object()}}));
}

TEST(DeviceArgs, Targets) {
  EXPECT_EQ(DeviceTarget("", "", std::nullopt), "/api/devices");
  EXPECT_EQ(DeviceTarget("p 1", "/secret", 7), "/api/devices/p%201/secret?enterprise=7");
  EXPECT_EQ(DeviceTarget("", "", 7, {{"after", "b"}, {"limit", "2"}}),
            "/api/devices?enterprise=7&after=b&limit=2");
}

TEST(DeviceArgs, TablesAndLines) {
  json d = {{"enterprise", 1},     {"id", "p-1"},       {"product", "pump"},
            {"productKey", "K"},   {"modelVersion", 2}, {"serial", "S"},
            {"gateway", ""},       {"enabled", true},   {"handle", "88.999.1/p-1"},
            {"createdAt", "t0"},   {"updatedAt", "t1"}, {"name", {{"zh", "泵"}}},
            {"tags", {{"a", "1"}}}};
  EXPECT_EQ(FormatDevices(json::array({d})),
            "ENTERPRISE  ID   PRODUCT  VERSION  ENABLED  GATEWAY  NAME\n"
            "1           p-1  pump     2        true     -        泵\n");
  EXPECT_EQ(FormatDevice(d),
            "enterprise: 1\nid: p-1\nproduct: pump\nproductKey: K\nmodelVersion: 2\nserial: S\n"
            "gateway: \nenabled: true\nhandle: 88.999.1/p-1\ncreatedAt: t0\nupdatedAt: t1\n"
            "name: 泵\ntags: a=1\n");
}

TEST(DeviceArgs, SplitCsvCutsBetweenRecordsOnly) {
  const std::string csv = "id,product\na,p\n\"b\nb\",p\nc,p\nd,p";
  auto pieces = SplitCsv(csv, 20);
  ASSERT_TRUE(pieces.ok());
  ASSERT_EQ(pieces->size(), 3u);
  EXPECT_EQ((*pieces)[0].text, "id,product\na,p\n");
  EXPECT_EQ((*pieces)[0].first_line, 2u);
  EXPECT_EQ((*pieces)[1].text, "id,product\n\"b\nb\",p\n");
  EXPECT_EQ((*pieces)[1].first_line, 3u);
  EXPECT_EQ((*pieces)[2].text, "id,product\nc,p\nd,p");
  EXPECT_EQ((*pieces)[2].first_line, 5u);
  auto whole = SplitCsv(csv, 1 << 20);
  ASSERT_EQ(whole->size(), 1u);
  EXPECT_EQ((*whole)[0].text, csv);
  EXPECT_EQ(SplitCsv("", 100).status().message(), "the CSV file has no header line");
  EXPECT_TRUE(SplitCsv("id,product\n", 100)->empty());
}

TEST(DeviceArgs, FleetFile) {
  std::vector<json> rows = {
      {{"id", "a"}, {"product", "kiln"}, {"productKey", "K1"}, {"secret", "s1"}},
      {{"id", "b"}, {"product", "pump"}, {"productKey", "K2"}, {"secret", "s2"}}};
  EXPECT_EQ(FleetFile(rows, {{"kiln", "rotary_kiln"}, {"pump", ""}}),
            "product_key,device_id,secret,model\nK1,a,s1,rotary_kiln\nK2,b,s2,\n");
}

TEST(DeviceArgs, LooseValuesAreJsonWhenTheyParse) {
  EXPECT_EQ(ParseLooseValue("55"), json(55));
  EXPECT_EQ(ParseLooseValue("55.5"), json(55.5));
  EXPECT_EQ(ParseLooseValue("true"), json(true));
  EXPECT_EQ(ParseLooseValue("null"), json(nullptr));
  EXPECT_EQ(ParseLooseValue("\"55\""), json("55"));
  EXPECT_EQ(ParseLooseValue(R"({"x":1,"y":2})"), json({{"x", 1}, {"y", 2}}));
  EXPECT_EQ(ParseLooseValue("[1,2]"), json({1, 2}));
  EXPECT_EQ(ParseLooseValue("east"), json("east"));
  EXPECT_EQ(ParseLooseValue("东区"), json("东区"));
  EXPECT_EQ(ParseLooseValue(""), json(""));
  EXPECT_EQ(ParseLooseValue("{x"), json("{x"));
  EXPECT_EQ(ParseLooseValue("a=b"), json("a=b"));
}

TEST(DeviceArgs, Assignments) {
  auto parsed = ParseAssignments({"speed=1450", "label=east", "mode=\"2\"", "pos={\"x\":1}",
                                  "note=a=b", "empty="},
                                 "property");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, json({{"speed", 1450},
                           {"label", "east"},
                           {"mode", "2"},
                           {"pos", {{"x", 1}}},
                           {"note", "a=b"},
                           {"empty", ""}}));
  EXPECT_EQ(*ParseAssignments({}, "input"), json::object());
  EXPECT_EQ(ParseAssignments({"speed"}, "property").status(),
            absl::InvalidArgumentError("malformed 'speed': expected PROPERTY=VALUE"));
  EXPECT_EQ(ParseAssignments({"speed"}, "input").status(),
            absl::InvalidArgumentError("malformed 'speed': expected INPUT=VALUE"));
  EXPECT_EQ(ParseAssignments({"=5"}, "property").status(),
            absl::InvalidArgumentError("malformed '=5': the property name is empty"));
  EXPECT_EQ(ParseAssignments({"speed=1", "speed=2"}, "property").status(),
            absl::InvalidArgumentError("property 'speed' is given twice"));
  EXPECT_EQ(ParseAssignments({"a=1", "a=1"}, "input").status(),
            absl::InvalidArgumentError("input 'a' is given twice"));
}

TEST(DeviceArgs, ShadowBodies) {
  EXPECT_EQ(*BuildDesiredBody({"valveOpening=55", "label=null"}, std::nullopt),
            json({{"desired", {{"valveOpening", 55}, {"label", nullptr}}}}));
  EXPECT_EQ(*BuildDesiredBody({"valveOpening=55"}, 0),
            json({{"desired", {{"valveOpening", 55}}}, {"version", 0}}));
  EXPECT_EQ(BuildDesiredBody({}, std::nullopt).status(),
            absl::InvalidArgumentError("give at least one PROPERTY=VALUE"));
  EXPECT_EQ(BuildDesiredBody({"x"}, std::nullopt).status(),
            absl::InvalidArgumentError("malformed 'x': expected PROPERTY=VALUE"));

  EXPECT_EQ(*BuildWriteBody({"speedSetpoint=1450"}, std::nullopt),
            json({{"properties", {{"speedSetpoint", 1450}}}}));
  EXPECT_EQ(*BuildWriteBody({"speedSetpoint=1450"}, 500),
            json({{"properties", {{"speedSetpoint", 1450}}}, {"timeout", 500}}));
  EXPECT_EQ(BuildWriteBody({}, 500).status(),
            absl::InvalidArgumentError("give at least one PROPERTY=VALUE"));
  EXPECT_EQ(BuildWriteBody({"a=1", "a=2"}, 500).status(),
            absl::InvalidArgumentError("property 'a' is given twice"));

  EXPECT_EQ(*BuildInvokeBody({}, std::nullopt), json({{"inputs", json::object()}}));
  EXPECT_EQ(*BuildInvokeBody({"speed=1200"}, 3000),
            json({{"inputs", {{"speed", 1200}}}, {"timeout", 3000}}));
  EXPECT_EQ(BuildInvokeBody({"=1"}, std::nullopt).status(),
            absl::InvalidArgumentError("malformed '=1': the input name is empty"));
}

TEST(DeviceArgs, ShadowText) {
  EXPECT_EQ(FormatEpochMs(1765125601250), "2025-12-07T16:40:01.250Z");
  EXPECT_EQ(FormatEpochMs(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatEpochMs(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatAssignments(json::object()), "none");
  EXPECT_EQ(FormatAssignments(json({{"b", "x"}, {"a", 1}, {"c", {{"x", 1}}}})),
            "a=1 b=\"x\" c={\"x\":1}");

  json shadow = json::parse(R"({
    "online": true, "lastSeen": "2025-12-07T16:40:01Z",
    "reported": {"flowRate": {"value": 212.5, "time": 1765125601250},
                 "valveOpening": {"value": 30, "time": 1765125601000}},
    "desired": {"valveOpening": 55, "label": "east"}, "desiredVersion": 3,
    "delta": {"valveOpening": 55, "label": "east"}})");
  EXPECT_EQ(FormatShadow(shadow),
            "online: true\n"
            "lastSeen: 2025-12-07T16:40:01Z\n"
            "desired version: 3\n"
            "delta: label=\"east\" valveOpening=55\n"
            "PROPERTY      VALUE  TIME                      DESIRED\n"
            "flowRate      212.5  2025-12-07T16:40:01.250Z  -\n"
            "label         -      -                         \"east\"\n"
            "valveOpening  30     2025-12-07T16:40:01.000Z  55\n");
  json never = json::parse(R"({"online": false, "lastSeen": null, "reported": {},
    "desired": {}, "desiredVersion": 0, "delta": {}})");
  EXPECT_EQ(FormatShadow(never),
            "online: false\nlastSeen: -\ndesired version: 0\ndelta: none\n"
            "PROPERTY  VALUE  TIME  DESIRED\n");

  EXPECT_EQ(FormatProperties(json::parse(R"({"responseCode": 1, "online": false,
    "properties": {"flowRate": {"value": 212.5, "time": 1765125601250}}})")),
            "online: false\n"
            "PROPERTY  VALUE  TIME\n"
            "flowRate  212.5  2025-12-07T16:40:01.250Z\n");
}

}  // namespace
}  // namespace qilian::cli
