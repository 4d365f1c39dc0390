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
  if (absl::Status st = DeleteOldColumns(all, &result); !st.ok()) return st;
  return result;
}

// Shared timestamp columns that no block can name any more: those of a
// device (a column prefix: enterprise and device tag) ending before the
// lowest retention floor of its series. Every block left ends at or after
// its series' floor, so it names none of them. A prefix with a series
// never trimmed keeps all its columns.
absl::Status Engine::DeleteOldColumns(const std::vector<Series*>& all, RetentionResult* result) {
  absl::flat_hash_map<std::string, int64_t> lowest_floor;
  for (const Series* s : all) {
    int64_t floor;
    {
      std::lock_guard lock(ShardOf(s->info.id));
      floor = s->floor_ms;
    }
    std::string prefix = engine_internal::ColumnPrefix(s->info.enterprise, s->info.device);
    auto [it, fresh] = lowest_floor.try_emplace(std::move(prefix), floor);
    if (!fresh) it->second = std::min(it->second, floor);
  }
  for (const auto& [prefix, floor] : lowest_floor) {
    if (floor == kNoTime) continue;
    const std::string end = prefix + engine_internal::Be64(engine_internal::BiasTime(floor));
    for (bool more = true; more;) {
      std::lock_guard write_lock(write_mu_);
      store::WriteBatch batch;
      more = false;
      absl::Status st =
          store_->Scan(kTsdbSpace, prefix, "", [&](std::string_view key, std::string_view) {
            if (key >= end) return false;
            if (batch.size() == kRetentionBatchKeys) {
              more = true;
              return false;
            }
            batch.Delete(kTsdbSpace, key);
            return true;
          });
      if (!st.ok()) return st;
      if (batch.empty()) break;
      if (st = store_->Write(batch); !st.ok()) return st;
      result->columns_deleted += batch.size();
    }
  }
  return absl::OkStatus();
}

// One store write under the writer lock. The first step stores the floor
// with the recomputed bucket that holds it (so reads are clipped and the
// rollups agree from the same write on); every step deletes up to
// kRetentionBatchKeys blocks and chunks from before the cutoff; the last,
// with nothing older left, trims the head.
absl::Status Engine::RetentionStep(Series* s, int64_t cutoff_ms, bool first_step, bool* done,
                                   RetentionResult* result) {
  std::lock_guard write_lock(write_mu_);
  if (absl::Status st = EnsureIndex(s); !st.ok()) return st;
  const bool numeric = s->info.kind != ValueKind::kText;
  const int64_t floor = std::max(s->floor_ms, cutoff_ms);
  Trim trim;
  if (first_step && !HasOlder(s, cutoff_ms)) {
    *done = true;  // the common case of a periodic run: nothing to write
    return absl::OkStatus();
  }
  if (first_step && cutoff_ms > s->floor_ms) {
    // Under an older floor the bucket holding it was recomputed with it.
    trim.batch.Put(kTsdbSpace, engine_internal::FloorKey(s->info.id),
                   engine_internal::Be64(engine_internal::BiasTime(floor)));
    for (Resolution r : kRollupResolutions) {
      if (!numeric) break;
      if (absl::Status st = TrimFloorBucket(s, r, cutoff_ms, &trim); !st.ok()) return st;
    }
  }
  // Old chunks before old blocks, so that none is left once no block is.
  *done = true;
  for (Resolution r : kRollupResolutions) {
    if (!numeric) break;
    bool chunks_done = false;
    if (absl::Status st = DeleteOldChunks(s, r, cutoff_ms, &trim, &chunks_done); !st.ok()) {
      return st;
    }
    *done = *done && chunks_done;
  }
  bool blocks_done = false;
  if (absl::Status st = TrimBlocks(s, cutoff_ms, &trim, &blocks_done); !st.ok()) return st;
  *done = *done && blocks_done;
  if (!trim.batch.empty()) {
    if (absl::Status st = store_->Write(trim.batch); !st.ok()) return st;
  }

  // Stored: apply in memory.
  {
    std::lock_guard lock(ShardOf(s->info.id));
    s->floor_ms = floor;
    for (int64_t first : trim.index_erase) engine_internal::EraseSorted(&s->block_firsts, first);
    for (int64_t first : trim.index_insert) {
      engine_internal::InsertSorted(&s->block_firsts, first);
    }
    if (*done) {
      // The WAL keeps these points until a checkpoint passes them; replay
      // skips them by the floor.
      auto keep = std::lower_bound(s->head_ts.begin(), s->head_ts.end(), cutoff_ms);
      auto dropped = keep - s->head_ts.begin();
      trim.points += static_cast<uint64_t>(dropped);
      s->head_ts.erase(s->head_ts.begin(), keep);
      std::visit([&](auto& column) { column.erase(column.begin(), column.begin() + dropped); },
                 s->head_values);
    }
  }
  result->blocks_deleted += trim.blocks;
  result->points_deleted += trim.points;
  retention_blocks_deleted_ += trim.blocks;
  retention_points_deleted_ += trim.points;
  return absl::OkStatus();
}

// Whether anything older than the cutoff is left: a block or a head point.
// (Rollup chunks need no look: each step deletes old chunks before old
// blocks, so none is left once no block is.) When nothing is, the floor
// need not move: nothing older exists to be returned, and a later older
// write is trimmed by the next call.
bool Engine::HasOlder(Series* s, int64_t cutoff_ms) const {
  std::lock_guard lock(ShardOf(s->info.id));
  return (!s->block_firsts.empty() && s->block_firsts.front() < cutoff_ms) ||
         (!s->head_ts.empty() && s->head_ts.front() < cutoff_ms);
}

