#include "security/delivery/event_id.h"

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"

namespace qilian::security {
namespace {

TEST(EventId, SpoolIdentityAndSequence) {
  const std::string identity = NewSpoolIdentity();
  ASSERT_EQ(identity.size(), 16u);
  EXPECT_EQ(identity.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(NewSpoolIdentity(), identity);  // 2^-64 to fail
  EXPECT_EQ(EventId("00ff00ff00ff00ff", 42), "00ff00ff00ff00ff-42");
  // The longest: 16 + 1 + 20 digits, within the node's 64.
  EXPECT_TRUE(IsValidEventId(EventId(identity, UINT64_MAX)));
}

TEST(EventId, ValidIds) {
  EXPECT_TRUE(IsValidEventId("a"));
  EXPECT_TRUE(IsValidEventId("A-z_0.9:x"));
  EXPECT_TRUE(IsValidEventId(std::string(64, 'x')));
  EXPECT_FALSE(IsValidEventId(""));
  EXPECT_FALSE(IsValidEventId(std::string(65, 'x')));
  EXPECT_FALSE(IsValidEventId("a b"));
  EXPECT_FALSE(IsValidEventId("a\"b"));
  EXPECT_FALSE(IsValidEventId("a/b"));
}

TEST(EventId, InsertedAsTheFirstMember) {
  std::string out;
  AppendWithId(R"({"ts":"2026-12-08T00:00:00.000001Z","flow":1,"proto":"modbus"})", "s-1", &out);
  EXPECT_EQ(out, R"({"id":"s-1","ts":"2026-12-08T00:00:00.000001Z","flow":1,"proto":"modbus"})");
  auto parsed = nlohmann::ordered_json::parse(out);
  EXPECT_EQ(parsed["id"], "s-1");
  EXPECT_EQ(parsed["flow"], 1);
}

TEST(EventId, EmptyObjectGetsNoComma) {
  std::string out;
  AppendWithId("{}", "s-2", &out);
  EXPECT_EQ(out, R"({"id":"s-2"})");
  out.clear();
  AppendWithId("{ }", "s-3", &out);
  EXPECT_EQ(out, R"({"id":"s-3" })");
  EXPECT_NO_THROW(nlohmann::json::parse(out));
}

TEST(EventId, NotAnObjectIsLeftAsItIs) {
  std::string out;
  AppendWithId("[1]", "s-4", &out);
  EXPECT_EQ(out, "[1]");
  out.clear();
  AppendWithId("", "s-5", &out);
  EXPECT_EQ(out, "");
}

}  // namespace
}  // namespace qilian::security
