// The time-series storage core (issue 11, docs/tsdb.md, "Engine"): series
// keyed by (enterprise, device, property), a write-ahead log in the store so
// acknowledged points survive kill -9, per-series in-memory heads sealed
// into codec blocks, and range / latest reads that merge both.
//
// Contract, in short (the document has the details):
//   - Write is all or nothing: one store WriteBatch per call carries the WAL
//     record, new series, sealed and rewritten blocks and the checkpoint. A
//     failed store write changes nothing, in the store or in memory.
//   - Duplicates (same series and timestamp): the last write wins, by WAL
//     order (and within a call, by position).
//   - Points at or before a series' last sealed timestamp are "late": they
//     are merged into the sealed block that covers them (read, merge,
//     rewrite) in the same batch.
//   - A value of another kind than the series' is refused (the whole call)
//     with the series' kind named; NaN is stored as is.
#ifndef QILIAN_PLATFORM_TSDB_ENGINE_ENGINE_H_
#define QILIAN_PLATFORM_TSDB_ENGINE_ENGINE_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/work_pool.h"
#include "platform/tsdb/codec/block.h"
#include "platform/tsdb/engine/rollup.h"
#include "store/kv_store.h"

namespace qilian::platform::tsdb {

// The engine's key spaces; declare both when opening the store. The
// write-ahead records live apart from the blocks, index and rollups: they
// are big, short-lived values (a 10,000-line call is megabytes), and reads
// of blocks must not decompress them. RocksDB: open kTsdbWalSpace
// uncompressed (RocksDbOptions::uncompressed_spaces).
inline constexpr std::string_view kTsdbSpace = "tsdb";
inline constexpr std::string_view kTsdbWalSpace = "tsdb_wal";

using SeriesId = uint64_t;  // 1, 2, ... in order of first write

// One value; the alternative's index is ValueKind - 1.
using PointValue = std::variant<double, int64_t, bool, std::string>;
ValueKind KindOf(const PointValue& value);

// A series' labels: InfluxDB line protocol's measurement (key
// "_measurement") and tags, or what the MQTT path knows of the device
// (its product). Sorted by key, keys unique; fixed when the series is
// created (later writes with other labels do not change them).
struct Label {
  std::string key, value;
  bool operator==(const Label&) const = default;
};
using LabelSet = std::vector<Label>;

struct PointInput {
  uint64_t enterprise = 0;
  std::string_view device;    // non-empty, at most kMaxNameBytes
  std::string_view property;  // non-empty, at most kMaxNameBytes
  int64_t time_ms = 0;        // epoch milliseconds, any int64
  PointValue value;
  // Read only when this point creates its series; may be null (no labels).
  const LabelSet* labels = nullptr;
};

struct Point {
  int64_t time_ms = 0;
  PointValue value;
  bool operator==(const Point&) const = default;
};

struct SeriesInfo {
  SeriesId id = 0;
  uint64_t enterprise = 0;
  std::string device;
  std::string property;
  ValueKind kind = ValueKind::kFloat;
  LabelSet labels;
};

inline constexpr size_t kMaxNameBytes = 256;
// Labels per series, and bytes of a label's key or value (each 1..256).
inline constexpr size_t kMaxLabels = 64;
inline constexpr size_t kMaxLabelBytes = 256;
// Retention deletes at most this many blocks or rollup chunks per store
// write, so that writers are never held up long (they run in between).
inline constexpr size_t kRetentionBatchKeys = 1000;

// What ApplyRetention removed.
struct RetentionResult {
  uint64_t series_trimmed = 0;  // series with a cutoff
  uint64_t blocks_deleted = 0;  // whole blocks (a straddling block is rewritten, not counted)
  uint64_t points_deleted = 0;  // points older than their series' cutoff, blocks and heads
  uint64_t columns_deleted = 0;  // shared timestamp columns no block names any more
};

struct EngineOptions {
  // [tsdb] max_series_per_enterprise
  uint64_t max_series_per_enterprise = 100000;
  // [tsdb] max_points_per_query
  size_t max_points_per_query = 1000000;
  // A head is sealed when it holds this many points (at most
  // kMaxPointsPerBlock) ...
  size_t max_points_per_block = kMaxPointsPerBlock;
  // ... or spans this long (last - first timestamp, ms). Such a head is
  // sealed up to an hour boundary at least seal_margin_ms before its newest
  // point, the rest kept: writers a little behind (concurrent calls, a
  // gateway's buffer) still land in the head, not as late points that
  // rewrite a block, and the rollups end exactly at the boundary.
  int64_t max_head_span_ms = 2 * 3600 * 1000;
  int64_t seal_margin_ms = 15 * 60 * 1000;
  // Past this many WAL records, heads holding points from the older half
  // are sealed as they are (a quiet series must not pin the WAL).
  uint64_t max_wal_records = 1000;
  // Threads, besides the writer's own, that encode the blocks and rollups
  // of the series one write seals (WorkPool); SIZE_MAX: one fewer than the
  // cores. 0 encodes on the writer alone.
  size_t seal_threads = SIZE_MAX;
  EncodeOptions encode;
};

class Engine {
 public:
  // Reads the catalog and replays the WAL after the checkpoint into the
  // heads. `store` must have kTsdbSpace and kTsdbWalSpace and outlive the
  // engine. WAL records of a store from before kTsdbWalSpace are moved
  // there first.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(store::KvStore* store,
                                                      const EngineOptions& options = {});

