#include "ident/auth/nonce.h"

#include "gtest/gtest.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {
namespace {

TEST(NonceTest, GeneratesDistinctNoncesOfTheAskedLength) {
  auto a = GenerateNonce();
  auto b = GenerateNonce();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 20u);
  EXPECT_NE(*a, *b);
  auto c = GenerateNonce(32);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->size(), 32u);
  EXPECT_EQ(GenerateNonce(16).status().message(), "nonce length 16 outside 20..256");
  EXPECT_EQ(GenerateNonce(257).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReplayCacheTest, RefusesASecondUseUntilExpiry) {
  FakeClock clock;
  ReplayCache cache(clock, absl::Minutes(5), 10);
  EXPECT_TRUE(cache.Use(3, "nonce-a").ok());
  absl::Status again = cache.Use(3, "nonce-a");
  EXPECT_EQ(ResponseCodeOf(again), ResponseCode::kAuthenticationFailed);
  EXPECT_EQ(again.message(), "challenge nonce already used");
  // Same nonce in another session, another nonce in the same session: fine.
  EXPECT_TRUE(cache.Use(4, "nonce-a").ok());
  EXPECT_TRUE(cache.Use(3, "nonce-b").ok());
  EXPECT_EQ(cache.size(), 3u);
  clock.Advance(absl::Minutes(5) - absl::Seconds(1));
  EXPECT_EQ(ResponseCodeOf(cache.Use(3, "nonce-a")), ResponseCode::kAuthenticationFailed);
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_TRUE(cache.Use(3, "nonce-a").ok());
}

TEST(ReplayCacheTest, FullCacheRefusesInsteadOfForgetting) {
  FakeClock clock;
  ReplayCache cache(clock, absl::Minutes(1), 2);
  EXPECT_TRUE(cache.Use(1, "a").ok());
  clock.Advance(absl::Seconds(30));
  EXPECT_TRUE(cache.Use(1, "b").ok());
  absl::Status full = cache.Use(1, "c");
  EXPECT_EQ(ResponseCodeOf(full), ResponseCode::kServerBusy);
  EXPECT_EQ(full.message(), "replay cache full");
  // "a" is still remembered while the cache is full.
  EXPECT_EQ(ResponseCodeOf(cache.Use(1, "a")), ResponseCode::kAuthenticationFailed);
  clock.Advance(absl::Seconds(30));  // "a" expires
  EXPECT_TRUE(cache.Use(1, "c").ok());
  EXPECT_EQ(ResponseCodeOf(cache.Use(1, "b")), ResponseCode::kAuthenticationFailed);
  EXPECT_EQ(cache.size(), 2u);
}

}  // namespace
}  // namespace qilian::ident::auth
