#include "perf/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace qilian::perf {
namespace {

constexpr int kSubBits = 10;                         // 1024 sub-buckets per power of two
constexpr uint64_t kExactLimit = uint64_t{2} << kSubBits;  // 2048: counted exactly
constexpr size_t kBuckets = kExactLimit + (64 - kSubBits - 1) * (size_t{1} << kSubBits);

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, 0) {}

size_t LatencyHistogram::BucketOf(uint64_t v) {
  if (v < kExactLimit) return static_cast<size_t>(v);
  // shift >= 1: v >> shift keeps kSubBits + 1 significant bits, in [1024, 2048).
  int shift = std::bit_width(v) - (kSubBits + 1);
  uint64_t top = v >> shift;
  return kExactLimit + static_cast<size_t>(shift - 1) * (size_t{1} << kSubBits) +
         static_cast<size_t>(top - (uint64_t{1} << kSubBits));
}

uint64_t LatencyHistogram::HighestOf(size_t bucket) {
  if (bucket < kExactLimit) return bucket;
  size_t rest = bucket - kExactLimit;
  int shift = static_cast<int>(rest >> kSubBits) + 1;
  uint64_t top = (uint64_t{1} << kSubBits) + (rest & ((size_t{1} << kSubBits) - 1));
  if (shift + kSubBits + 1 >= 64 && top == (uint64_t{2} << kSubBits) - 1) return UINT64_MAX;
  return ((top + 1) << shift) - 1;
}

void LatencyHistogram::Record(uint64_t nanos) {
  ++counts_[BucketOf(nanos)];
  ++count_;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

uint64_t LatencyHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank, computed in integers where possible so 50% of 100
  // samples is rank 50 exactly rather than 50.000000001.
  uint64_t rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_) - 1e-9));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t b = 0; b < counts_.size(); ++b) {
    seen += counts_[b];
    if (seen >= rank) return std::min(HighestOf(b), max_);
  }
  return max_;
}

}  // namespace qilian::perf
