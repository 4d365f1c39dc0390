// Private to the engine's own .cc files (engine.cc, rollup_store.cc,
// retention.cc): the key layout (docs/tsdb.md, "Keys"), the in-memory
// series, and the point helpers they share.
#ifndef QILIAN_PLATFORM_TSDB_ENGINE_ENGINE_INTERNAL_H_
#define QILIAN_PLATFORM_TSDB_ENGINE_ENGINE_INTERNAL_H_

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/tsdb/engine/engine.h"
#include "platform/tsdb/engine/rollup.h"
#include "platform/tsdb/engine/rollup_chunk.h"

namespace qilian::platform::tsdb {
namespace engine_internal {

inline constexpr std::string_view kSidPrefix = "sid/";
inline constexpr std::string_view kSeriesPrefix = "series/";
inline constexpr std::string_view kSealPrefix = "seal/";
inline constexpr std::string_view kBlockPrefix = "blk/";
// The block index's entries: bix/<id>/<biased first>, empty values, so that
// a series' index is read without reading its blocks.
inline constexpr std::string_view kIndexPrefix = "bix/";
// Present once every block has its index entry (stores from before the
// index get theirs at Open, once).
inline constexpr std::string_view kIndexReadyKey = "bix_ready";
// Present once every rollup chunk is at most ChunkWidthMs wide (stores
// from before kBucketsPerChunk get their chunks split at Open, once).
inline constexpr std::string_view kNarrowChunksKey = "rchunk_narrow";
inline constexpr std::string_view kWalPrefix = "wal/";
inline constexpr std::string_view kFloorPrefix = "floor/";
inline constexpr std::string_view kCheckpointKey = "ckpt";
// Shared timestamp columns (docs/tsdb.md, "Shared timestamps"):
// tsc/<enterprise><device tag><biased last><column id>, so that retention
// finds a device's old columns by prefix and time; and the next column id.
inline constexpr std::string_view kColumnPrefix = "tsc/";
inline constexpr std::string_view kNextColumnKey = "tsc_next";
// "Nothing yet": the watermark of a series with no complete bucket, the
// floor of a series never trimmed.
inline constexpr int64_t kNoTime = std::numeric_limits<int64_t>::min();

std::string Be64(uint64_t v);
// Timestamps in keys: the sign bit flipped, so byte order is time order.
uint64_t BiasTime(int64_t t);
int64_t UnbiasTime(uint64_t v);

std::string SeriesMetaKey(SeriesId id);
std::string SealKey(SeriesId id);
std::string FloorKey(SeriesId id);
std::string BlockPrefix(SeriesId id);
std::string BlockKey(SeriesId id, int64_t first);
std::string IndexPrefix(SeriesId id);
// A block and its index entry go in and out of the store together.
void PutBlock(store::WriteBatch* batch, SeriesId id, int64_t first, std::string_view bytes);
void DeleteBlock(store::WriteBatch* batch, SeriesId id, int64_t first);
// A device's columns: kColumnPrefix, the enterprise, the device's tag
// (CRC-32C of its name: devices that share a tag share a prefix, and
// retention treats them as one).
std::string ColumnPrefix(uint64_t enterprise, std::string_view device);
std::string ColumnKey(uint64_t enterprise, std::string_view device, int64_t last,
                      uint64_t column);
// r1m/<id>/ and r1h/<id>/, then the chunk's biased start.
std::string RollupPrefix(SeriesId id, Resolution r);
std::string RollupKey(SeriesId id, Resolution r, int64_t chunk_start);

PointValue ValueAt(const Values& values, size_t i);
Values EmptyValues(ValueKind kind);
std::vector<Point> ToPoints(const std::vector<int64_t>& ts, const Values& values);
// Both ascending with unique timestamps; `newer` wins a tie.
std::vector<Point> MergePoints(std::vector<Point> older, std::vector<Point> newer);
// Inserts / erases in a sorted, unique vector (no-ops when already so:
// the block index may have been loaded after the store took the batch).
void InsertSorted(std::vector<int64_t>* v, int64_t x);
void EraseSorted(std::vector<int64_t>* v, int64_t x);

// BucketStart, except that times in the first bucket width after INT64_MIN
// (whose start would overflow) give kNoTime.
inline int64_t SafeBucketStart(int64_t t, int64_t width) {
  return t < kNoTime + width ? kNoTime : BucketStart(t, width);
}

// Float as is, int as double, bool as 0/1 (rollup.h).
double NumericValue(const PointValue& v);
// Appends the non-empty buckets of `points` (ascending; each bucket's
// points added in time order, NaN skipped).
void Summarize(const std::vector<Point>& points, int64_t width, std::vector<RollupBucket>* out);

}  // namespace engine_internal

struct Engine::Series {
  SeriesInfo info;
  std::string lookup_key;
  // Guarded by the series' shard mutex (written only by the writer).
  std::vector<int64_t> head_ts;  // ascending, unique
  Values head_values;
  uint64_t head_min_seq = 0;  // oldest WAL record with a point in the head
  // (hour start, seq): the write whose points first raised the head's
  // newest time into that hour. A head sealed up to a boundary B keeps
  // points from the records at or after the seq of the first mark at or
  // after B (HeadSeqFrom).
  std::vector<std::pair<int64_t, uint64_t>> hour_marks;
  bool has_blocks = false;
  int64_t sealed_last = 0;       // every point at or before it is in a block
  int64_t last_block_first = 0;  // key time of the newest block
  // The block index: every block's first timestamp, ascending. Loaded on
  // first use (EnsureIndex), then kept by the writer.
  bool index_loaded = false;
  std::vector<int64_t> block_firsts;
  // Rollup watermarks (1 m, 1 h): every point before them is summarized.
  int64_t rolled[2] = {engine_internal::kNoTime, engine_internal::kNoTime};
  // Retention floor: nothing older is ever returned.
  int64_t floor_ms = engine_internal::kNoTime;
  // The encoder's choices for the chunk last written per resolution (its
  // start), reused when the next seal rewrites it. Writer only.
  RollupChunkChoices chunk_choices[2];
  int64_t chunk_choices_start[2] = {engine_internal::kNoTime, engine_internal::kNoTime};
};

// What one Write does to one series once the store has taken the batch.
struct Engine::Pending {
  Series* s = nullptr;
  std::vector<std::pair<int64_t, uint32_t>> late;
  std::vector<std::pair<int64_t, uint32_t>> fresh;
  std::vector<Point> fresh_points;
  std::vector<Point> late_points;    // sorted, unique: merged into blocks by this call
  std::vector<Point> sealed_points;  // the head and fresh points sealed by this call
  bool sealed = false;
  // A head sealed up to a boundary: the points at or after it, kept as the
  // head, and the oldest WAL record they need.
  bool partial = false;
  int64_t boundary = 0;
  std::vector<Point> kept_points;
  uint64_t kept_min_seq = 0;
  bool blocks_changed = false;
  int64_t sealed_last = 0;
  int64_t last_block_first = 0;
  std::vector<int64_t> index_erase, index_insert;
  int64_t rolled[2] = {engine_internal::kNoTime, engine_internal::kNoTime};
  uint64_t rollup_buckets = 0;
  // The sealed blocks and rollups, encoded apart from the other series'
  // (side by side), then appended to the call's batch.
  store::WriteBatch batch;
  // The timestamp column the sealed block shares with the device's other
  // series sealed by this call (0: its own timestamps).
  uint64_t shared_column = 0;
};

// What one retention step puts in its store write and changes after it.
struct Engine::Trim {
  store::WriteBatch batch;
  size_t deletions = 0;  // blocks and chunks, against kRetentionBatchKeys
  std::vector<int64_t> index_erase, index_insert;
  uint64_t blocks = 0;  // whole blocks deleted
  uint64_t points = 0;  // points deleted
};

inline constexpr Resolution kRollupResolutions[] = {Resolution::k1m, Resolution::k1h};

inline int ResolutionIndex(Resolution r) { return r == Resolution::k1m ? 0 : 1; }

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_ENGINE_ENGINE_INTERNAL_H_
