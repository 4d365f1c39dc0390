#include "security/common/address.h"

#include <gtest/gtest.h>

namespace qilian::security {
namespace {

TEST(IpAddressTest, V4IsMappedAndPrintsDotted) {
  const uint8_t v4[4] = {192, 168, 1, 20};
  IpAddress a = IpAddress::FromV4(std::span<const uint8_t, 4>(v4));
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a.ToString(), "192.168.1.20");
}

TEST(IpAddressTest, V6PrintsCompressed) {
  uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
  v6[15] = 1;
  IpAddress a = IpAddress::FromV6(std::span<const uint8_t, 16>(v6));
  EXPECT_FALSE(a.is_v4());
  EXPECT_EQ(a.ToString(), "2001:db8::1");
}

}  // namespace
}  // namespace qilian::security
