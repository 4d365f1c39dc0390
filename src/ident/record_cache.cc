#include "ident/record_cache.h"

#include <deque>
#include <functional>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/container/node_hash_map.h"

namespace qilian::ident {
namespace {
constexpr size_t kShards = 16;
}  // namespace

// A node map keeps each key and its bytes in one allocation, so a hit costs
// one probe and one node; the FIFO of keys drives second-chance eviction
// without touching anything on a hit but the entry's mark.
struct RecordCache::Shard {
  struct Entry {
    std::string bytes;
    bool referenced = false;
  };
  mutable std::mutex mu;
  absl::node_hash_map<std::string, Entry> entries;
  // Keys in insertion order. A key invalidated (or evicted and inserted
  // again) may appear more than once; eviction skips keys not cached.
  std::deque<std::string> fifo;
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

bool RecordCache::Lookup(const std::string& key,
                         absl::FunctionRef<void(std::string_view bytes)> use) {
  if (!enabled()) return false;
  Shard& shard = ShardFor(key);
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.entries.find(key);
    if (it != shard.entries.end()) {
      it->second.referenced = true;
      use(it->second.bytes);
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
  if (shard.generation != generation) return;
  auto [it, inserted] = shard.entries.try_emplace(key, Shard::Entry{std::string(bytes)});
  if (!inserted) return;
  shard.fifo.push_back(key);
  shard.bytes += cost;
  while (shard.bytes > shard_capacity && !shard.fifo.empty()) {
    std::string victim = std::move(shard.fifo.front());
    shard.fifo.pop_front();
    auto v = shard.entries.find(victim);
    if (v == shard.entries.end()) continue;  // invalidated since
    if (v->second.referenced) {              // read since it was last here
      v->second.referenced = false;
      shard.fifo.push_back(std::move(victim));
      continue;
    }
    shard.bytes -= victim.size() + v->second.bytes.size() + kEntryOverhead;
    shard.entries.erase(v);
    if (evictions_) evictions_->Inc();
  }
  // Stale keys from invalidations must not grow the queue without bound.
  if (shard.fifo.size() > 2 * shard.entries.size() + 64) {
    std::deque<std::string> live;
    absl::flat_hash_set<std::string> seen;
    for (auto& k : shard.fifo) {
      if (shard.entries.contains(k) && seen.insert(k).second) live.push_back(std::move(k));
    }
    shard.fifo.swap(live);
  }
}

void RecordCache::Invalidate(const std::string& key) {
  if (!enabled()) return;
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  ++shard.generation;
  auto it = shard.entries.find(key);
  if (it == shard.entries.end()) return;
  shard.bytes -= key.size() + it->second.bytes.size() + kEntryOverhead;
  shard.entries.erase(it);
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
