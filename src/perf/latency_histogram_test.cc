#include "perf/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace qilian::perf {
namespace {

TEST(LatencyHistogramTest, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
}

TEST(LatencyHistogramTest, SmallValuesAreExactNearestRank) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.Percentile(50), 50u);
  EXPECT_EQ(h.Percentile(90), 90u);
  EXPECT_EQ(h.Percentile(99), 99u);
  EXPECT_EQ(h.Percentile(99.5), 100u);
  EXPECT_EQ(h.Percentile(100), 100u);
  EXPECT_EQ(h.Percentile(0.1), 1u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
}

TEST(LatencyHistogramTest, SkewedDistribution) {
  LatencyHistogram h;
  for (int i = 0; i < 990; ++i) h.Record(1000);
  for (int i = 0; i < 10; ++i) h.Record(1500);
  EXPECT_EQ(h.Percentile(99), 1000u);
  EXPECT_EQ(h.Percentile(99.1), 1500u);
  EXPECT_EQ(h.max(), 1500u);
}

TEST(LatencyHistogramTest, BucketsAreContiguousAndNarrow) {
  // Every value lands in a bucket whose highest value is >= it and within
  // 1/1024 of it; consecutive buckets leave no gaps.
  for (uint64_t v : std::vector<uint64_t>{2047, 2048, 2049, 4095, 4096, 123456789,
                                          (uint64_t{1} << 40) + 12345, UINT64_MAX}) {
    size_t b = LatencyHistogram::BucketOf(v);
    uint64_t hi = LatencyHistogram::HighestOf(b);
    EXPECT_GE(hi, v) << v;
    EXPECT_LE(double(hi - v), double(v) / 1024.0) << v;
    if (b > 0) EXPECT_LT(LatencyHistogram::HighestOf(b - 1), v) << v;
  }
  EXPECT_EQ(LatencyHistogram::BucketOf(2048), LatencyHistogram::BucketOf(2049));
  EXPECT_NE(LatencyHistogram::BucketOf(2049), LatencyHistogram::BucketOf(2050));
}

TEST(LatencyHistogramTest, MatchesSortedSamplesWithinResolution) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(11.0, 1.5);  // around 60 us, long tail
  std::vector<uint64_t> samples;
  LatencyHistogram h;
  for (int i = 0; i < 100000; ++i) {
    uint64_t v = static_cast<uint64_t>(dist(rng)) + 1;
    samples.push_back(v);
    h.Record(v);
  }
  std::sort(samples.begin(), samples.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    // Nearest rank in integers: p has one decimal here.
    size_t tenths = static_cast<size_t>(std::llround(p * 10));
    size_t rank = (tenths * samples.size() + 999) / 1000;
    uint64_t exact = samples[rank - 1];
    uint64_t got = h.Percentile(p);
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(double(got - exact), double(exact) / 1024.0) << p;
  }
  EXPECT_EQ(h.max(), samples.back());
  EXPECT_EQ(h.Percentile(100), samples.back());
}

TEST(LatencyHistogramTest, MergeAddsCounts) {
  LatencyHistogram a, b;
  for (uint64_t v = 1; v <= 50; ++v) a.Record(v);
  for (uint64_t v = 51; v <= 100; ++v) b.Record(v);
  a.Merge(b);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_EQ(a.Percentile(50), 50u);
  EXPECT_EQ(a.Percentile(75), 75u);
  EXPECT_EQ(a.max(), 100u);
  EXPECT_EQ(a.min(), 1u);
}

}  // namespace
}  // namespace qilian::perf