// Blocks whose first timestamp is before the cutoff, at most what is left
// of the step's budget: deleted, or, for the one straddling the cutoff,
// rewritten from its first point at or after it.
absl::Status Engine::TrimBlocks(Series* s, int64_t cutoff_ms, Trim* trim, bool* done) {
  const SeriesId id = s->info.id;
  const std::vector<int64_t>& firsts = s->block_firsts;
  size_t before = static_cast<size_t>(std::lower_bound(firsts.begin(), firsts.end(), cutoff_ms) -
                                      firsts.begin());
  size_t n = std::min(before, kRetentionBatchKeys - trim->deletions);
  for (size_t i = 0; i < n; ++i) {
    std::string bytes;
    absl::Status st = store_->Get(kTsdbSpace, engine_internal::BlockKey(id, firsts[i]), &bytes);
    if (!st.ok()) return st;
    // A block wholly before the cutoff is deleted from its header alone:
    // its shared timestamp column may already be gone (an interrupted
    // run's column pass, ApplyRetention).
    absl::StatusOr<BlockHeader> header = DecodeBlockHeader(bytes);
    if (!header.ok()) return header.status();
    engine_internal::DeleteBlock(&trim->batch, id, firsts[i]);
    trim->index_erase.push_back(firsts[i]);
    if (header->last_timestamp < cutoff_ms) {
      trim->points += header->count;
      ++trim->blocks;
      continue;
    }
    absl::StatusOr<Block> block = LoadBlock(s, bytes);
    if (!block.ok()) return block.status();
    std::vector<Point> kept;
    const std::vector<int64_t>& ts = block->timestamps;
    for (size_t j = 0; j < ts.size(); ++j) {
      if (ts[j] >= cutoff_ms) kept.push_back({ts[j], engine_internal::ValueAt(block->values, j)});
    }
    trim->points += ts.size() - kept.size();
    if (kept.empty()) {
      ++trim->blocks;
    } else if (st = EncodeChunks(id, s->info.kind, kept, &trim->batch, &trim->index_insert);
               !st.ok()) {
      return st;
    }
  }
  trim->deletions += n;
  *done = n == before;
  return absl::OkStatus();
}

// The chunk holding the cutoff's bucket: earlier buckets dropped, that
// bucket recomputed from the points at or after the cutoff (kept as is
// when the cutoff is its start).
absl::Status Engine::TrimFloorBucket(Series* s, Resolution r, int64_t cutoff_ms, Trim* trim) {
  const int64_t width = ResolutionMs(r);
  const int64_t bucket = engine_internal::SafeBucketStart(cutoff_ms, width);
  const int64_t chunk_start = engine_internal::SafeBucketStart(bucket, ChunkWidthMs(r));
  const std::string key = engine_internal::RollupKey(s->info.id, r, chunk_start);
  std::string bytes;
  absl::Status st = store_->Get(kTsdbSpace, key, &bytes);
  if (absl::IsNotFound(st)) return absl::OkStatus();
  if (!st.ok()) return st;
  absl::StatusOr<std::vector<RollupBucket>> chunk = DecodeRollupChunk(bytes);
  if (!chunk.ok()) return chunk.status();
  std::vector<RollupBucket> kept;
  for (RollupBucket& b : *chunk) {
    if (b.start_ms > bucket || (b.start_ms == bucket && cutoff_ms == bucket)) {
      kept.push_back(std::move(b));
    }
  }
  if (cutoff_ms > bucket && bucket < s->rolled[ResolutionIndex(r)]) {
    // Under the watermark every point of the bucket is in a block, and the
    // points from the cutoff on are the same whatever this call trims.
    Pending none;
    none.s = s;
    std::vector<Point> raw;
    if (st = RawPoints(&none, cutoff_ms, bucket + width, &raw); !st.ok()) return st;
    std::vector<RollupBucket> recomputed;
    engine_internal::Summarize(raw, width, &recomputed);
    kept.insert(kept.begin(), recomputed.begin(), recomputed.end());
  }
  if (kept.empty()) {
    trim->batch.Delete(kTsdbSpace, key);
  } else {
    trim->batch.Put(kTsdbSpace, key, EncodeRollupChunk(kept));
  }
  return absl::OkStatus();
}

// Chunks that end at or before the start of the chunk holding the cutoff's
// bucket, at most what is left of the step's budget.
absl::Status Engine::DeleteOldChunks(Series* s, Resolution r, int64_t cutoff_ms, Trim* trim,
                                     bool* done) {
  const int64_t bucket = engine_internal::SafeBucketStart(cutoff_ms, ResolutionMs(r));
  const int64_t keep_from = engine_internal::SafeBucketStart(bucket, ChunkWidthMs(r));
  const std::string prefix = engine_internal::RollupPrefix(s->info.id, r);
  *done = true;
  absl::Status st = store_->Scan(kTsdbSpace, prefix, "", [&](std::string_view key, auto) {
    ByteReader k(key.substr(prefix.size()));
    if (engine_internal::UnbiasTime(k.ReadU64()) >= keep_from) return false;
    if (trim->deletions == kRetentionBatchKeys) {
      *done = false;
      return false;
    }
    trim->batch.Delete(kTsdbSpace, key);
    ++trim->deletions;
    return true;
  });
  return st;
}

}  // namespace qilian::platform::tsdb
