#include "platform/devsim/fleet.h"

#include <gtest/gtest.h>

namespace qilian::platform::devsim {
namespace {

void ExpectRefused(std::string_view text, std::string_view message) {
  auto fleet = ParseFleet(text);
  ASSERT_FALSE(fleet.ok()) << text;
  EXPECT_EQ(fleet.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(fleet.status().message()), message);
}

TEST(FleetTest, ParsesWithHeaderCommentsBlankLinesAndCrlf) {
  auto fleet = ParseFleet(
      "product_key,device_id,secret,model\r\n"
      "# a comment\n"
      "\n"
      "a1B2c3D4e5F,pump-01,s3cr3t,centrifugal_pump\r\n"
      "a1B2c3D4e5F,pump-02,x!y,@models/my pump.json\n");
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  ASSERT_EQ(fleet->size(), 2u);
  EXPECT_EQ((*fleet)[0], (FleetDevice{"a1B2c3D4e5F", "pump-01", "s3cr3t", "centrifugal_pump"}));
  EXPECT_EQ((*fleet)[1], (FleetDevice{"a1B2c3D4e5F", "pump-02", "x!y", "@models/my pump.json"}));
}

TEST(FleetTest, NoHeaderAndNoFinalNewline) {
  auto fleet = ParseFleet("a1B2c3D4e5F,d1,s,motor");
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  EXPECT_EQ(fleet->size(), 1u);
}

TEST(FleetTest, MalformedLinesNamedWithTheirNumberAndReason) {
  const std::string good = "a1B2c3D4e5F,d1,s,motor\n";
  ExpectRefused(good + "a1B2c3D4e5F,d2,s\n", "line 2: 3 fields, expected 4 (product_key,device_id,secret,model)");
  ExpectRefused(good + "x\n", "line 2: 1 field, expected 4 (product_key,device_id,secret,model)");
  ExpectRefused(good + "a1B2c3D4e5F,d2,s,motor,extra\n",
                "line 2: more than 4 fields (product_key,device_id,secret,model)");
  ExpectRefused("abc,d1,s,motor\n",
                "line 1: product key 'abc': must be 11 characters of [A-Za-z0-9]");
  ExpectRefused("a1B2c3D4e5_,d1,s,motor\n",
                "line 1: product key 'a1B2c3D4e5_': must be 11 characters of [A-Za-z0-9]");
  ExpectRefused("# c\n\na1B2c3D4e5F,a/b,s,motor\n",
                "line 3: device id 'a/b': must be 1 to 64 characters of [A-Za-z0-9_-], starting with a "
                "letter or digit");
  ExpectRefused("a1B2c3D4e5F,,s,motor\n",
                "line 1: device id '': must be 1 to 64 characters of [A-Za-z0-9_-], starting with a "
                "letter or digit");
  ExpectRefused("a1B2c3D4e5F,-d1,s,motor\n",
                "line 1: device id '-d1': must be 1 to 64 characters of [A-Za-z0-9_-], starting "
                "with a letter or digit");
  ExpectRefused("a1B2c3D4e5F,d1,,motor\n", "line 1: secret: empty");
  ExpectRefused("a1B2c3D4e5F,d1,a b,motor\n",
                "line 1: secret: must be printable ASCII without spaces");
  ExpectRefused("a1B2c3D4e5F,d1,s,\n", "line 1: model: empty (a starter id or @path)");
  ExpectRefused("a1B2c3D4e5F,d1,s,@\n", "line 1: model: '@' without a path");
  ExpectRefused(good + "\n" + good, "line 3: duplicate device a1B2c3D4e5F/d1 (first on line 1)");
  ExpectRefused(good + "product_key,device_id,secret,model\n",
                "line 2: product key 'product_key': must be 11 characters of [A-Za-z0-9]");
}

TEST(FleetTest, EmptyFleetRefused) {
  ExpectRefused("", "the fleet has no devices");
  ExpectRefused("product_key,device_id,secret,model\n# none\n", "the fleet has no devices");
}

TEST(FleetTest, GeneratedFleetRoundTripsAndSeedsRepeat) {
  auto a = GenerateFleet(3, "a1B2c3D4e5F", "centrifugal_pump", "sim-", 42);
  auto b = GenerateFleet(3, "a1B2c3D4e5F", "centrifugal_pump", "sim-", 42);
  auto c = GenerateFleet(3, "a1B2c3D4e5F", "centrifugal_pump", "sim-", 0);
  auto d = GenerateFleet(3, "a1B2c3D4e5F", "centrifugal_pump", "sim-", 0);
  EXPECT_EQ(a, b);
  EXPECT_NE(c[0].secret, d[0].secret);
  EXPECT_NE(a[0].secret, a[1].secret);
  EXPECT_EQ(a[2].device_id, "sim-000003");
  EXPECT_EQ(a[0].secret.size(), 32u);
  auto parsed = ParseFleet(FleetText(a));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, a);
  EXPECT_EQ(FleetText(a).substr(0, 35), "product_key,device_id,secret,model\n");
}

}  // namespace
}  // namespace qilian::platform::devsim
