// A SeriesSource over points held in memory, for tests: rollups are
// computed from the points with rollup.h's AddPoint, complete up to a
// settable time per series, as the engine answers them; or absent, to
// compare rollup answers with raw ones. It counts reads, so that tests see
// what a query read (or that it read nothing).
#ifndef QILIAN_PLATFORM_TSDB_QUERY_MEMORY_SERIES_SOURCE_H_
#define QILIAN_PLATFORM_TSDB_QUERY_MEMORY_SERIES_SOURCE_H_

#include <cstdint>
#include <limits>
#include <map>
#include <vector>

#include "platform/tsdb/query/series_source.h"

namespace qilian::platform::tsdb {

class MemorySeriesSource : public SeriesSource {
 public:
  // Adds a series (ids 1, 2, ... in order) with its points (any order; one
  // per timestamp, the last wins).
  SeriesId Add(SeriesInfo info, std::vector<Point> points);
  // Rollups of `id` are complete up to `until_ms` (aligned down to each
  // resolution); INT64_MIN (the default): no rollups.
  void SetRollupsComplete(SeriesId id, int64_t until_ms);
  // Every series' rollups complete up to until_ms.
  void SetAllRollupsComplete(int64_t until_ms);
  // The most points one ReadRange returns with limit 0 (like the engine's
  // max_points_per_query); more is ResourceExhausted.
  void set_max_points_per_read(size_t n) { max_points_per_read_ = n; }

  std::vector<SeriesInfo> ListSeries(uint64_t enterprise) const override;
  absl::StatusOr<std::vector<Point>> ReadRange(SeriesId id, int64_t from_ms, int64_t to_ms,
                                               size_t limit) const override;
  absl::StatusOr<RollupRead> ReadRollups(SeriesId id, Resolution resolution, int64_t from_ms,
                                         int64_t to_ms) const override;
  absl::StatusOr<Point> Latest(SeriesId id) const override;

  mutable uint64_t range_reads = 0, rollup_reads = 0, points_returned = 0;

 private:
  struct Series {
    SeriesInfo info;
    std::vector<Point> points;  // ascending
    int64_t rollups_until = std::numeric_limits<int64_t>::min();
  };
  const Series* Find(SeriesId id) const;

  std::vector<Series> series_;
  size_t max_points_per_read_ = 1'000'000;
};

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_MEMORY_SERIES_SOURCE_H_
