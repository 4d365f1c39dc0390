#include "ident/authz/write_quota.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ident/response_code.h"

namespace qilian::ident::authz {
namespace {

constexpr char kAdmin[] = "300:88.999.1/ADMIN";

void ExpectHandleError(const absl::Status& s, ResponseCode code, const std::string& message) {
  EXPECT_EQ(ResponseCodeOf(s), code) << s;
  EXPECT_EQ(std::string(s.message()), message);
}

WriteQuotaOptions Limits(uint32_t per_second, uint32_t burst, uint64_t per_day) {
  WriteQuotaOptions o;
  o.defaults.writes_per_second = per_second;
  o.defaults.burst = burst;
  o.defaults.writes_per_day = per_day;
  return o;
}

TEST(WriteQuotaTest, DefaultsAreGenerous) {
  FakeClock clock;
  WriteQuota q(WriteQuotaOptions{}, &clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.Charge(kAdmin, "88.999.1", true).ok()) << i;
  ExpectHandleError(q.Charge(kAdmin, "88.999.1", true), ResponseCode::kIdisRateLimited,
                    "write rate for 300:88.999.1/ADMIN exceeds 1000/s");
}

TEST(WriteQuotaTest, RateLimitRefillsAndRefusalsConsumeNothing) {
  FakeClock clock;
  WriteQuota q(Limits(2, 3, 0), &clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(q.Charge(kAdmin, "88.999.1", false).ok());
  for (int i = 0; i < 5; ++i) {
    ExpectHandleError(q.Charge(kAdmin, "88.999.1", false), ResponseCode::kIdisRateLimited,
                      "write rate for 300:88.999.1/ADMIN exceeds 2/s");
  }
  clock.Advance(absl::Milliseconds(499));
  EXPECT_FALSE(q.Charge(kAdmin, "88.999.1", false).ok());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(q.Charge(kAdmin, "88.999.1", false).ok());
  EXPECT_FALSE(q.Charge(kAdmin, "88.999.1", false).ok());
  // Another actor has its own bucket.
  EXPECT_TRUE(q.Charge("user:alice", "88.999.1", false).ok());
}

TEST(WriteQuotaTest, DailyQuotaRenewsAtUtcMidnight) {
  // 23:59:58 UTC.
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2026, 11, 28, 23, 59, 58),
                                  absl::UTCTimeZone()));
  WriteQuota q(Limits(0, 0, 3), &clock);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(q.Charge(kAdmin, "88.999.1", false).ok());
  ExpectHandleError(q.Charge(kAdmin, "88.999.1", false), ResponseCode::kIdisQuotaExceeded,
                    "daily write quota of 3 for 300:88.999.1/ADMIN is used up; it renews at "
                    "00:00 UTC");
  clock.Advance(absl::Seconds(1));  // 23:59:59, still the same day
  EXPECT_EQ(ResponseCodeOf(q.Charge(kAdmin, "88.999.1", false)),
            ResponseCode::kIdisQuotaExceeded);
  clock.Advance(absl::Seconds(1));  // 00:00:00 next day
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(q.Charge(kAdmin, "88.999.1", false).ok());
  EXPECT_EQ(ResponseCodeOf(q.Charge(kAdmin, "88.999.1", false)),
            ResponseCode::kIdisQuotaExceeded);
}

TEST(WriteQuotaTest, RateRefusalsDoNotCountAgainstTheDay) {
  FakeClock clock;
  WriteQuota q(Limits(1, 1, 2), &clock);
  EXPECT_TRUE(q.Charge(kAdmin, "p", false).ok());
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ResponseCodeOf(q.Charge(kAdmin, "p", false)), ResponseCode::kIdisRateLimited);
  }
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(q.Charge(kAdmin, "p", false).ok());
  clock.Advance(absl::Seconds(1));
  // Over the day now: 603 wins over a full bucket.
  EXPECT_EQ(ResponseCodeOf(q.Charge(kAdmin, "p", false)), ResponseCode::kIdisQuotaExceeded);
}

