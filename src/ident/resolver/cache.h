// The resolver's answer cache: what upstream servers said, kept for as long
// as the values' TTLs allow, in a bounded amount of memory.
//
// - Lifetime: a positive answer lives until the earliest expiry among its
//   values (relative TTL from the time it was stored; absolute TTL as the
//   Unix time it names), capped at `max_ttl`. Not-found answers (100, 200)
//   and referrals (302/303 with the site they point to) live for
//   `negative_ttl`. An answer already expired when stored is not kept.
// - Memory: each entry is charged conservatively (key, handle, values,
//   references, container and allocator overhead); each of the `shards`
//   shards keeps its charge within max_bytes / shards by evicting its least
//   recently used entries, so the total never exceeds `max_bytes`.
// - Serve-stale: an expired entry is kept (until evicted) for `max_stale`
//   more, and Lookup returns it marked stale so that the resolver can use
//   it when no upstream answers.
// - Prefetch: a fresh entry looked up at least `prefetch_min_hits` times
//   whose remaining lifetime is under `prefetch_fraction` of its whole
//   lifetime is flagged once, so that the resolver refreshes it before it
//   expires and popular names never miss.
//
// The clock is injected (core/clock.h); the cache itself never sleeps.
#ifndef QILIAN_IDENT_RESOLVER_CACHE_H_
#define QILIAN_IDENT_RESOLVER_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "ident/handle_value.h"
#include "ident/response_code.h"

namespace qilian::ident::resolver {

struct CachedAnswer {
  ResponseCode code = ResponseCode::kSuccess;  // 1, 100, 200, 302, 303
  std::string handle;
  std::vector<HandleValue> values;  // success: the values; referral: where to go
  std::string message;              // not-found: the upstream's message
  bool operator==(const CachedAnswer&) const = default;
};

struct CacheOptions {
  size_t max_bytes = 64 << 20;
  size_t shards = 16;
  absl::Duration negative_ttl = absl::Seconds(60);
  absl::Duration max_ttl = absl::Hours(24);
  absl::Duration max_stale = absl::Hours(1);  // zero: never serve stale
  uint32_t prefetch_min_hits = 8;             // zero: never prefetch
  double prefetch_fraction = 0.1;
};

class ResolverCache {
 public:
  ResolverCache(CacheOptions options, const Clock& clock, MetricsRegistry& metrics);
  ~ResolverCache();

  struct Hit {
    CachedAnswer answer;
    bool stale = false;     // past its lifetime, within max_stale
    bool prefetch = false;  // refresh it now (reported once per stored answer)
  };

  // A fresh entry (counted as a hit) or a stale one (counted as a miss,
  // since the caller must still ask upstream); nullopt for none (a miss).
  std::optional<Hit> Lookup(std::string_view key);

  // Stores (or replaces) the answer under `key`. False when it is not kept:
  // expired already, not a cacheable code, or larger than a shard's budget.
  bool Insert(std::string_view key, CachedAnswer answer);

  void Erase(std::string_view key);

  // The current total charge and number of entries.
  size_t bytes() const;
  size_t entries() const;

  // When `answer`, stored at `now`, stops being fresh; nullopt when it is
  // not cacheable (wrong code, already expired).
  static std::optional<absl::Time> ExpiryOf(const CachedAnswer& answer, absl::Time now,
                                            const CacheOptions& options);
  // The bytes an entry is charged.
  static size_t ChargeOf(std::string_view key, const CachedAnswer& answer);

 private:
  struct Shard;
  Shard& ShardFor(std::string_view key);

  CacheOptions options_;
  const Clock& clock_;
  size_t shard_budget_;
  std::vector<std::unique_ptr<Shard>> shards_;
  Counter& hits_;
  Counter& misses_;
  Counter& evictions_;
  Gauge& bytes_gauge_;
  Gauge& entries_gauge_;
};

}  // namespace qilian::ident::resolver

#endif  // QILIAN_IDENT_RESOLVER_CACHE_H_
