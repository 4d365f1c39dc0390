#include "store/rocksdb_store.h"

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "core/status.h"
#include "rocksdb/cache.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/slice.h"
#include "rocksdb/snapshot.h"
#include "rocksdb/status.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"

namespace qilian::store {

namespace internal {

absl::Status FromRocksDbStatus(const rocksdb::Status& status) {
  if (status.ok()) return absl::OkStatus();
  std::string message = status.ToString();
  switch (status.code()) {
    case rocksdb::Status::kNotFound:
      return absl::NotFoundError(message);
    case rocksdb::Status::kCorruption:
      return absl::DataLossError(message);
    case rocksdb::Status::kIOError:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace internal

namespace {

using internal::FromRocksDbStatus;
using SpaceMap = absl::flat_hash_map<std::string, rocksdb::ColumnFamilyHandle*>;

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

absl::Status UnknownSpace(std::string_view space) {
  // Same message as the memory store: callers and tests see one contract.
  return absl::InvalidArgumentError("unknown key space '" + std::string(space) + "'");
}

// The smallest key greater than every key starting with `prefix`, or empty
// when there is none (the prefix is empty or all 0xff bytes).
std::string PrefixSuccessor(std::string_view prefix) {
  std::string limit(prefix);
  while (!limit.empty()) {
    auto last = static_cast<unsigned char>(limit.back());
    if (last != 0xff) {
      limit.back() = static_cast<char>(last + 1);
      return limit;
    }
    limit.pop_back();
  }
  return limit;
}

// Reads shared by the store (snapshot == nullptr: latest data) and its
// snapshots.
class RocksDbReader {
 public:
  RocksDbReader(rocksdb::DB* db, const SpaceMap* spaces, const rocksdb::Snapshot* snapshot)
      : db_(db), spaces_(spaces), snapshot_(snapshot) {}

  absl::Status Get(std::string_view space, std::string_view key, std::string* value) const {
    auto it = spaces_->find(std::string(space));
    if (it == spaces_->end()) return UnknownSpace(space);
    rocksdb::ReadOptions read_options;
    read_options.snapshot = snapshot_;
    rocksdb::Status s = db_->Get(read_options, it->second, ToSlice(key), value);
    // The memory store's message, not RocksDB's "NotFound: ", so both
    // backends answer a missing key identically.
    if (s.IsNotFound()) return absl::NotFoundError("key not found");
    return FromRocksDbStatus(s);
  }

  absl::Status Scan(std::string_view space, std::string_view prefix, std::string_view start,
                    const ScanVisitor& visit) const {
    auto it = spaces_->find(std::string(space));
    if (it == spaces_->end()) return UnknownSpace(space);
    rocksdb::ReadOptions read_options;
    read_options.snapshot = snapshot_;
    // The upper bound lets RocksDB stop at the end of the prefix without
    // stepping into (and reading blocks of) the next key range.
    std::string limit = PrefixSuccessor(prefix);
    rocksdb::Slice limit_slice(limit);
    if (!limit.empty()) read_options.iterate_upper_bound = &limit_slice;
    std::unique_ptr<rocksdb::Iterator> iter(db_->NewIterator(read_options, it->second));
    std::string_view from = start.empty() || start < prefix ? prefix : start;
    for (iter->Seek(ToSlice(from)); iter->Valid(); iter->Next()) {
      std::string_view key = ToView(iter->key());
      if (!key.starts_with(prefix)) break;  // only reachable without a bound
      if (!visit(key, ToView(iter->value()))) break;
    }
    return FromRocksDbStatus(iter->status());
  }

 private:
  rocksdb::DB* db_;
  const SpaceMap* spaces_;
  const rocksdb::Snapshot* snapshot_;
};

// Must not outlive the store that created it.
class RocksDbSnapshot final : public KvSnapshot {
 public:
  RocksDbSnapshot(rocksdb::DB* db, const SpaceMap* spaces)
      : db_(db), snapshot_(db->GetSnapshot()), reader_(db, spaces, snapshot_) {}
  ~RocksDbSnapshot() override { db_->ReleaseSnapshot(snapshot_); }

  absl::Status Get(std::string_view space, std::string_view key,
                   std::string* value) const override {
    return reader_.Get(space, key, value);
  }
  absl::Status Scan(std::string_view space, std::string_view prefix, std::string_view start,
                    const ScanVisitor& visit) const override {
    return reader_.Scan(space, prefix, start, visit);
  }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  RocksDbReader reader_;
};

class RocksDbStore final : public KvStore {
 public:
  RocksDbStore(std::unique_ptr<rocksdb::DB> db, std::vector<rocksdb::ColumnFamilyHandle*> handles,
               SpaceMap spaces, std::shared_ptr<rocksdb::Cache> cache, bool sync_writes)
      : db_(std::move(db)),
        handles_(std::move(handles)),
        spaces_(std::move(spaces)),
        cache_(std::move(cache)),
        reader_(db_.get(), &spaces_, nullptr) {
    write_options_.sync = sync_writes;
  }

  ~RocksDbStore() override {
    for (auto* handle : handles_) db_->DestroyColumnFamilyHandle(handle);
    // With synced writes everything acknowledged is already in the WAL, so
    // a failed Close loses nothing that was promised.
    db_->Close().PermitUncheckedError();
  }

  absl::Status Get(std::string_view space, std::string_view key,
                   std::string* value) const override {
    return reader_.Get(space, key, value);
  }

  absl::Status Scan(std::string_view space, std::string_view prefix, std::string_view start,
                    const ScanVisitor& visit) const override {
    return reader_.Scan(space, prefix, start, visit);
  }

  absl::Status Write(const WriteBatch& batch) override {
    // Resolve every space before touching RocksDB, so a bad op rejects the
    // whole batch; the RocksDB batch itself is then applied atomically.
    rocksdb::WriteBatch rocks_batch;
    for (const auto& op : batch.ops()) {
      auto it = spaces_.find(op.space);
      if (it == spaces_.end()) return UnknownSpace(op.space);
      rocksdb::Status s = op.kind == WriteBatch::OpKind::kPut
                              ? rocks_batch.Put(it->second, op.key, op.value)
                              : rocks_batch.Delete(it->second, op.key);
      QL_RETURN_IF_ERROR(FromRocksDbStatus(s));
    }
    if (batch.empty()) return absl::OkStatus();
    // With sync = true each Write waits for its WAL fsync. RocksDB's write
    // thread turns concurrent callers into a writer group: the leader
    // appends every member's batch to the WAL and issues a single fsync for
    // the group, then all return (group commit). So N threads writing at
    // once cost roughly one fsync per group, not one per write.
    return FromRocksDbStatus(db_->Write(write_options_, &rocks_batch));
  }

  std::unique_ptr<KvSnapshot> Snapshot() const override {
    return std::make_unique<RocksDbSnapshot>(db_.get(), &spaces_);
  }

  absl::Status Compact() override {
    rocksdb::FlushOptions flush;
    flush.wait = true;
    rocksdb::CompactRangeOptions compact;
    compact.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    for (const auto& [name, handle] : spaces_) {
      if (rocksdb::Status s = db_->Flush(flush, handle); !s.ok()) return FromRocksDbStatus(s);
      if (rocksdb::Status s = db_->CompactRange(compact, handle, nullptr, nullptr); !s.ok()) {
        return FromRocksDbStatus(s);
      }
    }
    return absl::OkStatus();
  }

  uint64_t ApproximateMemoryUsage() const override {
    uint64_t total = cache_->GetUsage();
    uint64_t value = 0;
    // Live and immutable memtables (including ones pinned by iterators or
    // being flushed), summed over column families.
    if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kSizeAllMemTables, &value)) {
      total += value;
    }
    // Table readers outside the block cache (normally small: index and
    // filter blocks are charged to the cache).
    if (db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimateTableReadersMem,
                                      &value)) {
      total += value;
    }
    return total;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // every open CF, for Close
  SpaceMap spaces_;                                    // declared spaces only
  std::shared_ptr<rocksdb::Cache> cache_;
  rocksdb::WriteOptions write_options_;
  RocksDbReader reader_;
};

rocksdb::ColumnFamilyOptions MakeColumnFamilyOptions(const RocksDbOptions& options,
                                                     const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  cf.write_buffer_size = options.write_buffer_bytes;
  cf.max_write_buffer_number = 2;
  // The bottommost level holds most of the data and is rewritten least:
  // zstd there, snappy (cheaper) above.
  cf.bottommost_compression = rocksdb::kZSTD;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks live in (and are evicted from) the shared
  // cache, so memory stays bounded as the data grows; L0's are pinned so
  // fresh data does not thrash them.
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Most reads are point lookups of a single identifier.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return cf;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksDbStore(const RocksDbOptions& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("rocksdb path is empty");
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return absl::UnavailableError("cannot create " + options.path + ": " + ec.message());
  }

  auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_open_files = options.max_open_files;
  db_options.db_write_buffer_size = 2 * options.write_buffer_bytes;
  db_options.enable_pipelined_write = options.pipelined_write;
  db_options.max_background_jobs = 2;
  db_options.keep_log_file_num = 5;
  db_options.max_log_file_size = size_t{16} << 20;
  rocksdb::ColumnFamilyOptions cf_options = MakeColumnFamilyOptions(options, cache);
  rocksdb::ColumnFamilyOptions raw_options = cf_options;
  raw_options.compression = rocksdb::kNoCompression;
  raw_options.bottommost_compression = rocksdb::kDisableCompressionOption;
  if (options.uncompressed_write_buffer_bytes > 0) {
    raw_options.write_buffer_size = options.uncompressed_write_buffer_bytes;
  }
  auto uncompressed = [&](const std::string& name) {
    return std::find(options.uncompressed_spaces.begin(), options.uncompressed_spaces.end(),
                     name) != options.uncompressed_spaces.end();
  };

  // RocksDB refuses to open a database without naming every column family
  // it holds, so open the existing ones plus the declared ones.
  std::vector<std::string> names;
  rocksdb::Status listed = rocksdb::DB::ListColumnFamilies(db_options, options.path, &names);
  if (!listed.ok()) names.clear();  // a new database: only "default" so far
  if (std::find(names.begin(), names.end(), rocksdb::kDefaultColumnFamilyName) == names.end()) {
    names.push_back(rocksdb::kDefaultColumnFamilyName);
  }
  for (const auto& space : options.spaces) {
    if (std::find(names.begin(), names.end(), space) == names.end()) names.push_back(space);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) {
    descriptors.emplace_back(name, uncompressed(name) ? raw_options : cf_options);
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw_db = nullptr;
  QL_RETURN_IF_ERROR(FromRocksDbStatus(
      rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw_db)));
  std::unique_ptr<rocksdb::DB> db(raw_db);

  SpaceMap spaces;
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(options.spaces.begin(), options.spaces.end(), names[i]) != options.spaces.end()) {
      spaces[names[i]] = handles[i];
    }
  }
  return std::make_unique<RocksDbStore>(std::move(db), std::move(handles), std::move(spaces),
                                        std::move(cache), options.sync_writes);
}

}  // namespace qilian::store
