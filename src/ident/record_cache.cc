#include "ident/record_cache.h"

#include <functional>
#include <list>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace qilian::ident {
namespace {
constexpr size_t kShards = 16;
}  // namespace

struct RecordCache::Shard {
  struct Entry {
    std::string key;
    std::string bytes;
  };
  mutable std::mutex mu;
  std::list<Entry> lru;  // front = most recently used
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index;
  size_t bytes = 0;
  uint64_t generation = 0;
};

RecordCache::RecordCache(size_t capacity_bytes, MetricsRegistry* metrics)
    : capacity_bytes_(capacity_bytes), shards_(std::make_unique<Shard[]>(kShards)) {
  if (metrics != nullptr) {
    hits_ = &metrics->GetCounter("qilian_record_cache_hits_total",
                                 "Resolutions answered from the record cache");
    misses_ = &metrics->GetCounter("qilian_record_cache_misses_total",
                                   "Resolutions that read the store");
    evictions_ = &metrics->GetCounter("qilian_record_cache_evictions_total",
                                      "Records evicted from the record cache to stay in bounds");
    metrics->AddCollector([this, metrics] {
      metrics->GetGauge("qilian_record_cache_bytes", "Bytes held by the record cache")
          .Set(static_cast<int64_t>(bytes()));
    });
  }
}

RecordCache::~RecordCache() = default;

RecordCache::Shard& RecordCache::ShardFor(const std::string& key) const {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

bool RecordCache::Lookup(const std::string& key, std::string* bytes) {
  if (!enabled()) return false;
  Shard& shard = ShardFor(key);
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.index.find(key);
    if (it != shard.index.end()) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
      *bytes = it->second->bytes;
      if (hits_) hits_->Inc();
      return true;
    }
  }
  if (misses_) misses_->Inc();
  return false;
}

uint64_t RecordCache::Generation(const std::string& key) const {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  return shard.generation;
}

void RecordCache::Insert(const std::string& key, std::string_view bytes, uint64_t generation) {
  if (!enabled()) return;
  const size_t cost = key.size() + bytes.size() + kEntryOverhead;
  const size_t shard_capacity = capacity_bytes_ / kShards;
  if (cost > shard_capacity) return;  // would evict everything else
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  if (shard.generation != generation || shard.index.contains(key)) return;
  shard.lru.push_front(Shard::Entry{key, std::string(bytes)});
  shard.index[key] = shard.lru.begin();
  shard.bytes += cost;
  while (shard.bytes > shard_capacity) {
    const Shard::Entry& victim = shard.lru.back();
    shard.bytes -= victim.key.size() + victim.bytes.size() + kEntryOverhead;
    shard.index.erase(victim.key);
    shard.lru.pop_back();
    if (evictions_) evictions_->Inc();
  }
}

void RecordCache::Invalidate(const std::string& key) {
  if (!enabled()) return;
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  ++shard.generation;
  auto it = shard.index.find(key);
  if (it == shard.index.end()) return;
  shard.bytes -= it->second->key.size() + it->second->bytes.size() + kEntryOverhead;
  shard.lru.erase(it->second);
  shard.index.erase(it);
}

size_t RecordCache::bytes() const {
  size_t total = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    total += shards_[i].bytes;
  }
  return total;
}

}  // namespace qilian::ident
