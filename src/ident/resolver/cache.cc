#include "ident/resolver/cache.h"

#include <algorithm>
#include <functional>
#include <list>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"

namespace qilian::ident::resolver {
namespace {

// What a std::string costs on the heap beyond its own object: nothing while
// it fits the small-string buffer, else its capacity plus terminator plus
// the allocator's header and rounding (at most 8 + 15 octets in glibc).
size_t HeapString(const std::string& s) {
  return s.capacity() > 15 ? s.capacity() + 1 + 32 : 0;
}

template <typename T>
size_t HeapVector(const std::vector<T>& v) {
  return v.capacity() == 0 ? 0 : v.capacity() * sizeof(T) + 32;
}

bool IsCacheable(ResponseCode code) {
  switch (code) {
    case ResponseCode::kSuccess:
    case ResponseCode::kHandleNotFound:
    case ResponseCode::kValuesNotFound:
    case ResponseCode::kServiceReferral:
    case ResponseCode::kPrefixReferral:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct ResolverCache::Shard {
  struct Entry {
    std::string key;
    CachedAnswer answer;
    absl::Time stored;
    absl::Time expiry;
    size_t charge = 0;
    uint32_t hits = 0;
    bool prefetch_reported = false;
  };
  std::mutex mu;
  std::list<Entry> lru;  // front: most recently used
  absl::flat_hash_map<std::string, std::list<Entry>::iterator> index;
  size_t bytes = 0;
};

// Per entry, beyond its strings and vectors: the list node (entry, two
// links, allocator header) and the hash-table slot. A flat_hash_map slot
// is a key string, an iterator and a control byte; the table runs between
// 7/16 and 7/8 full, so an entry can cost up to 16/7 slots.
size_t ResolverCache::ChargeOf(std::string_view key, const CachedAnswer& answer) {
  size_t node = sizeof(Shard::Entry) + 2 * sizeof(void*) + 32;
  size_t slot = sizeof(std::string) + sizeof(void*) + 1;
  std::string k(key);
  size_t n = node + (slot * 16 + 6) / 7 + 2 * HeapString(k);  // the entry's key and the index's
  n += HeapString(answer.handle) + HeapString(answer.message) + HeapVector(answer.values);
  for (const HandleValue& v : answer.values) {
    n += HeapString(v.type) + HeapString(v.data) + HeapVector(v.references);
    for (const ValueReference& r : v.references) n += HeapString(r.handle);
  }
  return n;
}

std::optional<absl::Time> ResolverCache::ExpiryOf(const CachedAnswer& answer, absl::Time now,
                                                  const CacheOptions& options) {
  if (!IsCacheable(answer.code)) return std::nullopt;
  absl::Time expiry = now + options.max_ttl;
  if (answer.code != ResponseCode::kSuccess || answer.values.empty()) {
    expiry = std::min(expiry, now + options.negative_ttl);
  } else {
    for (const HandleValue& v : answer.values) {
      absl::Time t = v.ttl_type == TtlType::kAbsolute ? absl::FromUnixSeconds(v.ttl)
                                                       : now + absl::Seconds(v.ttl);
      expiry = std::min(expiry, t);
    }
  }
  if (expiry <= now) return std::nullopt;
  return expiry;
}

ResolverCache::ResolverCache(CacheOptions options, const Clock& clock, MetricsRegistry& metrics)
    : options_(options),
      clock_(clock),
      hits_(metrics.GetCounter("qilian_resolver_cache_hits_total",
                               "Resolver cache lookups answered from a fresh entry.")),
      misses_(metrics.GetCounter("qilian_resolver_cache_misses_total",
                                 "Resolver cache lookups with no fresh entry.")),
      evictions_(metrics.GetCounter("qilian_resolver_cache_evictions_total",
                                    "Resolver cache entries evicted to stay within cache_bytes.")),
      bytes_gauge_(metrics.GetGauge("qilian_resolver_cache_bytes",
                                    "Bytes charged to resolver cache entries.")),
      entries_gauge_(metrics.GetGauge("qilian_resolver_cache_entries",
                                      "Entries in the resolver cache.")) {
  if (options_.shards == 0) options_.shards = 1;
  shard_budget_ = options_.max_bytes / options_.shards;
  for (size_t i = 0; i < options_.shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

ResolverCache::~ResolverCache() = default;

ResolverCache::Shard& ResolverCache::ShardFor(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

std::optional<ResolverCache::Hit> ResolverCache::Lookup(std::string_view key) {
  Shard& shard = ShardFor(key);
  absl::Time now = clock_.Now();
  std::lock_guard lock(shard.mu);
  auto it = shard.index.find(std::string(key));
  if (it == shard.index.end()) {
    misses_.Inc();
    return std::nullopt;
  }
  Shard::Entry& e = *it->second;
  if (now >= e.expiry + options_.max_stale) {
    shard.bytes -= e.charge;
    bytes_gauge_.Add(-static_cast<int64_t>(e.charge));
    entries_gauge_.Add(-1);
    shard.lru.erase(it->second);
    shard.index.erase(it);
    misses_.Inc();
    return std::nullopt;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  Hit hit;
  hit.answer = e.answer;
  if (now >= e.expiry) {
    hit.stale = true;
    misses_.Inc();
    return hit;
  }
  hits_.Inc();
  ++e.hits;
  if (options_.prefetch_min_hits > 0 && !e.prefetch_reported &&
      e.hits >= options_.prefetch_min_hits &&
      (e.expiry - now) < (e.expiry - e.stored) * options_.prefetch_fraction) {
    e.prefetch_reported = true;
    hit.prefetch = true;
  }
  return hit;
}

bool ResolverCache::Insert(std::string_view key, CachedAnswer answer) {
  absl::Time now = clock_.Now();
  std::optional<absl::Time> expiry = ExpiryOf(answer, now, options_);
  if (!expiry) return false;
  answer.values.shrink_to_fit();
  size_t charge = ChargeOf(key, answer);
  if (charge > shard_budget_) return false;
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  std::string k(key);
  if (auto it = shard.index.find(k); it != shard.index.end()) {
    shard.bytes -= it->second->charge;
    bytes_gauge_.Add(-static_cast<int64_t>(it->second->charge));
    entries_gauge_.Add(-1);
    shard.lru.erase(it->second);
    shard.index.erase(it);
  }
  while (shard.bytes + charge > shard_budget_ && !shard.lru.empty()) {
    Shard::Entry& victim = shard.lru.back();
    shard.bytes -= victim.charge;
    bytes_gauge_.Add(-static_cast<int64_t>(victim.charge));
    entries_gauge_.Add(-1);
    evictions_.Inc();
    shard.index.erase(victim.key);
    shard.lru.pop_back();
  }
  shard.lru.push_front(Shard::Entry{k, std::move(answer), now, *expiry, charge, 0, false});
  shard.index.emplace(std::move(k), shard.lru.begin());
  shard.bytes += charge;
  bytes_gauge_.Add(static_cast<int64_t>(charge));
  entries_gauge_.Add(1);
  return true;
}

void ResolverCache::Erase(std::string_view key) {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.index.find(std::string(key));
  if (it == shard.index.end()) return;
  shard.bytes -= it->second->charge;
  bytes_gauge_.Add(-static_cast<int64_t>(it->second->charge));
  entries_gauge_.Add(-1);
  shard.lru.erase(it->second);
  shard.index.erase(it);
}

size_t ResolverCache::bytes() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += s->bytes;
  }
  return n;
}

size_t ResolverCache::entries() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += s->lru.size();
  }
  return n;
}

}  // namespace qilian::ident::resolver