  // Durable when it returns OK. Refuses the whole call (nothing stored):
  // InvalidArgument for a bad name, text value or label set (of a point
  // that creates its series), FailedPrecondition for a
  // value of another kind than its series, ResourceExhausted past
  // max_series_per_enterprise; a store failure is returned as is.
  absl::Status Write(std::span<const PointInput> points);

  // Seals every head into blocks now, whatever its size or span, with the
  // rollups they complete and the seal records, and empties the WAL (the
  // checkpoint passes its last record): one store write, all or nothing.
  // For operators and benchmarks (a compaction measures stored bytes); a
  // late point afterwards costs a block rewrite, as any late point does.
  absl::Status SealAll();

  // The series' id, or NotFound.
  absl::StatusOr<SeriesId> Find(uint64_t enterprise, std::string_view device,
                                std::string_view property) const;
  absl::StatusOr<SeriesInfo> Info(SeriesId id) const;

  // Points with from_ms <= time < to_ms, ascending, one per timestamp.
  // `limit` 0 means "all, up to max_points_per_query"; a larger limit, or
  // more points than the limit with `limit` 0, is ResourceExhausted. A
  // non-zero limit returns the first `limit` points.
  absl::StatusOr<std::vector<Point>> ReadRange(SeriesId id, int64_t from_ms, int64_t to_ms,
                                               size_t limit = 0) const;
  // The newest point, or NotFound for an unknown or empty series.
  absl::StatusOr<Point> Latest(SeriesId id) const;

  // Stored rollups of a numeric series: the non-empty buckets with from_ms
  // <= start < to_ms, ascending, and complete_until_ms, the series'
  // watermark (every point before it is summarized; later points are read
  // raw). A text series, or one with no complete bucket yet, has no buckets
  // and complete_until_ms INT64_MIN. NotFound for an unknown series.
  absl::StatusOr<RollupRead> ReadRollups(SeriesId id, Resolution r, int64_t from_ms,
                                         int64_t to_ms) const;

  // Retention: deletes the series' points older than cutoff_ms (whole
  // blocks, the older part of a block that straddles it, head points, and
  // the rollups of buckets before it; the bucket holding the cutoff is
  // recomputed from what is left). From the call on, reads never return
  // anything older, after a restart too (the floor is stored). Runs in
  // store writes of at most kRetentionBatchKeys deletions, taking the
  // writer lock for each, so concurrent writes go on in between. A cutoff
  // at or below an earlier one finishes what an interrupted call left.
  absl::Status DeleteBefore(SeriesId id, int64_t cutoff_ms);
  // DeleteBefore for every series for which `cutoff_for` gives a cutoff
  // (nullopt: keep everything), in id order; stops at the first error.
  // Then deletes the shared timestamp columns no block names any more.
  absl::StatusOr<RetentionResult> ApplyRetention(
      const std::function<std::optional<int64_t>(const SeriesInfo&)>& cutoff_for);
  // The enterprise's series (of one device if given), by id.
  std::vector<SeriesInfo> ListSeries(uint64_t enterprise,
                                     std::optional<std::string_view> device = std::nullopt) const;
  // How many series the enterprise has.
  uint64_t SeriesCount(uint64_t enterprise) const;

  struct Stats {
    uint64_t wal_seq = 0;         // next WAL sequence number
    uint64_t checkpoint = 0;      // WAL records below it are deleted
    uint64_t blocks_written = 0;  // sealed or rewritten, since Open
    uint64_t late_points = 0;     // merged into sealed blocks, since Open
    uint64_t head_points = 0;     // in memory now
    uint64_t points_written = 0;  // accepted by Write, since Open
    // Blocks fetched from the store by ReadRange, Latest and rollup
    // maintenance (their header read; most are decoded), since Open.
    uint64_t blocks_read = 0;
    uint64_t rollup_buckets_written = 0;  // computed and stored, 1 m and 1 h, since Open
    uint64_t retention_blocks_deleted = 0;
    uint64_t retention_points_deleted = 0;
  };
  Stats GetStats() const;

  ~Engine();

 private:
  struct Series;
  struct Pending;
  struct Trim;
  struct WriteCall;
  static constexpr size_t kShards = 64;

