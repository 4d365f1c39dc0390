#include "ident/authz/auth_throttle.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "ident/response_code.h"

namespace qilian::ident::authz {
namespace {

constexpr char kAdmin[] = "300:88.999/ADMIN";

AuthThrottleOptions Options(uint32_t max_failures) {
  AuthThrottleOptions o;
  o.max_failures = max_failures;
  o.window = absl::Minutes(10);
  o.initial_backoff = absl::Seconds(1);
  o.max_backoff = absl::Seconds(60);
  return o;
}

void ExpectRefused(const absl::Status& s, const std::string& message) {
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kAuthenticationError) << s;
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(std::string(s.message()), message);
}

TEST(AuthThrottleTest, RefusesAfterMaxFailuresWithExponentialBackoff) {
  FakeClock clock;
  AuthThrottle t(Options(3), &clock);
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(t.Check(kAdmin, "").ok());
    t.Failed(kAdmin, "");
  }
  EXPECT_TRUE(t.Check(kAdmin, "").ok());
  t.Failed(kAdmin, "");  // the third: 1 s
  ExpectRefused(t.Check(kAdmin, ""),
                "too many failed authentications for 300:88.999/ADMIN; retry in 1 s");
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(t.Check(kAdmin, "").ok());
  t.Failed(kAdmin, "");  // 2 s
  ExpectRefused(t.Check(kAdmin, ""),
                "too many failed authentications for 300:88.999/ADMIN; retry in 2 s");
  clock.Advance(absl::Seconds(2));
  t.Failed(kAdmin, "");  // 4 s
  clock.Advance(absl::Seconds(4));
  t.Failed(kAdmin, "");  // 8 s
  clock.Advance(absl::Milliseconds(500));
  ExpectRefused(t.Check(kAdmin, ""),
                "too many failed authentications for 300:88.999/ADMIN; retry in 8 s");  // 7.5 up
  clock.Advance(absl::Milliseconds(7499));
  EXPECT_FALSE(t.Check(kAdmin, "").ok());
  clock.Advance(absl::Milliseconds(1));
  EXPECT_TRUE(t.Check(kAdmin, "").ok());
  // Others are not affected.
  EXPECT_TRUE(t.Check("300:88.999/OTHER", "").ok());
}

TEST(AuthThrottleTest, BackoffIsCapped) {
  FakeClock clock;
  AuthThrottle t(Options(1), &clock);
  for (int i = 0; i < 50; ++i) t.Failed(kAdmin, "");
  ExpectRefused(t.Check(kAdmin, ""),
                "too many failed authentications for 300:88.999/ADMIN; retry in 60 s");
}

TEST(AuthThrottleTest, SuccessResetsTheIdentityButNotTheSource) {
  FakeClock clock;
  AuthThrottle t(Options(3), &clock);
  t.Failed(kAdmin, "192.0.2.7");
  t.Failed(kAdmin, "192.0.2.7");
  t.Succeeded(kAdmin, "192.0.2.7");
  t.Failed(kAdmin, "198.51.100.1");
  t.Failed(kAdmin, "198.51.100.2");
  EXPECT_TRUE(t.Check(kAdmin, "").ok());  // two since the success
  // The first address has two failures still; one more, for anyone, blocks it.
  t.Failed("user:alice", "192.0.2.7");
  ExpectRefused(t.Check("user:bob", "192.0.2.7"),
                "too many failed authentications from 192.0.2.7; retry in 1 s");
  EXPECT_TRUE(t.Check("user:bob", "192.0.2.8").ok());
}

TEST(AuthThrottleTest, IdentityAcrossManySourcesIsBlocked) {
  FakeClock clock;
  AuthThrottle t(Options(3), &clock);
  for (int i = 0; i < 3; ++i) t.Failed(kAdmin, absl::StrCat("203.0.113.", i));
  ExpectRefused(t.Check(kAdmin, "203.0.113.99"),
                "too many failed authentications for 300:88.999/ADMIN; retry in 1 s");
  EXPECT_TRUE(t.Check("", "203.0.113.0").ok());  // each address failed once only
}

TEST(AuthThrottleTest, CountIsForgottenAfterTheWindow) {
  FakeClock clock;
  AuthThrottle t(Options(3), &clock);
  t.Failed(kAdmin, "");
  t.Failed(kAdmin, "");
  clock.Advance(absl::Minutes(10));
  t.Failed(kAdmin, "");  // counts as the first again
  EXPECT_TRUE(t.Check(kAdmin, "").ok());
  t.Failed(kAdmin, "");
  t.Failed(kAdmin, "");
  EXPECT_FALSE(t.Check(kAdmin, "").ok());
}

TEST(AuthThrottleTest, MaxFailuresZeroNeverThrottles) {
  FakeClock clock;
  AuthThrottle t(Options(0), &clock);
  for (int i = 0; i < 100; ++i) t.Failed(kAdmin, "192.0.2.1");
  EXPECT_TRUE(t.Check(kAdmin, "192.0.2.1").ok());
  EXPECT_EQ(t.tracked(), 0u);
}

TEST(AuthThrottleTest, TrackedEntriesAreBounded) {
  FakeClock clock;
  AuthThrottleOptions o = Options(1);
  o.max_entries = 16;  // one per shard
  AuthThrottle t(o, &clock);
  for (int i = 0; i < 500; ++i) {
    t.Failed(absl::StrCat("user:u", i), "");
    clock.Advance(absl::Milliseconds(1));
  }
  EXPECT_LE(t.tracked(), 16u);
  EXPECT_FALSE(t.Check("user:u499", "").ok());  // the latest is kept
  EXPECT_TRUE(t.Check("user:u0", "").ok());     // the oldest went
}

}  // namespace
}  // namespace qilian::ident::authz
