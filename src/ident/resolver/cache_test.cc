#include "ident/resolver/cache.h"

#include <malloc.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace qilian::ident::resolver {
namespace {

HandleValue Value(uint32_t index, uint32_t ttl, TtlType type = TtlType::kRelative) {
  HandleValue v;
  v.index = index;
  v.type = "URL";
  v.data = absl::StrCat("https://example.org/", index);
  v.ttl = ttl;
  v.ttl_type = type;
  return v;
}

CachedAnswer Success(std::vector<HandleValue> values) {
  CachedAnswer a;
  a.handle = "88.999/x";
  a.values = std::move(values);
  return a;
}

class CacheTest : public ::testing::Test {
 protected:
  CacheOptions Options() {
    CacheOptions o;
    o.max_bytes = 1 << 20;
    o.shards = 4;
    o.negative_ttl = absl::Seconds(30);
    o.max_stale = absl::Seconds(100);
    o.prefetch_min_hits = 3;
    return o;
  }
  FakeClock clock_;
  MetricsRegistry metrics_;
};

TEST_F(CacheTest, EntryLivesForTheSmallestValueTtl) {
  ResolverCache cache(Options(), clock_, metrics_);
  ASSERT_TRUE(cache.Insert("k", Success({Value(1, 300), Value(2, 60)})));
  clock_.Advance(absl::Seconds(59));
  auto hit = cache.Lookup("k");
  ASSERT_TRUE(hit.has_value());
  EXPECT_FALSE(hit->stale);
  EXPECT_EQ(hit->answer.values.size(), 2u);
  clock_.Advance(absl::Seconds(1));
  hit = cache.Lookup("k");
  ASSERT_TRUE(hit.has_value());
  EXPECT_TRUE(hit->stale);
}

TEST_F(CacheTest, AbsoluteTtlIsAPointInTime) {
  ResolverCache cache(Options(), clock_, metrics_);
  uint32_t at = static_cast<uint32_t>(absl::ToUnixSeconds(clock_.Now()) + 10);
  ASSERT_TRUE(cache.Insert("k", Success({Value(1, 86400), Value(2, at, TtlType::kAbsolute)})));
  clock_.Advance(absl::Seconds(9));
  EXPECT_FALSE(cache.Lookup("k")->stale);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(cache.Lookup("k")->stale);
  // An absolute TTL already past: not kept at all.
  uint32_t past = static_cast<uint32_t>(absl::ToUnixSeconds(clock_.Now()) - 1);
  EXPECT_FALSE(cache.Insert("p", Success({Value(1, past, TtlType::kAbsolute)})));
  EXPECT_FALSE(cache.Lookup("p").has_value());
  // Nor is a zero TTL.
  EXPECT_FALSE(cache.Insert("z", Success({Value(1, 0)})));
}

TEST_F(CacheTest, NegativeAnswersLiveForNegativeTtl) {
  ResolverCache cache(Options(), clock_, metrics_);
  CachedAnswer nf;
  nf.code = ResponseCode::kHandleNotFound;
  nf.message = "handle not found";
  ASSERT_TRUE(cache.Insert("nf", nf));
  CachedAnswer referral;
  referral.code = ResponseCode::kPrefixReferral;
  referral.values = {Value(1, 86400)};  // its own TTL does not count
  ASSERT_TRUE(cache.Insert("ref", referral));
  CachedAnswer busy;
  busy.code = ResponseCode::kServerBusy;
  EXPECT_FALSE(cache.Insert("busy", busy));

  clock_.Advance(absl::Seconds(29));
  EXPECT_EQ(cache.Lookup("nf")->answer, nf);
  EXPECT_FALSE(cache.Lookup("ref")->stale);
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(cache.Lookup("nf")->stale);
  EXPECT_TRUE(cache.Lookup("ref")->stale);
}

TEST_F(CacheTest, StaleEntriesGoAfterMaxStale) {
  ResolverCache cache(Options(), clock_, metrics_);
  ASSERT_TRUE(cache.Insert("k", Success({Value(1, 10)})));
  clock_.Advance(absl::Seconds(109));
  ASSERT_TRUE(cache.Lookup("k").has_value());
  clock_.Advance(absl::Seconds(1));
  EXPECT_FALSE(cache.Lookup("k").has_value());
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST_F(CacheTest, ZeroMaxStaleDropsAtExpiry) {
  CacheOptions o = Options();
  o.max_stale = absl::ZeroDuration();
  ResolverCache cache(o, clock_, metrics_);
  ASSERT_TRUE(cache.Insert("k", Success({Value(1, 10)})));
  clock_.Advance(absl::Seconds(10));
  EXPECT_FALSE(cache.Lookup("k").has_value());
}

TEST_F(CacheTest, PrefetchFlaggedOnceForPopularEntriesNearExpiry) {
  ResolverCache cache(Options(), clock_, metrics_);
  ASSERT_TRUE(cache.Insert("hot", Success({Value(1, 100)})));
  ASSERT_TRUE(cache.Insert("cold", Success({Value(1, 100)})));
  // Popular but far from expiry: no prefetch.
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(cache.Lookup("hot")->prefetch);
  clock_.Advance(absl::Seconds(91));  // 9 s of 100 left: under 10%
  EXPECT_TRUE(cache.Lookup("hot")->prefetch);
  EXPECT_FALSE(cache.Lookup("hot")->prefetch);  // only once
  // Near expiry but looked up fewer than 3 times: no prefetch.
  EXPECT_FALSE(cache.Lookup("cold")->prefetch);
  EXPECT_FALSE(cache.Lookup("cold")->prefetch);
  // Replacing the entry starts over.
  ASSERT_TRUE(cache.Insert("hot", Success({Value(1, 100)})));
  clock_.Advance(absl::Seconds(95));
  EXPECT_FALSE(cache.Lookup("hot")->prefetch);
  EXPECT_FALSE(cache.Lookup("hot")->prefetch);
  EXPECT_TRUE(cache.Lookup("hot")->prefetch);
}

TEST_F(CacheTest, CountsHitsMissesAndEvictions) {
  CacheOptions o = Options();
  o.shards = 1;
  CachedAnswer a = Success({Value(1, 100)});
  o.max_bytes = ResolverCache::ChargeOf("k1", a) * 2;  // room for two
  ResolverCache cache(o, clock_, metrics_);
  ASSERT_TRUE(cache.Insert("k1", a));
  ASSERT_TRUE(cache.Insert("k2", a));
  ASSERT_TRUE(cache.Lookup("k1").has_value());  // k2 is now least recent
  ASSERT_TRUE(cache.Insert("k3", a));
  EXPECT_FALSE(cache.Lookup("k2").has_value());
  EXPECT_TRUE(cache.Lookup("k1").has_value());
  EXPECT_TRUE(cache.Lookup("k3").has_value());
  EXPECT_EQ(metrics_.GetCounter("qilian_resolver_cache_hits_total", "").value(), 3u);
  EXPECT_EQ(metrics_.GetCounter("qilian_resolver_cache_misses_total", "").value(), 1u);
  EXPECT_EQ(metrics_.GetCounter("qilian_resolver_cache_evictions_total", "").value(), 1u);
  EXPECT_EQ(metrics_.GetGauge("qilian_resolver_cache_entries", "").value(), 2);
  EXPECT_EQ(static_cast<size_t>(metrics_.GetGauge("qilian_resolver_cache_bytes", "").value()),
            cache.bytes());
  std::string rendered = metrics_.RenderPrometheus();
  EXPECT_NE(rendered.find("qilian_resolver_cache_evictions_total 1"), std::string::npos);
}

TEST_F(CacheTest, TooLargeForAShardIsNotKept) {
  CacheOptions o = Options();
  o.max_bytes = 4096;
  o.shards = 4;
  ResolverCache cache(o, clock_, metrics_);
  HandleValue big = Value(1, 100);
  big.data.assign(2000, 'x');
  EXPECT_FALSE(cache.Insert("big", Success({big})));
  EXPECT_EQ(cache.bytes(), 0u);
}

size_t HeapInUse() { return mallinfo2().uordblks; }

// The bound: 100k distinct names into a 4 MiB cache. The charge never
// exceeds the configured bytes, and the heap the cache really holds is
// no more than what it charges (the charge is conservative).
TEST_F(CacheTest, StaysWithinConfiguredBytesUnder100kDistinctNames) {
  CacheOptions o = Options();
  o.max_bytes = 4 << 20;
  o.shards = 16;
  size_t heap_before = HeapInUse();
  auto cache = std::make_unique<ResolverCache>(o, clock_, metrics_);
  size_t max_seen = 0;
  for (int i = 0; i < 100000; ++i) {
    CachedAnswer a;
    a.handle = absl::StrCat("88.999.", i % 97, "/DEVICE-SERIAL-NUMBER-", i);
    HandleValue v = Value(1, 3600);
    v.data = absl::StrCat("https://factory.example.com/devices/", i, "/passport");
    HandleValue w = Value(2, 3600);
    w.type = "EMAIL";
    w.data = "ops@example.com";
    w.references.push_back({absl::StrCat("88.999/REF-", i, "-OWNER-RECORD"), 300});
    a.values = {v, w};
    std::string key = absl::StrCat("A|", a.handle, "||");
    cache->Insert(key, std::move(a));
    if (i % 1000 == 0) max_seen = std::max(max_seen, cache->bytes());
  }
  max_seen = std::max(max_seen, cache->bytes());
  EXPECT_LE(max_seen, o.max_bytes);
  EXPECT_GT(cache->bytes(), o.max_bytes / 2);  // it did fill up
  EXPECT_LT(cache->entries(), 100000u);
  EXPECT_GT(metrics_.GetCounter("qilian_resolver_cache_evictions_total", "").value(), 50000u);
  size_t heap_after = HeapInUse();
  ASSERT_GE(heap_after, heap_before);
  // Allow the fixed shard objects and empty-table slack.
  EXPECT_LE(heap_after - heap_before, cache->bytes() + 64 * 1024)
      << "charged " << cache->bytes() << " but the heap grew by " << heap_after - heap_before;
  cache.reset();
}

TEST(CacheChargeTest, CountsKeyValuesAndReferences) {
  CachedAnswer a;
  size_t empty = ResolverCache::ChargeOf("k", a);
  a.values.push_back(HandleValue{});
  a.values[0].data.assign(1000, 'x');
  a.values.shrink_to_fit();
  size_t one = ResolverCache::ChargeOf("k", a);
  EXPECT_GE(one - empty, 1000u + sizeof(HandleValue));
  a.values[0].references.push_back({std::string(100, 'r'), 1});
  EXPECT_GE(ResolverCache::ChargeOf("k", a) - one, 100u + sizeof(ValueReference));
  EXPECT_GE(ResolverCache::ChargeOf(std::string(500, 'k'), CachedAnswer{}) - empty, 1000u);
}

}  // namespace
}  // namespace qilian::ident::resolver