  Engine(store::KvStore* store, const EngineOptions& options);
  absl::Status Load();
  absl::Status LoadSeries();
  absl::Status LoadSealsAndFloors();
  absl::Status ReplayWal();
  absl::Status MoveLegacyWal();
  absl::Status ScanRecords(
      std::string_view prefix, std::string_view start,
      const std::function<absl::Status(std::string_view, std::string_view)>& visit) const;
  // Index entries for the blocks of a store from before the index.
  absl::Status BuildIndexEntries();
  // Splits the wide rollup chunks of a store written before
  // kBucketsPerChunk (rollup_store.cc).
  absl::Status SplitWideRollupChunks();
  Series* Lookup(SeriesId id) const;
  std::mutex& ShardOf(SeriesId id) const { return shards_[id % kShards]; }
  absl::Status MergeLate(Series* s, std::vector<std::pair<int64_t, uint32_t>>& late,
                         std::span<const PointInput> points, store::WriteBatch* batch,
                         Pending* pending);
  // Encodes `points` as blocks of at most max_points_per_block (and half
  // the text limit), appending each block's first timestamp to *firsts.
  // With a shared column, points that make one block name it instead of
  // holding their timestamps.
  absl::Status EncodeChunks(SeriesId id, ValueKind kind, std::span<const Point> points,
                            store::WriteBatch* batch, std::vector<int64_t>* firsts,
                            uint64_t shared_column = 0);
  // Decodes a stored block of `s`, reading its timestamp column when it
  // shares one (DataLoss when that column is missing).
  absl::StatusOr<Block> LoadBlock(const Series* s, std::string_view bytes) const;
  // The block index: loads the series' block first timestamps from the
  // store on first use (takes the shard lock).
  absl::Status EnsureIndex(Series* s) const;
  // The points of the series' stored blocks with from <= t < to, ascending,
  // starting at the block the index names; *over when more than `cap`.
  absl::Status ReadBlocks(Series* s, int64_t from, int64_t to, size_t cap, std::vector<Point>* out,
                          bool* over) const;
  // Rollup maintenance (rollup_store.cc): the buckets a Write's late points
  // dirtied and its seal completed, computed and put in the batch.
  absl::Status UpdateRollups(Pending* pd, store::WriteBatch* batch);
  absl::Status RawPoints(Pending* pd, int64_t from, int64_t to, std::vector<Point>* out);
  absl::Status StoreBuckets(Series* s, Resolution r,
                            const std::vector<std::pair<int64_t, int64_t>>& intervals,
                            const std::vector<std::pair<int64_t, int64_t>>& dirty,
                            const std::vector<RollupBucket>& computed, store::WriteBatch* batch);
  // Retention (retention.cc): steps until nothing older is left.
  absl::Status RunRetention(Series* s, int64_t cutoff_ms, RetentionResult* result);
  // One store write's worth; *done when nothing older is left.
  absl::Status RetentionStep(Series* s, int64_t cutoff_ms, bool first_step, bool* done,
                             RetentionResult* result);
  bool HasOlder(Series* s, int64_t cutoff_ms) const;
  absl::Status DeleteOldColumns(const std::vector<Series*>& all, RetentionResult* result);
  absl::Status TrimBlocks(Series* s, int64_t cutoff_ms, Trim* trim, bool* done);
  absl::Status TrimFloorBucket(Series* s, Resolution r, int64_t cutoff_ms, Trim* trim);
  absl::Status DeleteOldChunks(Series* s, Resolution r, int64_t cutoff_ms, Trim* trim, bool* done);
  static void MergeIntoHead(Series* s, std::vector<Point> fresh, uint64_t seq);

  store::KvStore* store_;
  EngineOptions options_;
  std::unique_ptr<WorkPool> pool_;  // seals' encoding (EngineOptions::seal_threads)

  mutable std::mutex write_mu_;  // one writer at a time; guards the fields below
  uint64_t next_seq_ = 1;
  uint64_t checkpoint_ = 1;
  SeriesId next_id_ = 1;
  uint64_t next_column_ = 1;  // shared timestamp columns' ids

  mutable std::shared_mutex catalog_mu_;         // the maps and the series vector
  std::vector<std::unique_ptr<Series>> series_;  // index id - 1
  absl::flat_hash_map<std::string, SeriesId> by_key_;
  absl::flat_hash_map<uint64_t, uint64_t> per_enterprise_;

  mutable std::array<std::mutex, kShards> shards_;  // heads and seal state
  std::atomic<uint64_t> blocks_written_{0};
  std::atomic<uint64_t> late_points_{0};
  std::atomic<uint64_t> points_written_{0};
  mutable std::atomic<uint64_t> blocks_read_{0};
  std::atomic<uint64_t> rollup_buckets_written_{0};
  std::atomic<uint64_t> retention_blocks_deleted_{0};
  std::atomic<uint64_t> retention_points_deleted_{0};
};

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_ENGINE_ENGINE_H_
