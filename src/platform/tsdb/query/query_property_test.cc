// Property: an answer computed with rollups equals the answer computed from
// raw points only (relative difference at most 1e-9), for random series
// with gaps, NaN and counter resets, every aggregate, windows of 1m, 5m and
// 1h, aligned and unaligned ranges, rollups complete up to random times;
// and increases over consecutive windows add up to the range's increase.
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "platform/tsdb/query/memory_series_source.h"
#include "platform/tsdb/query/query_eval.h"

namespace qilian::platform::tsdb {
namespace {

constexpr uint64_t kEnterprise = 1;
constexpr int64_t kHour = 3'600'000;

std::vector<Point> RandomSeries(std::mt19937_64& rng, ValueKind kind) {
  std::vector<Point> points;
  int64_t t = static_cast<int64_t>(rng() % kHour);
  double counter = static_cast<double>(rng() % 1000);
  size_t n = 1 + rng() % 600;
  for (size_t i = 0; i < n; ++i) {
    // Mostly a few seconds apart, sometimes a gap of minutes or hours.
    switch (rng() % 20) {
      case 0:
        t += static_cast<int64_t>(rng() % (3 * kHour));
        break;
      case 1:
        t += static_cast<int64_t>(rng() % 600'000);
        break;
      default:
        t += 1 + static_cast<int64_t>(rng() % 20'000);
    }
    if (rng() % 50 == 0) counter = static_cast<double>(rng() % 10);  // a reset
    counter += static_cast<double>(rng() % 1000) / 8;
    switch (kind) {
      case ValueKind::kFloat:
        points.push_back({t, rng() % 25 == 0 ? std::numeric_limits<double>::quiet_NaN() : counter});
        break;
      case ValueKind::kInt:
        points.push_back({t, static_cast<int64_t>(counter)});
        break;
      default:
        points.push_back({t, rng() % 3 == 0});
    }
  }
  return points;
}

bool Near(const Cell& a, const Cell& b) {
  const double* x = std::get_if<double>(&a);
  const double* y = std::get_if<double>(&b);
  if (x == nullptr || y == nullptr) return a == b;
  if (std::isnan(*x) || std::isnan(*y)) return std::isnan(*x) && std::isnan(*y);
  return std::abs(*x - *y) <= 1e-9 * std::max({std::abs(*x), std::abs(*y), 1.0});
}

void ExpectSameAnswer(const QueryAnswer& raw, const QueryAnswer& rolled, const std::string& what) {
  ASSERT_EQ(raw.series.size(), rolled.series.size()) << what;
  for (size_t s = 0; s < raw.series.size(); ++s) {
    const auto& a = raw.series[s].rows;
    const auto& b = rolled.series[s].rows;
    ASSERT_EQ(a.size(), b.size()) << what << " series " << s;
    for (size_t r = 0; r < a.size(); ++r) {
      ASSERT_EQ(a[r].time_ms, b[r].time_ms) << what;
      for (size_t c = 0; c < a[r].cells.size(); ++c) {
        ASSERT_TRUE(Near(a[r].cells[c], b[r].cells[c]))
            << what << " series " << s << " row " << r << " column " << raw.series[s].columns[c];
      }
    }
  }
}

TEST(QueryProperty, RollupsAnswerAsRawPointsDo) {
  std::mt19937_64 rng(20261207);
  int used_rollups = 0;
  for (int round = 0; round < 60; ++round) {
    MemorySeriesSource raw_source, rolled_source;
    size_t series = 1 + rng() % 4;
    int64_t last = 0;
    for (size_t i = 0; i < series; ++i) {
      ValueKind kind = i == 0 ? ValueKind::kFloat : static_cast<ValueKind>(1 + rng() % 3);
      std::vector<Point> points = RandomSeries(rng, kind);
      last = std::max(last, points.back().time_ms);
      SeriesInfo info{0,
                      kEnterprise,
                      absl::StrCat("d", i % 2),
                      absl::StrCat("p", i),
                      kind,
                      {{"product", i % 2 ? "pump" : "fan"}}};
      raw_source.Add(info, points);
      SeriesId id = rolled_source.Add(info, points);
      rolled_source.SetRollupsComplete(id, static_cast<int64_t>(rng() % (last + 2 * kHour)));
    }
    const int64_t windows[] = {60'000, 300'000, kHour};
    int64_t window = windows[rng() % 3];
    int64_t start = static_cast<int64_t>(rng() % (last / 2 + 1));
    int64_t end = start + 1 + static_cast<int64_t>(rng() % (last + kHour - start));
    if (rng() % 2) {  // aligned to the window
      start = BucketStart(start, window);
      end = BucketStart(end, window) + window;
    }
    std::string group = rng() % 3 == 0 ? R"(, "group_by": ["product"])" : "";
    std::string fill = rng() % 3 == 0 ? R"(, "fill": "linear")" : "";
    std::string body = absl::StrCat(
        R"({"start": )", start, R"(, "end": )", end, R"(, "window": )", window,
        R"(, "aggregates": ["avg", "min", "max", "sum", "count", "first", "last", "stddev",)",
        R"( "twa", "increase", "rate"])", group, fill, "}");
    absl::StatusOr<QueryRequest> request = ParseQueryRequest(body, 0);
    ASSERT_TRUE(request.ok()) << request.status() << body;
    absl::StatusOr<QueryAnswer> raw = EvaluateQuery(raw_source, kEnterprise, *request);
    absl::StatusOr<QueryAnswer> rolled = EvaluateQuery(rolled_source, kEnterprise, *request);
    ASSERT_TRUE(raw.ok()) << raw.status();
    ASSERT_TRUE(rolled.ok()) << rolled.status();
    EXPECT_EQ(raw->stats.buckets_read, 0u);
    if (rolled->stats.buckets_read > 0) ++used_rollups;
    ExpectSameAnswer(*raw, *rolled, body);

    // Percentiles read raw whatever the rollups: the same answer exactly.
    request->aggregates = {{AggregateKind::kPercentile, 90, "p90"}};
    raw = EvaluateQuery(raw_source, kEnterprise, *request);
    rolled = EvaluateQuery(rolled_source, kEnterprise, *request);
    ASSERT_TRUE(raw.ok() && rolled.ok());
    EXPECT_EQ(rolled->stats.buckets_read, 0u);
    ExpectSameAnswer(*raw, *rolled, body + " p90");

    // The windows' increases add up to the increase over the whole range
    // (one window of 1000 days holds it all).
    request->aggregates = {{AggregateKind::kIncrease, 0, "increase"}};
    request->fill = {};
    request->group_by = {};
    absl::StatusOr<QueryAnswer> windowed = EvaluateQuery(rolled_source, kEnterprise, *request);
    request->window_ms = 1000 * 24 * kHour;
    absl::StatusOr<QueryAnswer> whole = EvaluateQuery(raw_source, kEnterprise, *request);
    ASSERT_TRUE(windowed.ok() && whole.ok());
    for (size_t s = 0; s < whole->series.size(); ++s) {
      double sum = 0;
      for (const AnswerRow& row : windowed->series[s].rows) sum += std::get<double>(row.cells[0]);
      double total =
          whole->series[s].rows.empty() ? 0 : std::get<double>(whole->series[s].rows[0].cells[0]);
      EXPECT_TRUE(Near(sum, total)) << body << " series " << s << ": " << sum << " vs " << total;
    }
  }
  EXPECT_GT(used_rollups, 20);  // the property was exercised, not skipped
}

}  // namespace
}  // namespace qilian::platform::tsdb
