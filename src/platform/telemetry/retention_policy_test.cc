#include "platform/telemetry/retention_policy.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "store/memory_store.h"

namespace qilian::platform::telemetry {
namespace {

using nlohmann::json;

void ExpectRefused(const char* body, std::string_view message) {
  absl::StatusOr<Retention> r = ParseRetention(json::parse(body));
  ASSERT_FALSE(r.ok()) << body;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(r.status().message()), std::string(message)) << body;
}

TEST(RetentionTest, ParsesAndWritesBack) {
  absl::StatusOr<Retention> r = ParseRetention(json::parse(R"({"days": 90, "products":
      {"pump": 7, "motor": 0}})"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->days, 90u);
  EXPECT_EQ(r->product_days, (std::map<std::string, uint64_t>{{"motor", 0}, {"pump", 7}}));
  EXPECT_EQ(RetentionJson(*r), json::parse(R"({"days":90,"products":{"motor":0,"pump":7}})"));
  EXPECT_EQ(RetentionJson(*ParseRetention(json::parse(R"({"days": null})"))),
            json::parse(R"({"days":null,"products":{}})"));
}

TEST(RetentionTest, RefusesWhatItCannotRead) {
  ExpectRefused("[]", "retention must be a JSON object");
  ExpectRefused(R"({"day": 3})", "unknown member 'day'");
  ExpectRefused(R"({"days": -1})",
                "days must be an integer number of days, 0 (forever) to 36600");
  ExpectRefused(R"({"days": 1.5})",
                "days must be an integer number of days, 0 (forever) to 36600");
  ExpectRefused(R"({"days": 36601})",
                "days must be an integer number of days, 0 (forever) to 36600");
  ExpectRefused(R"({"products": [1]})", "products must be an object");
  ExpectRefused(R"({"products": {"": 1}})", "products: a product id must be 1 to 64 bytes");
  ExpectRefused(R"({"products": {"pump": "7"}})",
                "products.pump must be an integer number of days, 0 (forever) to 36600");
}

TEST(RetentionTest, TheMostSpecificWinsAndSurvivesRestart) {
  auto kv = store::NewMemoryStore({.spaces = {std::string(kTelemetrySpace)}});
  {
    RetentionPolicies policies(kv.get(), 365);
    ASSERT_TRUE(policies.Load().ok());
    EXPECT_EQ(policies.DaysFor(1, "pump"), 365u);
    Retention r;
    r.days = 30;
    r.product_days["pump"] = 7;
    ASSERT_TRUE(policies.Set(1, r).ok());
    Retention only_products;
    only_products.product_days["motor"] = 0;
    ASSERT_TRUE(policies.Set(2, only_products).ok());
  }
  RetentionPolicies policies(kv.get(), 365);
  ASSERT_TRUE(policies.Load().ok());
  EXPECT_EQ(policies.DaysFor(1, "pump"), 7u);
  EXPECT_EQ(policies.DaysFor(1, "motor"), 30u);
  EXPECT_EQ(policies.DaysFor(1, ""), 30u);
  EXPECT_EQ(policies.DaysFor(2, "motor"), 0u);
  EXPECT_EQ(policies.DaysFor(2, "pump"), 365u);
  EXPECT_EQ(policies.DaysFor(3, "pump"), 365u);
  EXPECT_EQ(policies.Get(1).days, 30u);
  EXPECT_EQ(policies.Get(3), Retention{});
}

}  // namespace
}  // namespace qilian::platform::telemetry
