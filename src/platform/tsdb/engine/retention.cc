// Retention (docs/tsdb.md, "Retention"): deleting a series' points older
// than a cutoff, in bounded store writes, and the floor that keeps reads
// from returning anything older meanwhile and after a restart.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "platform/tsdb/engine/engine.h"
#include "platform/tsdb/engine/engine_internal.h"
#include "platform/tsdb/engine/rollup_chunk.h"

namespace qilian::platform::tsdb {

using engine_internal::BlockKey;
using engine_internal::kNoTime;

absl::Status Engine::DeleteBefore(SeriesId id, int64_t cutoff_ms) {
  Series* s = Lookup(id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("series ", id, " not found"));
  RetentionResult result;
  return RunRetention(s, cutoff_ms, &result);
}

absl::Status Engine::RunRetention(Series* s, int64_t cutoff_ms, RetentionResult* result) {
  bool done = false;
  for (bool first = true; !done; first = false) {
    if (absl::Status st = RetentionStep(s, cutoff_ms, first, &done, result); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<RetentionResult> Engine::ApplyRetention(
    const std::function<std::optional<int64_t>(const SeriesInfo&)>& cutoff_for) {
  std::vector<Series*> all;
  {
    std::shared_lock lock(catalog_mu_);
    for (const auto& s : series_) all.push_back(s.get());
  }
  RetentionResult result;
  for (Series* s : all) {
    std::optional<int64_t> cutoff = cutoff_for(s->info);
    if (!cutoff.has_value()) continue;
    ++result.series_trimmed;
    if (absl::Status st = RunRetention(s, *cutoff, &result); !st.ok()) return st;
  }
  return result;
}

// One store write under the writer lock: the floor (first step), up to
// kRetentionBatchKeys whole blocks or rollup chunks before the cutoff, and,
// once none is left, the block and buckets that straddle it and the head.
absl::Status Engine::RetentionStep(Series* s, int64_t cutoff_ms, bool first_step, bool* done,
                                   RetentionResult* result) {
  std::lock_guard write_lock(write_mu_);
  if (absl::Status st = EnsureIndex(s); !st.ok()) return st;
  const SeriesId id = s->info.id;
  store::WriteBatch batch;
  const int64_t floor = std::max(s->floor_ms, cutoff_ms);
  if (first_step && cutoff_ms > s->floor_ms) {
    batch.Put(kTsdbSpace, engine_internal::FloorKey(id),
              engine_internal::Be64(engine_internal::BiasTime(floor)));
  }
  const std::vector<int64_t>& firsts = s->block_firsts;
  size_t before = static_cast<size_t>(std::lower_bound(firsts.begin(), firsts.end(), cutoff_ms) -
                                      firsts.begin());
  size_t n = std::min(before, kRetentionBatchKeys);
  std::vector<int64_t> erase, insert;
  uint64_t blocks = 0, points = 0;
  for (size_t i = 0; i < n; ++i) {
    std::string key = BlockKey(id, firsts[i]);
    std::string bytes;
    if (absl::Status st = store_->Get(kTsdbSpace, key, &bytes); !st.ok()) return st;
    absl::StatusOr<Block> block = DecodeBlock(bytes);
    if (!block.ok()) return block.status();
    engine_internal::DeleteBlock(&batch, id, firsts[i]);
    erase.push_back(firsts[i]);
    std::vector<Point> kept;
    const std::vector<int64_t>& ts = block->timestamps;
    for (size_t j = 0; j < ts.size(); ++j) {
      if (ts[j] >= cutoff_ms) kept.push_back({ts[j], engine_internal::ValueAt(block->values, j)});
    }
    points += ts.size() - kept.size();
    if (kept.empty()) {
      ++blocks;
    } else if (absl::Status st = EncodeChunks(id, s->info.kind, kept, &batch, &insert); !st.ok()) {
      return st;  // the block straddling the cutoff, rewritten from it on
    }
  }
  size_t budget = kRetentionBatchKeys - n;
  bool rollups_done = true;
  if (s->info.kind != ValueKind::kText) {
    for (Resolution r : {Resolution::k1m, Resolution::k1h}) {
      size_t deleted = 0;
      bool r_done = false;
      if (absl::Status st = TrimRollups(s, r, cutoff_ms, budget, &batch, &deleted, &r_done);
          !st.ok()) {
        return st;
      }
      budget -= deleted;
      rollups_done = rollups_done && r_done;
    }
  }
  *done = n == before && rollups_done;
  if (!batch.empty()) {
    if (absl::Status st = store_->Write(batch); !st.ok()) return st;
  }

  // Stored: apply in memory.
  uint64_t head_dropped = 0;
  {
    std::lock_guard lock(ShardOf(id));
    s->floor_ms = floor;
    for (int64_t first : erase) engine_internal::EraseSorted(&s->block_firsts, first);
    for (int64_t first : insert) engine_internal::InsertSorted(&s->block_firsts, first);
    if (*done) {
      // The WAL keeps these points until a checkpoint passes them; replay
      // skips them by the floor.
      auto keep = std::lower_bound(s->head_ts.begin(), s->head_ts.end(), cutoff_ms);
      auto dropped = keep - s->head_ts.begin();
      head_dropped = static_cast<uint64_t>(dropped);
      s->head_ts.erase(s->head_ts.begin(), keep);
      std::visit([&](auto& column) { column.erase(column.begin(), column.begin() + dropped); },
                 s->head_values);
    }
  }
  result->blocks_deleted += blocks;
  result->points_deleted += points + head_dropped;
  retention_blocks_deleted_ += blocks;
  retention_points_deleted_ += points + head_dropped;
  return absl::OkStatus();
}

// Deletes up to `budget` chunks of resolution r that end at or before the
// cutoff's bucket; once none is left (*done), rewrites the chunk holding
// that bucket: buckets before it dropped, it recomputed from the points at
// or after the cutoff (the blocks are trimmed in the same batch).
absl::Status Engine::TrimRollups(Series* s, Resolution r, int64_t cutoff_ms, size_t budget,
                                 store::WriteBatch* batch, size_t* deleted, bool* done) {
  const int64_t width = ResolutionMs(r);
  const int64_t chunk_width = ChunkWidthMs(r);
  const int64_t bucket = engine_internal::SafeBucketStart(cutoff_ms, width);
  const int64_t straddling = engine_internal::SafeBucketStart(bucket, chunk_width);
  const std::string prefix = engine_internal::RollupPrefix(s->info.id, r);
  std::vector<std::string> old_chunks;
  std::string straddling_bytes;
  bool more = false;
  absl::Status st =
      store_->Scan(kTsdbSpace, prefix, "", [&](std::string_view key, std::string_view value) {
        ByteReader k(key.substr(prefix.size()));
        int64_t start = engine_internal::UnbiasTime(k.ReadU64());
        if (start > straddling) return false;
        if (start == straddling) {
          straddling_bytes = value;
          return false;
        }
        if (old_chunks.size() == budget) {
          more = true;
          return false;
        }
        old_chunks.emplace_back(key);
        return true;
      });
  if (!st.ok()) return st;
  for (const std::string& key : old_chunks) batch->Delete(kTsdbSpace, key);
  *deleted = old_chunks.size();
  *done = !more;
  if (more || straddling_bytes.empty()) return absl::OkStatus();

  absl::StatusOr<std::vector<RollupBucket>> chunk = DecodeRollupChunk(straddling_bytes);
  if (!chunk.ok()) return chunk.status();
  // A cutoff on a bucket's start keeps that bucket as it is.
  std::vector<RollupBucket> kept;
  for (RollupBucket& b : *chunk) {
    if (b.start_ms > bucket || (b.start_ms == bucket && cutoff_ms == bucket)) {
      kept.push_back(std::move(b));
    }
  }
  if (cutoff_ms > bucket && bucket < s->rolled[ResolutionIndex(r)]) {
    // Under the watermark every point of the bucket is in a block; the
    // straddling block's points from the cutoff on are the same before and
    // after this batch rewrites it.
    Pending none;
    none.s = s;
    std::vector<Point> raw;
    if (absl::Status e = RawPoints(&none, cutoff_ms, bucket + width, &raw); !e.ok()) return e;
    std::vector<RollupBucket> recomputed;
    engine_internal::Summarize(raw, width, &recomputed);
    kept.insert(kept.begin(), recomputed.begin(), recomputed.end());
  }
  std::string key = engine_internal::RollupKey(s->info.id, r, straddling);
  if (kept.empty()) {
    batch->Delete(kTsdbSpace, key);
  } else {
    batch->Put(kTsdbSpace, key, EncodeRollupChunk(kept));
  }
  return absl::OkStatus();
}

}  // namespace qilian::platform::tsdb
