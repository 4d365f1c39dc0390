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

}  // namespace
}  // namespace qilian::cli
