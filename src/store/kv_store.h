// The storage interface every Qilian module writes through.
//
// A KvStore holds several key spaces (one per module: RocksDB column
// families in the embedded backend, tables in the SQL one), each an ordered
// map from byte-string keys to byte-string values. Writes are atomic batches
// and durable when Write returns OK: the embedded backend syncs its WAL
// before acknowledging, and concurrent writers share one sync (group commit).
// Reads see committed data; a Snapshot gives a consistent view over many
// reads.
//
// Errors: NotFound from Get when the key is absent; InvalidArgument for an
// undeclared space; anything else (Internal, Unavailable, DataLoss) is a
// storage failure to be reported, never retried silently.
#ifndef QILIAN_STORE_KV_STORE_H_
#define QILIAN_STORE_KV_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace qilian::store {

// An atomic group of puts and deletes, possibly across spaces.
class WriteBatch {
 public:
  enum class OpKind { kPut, kDelete };
  struct Op {
    OpKind kind;
    std::string space;
    std::string key;
    std::string value;  // empty for deletes
  };

  void Put(std::string_view space, std::string_view key, std::string_view value) {
    ops_.push_back({OpKind::kPut, std::string(space), std::string(key), std::string(value)});
  }
  // Put, taking the value's buffer instead of copying it (a big value).
  void PutOwned(std::string_view space, std::string_view key, std::string value) {
    ops_.push_back({OpKind::kPut, std::string(space), std::string(key), std::move(value)});
  }
  void Delete(std::string_view space, std::string_view key) {
    ops_.push_back({OpKind::kDelete, std::string(space), std::string(key), {}});
  }
  // Adds `other`'s operations after this batch's own.
  void Append(const WriteBatch& other) {
    ops_.insert(ops_.end(), other.ops_.begin(), other.ops_.end());
  }
  void Append(WriteBatch&& other) {
    if (ops_.empty()) {
      ops_ = std::move(other.ops_);
    } else {
      ops_.insert(ops_.end(), std::make_move_iterator(other.ops_.begin()),
                  std::make_move_iterator(other.ops_.end()));
    }
    other.ops_.clear();
  }
  const std::vector<Op>& ops() const { return ops_; }
  bool empty() const { return ops_.empty(); }
  size_t size() const { return ops_.size(); }

 private:
  std::vector<Op> ops_;
};

// Called for each key of a scan in ascending byte order; return false to stop.
using ScanVisitor = std::function<bool(std::string_view key, std::string_view value)>;

// Read operations shared by a live store and a snapshot of it.
class KvReader {
 public:
  virtual ~KvReader() = default;

  // Sets *value and returns OK, or returns NotFound if the key is absent.
  virtual absl::Status Get(std::string_view space, std::string_view key,
                           std::string* value) const = 0;

  // Visits the keys of `space` that begin with `prefix`, in ascending order,
  // starting at the first key >= `start` (an empty `start` means the start of
  // the prefix). Stops at the end of the prefix or when `visit` returns false.
  virtual absl::Status Scan(std::string_view space, std::string_view prefix,
                            std::string_view start, const ScanVisitor& visit) const = 0;
};

// A consistent, read-only view of the store at the moment it was taken.
class KvSnapshot : public KvReader {};

class KvStore : public KvReader {
 public:
  // Applies every operation of `batch` or none of them. On OK the batch is
  // durable (survives kill -9 and, with a synced WAL, power loss).
  virtual absl::Status Write(const WriteBatch& batch) = 0;

  virtual std::unique_ptr<KvSnapshot> Snapshot() const = 0;

  // Approximate bytes of memory held by caches and write buffers (for
  // /metrics and the RSS budget).
  virtual uint64_t ApproximateMemoryUsage() const = 0;

  // Rewrites the stored data so that deleted and overwritten keys no longer
  // take space (RocksDB: flush, then a full compaction of every space).
  // Slow: for operators and benchmarks, not for request paths. The memory
  // store has nothing to do.
  virtual absl::Status Compact() { return absl::OkStatus(); }

  // Conveniences over Write.
  absl::Status Put(std::string_view space, std::string_view key, std::string_view value) {
    WriteBatch b;
    b.Put(space, key, value);
    return Write(b);
  }
  absl::Status Delete(std::string_view space, std::string_view key) {
    WriteBatch b;
    b.Delete(space, key);
    return Write(b);
  }
};

// Key spaces are declared when a store is opened; using any other is an
// InvalidArgument error.
struct StoreOptions {
  std::vector<std::string> spaces;
};

}  // namespace qilian::store

#endif  // QILIAN_STORE_KV_STORE_H_
