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
#include "platform/tsdb/codec/block.h"
#include "store/kv_store.h"

namespace qilian::platform::tsdb {

// The engine's key space; declare it when opening the store.
inline constexpr std::string_view kTsdbSpace = "tsdb";

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

struct EngineOptions {
  // [tsdb] max_series_per_enterprise
  uint64_t max_series_per_enterprise = 100000;
  // [tsdb] max_points_per_query
  size_t max_points_per_query = 1000000;
  // A head is sealed when it holds this many points (at most
  // kMaxPointsPerBlock) ...
  size_t max_points_per_block = kMaxPointsPerBlock;
  // ... or spans this long (last - first timestamp, ms).
  int64_t max_head_span_ms = 2 * 3600 * 1000;
  // Past this many WAL records, heads holding points from the older half
  // are sealed as they are (a quiet series must not pin the WAL).
  uint64_t max_wal_records = 1000;
  EncodeOptions encode;
};

class Engine {
 public:
  // Reads the catalog and replays the WAL after the checkpoint into the
  // heads. `store` must have kTsdbSpace and outlive the engine.
  static absl::StatusOr<std::unique_ptr<Engine>> Open(store::KvStore* store,
                                                      const EngineOptions& options = {});

  // Durable when it returns OK. Refuses the whole call (nothing stored):
  // InvalidArgument for a bad name or text value, FailedPrecondition for a
  // value of another kind than its series, ResourceExhausted past
  // max_series_per_enterprise; a store failure is returned as is.
  absl::Status Write(std::span<const PointInput> points);

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
  // The enterprise's series (of one device if given), by id.
  std::vector<SeriesInfo> ListSeries(uint64_t enterprise,
                                     std::optional<std::string_view> device = std::nullopt) const;

  struct Stats {
    uint64_t wal_seq = 0;         // next WAL sequence number
    uint64_t checkpoint = 0;      // WAL records below it are deleted
    uint64_t blocks_written = 0;  // sealed or rewritten, since Open
    uint64_t late_points = 0;     // merged into sealed blocks, since Open
    uint64_t head_points = 0;     // in memory now
  };
  Stats GetStats() const;

  ~Engine();

 private:
  struct Series;
  struct Pending;
  struct Chunk;
  static constexpr size_t kShards = 64;

  Engine(store::KvStore* store, const EngineOptions& options);
  absl::Status Load();
  Series* Lookup(SeriesId id) const;
  std::mutex& ShardOf(SeriesId id) const { return shards_[id % kShards]; }
  absl::Status MergeLate(Series* s, std::vector<std::pair<int64_t, uint32_t>>& late,
                         std::span<const PointInput> points, store::WriteBatch* batch,
                         Pending* pending);
  absl::Status EncodeChunks(SeriesId id, ValueKind kind, std::span<const Point> points,
                            store::WriteBatch* batch, int64_t* last_chunk_first);
  static void MergeIntoHead(Series* s, std::vector<Point> fresh, uint64_t seq);

  store::KvStore* store_;
  EngineOptions options_;

  mutable std::mutex write_mu_;  // one writer at a time; guards the fields below
  uint64_t next_seq_ = 1;
  uint64_t checkpoint_ = 1;
  SeriesId next_id_ = 1;

  mutable std::shared_mutex catalog_mu_;         // the maps and the series vector
  std::vector<std::unique_ptr<Series>> series_;  // index id - 1
  absl::flat_hash_map<std::string, SeriesId> by_key_;
  absl::flat_hash_map<uint64_t, uint64_t> per_enterprise_;

  mutable std::array<std::mutex, kShards> shards_;  // heads and seal state
  std::atomic<uint64_t> blocks_written_{0};
  std::atomic<uint64_t> late_points_{0};
};

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_ENGINE_ENGINE_H_
