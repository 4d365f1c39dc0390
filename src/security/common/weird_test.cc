#include "security/common/weird.h"

#include <gtest/gtest.h>

namespace qilian::security {
namespace {

TEST(WeirdCounterTest, CountsByNameAndInTotal) {
  WeirdCounter w;
  EXPECT_EQ(w.Count("bad_IP_checksum"), 0u);
  w.Add("bad_IP_checksum");
  w.Add("bad_IP_checksum");
  w.Add("truncated_IP", 3);
  EXPECT_EQ(w.Count("bad_IP_checksum"), 2u);
  EXPECT_EQ(w.Count("truncated_IP"), 3u);
  EXPECT_EQ(w.Total(), 5u);
  ASSERT_EQ(w.counts().size(), 2u);
  EXPECT_EQ(w.counts().begin()->first, "bad_IP_checksum");
}

}  // namespace
}  // namespace qilian::security
