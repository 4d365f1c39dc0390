// The embedded KvStore backend: one RocksDB database, one column family per
// key space. This is what `qiliand` runs on by default.
//
// Durability: with sync_writes (the default) Write returns OK only after the
// WAL is fsynced, so an acknowledged write survives kill -9 and power loss.
// Concurrent writers are batched by RocksDB into one WAL append and one
// fsync (group commit), so the sync costs little under load.
//
// Memory is bounded by the options: one LRU block cache shared by every
// column family (index and filter blocks included), plus the memtables,
// whose total is capped across all column families.
#ifndef QILIAN_STORE_ROCKSDB_STORE_H_
#define QILIAN_STORE_ROCKSDB_STORE_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/kv_store.h"

namespace rocksdb {
class Status;
}  // namespace rocksdb

namespace qilian::store {

struct RocksDbOptions {
  // Database directory; created (with its parents) if missing.
  std::string path;
  // Key spaces, one column family each. Missing ones are created. Column
  // families already on disk but not listed are opened (RocksDB requires it)
  // but are not usable through the store.
  std::vector<std::string> spaces;
  // LRU block cache shared by all column families.
  size_t block_cache_bytes = size_t{64} << 20;
  // Memtable size per column family. The total across all column families
  // is capped at twice this (db_write_buffer_size): past it RocksDB flushes
  // the largest memtable, however many spaces there are.
  size_t write_buffer_bytes = size_t{32} << 20;
  // fsync the WAL before Write returns. Only tests and bulk loads that can
  // redo their work should turn this off.
  bool sync_writes = true;
  // Bounds the file descriptors held by the table cache.
  int max_open_files = 256;
  // RocksDB's pipelined write lets the next writer group append to the WAL
  // while the previous one fills memtables. Measured on the 2-core dev box
  // with synced writes it made no difference (the fsync dominates), so it
  // stays off; see docs/storage-engine.md.
  bool pipelined_write = false;
  // Spaces written without block compression and with their own memtable
  // size (0: write_buffer_bytes): for short-lived, already compressed or
  // incompressible values, such as the time-series engine's write-ahead
  // records, whose snappy costs CPU on every flush and every read of the
  // SST blocks they share. Must also be in `spaces`.
  std::vector<std::string> uncompressed_spaces;
  size_t uncompressed_write_buffer_bytes = 0;
};

// Opens (creating if needed) the database at options.path.
absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksDbStore(const RocksDbOptions& options);

namespace internal {
// NotFound -> NotFound, Corruption -> DataLoss, IOError -> Unavailable,
// anything else -> Internal; the message is RocksDB's. Exposed for tests.
absl::Status FromRocksDbStatus(const rocksdb::Status& status);
}  // namespace internal

}  // namespace qilian::store

#endif  // QILIAN_STORE_ROCKSDB_STORE_H_
