// Rollup maintenance (docs/tsdb.md, "Rollups"): the stored 1 m and 1 h
// buckets of numeric series, kept in the same WriteBatch as the blocks whose
// points they summarize, and read back by ReadRollups.
#include <algorithm>
#include <limits>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "platform/tsdb/engine/engine.h"
#include "platform/tsdb/engine/engine_internal.h"
#include "platform/tsdb/engine/rollup_chunk.h"

namespace qilian::platform::tsdb {
namespace {

using engine_internal::kNoTime;
using Interval = std::pair<int64_t, int64_t>;  // [from, to)

// A full search of a chunk's encodings at least this often (in chunks of
// the series): daily for 1 m chunks, every 60 days for 1 h ones.
constexpr int64_t kChunksPerFullSearch = 12;

// Sorts and joins overlapping or touching intervals.
std::vector<Interval> Coalesce(std::vector<Interval> v) {
  std::sort(v.begin(), v.end());
  std::vector<Interval> out;
  for (const Interval& i : v) {
    if (!out.empty() && i.first <= out.back().second) {
      out.back().second = std::max(out.back().second, i.second);
    } else {
      out.push_back(i);
    }
  }
  return out;
}

bool Covered(const std::vector<Interval>& intervals, int64_t t) {
  auto it = std::upper_bound(intervals.begin(), intervals.end(), Interval{t, INT64_MAX});
  return it != intervals.begin() && t < (it - 1)->second;
}

}  // namespace

namespace engine_internal {

double NumericValue(const PointValue& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  return std::get<double>(v);
}

void Summarize(const std::vector<Point>& points, int64_t width, std::vector<RollupBucket>* out) {
  for (const Point& p : points) {
    int64_t start = SafeBucketStart(p.time_ms, width);
    if (out->empty() || out->back().start_ms != start) {
      if (!out->empty() && out->back().count == 0) out->pop_back();  // all NaN
      out->push_back(RollupBucket{.start_ms = start});
    }
    AddPoint(&out->back(), p.time_ms, NumericValue(p.value));
  }
  if (!out->empty() && out->back().count == 0) out->pop_back();
}

}  // namespace engine_internal

absl::Status Engine::RawPoints(Pending* pd, int64_t from, int64_t to, std::vector<Point>* out) {
  // The store as it is, then what this batch merges and seals (not stored
  // yet): the same points the blocks will hold once the batch is written.
  from = std::max(from, pd->s->floor_ms);
  std::vector<Point> stored;
  bool over = false;
  absl::Status st = ReadBlocks(pd->s, from, to, SIZE_MAX, &stored, &over);
  if (!st.ok()) return st;
  auto in_range = [&](const std::vector<Point>& v) {
    auto lo = std::lower_bound(v.begin(), v.end(), from,
                               [](const Point& p, int64_t t) { return p.time_ms < t; });
    auto hi = std::lower_bound(v.begin(), v.end(), to,
                               [](const Point& p, int64_t t) { return p.time_ms < t; });
    return std::vector<Point>(lo, hi);
  };
  *out = engine_internal::MergePoints(
      engine_internal::MergePoints(std::move(stored), in_range(pd->late_points)),
      in_range(pd->sealed_points));
  return absl::OkStatus();
}

absl::Status Engine::UpdateRollups(Pending* pd, store::WriteBatch* batch) {
  if (pd->s->info.kind == ValueKind::kText) return absl::OkStatus();
  for (Resolution r : kRollupResolutions) {
    const int64_t width = ResolutionMs(r);
    int64_t& mark = pd->rolled[ResolutionIndex(r)];
    // Buckets under the watermark that late points changed are recomputed;
    // the watermark moves over the buckets the seal completed (those ending
    // at or before sealed_last: every later point is in a block or comes
    // late).
    std::vector<Interval> dirty;
    for (const Point& p : pd->late_points) {
      if (p.time_ms >= mark) break;
      int64_t start = engine_internal::SafeBucketStart(p.time_ms, width);
      dirty.emplace_back(start, start + width);
    }
    std::vector<Interval> intervals = dirty;
    if (pd->sealed) {
      // Every point at or before sealed_last is in a block (a later one
      // there comes late): the bucket holding sealed_last + 1 is the
      // first that can still grow (a seal up to a boundary B has
      // sealed_last B - 1, and completes every bucket before B).
      const int64_t next = pd->sealed_last == std::numeric_limits<int64_t>::max()
                               ? pd->sealed_last
                               : pd->sealed_last + 1;
      int64_t complete = engine_internal::SafeBucketStart(next, width);
      if (complete > mark) {
        intervals.emplace_back(mark, complete);
        mark = complete;
      }
    }
    if (intervals.empty()) continue;
    intervals = Coalesce(std::move(intervals));
    std::vector<RollupBucket> computed;
    for (const Interval& i : intervals) {
      std::vector<Point> raw;
      if (absl::Status st = RawPoints(pd, i.first, i.second, &raw); !st.ok()) return st;
      engine_internal::Summarize(raw, width, &computed);
    }
    if (absl::Status st = StoreBuckets(pd->s, r, intervals, dirty, computed, batch); !st.ok()) {
      return st;
    }
    pd->rollup_buckets += computed.size();
  }
  return absl::OkStatus();
}

// Rewrites the chunks of the computed buckets, and of the dirty ones (which
// may have become empty: every point NaN): their stored buckets inside
// `intervals` replaced by the computed ones.
absl::Status Engine::StoreBuckets(Series* s, Resolution r, const std::vector<Interval>& intervals,
                                  const std::vector<Interval>& dirty,
                                  const std::vector<RollupBucket>& computed,
                                  store::WriteBatch* batch) {
  const int64_t chunk_width = ChunkWidthMs(r);
  std::map<int64_t, std::vector<RollupBucket>> by_chunk;
  for (const Interval& d : dirty) by_chunk[engine_internal::SafeBucketStart(d.first, chunk_width)];
  for (const RollupBucket& b : computed) {
    by_chunk[engine_internal::SafeBucketStart(b.start_ms, chunk_width)].push_back(b);
  }
  for (auto& [chunk_start, fresh] : by_chunk) {
    std::string key = engine_internal::RollupKey(s->info.id, r, chunk_start);
    std::string bytes;
    std::vector<RollupBucket> kept;
    absl::Status st = store_->Get(kTsdbSpace, key, &bytes);
    if (st.ok()) {
      absl::StatusOr<std::vector<RollupBucket>> old = DecodeRollupChunk(bytes);
      if (!old.ok()) return old.status();
      for (RollupBucket& b : *old) {
        if (!Covered(intervals, b.start_ms)) kept.push_back(std::move(b));
      }
    } else if (!absl::IsNotFound(st)) {
      return st;
    }
    kept.insert(kept.end(), fresh.begin(), fresh.end());
    std::sort(kept.begin(), kept.end(),
              [](const RollupBucket& a, const RollupBucket& b) { return a.start_ms < b.start_ms; });
    if (kept.empty()) {
      batch->Delete(kTsdbSpace, key);
    } else {
      const int ri = ResolutionIndex(r);
      if (s->chunk_choices_start[ri] != chunk_start) {
        // A new chunk starts from the choices of the one before (a series'
        // decimals rarely change), with a full search once every
        // kChunksPerFullSearch chunks: a 2 h seal starts a new 1 m chunk
        // each time, and a full search at each was 12% of ingest CPU.
        if (engine_internal::SafeBucketStart(chunk_start, kChunksPerFullSearch * chunk_width) ==
            chunk_start) {
          s->chunk_choices[ri] = {};
        }
        s->chunk_choices_start[ri] = chunk_start;
      }
      batch->Put(kTsdbSpace, key, EncodeRollupChunk(kept, &s->chunk_choices[ri]));
    }
  }
  return absl::OkStatus();
}

absl::Status Engine::SplitWideRollupChunks() {
  std::string done;
  absl::Status st = store_->Get(kTsdbSpace, engine_internal::kNarrowChunksKey, &done);
  if (!absl::IsNotFound(st)) return st;
  // Each chunk is rewritten as the narrow chunks its buckets fall in, the
  // wide one deleted (or overwritten: its start is a narrow chunk's start)
  // in the same batch; a chunk already narrow is left alone, so an
  // interrupted split resumes where it stopped. The marker goes last.
  constexpr size_t kChunksPerBatch = 64;
  for (std::string_view prefix : {std::string_view("r1m/"), std::string_view("r1h/")}) {
    const Resolution r = prefix == "r1m/" ? Resolution::k1m : Resolution::k1h;
    const int64_t chunk_width = ChunkWidthMs(r);
    std::string from;
    for (;;) {
      store::WriteBatch batch;
      size_t seen = 0;
      std::string last;
      absl::Status error;
      st = store_->Scan(kTsdbSpace, prefix, from, [&](std::string_view key, std::string_view value) {
        last = key;
        // r1m/<id u64>/<biased start u64>
        ByteReader k(key.substr(prefix.size()));
        const SeriesId id = k.ReadU64();
        k.ReadU8();
        const int64_t start = engine_internal::UnbiasTime(k.ReadU64());
        absl::StatusOr<std::vector<RollupBucket>> chunk = DecodeRollupChunk(value);
        if (!k.ok() || !chunk.ok()) {
          error = absl::DataLossError(absl::StrCat(
              "tsdb: rollup chunk ", absl::CHexEscape(absl::string_view(key.data(), key.size())),
              ": ", chunk.ok() ? "bad key" : chunk.status().message()));
          return false;
        }
        std::map<int64_t, std::vector<RollupBucket>> narrow;
        for (const RollupBucket& b : *chunk) {
          narrow[engine_internal::SafeBucketStart(b.start_ms, chunk_width)].push_back(b);
        }
        if (narrow.size() != 1 || narrow.begin()->first != start) {
          if (!narrow.contains(start)) batch.Delete(kTsdbSpace, key);
          for (const auto& [narrow_start, buckets] : narrow) {
            batch.Put(kTsdbSpace, engine_internal::RollupKey(id, r, narrow_start),
                      EncodeRollupChunk(buckets));
          }
        }
        return ++seen < kChunksPerBatch;
      });
      if (!st.ok()) return st;
      if (!error.ok()) return error;
      if (batch.size() > 0) {
        if (st = store_->Write(batch); !st.ok()) return st;
      }
      if (seen < kChunksPerBatch) break;
      from = last + '\0';
    }
  }
  store::WriteBatch marker;
  marker.Put(kTsdbSpace, engine_internal::kNarrowChunksKey, "");
  return store_->Write(marker);
}

absl::StatusOr<RollupRead> Engine::ReadRollups(SeriesId id, Resolution r, int64_t from_ms,
                                               int64_t to_ms) const {
  Series* s = Lookup(id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("series ", id, " not found"));
  const int64_t width = ResolutionMs(r);
  RollupRead out;
  int64_t floor;
  {
    std::lock_guard lock(ShardOf(id));
    out.complete_until_ms = s->rolled[ResolutionIndex(r)];
    floor = s->floor_ms;
  }
  if (s->info.kind == ValueKind::kText || out.complete_until_ms == kNoTime) {
    out.complete_until_ms = kNoTime;
    return out;
  }
  // Only buckets under the watermark read first: a bucket stored after it
  // (by a seal still being applied) is left to the raw read.
  from_ms = std::max(from_ms, engine_internal::SafeBucketStart(floor, width));
  to_ms = std::min(to_ms, out.complete_until_ms);
  if (from_ms >= to_ms) return out;
  std::string prefix = engine_internal::RollupPrefix(id, r);
  const int64_t chunk_width = ChunkWidthMs(r);
  absl::Status error;
  absl::Status st = store_->Scan(
      kTsdbSpace, prefix,
      engine_internal::RollupKey(id, r, engine_internal::SafeBucketStart(from_ms, chunk_width)),
      [&](std::string_view key, std::string_view value) {
        ByteReader k(key.substr(prefix.size()));
        if (engine_internal::UnbiasTime(k.ReadU64()) >= to_ms) return false;
        absl::StatusOr<std::vector<RollupBucket>> chunk = DecodeRollupChunk(value);
        if (!chunk.ok()) {
          error = chunk.status();
          return false;
        }
        for (RollupBucket& b : *chunk) {
          if (b.start_ms >= from_ms && b.start_ms < to_ms) out.buckets.push_back(std::move(b));
        }
        return true;
      });
  if (!st.ok()) return st;
  if (!error.ok()) return error;
  return out;
}

}  // namespace qilian::platform::tsdb
