// Latency recording for qilian-perf, in the manner of HdrHistogram: values
// (nanoseconds) below 2048 are counted exactly, larger ones in buckets
// 1/1024 of their power of two wide, so a reported percentile is within
// 0.1% of the true sample, whatever the spread, in fixed memory. Per-thread
// histograms are merged at the end.
#ifndef QILIAN_PERF_LATENCY_HISTOGRAM_H_
#define QILIAN_PERF_LATENCY_HISTOGRAM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qilian::perf {

class LatencyHistogram {
 public:
  LatencyHistogram();

  void Record(uint64_t nanos);
  void Merge(const LatencyHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }  // exact

  // The nearest-rank percentile (0 < p <= 100): the smallest recorded value
  // v such that at least p% of the samples are <= v, reported as the
  // highest value of v's bucket (never above max()). 0 when empty.
  uint64_t Percentile(double p) const;

  // Bucket arithmetic, exposed for tests.
  static size_t BucketOf(uint64_t nanos);
  static uint64_t HighestOf(size_t bucket);

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace qilian::perf

#endif  // QILIAN_PERF_LATENCY_HISTOGRAM_H_
