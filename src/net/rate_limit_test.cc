#include "net/rate_limit.h"

#include <array>
#include <span>
#include <string>

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

ResponseRateLimitOptions Rrl(uint32_t rate, uint32_t burst, uint32_t slip) {
  ResponseRateLimitOptions o;
  o.enabled = true;
  o.responses_per_second = rate;
  o.burst = burst;
  o.slip = slip;
  o.table_size = 1 << 16;
  return o;
}

std::string Actions(ResponseRateLimiter& rrl, std::span<const uint8_t> a, ResponseKind kind,
                    int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    switch (rrl.Check(a, kind)) {
      case RrlAction::kSend: out += 'S'; break;
      case RrlAction::kSlip: out += 'T'; break;
      case RrlAction::kDrop: out += 'D'; break;
    }
  }
  return out;
}

TEST(ResponseRateLimiterTest, DisabledAlwaysSends) {
  FakeClock clock;
  ResponseRateLimitOptions o = Rrl(1, 1, 2);
  o.enabled = false;
  ResponseRateLimiter rrl(o, &clock);
  EXPECT_EQ(Actions(rrl, V4(192, 0, 2, 1), ResponseKind::kAnswer, 5), "SSSSS");
}

TEST(ResponseRateLimiterTest, SlipTwoAnswersEverySecondExcessWithTc) {
  FakeClock clock;
  ResponseRateLimiter rrl(Rrl(2, 3, 2), &clock);
  auto a = V4(192, 0, 2, 1);
  EXPECT_EQ(Actions(rrl, a, ResponseKind::kAnswer, 9), "SSSDTDTDT");
  clock.Advance(absl::Milliseconds(500));  // one token back
  EXPECT_EQ(Actions(rrl, a, ResponseKind::kAnswer, 3), "SDT");
}

TEST(ResponseRateLimiterTest, SlipZeroDropsAllAndSlipOneTruncatesAll) {
  FakeClock clock;
  ResponseRateLimiter drop_all(Rrl(1, 1, 0), &clock);
  EXPECT_EQ(Actions(drop_all, V4(192, 0, 2, 1), ResponseKind::kAnswer, 4), "SDDD");
  ResponseRateLimiter tc_all(Rrl(1, 1, 1), &clock);
  EXPECT_EQ(Actions(tc_all, V4(192, 0, 2, 1), ResponseKind::kAnswer, 4), "STTT");
  ResponseRateLimiter every_third(Rrl(1, 1, 3), &clock);
  EXPECT_EQ(Actions(every_third, V4(192, 0, 2, 1), ResponseKind::kAnswer, 7), "SDDTDDT");
}

TEST(ResponseRateLimiterTest, BurstDefaultsToTheRate) {
  FakeClock clock;
  ResponseRateLimiter rrl(Rrl(3, 0, 0), &clock);
  EXPECT_EQ(Actions(rrl, V4(192, 0, 2, 1), ResponseKind::kAnswer, 5), "SSSDD");
}

TEST(ResponseRateLimiterTest, KindsAndNetworksHaveSeparateBuckets) {
  FakeClock clock;
  ResponseRateLimiter rrl(Rrl(1, 1, 0), &clock);
  EXPECT_EQ(Actions(rrl, V4(198, 51, 100, 1), ResponseKind::kAnswer, 2), "SD");
  EXPECT_EQ(Actions(rrl, V4(198, 51, 100, 2), ResponseKind::kAnswer, 1), "D");  // same /24
  EXPECT_EQ(Actions(rrl, V4(198, 51, 100, 1), ResponseKind::kNotFound, 2), "SD");
  EXPECT_EQ(Actions(rrl, V4(198, 51, 100, 1), ResponseKind::kError, 2), "SD");
  EXPECT_EQ(Actions(rrl, V4(198, 51, 101, 1), ResponseKind::kAnswer, 2), "SD");
  std::array<uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0x01};
  std::array<uint8_t, 16> v6_same56 = v6;
  v6_same56[7] = 0x77;
  v6_same56[15] = 1;
  EXPECT_EQ(Actions(rrl, v6, ResponseKind::kAnswer, 1), "S");
  EXPECT_EQ(Actions(rrl, v6_same56, ResponseKind::kAnswer, 1), "D");
  EXPECT_EQ(rrl.evictions(), 0u);
}

