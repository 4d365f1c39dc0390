// What the query layer reads (docs/tsdb.md, "Queries"): the engine's series
// catalog, raw points and rollups, behind an interface so the evaluator is
// tested on its own and qiliand adapts the Engine to it.
#ifndef QILIAN_PLATFORM_TSDB_QUERY_SERIES_SOURCE_H_
#define QILIAN_PLATFORM_TSDB_QUERY_SERIES_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/tsdb/engine/engine.h"
#include "platform/tsdb/engine/rollup.h"

namespace qilian::platform::tsdb {

class SeriesSource {
 public:
  virtual ~SeriesSource() = default;
  // The enterprise's series, by id, with labels.
  virtual std::vector<SeriesInfo> ListSeries(uint64_t enterprise) const = 0;
  // As Engine::ReadRange: from_ms <= t < to_ms, ascending; limit 0 = up
  // to the source's maximum, ResourceExhausted past it.
  virtual absl::StatusOr<std::vector<Point>> ReadRange(SeriesId id, int64_t from_ms, int64_t to_ms,
                                                       size_t limit) const = 0;
  // Buckets with from_ms <= start < to_ms (from/to aligned by the caller).
  // A text series, or one without rollups yet, answers no buckets and
  // complete_until_ms = INT64_MIN.
  virtual absl::StatusOr<RollupRead> ReadRollups(SeriesId id, Resolution resolution,
                                                 int64_t from_ms, int64_t to_ms) const = 0;
  // The newest point, NotFound when the series is empty.
  virtual absl::StatusOr<Point> Latest(SeriesId id) const = 0;
};

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_SERIES_SOURCE_H_
