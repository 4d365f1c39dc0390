#include "ident/resolver/site_selection.h"

#include "gtest/gtest.h"
#include "ident/response_code.h"

namespace qilian::ident::resolver {
namespace {

// Expected hashes computed independently (Python hashlib) by the rule of
// Handle.Net's SiteInfo.getHandleHash: MD5 of the upper-cased part, last 4
// octets as a big-endian signed int, absolute value.
TEST(SiteSelectionTest, HashMatchesDeployedRule) {
  EXPECT_EQ(*HandleHash("88.999/VEC-RES", site_hash::kByPrefix), 89914017u);
  EXPECT_EQ(*HandleHash("88.999/VEC-RES", site_hash::kBySuffix), 1755573519u);
  EXPECT_EQ(*HandleHash("88.999/VEC-RES", site_hash::kByHandle), 1332848835u);
  EXPECT_EQ(*HandleHash("0.NA/88.999", site_hash::kByHandle), 551233006u);
  EXPECT_EQ(*HandleHash("86.1000.470/设备-1", site_hash::kByHandle), 797635585u);
}

TEST(SiteSelectionTest, HashIgnoresAsciiCase) {
  EXPECT_EQ(*HandleHash("88.999/vec-res", site_hash::kByHandle), 1332848835u);
  EXPECT_EQ(*HandleHash("0.na/88.999", site_hash::kByHandle), 551233006u);
}

TEST(SiteSelectionTest, UnknownHashOptionIsAnError) {
  auto h = HandleHash("88.999/x", 7);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().message(), "unknown HS_SITE hash option 7");
}

SiteInfo SiteOf(size_t servers, uint8_t hash_option) {
  SiteInfo site;
  site.hash_option = hash_option;
  for (size_t i = 0; i < servers; ++i) {
    SiteServer s;
    s.server_id = static_cast<uint32_t>(i + 1);
    site.servers.push_back(s);
  }
  return site;
}

TEST(SiteSelectionTest, PicksServerModuloCount) {
  EXPECT_EQ(*ResponsibleServer(SiteOf(3, site_hash::kByHandle), "88.999/VEC-RES"), 0u);
  EXPECT_EQ(*ResponsibleServer(SiteOf(3, site_hash::kByHandle), "88.999/abc"), 1u);
  EXPECT_EQ(*ResponsibleServer(SiteOf(3, site_hash::kByHandle), "20.500.123/xyz"), 2u);
  EXPECT_EQ(*ResponsibleServer(SiteOf(4, site_hash::kByPrefix), "0.NA/88.999"), 3u);
  EXPECT_EQ(*ResponsibleServer(SiteOf(7, site_hash::kBySuffix), "88.999/abc"), 3u);
  EXPECT_EQ(*ResponsibleServer(SiteOf(1, site_hash::kByHandle), "anything/at-all"), 0u);
}

TEST(SiteSelectionTest, EmptySiteIsAnError) {
  auto s = ResponsibleServer(SiteOf(0, site_hash::kByHandle), "88.999/x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "HS_SITE has no servers");
}

TEST(SiteSelectionTest, OrderStartsAtResponsibleServerThenTheRest) {
  EXPECT_EQ(ServerOrder(SiteOf(3, site_hash::kByHandle), "20.500.123/xyz"),
            (std::vector<size_t>{2, 0, 1}));
  EXPECT_EQ(ServerOrder(SiteOf(3, site_hash::kByHandle), "88.999/abc"),
            (std::vector<size_t>{1, 2, 0}));
  EXPECT_EQ(ServerOrder(SiteOf(3, 9), "88.999/abc"), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(ServerOrder(SiteOf(0, site_hash::kByHandle), "88.999/abc").empty());
}

}  // namespace
}  // namespace qilian::ident::resolver
