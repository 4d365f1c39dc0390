#include "platform/tsdb/query/memory_series_source.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "platform/tsdb/query/series_windows.h"

namespace qilian::platform::tsdb {

SeriesId MemorySeriesSource::Add(SeriesInfo info, std::vector<Point> points) {
  std::stable_sort(points.begin(), points.end(),
                   [](const Point& a, const Point& b) { return a.time_ms < b.time_ms; });
  std::vector<Point> unique;
  for (Point& p : points) {
    if (!unique.empty() && unique.back().time_ms == p.time_ms) {
      unique.back() = std::move(p);
    } else {
      unique.push_back(std::move(p));
    }
  }
  info.id = series_.size() + 1;
  series_.push_back({std::move(info), std::move(unique)});
  return series_.back().info.id;
}

void MemorySeriesSource::SetRollupsComplete(SeriesId id, int64_t until_ms) {
  series_[id - 1].rollups_until = until_ms;
}

void MemorySeriesSource::SetAllRollupsComplete(int64_t until_ms) {
  for (Series& s : series_) s.rollups_until = until_ms;
}

const MemorySeriesSource::Series* MemorySeriesSource::Find(SeriesId id) const {
  return id >= 1 && id <= series_.size() ? &series_[id - 1] : nullptr;
}

std::vector<SeriesInfo> MemorySeriesSource::ListSeries(uint64_t enterprise) const {
  std::vector<SeriesInfo> out;
  for (const Series& s : series_) {
    if (s.info.enterprise == enterprise) out.push_back(s.info);
  }
  return out;
}

absl::StatusOr<std::vector<Point>> MemorySeriesSource::ReadRange(SeriesId id, int64_t from_ms,
                                                                 int64_t to_ms,
                                                                 size_t limit) const {
  ++range_reads;
  const Series* s = Find(id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("series ", id, " not found"));
  auto less = [](const Point& p, int64_t t) { return p.time_ms < t; };
  auto begin = std::lower_bound(s->points.begin(), s->points.end(), from_ms, less);
  auto end = std::lower_bound(begin, s->points.end(), to_ms, less);
  size_t n = static_cast<size_t>(end - begin);
  if (limit == 0 && n > max_points_per_read_) {
    return absl::ResourceExhaustedError("memory source: too many points");
  }
  if (limit > 0) n = std::min(n, limit);
  points_returned += n;
  return std::vector<Point>(begin, begin + static_cast<ptrdiff_t>(n));
}

absl::StatusOr<RollupRead> MemorySeriesSource::ReadRollups(SeriesId id, Resolution resolution,
                                                           int64_t from_ms, int64_t to_ms) const {
  ++rollup_reads;
  const Series* s = Find(id);
  if (s == nullptr) return absl::NotFoundError(absl::StrCat("series ", id, " not found"));
  RollupRead read;
  read.complete_until_ms = std::numeric_limits<int64_t>::min();
  if (s->info.kind == ValueKind::kText || s->rollups_until == read.complete_until_ms) {
    return read;
  }
  const int64_t width = ResolutionMs(resolution);
  read.complete_until_ms = BucketStart(s->rollups_until, width);
  for (const Point& p : s->points) {
    if (p.time_ms < from_ms || p.time_ms >= to_ms || p.time_ms >= read.complete_until_ms) {
      continue;
    }
    int64_t start = BucketStart(p.time_ms, width);
    if (read.buckets.empty() || read.buckets.back().start_ms != start) {
      read.buckets.push_back(RollupBucket{.start_ms = start});
    }
    AddPoint(&read.buckets.back(), p.time_ms, NumericValue(p.value));
  }
  // A bucket of NaN only summarizes nothing: the engine keeps no such bucket.
  std::erase_if(read.buckets, [](const RollupBucket& b) { return b.count == 0; });
  return read;
}

absl::StatusOr<Point> MemorySeriesSource::Latest(SeriesId id) const {
  const Series* s = Find(id);
  if (s == nullptr || s->points.empty()) {
    return absl::NotFoundError(absl::StrCat("series ", id, " has no points"));
  }
  return s->points.back();
}

}  // namespace qilian::platform::tsdb
