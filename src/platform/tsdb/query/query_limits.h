// The limits a telemetry query runs under (docs/telemetry-query.md,
// "Limits"), one per `[tsdb]` key, and the ResourceExhausted errors that
// name them. A query over a limit that is known before reading (series,
// windows, filled rows) is refused before reading; the others as soon as
// the count passes the limit.
#ifndef QILIAN_PLATFORM_TSDB_QUERY_QUERY_LIMITS_H_
#define QILIAN_PLATFORM_TSDB_QUERY_QUERY_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace qilian::platform::tsdb {

struct QueryLimits {
  // [tsdb] max_series_per_query
  size_t max_series = 10'000;
  // [tsdb] max_points_read_per_query: raw points, summed across series
  // (rollup buckets do not count).
  uint64_t max_points_read = 10'000'000;
  // [tsdb] max_rows_per_query: answer rows, summed across answer series.
  uint64_t max_rows = 1'000'000;
  // [tsdb] max_windows_per_query: windows of `window` in [start, end).
  uint64_t max_windows = 100'000;
};

inline constexpr char kMaxSeriesKey[] = "max_series_per_query";
inline constexpr char kMaxPointsReadKey[] = "max_points_read_per_query";
inline constexpr char kMaxRowsKey[] = "max_rows_per_query";
inline constexpr char kMaxWindowsKey[] = "max_windows_per_query";

// "the query <what>, over the limit of <limit> ([tsdb] <key>)", e.g.
// OverLimit("selects 12000 series", 10000, kMaxSeriesKey).
absl::Status OverLimit(const std::string& what, uint64_t limit, const char* key);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_QUERY_LIMITS_H_