TEST(WriteQuotaTest, PerActorOverrides) {
  FakeClock clock;
  WriteQuotaOptions o = Limits(1, 1, 0);
  o.per_actor["300:0.NA/88.999/ADMIN"] = WriteLimits{100, 0, 0};
  o.per_actor["user:bob"] = WriteLimits{0, 0, 1};
  WriteQuota q(o, &clock);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(q.Charge("300:0.NA/88.999/ADMIN", "p", false).ok());
  ExpectHandleError(q.Charge("300:0.NA/88.999/ADMIN", "p", false),
                    ResponseCode::kIdisRateLimited,
                    "write rate for 300:0.NA/88.999/ADMIN exceeds 100/s");
  EXPECT_TRUE(q.Charge("user:bob", "p", false).ok());
  ExpectHandleError(q.Charge("user:bob", "p", false), ResponseCode::kIdisQuotaExceeded,
                    "daily write quota of 1 for user:bob is used up; it renews at 00:00 UTC");
  EXPECT_TRUE(q.Charge("user:carol", "p", false).ok());
  EXPECT_EQ(ResponseCodeOf(q.Charge("user:carol", "p", false)), ResponseCode::kIdisRateLimited);
}

TEST(WriteQuotaTest, IdentifierCapRefusesCreatesOnly) {
  FakeClock clock;
  WriteQuotaOptions o;
  o.identifier_caps["88.999.1"] = 500;
  uint64_t held = 499;
  int counted = 0;
  WriteQuota q(o, &clock, [&](std::string_view prefix) -> absl::StatusOr<uint64_t> {
    ++counted;
    EXPECT_EQ(prefix, "88.999.1");
    return held;
  });
  EXPECT_TRUE(q.Charge(kAdmin, "88.999.1", true).ok());
  held = 500;
  ExpectHandleError(q.Charge(kAdmin, "88.999.1", true), ResponseCode::kIdisIdentifierLimit,
                    "prefix 88.999.1 holds 500 identifiers; its limit is 500");
  EXPECT_TRUE(q.Charge(kAdmin, "88.999.1", false).ok());  // a modify is not a create
  EXPECT_TRUE(q.Charge(kAdmin, "88.999.2", true).ok());   // no cap there
  EXPECT_EQ(counted, 2);
  // A count supplied by the caller is used instead of the counter.
  EXPECT_TRUE(q.Charge(kAdmin, "88.999.1", true, 10).ok());
  EXPECT_EQ(ResponseCodeOf(q.Charge(kAdmin, "88.999.1", true, 600)),
            ResponseCode::kIdisIdentifierLimit);
  EXPECT_EQ(counted, 2);
}

TEST(WriteQuotaTest, DefaultIdentifierCapAndCounterErrors) {
  FakeClock clock;
  WriteQuotaOptions o;
  o.default_identifier_cap = 0;
  WriteQuota q(o, &clock, [](std::string_view) -> absl::StatusOr<uint64_t> {
    return absl::UnavailableError("statistics store down");
  });
  absl::Status s = q.Charge(kAdmin, "88.1", true);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(s.message()), "statistics store down");
  ExpectHandleError(q.Charge(kAdmin, "88.1", true, 0), ResponseCode::kIdisIdentifierLimit,
                    "prefix 88.1 holds 0 identifiers; its limit is 0");
}

TEST(WriteQuotaTest, TrackedActorsAreBoundedAndTheLeastRecentIsEvicted) {
  FakeClock clock;
  WriteQuotaOptions o = Limits(0, 0, 1);
  o.max_actors = 16;  // one per shard
  WriteQuota q(o, &clock);
  for (int i = 0; i < 200; ++i) {
    EXPECT_TRUE(q.Charge(absl::StrCat("user:u", i), "p", false).ok());
    clock.Advance(absl::Milliseconds(1));
  }
  EXPECT_LE(q.tracked_actors(), 16u);
  // The last actor is still tracked (its day is used up); the first was
  // evicted and starts afresh.
  EXPECT_EQ(ResponseCodeOf(q.Charge("user:u199", "p", false)), ResponseCode::kIdisQuotaExceeded);
  EXPECT_TRUE(q.Charge("user:u0", "p", false).ok());
}

}  // namespace
}  // namespace qilian::ident::authz
