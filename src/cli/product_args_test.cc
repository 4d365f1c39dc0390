#include "cli/product_args.h"

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace qilian::cli {
namespace {

using nlohmann::json;

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ProductArgsTest, ReadJsonFileNamesTheFlagAndTheProblem) {
  std::string missing = ::testing::TempDir() + "/no-such-model.json";
  auto r = ReadJsonFile(missing, "--model");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_EQ(r.status().message(),
            "cannot read --model file '" + missing + "': No such file or directory");

  std::string bad = WriteTemp("bad-model.json", "{\"version\": 1,");
  r = ReadJsonFile(bad, "--import-alibaba");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "--import-alibaba file '" + bad + "' is not JSON (at byte 15)");

  std::string good = WriteTemp("good-model.json", "{\"version\": 1}\n");
  r = ReadJsonFile(good, "--model");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, json({{"version", 1}}));
}

TEST(ProductArgsTest, CreateBodyNeedsExactlyOneSource) {
  ProductCreateArgs args;
  args.id = "pump";
  args.name_zh = "泵";
  auto r = BuildCreateBody(args);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "give exactly one of --model, --import-alibaba, --import-jetlinks and --from-starter");
  args.from_starter = "motor";
  args.model_file = "m.json";
  EXPECT_FALSE(BuildCreateBody(args).ok());
}

TEST(ProductArgsTest, CreateBodyNameRules) {
  ProductCreateArgs args;
  args.id = "kiln";
  args.from_starter = "rotary_kiln";
  auto r = BuildCreateBody(args);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, json({{"id", "kiln"}, {"fromStarter", "rotary_kiln"}}));

  args.from_starter.clear();
  args.model_file = WriteTemp("create-model.json", "{\"version\":1,\"properties\":[]}");
  r = BuildCreateBody(args);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "--name-zh is required (except with --from-starter)");

  args.name_zh = "泵";
  args.name_en = "Pump";
  args.description = "feed pump";
  r = BuildCreateBody(args);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, json::parse(R"({"id":"kiln","name":{"zh":"泵","en":"Pump"},)"
                            R"("description":"feed pump",)"
                            R"("thingModel":{"version":1,"properties":[]}})"));
}

TEST(ProductArgsTest, CreateBodyImports) {
  ProductCreateArgs args;
  args.id = "oven";
  args.name_zh = "烘箱";
  args.jetlinks_file = WriteTemp("jetlinks.json", "{\"properties\":[]}");
  auto r = BuildCreateBody(args);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)["import"], json::parse(R"({"format":"jetlinks","source":{"properties":[]}})"));
  args.jetlinks_file.clear();
  args.alibaba_file = ::testing::TempDir() + "/missing-tsl.json";
  r = BuildCreateBody(args);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "cannot read --import-alibaba file '" + args.alibaba_file +
                                      "': No such file or directory");
}

TEST(ProductArgsTest, Targets) {
  EXPECT_EQ(ProductTarget("", "", std::nullopt), "/api/products");
  EXPECT_EQ(ProductTarget("", "", 3, {{"pageSize", "2"}}), "/api/products?enterprise=3&pageSize=2");
  EXPECT_EQ(ProductTarget("pump-1", "/model", 1, {{"version", "2"}}),
            "/api/products/pump-1/model?enterprise=1&version=2");
  EXPECT_EQ(ProductTarget("a/b c", "", std::nullopt), "/api/products/a%2Fb%20c");
}

TEST(ProductArgsTest, Tables) {
  json starters = json::parse(R"([
    {"id":"motor","name":{"zh":"电机","en":"Motor"},
     "thingModel":{"version":1,"properties":[{},{}],"events":[{}]}},
    {"id":"rotary_kiln","name":{"zh":"回转窑"},
     "thingModel":{"version":1,"properties":[{}],"services":[{},{},{}]}}])");
  EXPECT_EQ(FormatStarters(starters),
            "ID           PROPERTIES  EVENTS  SERVICES  NAME\n"
            "motor        2           1       0         电机 (Motor)\n"
            "rotary_kiln  1           0       3         回转窑\n");
  EXPECT_EQ(FormatStarters(json::array()), "ID  PROPERTIES  EVENTS  SERVICES  NAME\n");

  json products = json::parse(R"([
    {"enterprise":1,"id":"kiln-1","latestVersion":1,"name":{"zh":"回转窑","en":"Rotary kiln"}},
    {"enterprise":12,"id":"p","latestVersion":10,"name":{"zh":"泵"}}])");
  EXPECT_EQ(FormatProducts(products),
            "ENTERPRISE  ID      VERSION  NAME\n"
            "1           kiln-1  1        回转窑 (Rotary kiln)\n"
            "12          p       10       泵\n");
}

TEST(ProductArgsTest, ProductAndChanges) {
  json product = json::parse(R"({"enterprise":1,"id":"pump","name":{"zh":"泵"},
    "description":"feed","latestVersion":2,"createdAt":"2026-12-07T15:00:00Z",
    "updatedAt":"2026-12-07T15:01:00Z"})");
  json model = json::parse(R"({"version":2,"properties":[{}],"events":[]})");
  EXPECT_EQ(FormatProduct(product, model),
            "id: pump\nenterprise: 1\nname: 泵\ndescription: feed\nlatestVersion: 2\n"
            "model: 1 properties, 0 events, 0 services\n"
            "createdAt: 2026-12-07T15:00:00Z\nupdatedAt: 2026-12-07T15:01:00Z\n");
  EXPECT_EQ(FormatBreakingChanges(json::parse(
                R"([{"path":"properties.flow","reason":"maximum lowered from 600 to 400"},
                    {"path":"properties.head","reason":"removed"}])")),
            "properties.flow: maximum lowered from 600 to 400\nproperties.head: removed\n");
  EXPECT_EQ(FormatImportWarnings(json::parse(R"(["schema: no equivalent, dropped"])")),
            "qilian: import warning: schema: no equivalent, dropped\n");
}

}  // namespace
}  // namespace qilian::cli
