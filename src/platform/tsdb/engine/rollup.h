// Rollups (docs/tsdb.md, "Rollups"): a summary of a numeric series over a
// bucket of fixed width (1 minute, 1 hour) that answers every windowed
// aggregate except percentiles without reading the raw points. The engine
// stores them; the query layer combines them, and computes the same
// summaries from raw points with the same two functions, so that a window
// answered from rollups and one answered from raw points agree by
// construction (up to the order of floating-point additions).
//
// Values: float as is, int as double, bool as 0/1; NaN is skipped (counted
// nowhere); text series have no rollups.
#ifndef QILIAN_PLATFORM_TSDB_ENGINE_ROLLUP_H_
#define QILIAN_PLATFORM_TSDB_ENGINE_ROLLUP_H_

#include <cstdint>
#include <limits>
#include <vector>

namespace qilian::platform::tsdb {

enum class Resolution : uint8_t { k1m = 1, k1h = 2 };

constexpr int64_t ResolutionMs(Resolution r) {
  return r == Resolution::k1m ? int64_t{60'000} : int64_t{3'600'000};
}

// The start of the bucket of `width_ms` holding t: floor(t / width) * width,
// flooring negative times too (buckets are aligned to the Unix epoch, UTC).
constexpr int64_t BucketStart(int64_t t, int64_t width_ms) {
  int64_t q = t / width_ms;
  if (t % width_ms < 0) --q;
  return q * width_ms;
}

struct RollupBucket {
  int64_t start_ms = 0;  // aligned bucket start
  uint64_t count = 0;    // non-NaN points summarized
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  double mean = 0;  // Welford's running mean ...
  double m2 = 0;    // ... and sum of squared deviations from it (stddev)
  int64_t first_ms = 0, last_ms = 0;
  double first = 0, last = 0;
  // The integral of the linear interpolation between consecutive points,
  // from first_ms to last_ms, in value·milliseconds (time-weighted average).
  double area = 0;
  // The counter increase between consecutive points: v[i] - v[i-1], or
  // v[i] when v[i] < v[i-1] (a reset: the counter restarted from zero, as
  // Prometheus' increase() reads it).
  double increase = 0;

  bool operator==(const RollupBucket&) const = default;
};

// Rollups of one series over a range, and how far they reach: every point
// with time < complete_until_ms is summarized in `buckets`; later points
// (the head, the newest block's unfinished bucket) are read raw.
struct RollupRead {
  std::vector<RollupBucket> buckets;  // non-empty buckets, ascending start
  int64_t complete_until_ms = 0;      // aligned to the resolution
};

// Adds a point after every point already in `b` (ascending time). NaN is
// skipped. The first point sets first/last; each later one adds the segment
// from the previous point to `area` and `increase`.
void AddPoint(RollupBucket* b, int64_t time_ms, double value);

// Appends `later`, whose points all come after `into`'s, as if its points
// had been added one by one: counts, sums, extremes, Welford's moments
// (Chan's parallel formula), and the segment joining into.last to
// later.first goes to `area` and `increase`. An empty side is a no-op
// (into takes later as is). `into->start_ms` is kept.
void Append(RollupBucket* into, const RollupBucket& later);

// The segment joining two adjacent non-empty summaries (a's last point to
// b's first): what Append adds to area and increase. The query layer uses
// it to decide which window a joint belongs to.
double JointArea(const RollupBucket& a, const RollupBucket& b);
double JointIncrease(const RollupBucket& a, const RollupBucket& b);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_ENGINE_ROLLUP_H_
