#include "core/metrics.h"

#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace qilian {
namespace {

TEST(MetricsTest, RendersCountersAndGaugesSortedWithHelpAndType) {
  MetricsRegistry r;
  r.GetCounter("b_total", "Bees.", {{"kind", "worker"}}).Inc(3);
  r.GetCounter("b_total", "Bees.", {{"kind", "drone"}}).Inc();
  r.GetGauge("a_bytes", "Line one\nback\\slash").Set(-5);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP a_bytes Line one\\nback\\\\slash\n"
            "# TYPE a_bytes gauge\n"
            "a_bytes -5\n"
            "# HELP b_total Bees.\n"
            "# TYPE b_total counter\n"
            "b_total{kind=\"drone\"} 1\n"
            "b_total{kind=\"worker\"} 3\n");
}

TEST(MetricsTest, SameNameAndLabelsIsSameObject) {
  MetricsRegistry r;
  Counter& a = r.GetCounter("x_total", "X.", {{"a", "1"}});
  Counter& b = r.GetCounter("x_total", "X.", {{"a", "1"}});
  Counter& c = r.GetCounter("x_total", "X.", {{"a", "2"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
}

TEST(MetricsTest, EscapesLabelValues) {
  MetricsRegistry r;
  r.GetCounter("e_total", "E.", {{"path", "a\"b\\c\nd"}, {"z", ""}}).Inc(2);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP e_total E.\n"
            "# TYPE e_total counter\n"
            "e_total{path=\"a\\\"b\\\\c\\nd\",z=\"\"} 2\n");
}

TEST(MetricsTest, RendersHistogram) {
  MetricsRegistry r;
  Histogram& h = r.GetHistogram("lat_seconds", "Latency.", {0.001, 0.5, 2}, {{"op", "get"}});
  h.Observe(0.0005);
  h.Observe(0.001);  // upper bounds are inclusive
  h.Observe(0.25);
  h.Observe(100);
  EXPECT_EQ(h.count(), 4u);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{op=\"get\",le=\"0.001\"} 2\n"
            "lat_seconds_bucket{op=\"get\",le=\"0.5\"} 3\n"
            "lat_seconds_bucket{op=\"get\",le=\"2\"} 3\n"
            "lat_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{op=\"get\"} 100.2515\n"
            "lat_seconds_count{op=\"get\"} 4\n");
}

TEST(MetricsTest, HistogramWithoutLabels) {
  MetricsRegistry r;
  r.GetHistogram("h", "H.", {1}).Observe(3);
  EXPECT_EQ(r.RenderPrometheus(),
            "# HELP h H.\n# TYPE h histogram\n"
            "h_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 3\nh_count 1\n");
}

TEST(MetricsTest, FormatsValues) {
  EXPECT_EQ(internal::FormatMetricValue(0.00005), "5e-05");
  EXPECT_EQ(internal::FormatMetricValue(2.5), "2.5");
  EXPECT_EQ(internal::FormatMetricValue(10), "10");
  EXPECT_EQ(internal::FormatMetricValue(1.0 / 0.0), "+Inf");
}

TEST(MetricsTest, CollectorsRunAtRender) {
  MetricsRegistry r;
  int calls = 0;
  r.AddCollector([&] { r.GetGauge("g", "G.").Set(++calls); });
  EXPECT_EQ(r.RenderPrometheus(), "# HELP g G.\n# TYPE g gauge\ng 1\n");
  EXPECT_EQ(r.RenderPrometheus(), "# HELP g G.\n# TYPE g gauge\ng 2\n");
}

TEST(MetricsTest, ProcessCollector) {
  MetricsRegistry r;
  RegisterProcessCollector(r);
  RegisterProcessCollector(r);  // idempotent
  std::string text = r.RenderPrometheus();
  int64_t rss = -1, start = -1;
  int rss_lines = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, "qilian_process_resident_memory_bytes ")) {
      ++rss_lines;
      ASSERT_TRUE(absl::SimpleAtoi(line, &rss));
    }
    if (absl::ConsumePrefix(&line, "qilian_process_start_time_seconds ")) {
      ASSERT_TRUE(absl::SimpleAtoi(line, &start));
    }
  }
  EXPECT_EQ(rss_lines, 1);
  EXPECT_GT(rss, 1 << 20);  // a running test binary holds more than 1 MiB
  EXPECT_GT(start, 1'600'000'000);
  EXPECT_LE(start, absl::ToUnixSeconds(absl::Now()) + 1);
  EXPECT_TRUE(absl::StrContains(text, "# TYPE qilian_process_resident_memory_bytes gauge\n"));
}

TEST(MetricsTest, LatencyBucketsAscend) {
  std::vector<double> b = LatencyBuckets();
  ASSERT_FALSE(b.empty());
  EXPECT_DOUBLE_EQ(b.front(), 0.00005);
  EXPECT_DOUBLE_EQ(b.back(), 10);
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
}

}  // namespace
}  // namespace qilian
