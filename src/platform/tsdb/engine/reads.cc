// The read path (docs/tsdb.md, "Reads"): range and latest reads over the
// heads and the blocks, seeking with the per-series block index.
#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/bytes.h"
#include "platform/tsdb/engine/engine.h"
#include "platform/tsdb/engine/engine_internal.h"

namespace qilian::platform::tsdb {

using engine_internal::BlockKey;
using engine_internal::BlockPrefix;
using engine_internal::IndexPrefix;
using engine_internal::MergePoints;
using engine_internal::UnbiasTime;
using engine_internal::ValueAt;

absl::Status Engine::EnsureIndex(Series* s) const {
  std::lock_guard lock(ShardOf(s->info.id));
  if (s->index_loaded) return absl::OkStatus();
  std::vector<int64_t> firsts;
  std::string prefix = IndexPrefix(s->info.id);
  absl::Status st =
      store_->Scan(kTsdbSpace, prefix, "", [&](std::string_view key, std::string_view) {
        ByteReader k(key.substr(prefix.size()));
        firsts.push_back(UnbiasTime(k.ReadU64()));
        return true;
      });
  if (!st.ok()) return st;
  s->block_firsts = std::move(firsts);
  s->index_loaded = true;
  return absl::OkStatus();
}

absl::Status Engine::ReadBlocks(Series* s, int64_t from, int64_t to, size_t cap,
                                std::vector<Point>* out, bool* over) const {
  // Nothing stored can be in range when nothing was ever sealed or the range
  // starts after sealed_last (every stored point is at or before it): such
  // reads, of series whose data is all in the head, cost no store access.
  // Read after the caller copied the head, so a seal meanwhile is seen.
  {
    std::lock_guard lock(ShardOf(s->info.id));
    if (!s->has_blocks || from > s->sealed_last) return absl::OkStatus();
  }
  if (absl::Status st = EnsureIndex(s); !st.ok()) return st;
  // Start at the last block whose first time is <= from. From the first
  // block, scan from the prefix: a late point older than every block
  // rewrites that block under an earlier key meanwhile.
  std::string start;
  {
    std::lock_guard lock(ShardOf(s->info.id));
    const std::vector<int64_t>& firsts = s->block_firsts;
    auto it = std::upper_bound(firsts.begin(), firsts.end(), from);
    if (it != firsts.begin() && it - 1 != firsts.begin()) start = BlockKey(s->info.id, *(it - 1));
  }
  absl::Status error;
  std::string prefix = BlockPrefix(s->info.id);
  absl::Status st =
      store_->Scan(kTsdbSpace, prefix, start, [&](std::string_view key, std::string_view value) {
        ByteReader k(key.substr(prefix.size()));
        if (UnbiasTime(k.ReadU64()) >= to) return false;
        ++blocks_read_;
        absl::StatusOr<BlockHeader> header = DecodeBlockHeader(value);
        if (!header.ok()) {
          error = header.status();
          return false;
        }
        if (header->last_timestamp < from) return true;
        absl::StatusOr<Block> block = LoadBlock(s, value);
        if (!block.ok()) {
          error = block.status();
          return false;
        }
        for (size_t i = 0; i < block->timestamps.size(); ++i) {
          int64_t t = block->timestamps[i];
          if (t < from || t >= to) continue;
          out->push_back({t, ValueAt(block->values, i)});
        }
        if (out->size() > cap) {
          *over = true;
          return false;
        }
        return true;
      });
  if (!st.ok()) return st;
  return error;
}

absl::StatusOr<std::vector<Point>> Engine::ReadRange(SeriesId id, int64_t from_ms, int64_t to_ms,
                                                     size_t limit) const {
  const size_t max = options_.max_points_per_query;
  if (limit > max) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("a limit of %d points is over %d, the limit ([tsdb] "
                        "max_points_per_query)",
                        limit, max));
  }
  Series* s = Lookup(id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("series ", id, " not found"));
  const size_t cap = limit == 0 ? max : limit;
  auto too_many = [&] {
    return absl::ResourceExhaustedError(
        absl::StrFormat("the query reads more than %d points, the limit "
                        "([tsdb] max_points_per_query)",
                        max));
  };

  // The head first, then the store: a seal in between shows its points
  // twice (the block's copy wins a tie), never not at all.
  std::vector<Point> head;
  {
    std::lock_guard lock(ShardOf(id));
    from_ms = std::max(from_ms, s->floor_ms);
    if (from_ms >= to_ms) return std::vector<Point>();
    auto lo = std::lower_bound(s->head_ts.begin(), s->head_ts.end(), from_ms);
    auto hi = std::lower_bound(s->head_ts.begin(), s->head_ts.end(), to_ms);
    for (auto it = lo; it != hi; ++it) {
      size_t i = static_cast<size_t>(it - s->head_ts.begin());
      head.push_back({*it, ValueAt(s->head_values, i)});
    }
  }
  std::vector<Point> sealed;
  bool over = false;
  if (absl::Status st = ReadBlocks(s, from_ms, to_ms, cap, &sealed, &over); !st.ok()) return st;
  if (over && limit == 0) return too_many();
  std::vector<Point> out = MergePoints(std::move(head), std::move(sealed));
  if (out.size() > cap) {
    if (limit == 0) return too_many();
    out.resize(cap);
  }
  return out;
}

absl::StatusOr<Point> Engine::Latest(SeriesId id) const {
  Series* s = Lookup(id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("series ", id, " not found"));
  auto empty = [&] { return absl::NotFoundError(absl::StrCat("series ", id, " has no points")); };
  {
    // A head point, or no block ever: no store access.
    std::lock_guard lock(ShardOf(id));
    if (!s->head_ts.empty()) {
      return Point{s->head_ts.back(), ValueAt(s->head_values, s->head_ts.size() - 1)};
    }
    if (!s->has_blocks) return empty();
  }
  if (absl::Status st = EnsureIndex(s); !st.ok()) return st;
  int64_t newest;
  {
    std::lock_guard lock(ShardOf(id));
    if (!s->head_ts.empty()) {
      return Point{s->head_ts.back(), ValueAt(s->head_values, s->head_ts.size() - 1)};
    }
    if (s->block_firsts.empty()) return empty();
    newest = s->block_firsts.back();
  }
  // The newest block (scanned from its key: a seal may have added a newer
  // one since), its last point, unless retention removed it meanwhile.
  // From the start as well when the block was rewritten under an earlier key.
  std::string prefix = BlockPrefix(id);
  std::string bytes;
  for (const std::string& start : {BlockKey(id, newest), std::string()}) {
    absl::Status st =
        store_->Scan(kTsdbSpace, prefix, start, [&](std::string_view, std::string_view value) {
          bytes = value;
          return true;
        });
    if (!st.ok()) return st;
    if (!bytes.empty()) break;
  }
  if (bytes.empty()) return empty();
  ++blocks_read_;
  absl::StatusOr<Block> block = LoadBlock(s, bytes);
  if (!block.ok()) return block.status();
  size_t n = block->timestamps.size();
  std::lock_guard lock(ShardOf(id));
  if (block->timestamps[n - 1] < s->floor_ms) return empty();
  return Point{block->timestamps[n - 1], ValueAt(block->values, n - 1)};
}

}  // namespace qilian::platform::tsdb
