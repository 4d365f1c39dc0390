#include "ident/record_cache.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "ident/registry.h"
#include "store/memory_store.h"

namespace qilian::ident {
namespace {

// The cached bytes of `key`, or nullopt.
std::optional<std::string> Cached(RecordCache& cache, const std::string& key) {
  std::optional<std::string> out;
  cache.Lookup(key, [&out](std::string_view bytes) { out = std::string(bytes); });
  return out;
}

TEST(RecordCacheTest, HitAfterInsert) {
  RecordCache cache(1 << 20, nullptr);
  EXPECT_EQ(Cached(cache, "88.999/A"), std::nullopt);
  cache.Insert("88.999/A", "record-a", cache.Generation("88.999/A"));
  EXPECT_EQ(Cached(cache, "88.999/A"), "record-a");
}

// A reader that read the store before a writer's commit must not insert
// its (now stale) bytes after the writer invalidated the key.
TEST(RecordCacheTest, InsertAfterInvalidationIsDropped) {
  RecordCache cache(1 << 20, nullptr);
  uint64_t generation = cache.Generation("88.999/A");
  cache.Invalidate("88.999/A");  // a writer committed in between
  cache.Insert("88.999/A", "stale", generation);
  EXPECT_EQ(Cached(cache, "88.999/A"), std::nullopt);
}

TEST(RecordCacheTest, InvalidateDropsTheEntry) {
  RecordCache cache(1 << 20, nullptr);
  cache.Insert("k", "v", cache.Generation("k"));
  cache.Invalidate("k");
  EXPECT_EQ(Cached(cache, "k"), std::nullopt);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(RecordCacheTest, StaysWithinItsCapacity) {
  const size_t capacity = 64 * 1024;
  RecordCache cache(capacity, nullptr);
  const std::string value(200, 'x');
  for (int i = 0; i < 10000; ++i) {
    std::string key = "88.999/K-" + std::to_string(i);
    cache.Insert(key, value, cache.Generation(key));
  }
  EXPECT_LE(cache.bytes(), capacity);
  EXPECT_GT(cache.bytes(), capacity / 2);  // it does hold records
  EXPECT_NE(Cached(cache, "88.999/K-9999"), std::nullopt);  // the newest survive
  EXPECT_EQ(Cached(cache, "88.999/K-0"), std::nullopt);     // the oldest went
}

// Second chance: an entry read since it was inserted survives a round of
// eviction that takes the unread ones.
TEST(RecordCacheTest, ReadEntriesGetASecondChance) {
  const size_t capacity = 16 * 1024;  // 1 KiB per shard
  RecordCache cache(capacity, nullptr);
  const std::string value(100, 'x');
  cache.Insert("88.999/HOT", value, cache.Generation("88.999/HOT"));
  for (int i = 0; i < 2000; ++i) {
    ASSERT_NE(Cached(cache, "88.999/HOT"), std::nullopt) << i;
    std::string key = "88.999/COLD-" + std::to_string(i);
    cache.Insert(key, value, cache.Generation(key));
  }
  EXPECT_NE(Cached(cache, "88.999/HOT"), std::nullopt);
  EXPECT_EQ(Cached(cache, "88.999/COLD-0"), std::nullopt);
  EXPECT_LE(cache.bytes(), capacity);
}

TEST(RecordCacheTest, DisabledCacheHoldsNothing) {
  RecordCache cache(0, nullptr);
  cache.Insert("k", "v", cache.Generation("k"));
  EXPECT_EQ(Cached(cache, "k"), std::nullopt);
}

// Through the registry: every write is visible to the next resolution, so
// the cache never serves a record a write replaced or deleted.
TEST(RecordCacheTest, RegistryResolutionsSeeEveryWrite) {
  auto store = store::NewMemoryStore({{std::string(Registry::kSpace)}});
  FakeClock clock;
  Registry registry(store.get(), clock, RegistryOptions{});
  HandleValue url{.index = 1, .type = "URL", .data = "https://a"};
  ASSERT_TRUE(registry.Create("88.999/C", {url}).ok());
  ASSERT_EQ(registry.Get("88.999/C", {})->values.at(0).data, "https://a");  // now cached
  url.data = "https://b";
  ASSERT_TRUE(registry.Replace("88.999/C", {url}, true).ok());
  EXPECT_EQ(registry.Get("88.999/C", {})->values.at(0).data, "https://b");
  HandleValue email{.index = 2, .type = "EMAIL", .data = "a@example.org"};
  ASSERT_TRUE(registry.AddValues("88.999/C", {email}).ok());
  EXPECT_EQ(registry.Get("88.999/C", {})->values.size(), 2u);
  ASSERT_TRUE(registry.RemoveValues("88.999/C", {2}).ok());
  EXPECT_EQ(registry.Get("88.999/C", {})->values.size(), 1u);
  ASSERT_TRUE(registry.Delete("88.999/C").ok());
  EXPECT_EQ(registry.Get("88.999/C", {}).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace qilian::ident
