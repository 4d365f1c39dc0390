// Reading one series into per-window summaries (docs/telemetry-query.md,
// "Evaluation"): rollup buckets where they are complete and aligned, raw
// points for the rest, both folded with rollup.h's AddPoint / Append in
// time order so that the two paths give the same summaries. Every raw read
// is paged and counted against the query's point limit.
#ifndef QILIAN_PLATFORM_TSDB_QUERY_SERIES_WINDOWS_H_
#define QILIAN_PLATFORM_TSDB_QUERY_SERIES_WINDOWS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/tsdb/engine/rollup.h"
#include "platform/tsdb/query/query_limits.h"
#include "platform/tsdb/query/series_source.h"

namespace qilian::platform::tsdb {

// Windows of `width` aligned to the epoch covering [start, end): window i
// starts at first + i * width; the first and last are clipped to the range.
struct WindowGrid {
  int64_t start = 0, end = 0, width = 0;
  int64_t first = 0;
  size_t count = 0;

  // ResourceExhausted past limits.max_windows. Times within
  // kMin/kMaxQueryTimeMs, width > 0, start < end.
  static absl::StatusOr<WindowGrid> Make(int64_t start, int64_t end, int64_t width,
                                         const QueryLimits& limits);
  size_t Index(int64_t t) const {
    return static_cast<size_t>((BucketStart(t, width) - first) / width);
  }
  int64_t Start(size_t i) const { return first + static_cast<int64_t>(i) * width; }
  // Window i's part of [start, end), in milliseconds (rate divides by it).
  int64_t ClippedLength(size_t i) const;
};

// What a query has read so far, against its limits.
struct ReadCounter {
  const QueryLimits* limits = nullptr;
  uint64_t points_read = 0;
  uint64_t buckets_read = 0;
  std::optional<Resolution> rollup;
};

// Raw points in [from, to), ascending, in pages of at most `page` points,
// counted against limits.max_points_read (ResourceExhausted as soon as the
// count passes it). `max_points` > 0 stops after that many.
absl::Status ReadPoints(const SeriesSource& source, SeriesId id, int64_t from, int64_t to,
                        size_t max_points, ReadCounter* counter,
                        const std::function<void(const Point&)>& fn, size_t page = 100'000);

// One series' summary of one window. Text series count their points in
// `bucket` (count, first_ms, last_ms; values 0) and keep the text apart.
struct SeriesWindow {
  RollupBucket bucket;
  // bucket.increase plus the joint from the series' previous non-empty
  // window: consecutive windows' increases add up to the range's. Only
  // when the plan asks for it (WindowPlan::increase); else 0.
  double increase = 0;
  std::vector<double> values;  // the points' values, for percentiles
  std::string first_text, last_text;
};

struct WindowPlan {
  // Rollups to use where complete and aligned; nullopt: raw only.
  std::optional<Resolution> rollup;
  bool keep_values = false;  // percentiles asked: keep every value
  // increase or rate asked: SeriesWindow::increase is computed (else 0).
  bool increase = false;
  // > 0: the first window's increase includes the joint from the series'
  // last point in [start - lookback_ms, start) (read from 1m rollups where
  // complete). A multiple of 1 minute.
  int64_t lookback_ms = 0;
};

// The lookback of increase and rate (WindowPlan::lookback_ms).
inline constexpr int64_t kIncreaseLookbackMs = 3'600'000;

// Reads `series` over the grid and calls `emit` once per non-empty window,
// in window order, when the window is complete.
absl::Status ReadSeriesWindows(const SeriesSource& source, const SeriesInfo& series,
                               const WindowGrid& grid, const WindowPlan& plan, ReadCounter* counter,
                               const std::function<void(size_t, SeriesWindow&)>& emit);

// A point's value as rollups see it: float as is, int as double, bool 0/1;
// text is NaN (it has no number).
double NumericValue(const PointValue& value);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_SERIES_WINDOWS_H_