TEST(ResponseRateLimiterTest, FullTableEvictsTheLeastRecentlySeen) {
  FakeClock clock;
  ResponseRateLimitOptions o = Rrl(1, 1, 0);
  o.table_size = ResponseRateLimiter::kWays;  // one set: every key competes
  ResponseRateLimiter rrl(o, &clock);
  for (uint8_t net = 1; net <= 4; ++net) {
    EXPECT_EQ(Actions(rrl, V4(10, 0, net, 1), ResponseKind::kAnswer, 2), "SD") << int(net);
    clock.Advance(absl::Milliseconds(1));
  }
  EXPECT_EQ(rrl.evictions(), 0u);
  // Network 1 was seen first, so a fifth network takes its entry...
  EXPECT_EQ(Actions(rrl, V4(10, 0, 5, 1), ResponseKind::kAnswer, 2), "SD");
  EXPECT_EQ(rrl.evictions(), 1u);
  clock.Advance(absl::Milliseconds(1));
  // ...and network 2 is still limited, its entry kept.
  EXPECT_EQ(Actions(rrl, V4(10, 0, 2, 1), ResponseKind::kAnswer, 1), "D");
  EXPECT_EQ(rrl.evictions(), 1u);
  // Network 1 comes back with a fresh bucket, evicting network 3.
  EXPECT_EQ(Actions(rrl, V4(10, 0, 1, 1), ResponseKind::kAnswer, 2), "SD");
  EXPECT_EQ(rrl.evictions(), 2u);
}

TEST(ResponseRateLimiterTest, RateZeroSendsNothingInFull) {
  FakeClock clock;
  ResponseRateLimiter rrl(Rrl(0, 0, 1), &clock);
  EXPECT_EQ(Actions(rrl, V4(127, 0, 0, 1), ResponseKind::kAnswer, 2), "TT");
}

// NetworkBuckets with costs other than one token: the UDP amplification
// budget takes an answer's excess octets at once.
TEST(NetworkBucketsTest, TakesCostsWhileTheyFitAndRefillsAtTheRate) {
  FakeClock clock;
  NetworkBuckets b({.rate_per_second = 1000, .burst = 5000}, &clock);
  auto a = V4(203, 0, 113, 9);
  EXPECT_TRUE(b.TryTake(a, 0, 2000).taken);
  EXPECT_TRUE(b.TryTake(a, 0, 2000).taken);
  NetworkBuckets::Take refused = b.TryTake(a, 0, 2000);  // 1000 left
  EXPECT_FALSE(refused.taken);
  EXPECT_EQ(refused.refusals, 1u);
  EXPECT_TRUE(b.TryTake(a, 0, 1000).taken);  // a smaller cost still fits
  EXPECT_EQ(b.TryTake(a, 0, 1).refusals, 2u);
  clock.Advance(absl::Milliseconds(1500));
  EXPECT_FALSE(b.TryTake(a, 0, 2000).taken);  // 1500 back: not enough
  clock.Advance(absl::Milliseconds(500));
  EXPECT_TRUE(b.TryTake(a, 0, 2000).taken);
  clock.Advance(absl::Seconds(60));  // refills up to the burst, no further
  EXPECT_TRUE(b.TryTake(a, 0, 5000).taken);
  EXPECT_FALSE(b.TryTake(a, 0, 1).taken);
}

TEST(NetworkBucketsTest, CostAboveTheBurstIsNeverTaken) {
  FakeClock clock;
  NetworkBuckets b({.rate_per_second = 1000, .burst = 100}, &clock);
  EXPECT_FALSE(b.TryTake(V4(203, 0, 113, 9), 0, 101).taken);
  clock.Advance(absl::Seconds(10));
  EXPECT_FALSE(b.TryTake(V4(203, 0, 113, 9), 0, 101).taken);
  EXPECT_TRUE(b.TryTake(V4(203, 0, 113, 9), 0, 100).taken);
}

TEST(NetworkBucketsTest, NetworksAndTagsHaveSeparateBuckets) {
  FakeClock clock;
  NetworkBuckets b({.rate_per_second = 0, .burst = 10}, &clock);
  EXPECT_TRUE(b.TryTake(V4(203, 0, 113, 9), 0, 10).taken);
  EXPECT_FALSE(b.TryTake(V4(203, 0, 113, 200), 0, 1).taken);  // same /24
  EXPECT_TRUE(b.TryTake(V4(203, 0, 113, 9), 1, 10).taken);    // another tag
  EXPECT_TRUE(b.TryTake(V4(203, 0, 114, 9), 0, 10).taken);    // another /24
  EXPECT_EQ(b.evictions(), 0u);
}

}  // namespace
}  // namespace qilian::net
