#include "platform/ingest/rate_limiter.h"

#include "gtest/gtest.h"

namespace qilian::platform {
namespace {

TEST(DeviceRateLimiter, BurstThenRate) {
  DeviceRateLimiter limiter(100, 200);
  absl::Time t = absl::FromUnixSeconds(1000);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(limiter.Admit(1, "d", t)) << i;
  EXPECT_FALSE(limiter.Admit(1, "d", t));
  t += absl::Milliseconds(10);  // one token
  EXPECT_TRUE(limiter.Admit(1, "d", t));
  EXPECT_FALSE(limiter.Admit(1, "d", t));
  t += absl::Seconds(60);  // refills to the burst, no more
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(limiter.Admit(1, "d", t)) << i;
  EXPECT_FALSE(limiter.Admit(1, "d", t));
}

TEST(DeviceRateLimiter, DevicesAndEnterprisesAreSeparate) {
  DeviceRateLimiter limiter(1, 1);
  absl::Time t = absl::FromUnixSeconds(1000);
  EXPECT_TRUE(limiter.Admit(1, "d", t));
  EXPECT_FALSE(limiter.Admit(1, "d", t));
  EXPECT_TRUE(limiter.Admit(2, "d", t));
  EXPECT_TRUE(limiter.Admit(1, "e", t));
  EXPECT_EQ(limiter.device_count(), 3u);
}

TEST(DeviceRateLimiter, ClockGoingBackDoesNotRefill) {
  DeviceRateLimiter limiter(1, 1);
  absl::Time t = absl::FromUnixSeconds(1000);
  EXPECT_TRUE(limiter.Admit(1, "d", t));
  EXPECT_FALSE(limiter.Admit(1, "d", t - absl::Seconds(10)));
  EXPECT_FALSE(limiter.Admit(1, "d", t));
}

TEST(DeviceRateLimiter, ZeroRateAdmitsAll) {
  DeviceRateLimiter limiter(0, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Admit(1, "d", absl::UnixEpoch()));
  EXPECT_EQ(limiter.device_count(), 0u);
}

}  // namespace
}  // namespace qilian::platform
