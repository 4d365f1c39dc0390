// A bounded cache of stored handle records (their encoded bytes) in front of
// the KvStore, for resolution: a hash lookup instead of a walk through the
// store's memtable and SST index, which was the largest cost of a native
// resolution. Only records that exist are cached (a negative answer is one
// store lookup and new keys need no invalidation).
//
// Consistency with writers: a writer invalidates the key after its write
// commits (under the registry's per-handle lock). A reader that missed takes
// a generation number before it reads the store and inserts only if no
// invalidation touched the key's shard since, so a value read before a
// commit can never be inserted after that commit's invalidation.
#ifndef QILIAN_IDENT_RECORD_CACHE_H_
#define QILIAN_IDENT_RECORD_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "core/metrics.h"

namespace qilian::ident {

class RecordCache {
 public:
  // `capacity_bytes` 0 disables the cache. Memory is accounted as key +
  // value + a fixed per-entry overhead. Eviction is second-chance FIFO
  // (CLOCK): a hit only marks the entry, so the hot path moves nothing; an
  // entry marked since it was last considered goes round again.
  RecordCache(size_t capacity_bytes, MetricsRegistry* metrics);
  ~RecordCache();

  bool enabled() const { return capacity_bytes_ > 0; }

  // Calls `use` with the cached bytes of `key` (under the shard's lock, so
  // `use` should only decode) and returns true; false on a miss.
  bool Lookup(const std::string& key, absl::FunctionRef<void(std::string_view bytes)> use);

  // The generation to pass to Insert, taken before reading the store.
  uint64_t Generation(const std::string& key) const;

  // Caches `bytes` unless `key` was invalidated since `generation`.
  void Insert(const std::string& key, std::string_view bytes, uint64_t generation);

  // Drops `key` and moves its shard's generation on. Call after a write to
  // `key` commits (or fails: the stored state is then unknown).
  void Invalidate(const std::string& key);

  size_t bytes() const;

  static constexpr size_t kEntryOverhead = 96;

 private:
  struct Shard;
  Shard& ShardFor(const std::string& key) const;

  size_t capacity_bytes_;
  std::unique_ptr<Shard[]> shards_;
  Counter* hits_ = nullptr;
  Counter* misses_ = nullptr;
  Counter* evictions_ = nullptr;
};

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_RECORD_CACHE_H_
