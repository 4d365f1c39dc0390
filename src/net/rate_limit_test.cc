#include "net/rate_limit.h"

#include <array>

#include "gtest/gtest.h"

namespace qilian::net {
namespace {

std::array<uint8_t, 4> V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }

SourceRateLimitOptions Options(uint32_t rate, uint32_t burst) {
  SourceRateLimitOptions o;
  o.rate_per_second = rate;
  o.burst = burst;
  return o;
}

TEST(SourceRateLimiterTest, BurstThenRefillAtRate) {
  FakeClock clock;
  SourceRateLimiter limiter(Options(2, 3), &clock);
  auto a = V4(192, 0, 2, 1);
  EXPECT_TRUE(limiter.Allow(a));
  EXPECT_TRUE(limiter.Allow(a));
  EXPECT_TRUE(limiter.Allow(a));
  EXPECT_FALSE(limiter.Allow(a));
  clock.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(limiter.Allow(a));  // 0.998 tokens
  clock.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(limiter.Allow(a));
  EXPECT_FALSE(limiter.Allow(a));
  clock.Advance(absl::Seconds(100));  // refill stops at the burst
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow(a)) << i;
  EXPECT_FALSE(limiter.Allow(a));
}

TEST(SourceRateLimiterTest, SameSlash24SharesOneBucket) {
  FakeClock clock;
  SourceRateLimitOptions o = Options(1, 2);
  o.slots = 1 << 20;
  SourceRateLimiter limiter(o, &clock);
  EXPECT_TRUE(limiter.Allow(V4(198, 51, 100, 1)));
  EXPECT_TRUE(limiter.Allow(V4(198, 51, 100, 200)));
  EXPECT_FALSE(limiter.Allow(V4(198, 51, 100, 77)));
  // Another /24 has its own bucket (with 2^20 slots a collision of these
  // two seeded hashes is a one-in-a-million event).
  EXPECT_TRUE(limiter.Allow(V4(198, 51, 101, 1)));
}

TEST(SourceRateLimiterTest, Ipv6GroupsBySlash56AndMappedV4CountsAsV4) {
  FakeClock clock;
  SourceRateLimitOptions o = Options(1, 1);
  o.slots = 1 << 20;
  SourceRateLimiter limiter(o, &clock);
  std::array<uint8_t, 16> a{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x01};
  std::array<uint8_t, 16> b = a;
  b[7] = 0xff;  // same /56 (first 7 octets)
  b[15] = 9;
  std::array<uint8_t, 16> c = a;
  c[6] = 1;     // another /56
  EXPECT_TRUE(limiter.Allow(a));
  EXPECT_FALSE(limiter.Allow(b));
  EXPECT_TRUE(limiter.Allow(c));

  std::array<uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 5};
  EXPECT_TRUE(limiter.Allow(mapped));
  EXPECT_FALSE(limiter.Allow(V4(203, 0, 113, 9)));
}

TEST(SourceRateLimiterTest, RateZeroNeverAllows) {
  FakeClock clock;
  SourceRateLimiter limiter(Options(0, 10), &clock);
  EXPECT_FALSE(limiter.Allow(V4(127, 0, 0, 1)));
}

TEST(SourceRateLimiterTest, OneSlotTableSharesEverything) {
  // Collisions only ever limit more: with one slot, every network shares it.
  FakeClock clock;
  SourceRateLimitOptions o = Options(1, 1);
  o.slots = 1;
  SourceRateLimiter limiter(o, &clock);
  EXPECT_TRUE(limiter.Allow(V4(10, 0, 0, 1)));
  EXPECT_FALSE(limiter.Allow(V4(172, 16, 0, 1)));
}

}  // namespace
}  // namespace qilian::net
