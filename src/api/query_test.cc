#include "api/query.h"

#include "gtest/gtest.h"

namespace qilian::api {
namespace {

TEST(QueryTest, SplitTarget) {
  EXPECT_EQ(SplitTarget("/a/b?x=1&y").first, "/a/b");
  EXPECT_EQ(SplitTarget("/a/b?x=1&y").second, "x=1&y");
  EXPECT_EQ(SplitTarget("/a/b").second, "");
  EXPECT_EQ(SplitTarget("/a?b?c").second, "b?c");
}

TEST(QueryTest, PercentDecodePathKeepsPlus) {
  EXPECT_EQ(PercentDecode("88.999%2Fa+b%20c", false), "88.999/a+b c");
  EXPECT_EQ(PercentDecode("%e7%a5%81", false), "\xe7\xa5\x81");
  EXPECT_EQ(PercentDecode("%252F", false), "%2F");  // decoded once only
}

TEST(QueryTest, PercentDecodeRejectsBadEscapes) {
  EXPECT_FALSE(PercentDecode("%zz", false).has_value());
  EXPECT_FALSE(PercentDecode("a%2", false).has_value());
  EXPECT_FALSE(PercentDecode("a%", false).has_value());
  EXPECT_FALSE(PercentDecode("%g0", false).has_value());
}

TEST(QueryTest, ParseQuery) {
  auto params = ParseQuery("type=URL&&index=1&type=a+b%2Bc&flag");
  ASSERT_TRUE(params.has_value());
  ASSERT_EQ(params->size(), 4u);
  EXPECT_EQ((*params)[0].name, "type");
  EXPECT_EQ((*params)[0].value, "URL");
  EXPECT_EQ((*params)[1].name, "index");
  EXPECT_EQ((*params)[1].value, "1");
  EXPECT_EQ((*params)[2].value, "a b+c");
  EXPECT_EQ((*params)[3].name, "flag");
  EXPECT_EQ((*params)[3].value, "");
  EXPECT_FALSE(ParseQuery("a=%zz").has_value());
  EXPECT_FALSE(ParseQuery("%=1").has_value());
  EXPECT_TRUE(ParseQuery("")->empty());
}

}  // namespace
}  // namespace qilian::api
