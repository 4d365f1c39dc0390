#include "platform/tsdb/query/query_eval.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "platform/tsdb/query/memory_series_source.h"
#include "platform/tsdb/query/query_answer.h"
#include "platform/tsdb/query/series_windows.h"

namespace qilian::platform::tsdb {
namespace {

constexpr uint64_t kEnterprise = 7;
constexpr int64_t kMin = 60'000;

// A double as the answer writes it.
std::string D(double d) { return nlohmann::json(d).dump(); }

SeriesInfo Info(std::string device, std::string property, ValueKind kind, LabelSet labels = {}) {
  return SeriesInfo{0,    kEnterprise,      std::move(device), std::move(property),
                    kind, std::move(labels)};
}

// Series 1..6 of enterprise 7 (and one of enterprise 8):
//   1 d1/temp   float, product pump, site a: 1@0s 3@10s 5@70s 7@130s
//   2 d2/temp   float, product pump, site b: 10@5s 20@65s
//   3 d1/state  text:  Idle@0s Run@30s Fault@90s
//   4 d3/energy int counter, product meter: 100@0 110@60s 5@120s (reset) 15@180s
//   5 d4/level  float: 10@0 40@180s (windows 1 and 2 empty)
//   6 d5/vib    float: 1..10 at 1s .. 10s
class QueryEvalTest : public ::testing::Test {
 protected:
  QueryEvalTest() {
    source_.Add(Info("d1", "temp", ValueKind::kFloat, {{"product", "pump"}, {"site", "a"}}),
                {{0, 1.0}, {10'000, 3.0}, {70'000, 5.0}, {130'000, 7.0}});
    source_.Add(Info("d2", "temp", ValueKind::kFloat, {{"product", "pump"}, {"site", "b"}}),
                {{5'000, 10.0}, {65'000, 20.0}});
    source_.Add(
        Info("d1", "state", ValueKind::kText),
        {{0, std::string("Idle")}, {30'000, std::string("Run")}, {90'000, std::string("Fault")}});
    source_.Add(
        Info("d3", "energy", ValueKind::kInt, {{"product", "meter"}}),
        {{0, int64_t{100}}, {60'000, int64_t{110}}, {120'000, int64_t{5}}, {180'000, int64_t{15}}});
    source_.Add(Info("d4", "level", ValueKind::kFloat), {{0, 10.0}, {180'000, 40.0}});
    std::vector<Point> vib;
    for (int i = 1; i <= 10; ++i) vib.push_back({i * 1000, static_cast<double>(11 - i)});
    source_.Add(Info("d5", "vib", ValueKind::kFloat), vib);
    SeriesInfo other = Info("d1", "temp", ValueKind::kFloat);
    other.enterprise = 8;
    source_.Add(other, {{0, 99.0}});
  }

  absl::StatusOr<QueryAnswer> Run(std::string_view body, const QueryLimits& limits = {}) {
    absl::StatusOr<QueryRequest> request = ParseQueryRequest(body, 1'000'000);
    if (!request.ok()) return request.status();
    return EvaluateQuery(source_, kEnterprise, *request, limits);
  }

  // The answer's JSON, or the error.
  std::string Json(std::string_view body, const QueryLimits& limits = {}) {
    absl::StatusOr<QueryAnswer> a = Run(body, limits);
    if (!a.ok()) return std::string(a.status().ToString());
    return QueryAnswerJson(*a);
  }

  // The values of the first answer series, as JSON.
  std::string Values(std::string_view body) {
    std::string all = Json(body);
    size_t at = all.find("\"values\":");
    if (at == std::string::npos) return all;
    size_t end = all.find("]]", at);
    return end == std::string::npos ? all.substr(at + 9, 2) : all.substr(at + 9, end + 2 - at - 9);
  }

  MemorySeriesSource source_;
};

TEST_F(QueryEvalTest, RawPoints) {
  EXPECT_EQ(Json(R"({"series": {"devices": ["d1"], "properties": ["temp"]}, "start": 0,
                     "end": 100000})"),
            R"({"series":[{"id":1,"device":"d1","property":"temp","labels":{"product":"pump",)"
            R"("site":"a"},"columns":["time","value"],"values":[[0,1.0],[10000,3.0],)"
            R"([70000,5.0]]}],"stats":{"series":1,"points_read":3,"buckets_read":0,)"
            R"("rollup":null}})");
  EXPECT_EQ(Values(R"({"series": {"ids": [1]}, "start": 5000, "limit": 2})"),
            "[[10000,3.0],[70000,5.0]]");
  EXPECT_EQ(Values(R"({"series": {"ids": [3]}, "start": 0})"),
            R"([[0,"Idle"],[30000,"Run"],[90000,"Fault"]])");
  EXPECT_EQ(Values(R"({"series": {"ids": [4]}, "start": 0, "limit": 1})"), "[[0,100]]");
}

TEST_F(QueryEvalTest, Selection) {
  absl::StatusOr<QueryAnswer> a = Run(R"({"series": {"where": {"product": "pump"}}, "start": 0})");
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->series.size(), 2u);
  EXPECT_EQ(a->series[0].id, 1u);
  EXPECT_EQ(a->series[1].id, 2u);
  a = Run(R"({"start": 0})");  // every series of the enterprise, none of another's
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->series.size(), 6u);
  EXPECT_EQ(a->stats.series, 6u);
  a = Run(R"({"series": {"devices": ["d1"], "where": {"site": "b"}}, "start": 0})");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->series.empty());
}

TEST_F(QueryEvalTest, WindowAggregates) {
  EXPECT_EQ(Values(R"({"series": {"ids": [1]}, "start": 0, "end": 180000, "window": "1m",
                       "aggregates": ["avg", "min", "max", "sum", "count", "first", "last",
                                      "stddev", "twa"]})"),
            "[[0,2.0,1.0,3.0,4.0,2,1.0,3.0,1.0,2.0],"
            "[60000,5.0,5.0,5.0,5.0,1,5.0,5.0,0.0,5.0],"
            "[120000,7.0,7.0,7.0,7.0,1,7.0,7.0,0.0,7.0]]");
  // One window over the whole range, its start clipped: time is the
  // aligned start. twa: areas 20000 + 240000 + 360000 over 130 s.
  EXPECT_EQ(Values(R"({"series": {"ids": [1]}, "start": 0, "end": 180000, "window": "1h",
                       "aggregates": ["avg", "twa"]})"),
            absl::StrCat("[[0,4.0,", D(620000.0 / 130000.0), "]]"));
}

TEST_F(QueryEvalTest, IncreaseAndRateAddUpAcrossWindows) {
  // 100 -> 110 (+10) -> 5 (a reset: +5) -> 15 (+10); each joint belongs to
  // the window of its later point.
  EXPECT_EQ(
      Values(R"({"series": {"ids": [4]}, "start": 0, "end": 240000, "window": "1m",
                       "aggregates": ["increase", "rate", "first"]})"),
      absl::StrCat("[[0,0.0,0.0,100.0],[60000,10.0,", D(10.0 / 60), ",110.0],", "[120000,5.0,",
                   D(5.0 / 60), ",5.0],[180000,10.0,", D(10.0 / 60), ",15.0]]"));
  EXPECT_EQ(Values(R"({"series": {"ids": [4]}, "start": 0, "end": 240000, "window": "2m",
                       "aggregates": ["increase"]})"),
            "[[0,10.0],[120000,15.0]]");
  EXPECT_EQ(Values(R"({"series": {"ids": [4]}, "start": 0, "end": 240000, "window": "4m",
                       "aggregates": ["increase"]})"),
            "[[0,25.0]]");
  // A window clipped by start or end: rate over the part inside the range
  // (30 s). The joint from 100@0, the last point before start, counts.
  EXPECT_EQ(Values(R"({"series": {"ids": [4]}, "start": 30000, "end": 90000, "window": "1m",
                       "aggregates": ["increase", "rate"]})"),
            absl::StrCat("[[60000,10.0,", D(10.0 / 30), "]]"));
}

TEST_F(QueryEvalTest, IncreaseLooksBackAnHourBeforeStart) {
  MemorySeriesSource source;
  source.Add(Info("m", "energy", ValueKind::kFloat), {{0, 5.0}, {7'200'000, 8.0}});
  auto increase = [&](int64_t start) {
    QueryRequest r;
    r.start_ms = start;
    r.end_ms = 10'800'000;
    r.window_ms = 3'600'000;
    r.aggregates = {{AggregateKind::kIncrease, 0, "increase"}};
    absl::StatusOr<QueryAnswer> a = EvaluateQuery(source, kEnterprise, r);
    EXPECT_TRUE(a.ok()) << a.status();
    return a->series.at(0).rows;
  };
  EXPECT_EQ(increase(3'600'000), (std::vector<AnswerRow>{{7'200'000, {Cell(3.0)}}}));
  // 5@0 is an hour and a millisecond before: out of the lookback.
  EXPECT_EQ(increase(3'600'001), (std::vector<AnswerRow>{{7'200'000, {Cell(0.0)}}}));
  // With 1m rollups complete the lookback reads them instead.
  source.SetAllRollupsComplete(7'200'000);
  source.range_reads = 0;
  EXPECT_EQ(increase(3'600'000), (std::vector<AnswerRow>{{7'200'000, {Cell(3.0)}}}));
  EXPECT_EQ(source.range_reads, 1u);  // only [2 h, 3 h): the lookback and first hour are rollups
}

TEST_F(QueryEvalTest, Fill) {
  const std::string query = R"({"series": {"ids": [5]}, "start": 0, "end": 240000,
                                "window": "1m", "aggregates": ["avg", "count"], "fill": )";
  EXPECT_EQ(Values(query + "\"none\"}"), "[[0,10.0,1],[180000,40.0,1]]");
  EXPECT_EQ(Values(query + "\"null\"}"),
            "[[0,10.0,1],[60000,null,null],[120000,null,null],[180000,40.0,1]]");
  EXPECT_EQ(Values(query + "\"previous\"}"),
            "[[0,10.0,1],[60000,10.0,1],[120000,10.0,1],[180000,40.0,1]]");
  EXPECT_EQ(Values(query + "\"linear\"}"),
            "[[0,10.0,1],[60000,20.0,1.0],[120000,30.0,1.0],[180000,40.0,1]]");
  EXPECT_EQ(Values(query + "-1}"),
            "[[0,10.0,1],[60000,-1.0,-1.0],[120000,-1.0,-1.0],[180000,40.0,1]]");
  // Edges without a neighbour: previous has nothing before the first
  // window, linear nothing after the last.
  const std::string wide = R"({"series": {"ids": [5]}, "start": -60000, "end": 300000,
                               "window": "1m", "aggregates": ["avg"], "fill": )";
  EXPECT_EQ(Values(wide + "\"previous\"}"),
            "[[-60000,null],[0,10.0],[60000,10.0],[120000,10.0],[180000,40.0],[240000,40.0]]");
  EXPECT_EQ(Values(wide + "\"linear\"}"),
            "[[-60000,null],[0,10.0],[60000,20.0],[120000,30.0],[180000,40.0],[240000,null]]");
  EXPECT_EQ(Values(R"({"series": {"ids": [5]}, "start": 0, "end": 240000, "window": "1m",
                       "fill": "null", "limit": 2})"),
            "[[0,10.0],[60000,null]]");
}

TEST_F(QueryEvalTest, GroupBy) {
  // Series 1 and 2 (product pump): avg over all their points, first/last
  // by time, twa and increase summed over the members.
  EXPECT_EQ(Json(R"({"series": {"properties": ["temp"]}, "start": 0, "end": 120000,
                     "window": "1m", "group_by": ["product"],
                     "aggregates": ["avg", "count", "min", "max", "first", "last", "twa",
                                    "increase"]})"),
            absl::StrCat(R"({"series":[{"group":{"product":"pump"},"members":2,"columns":)",
                         R"(["time","avg","count","min","max","first","last","twa","increase"],)",
                         R"("values":[[0,)", D(14.0 / 3), R"(,3,1.0,10.0,1.0,3.0,12.0,2.0],)",
                         R"([60000,12.5,2,5.0,20.0,20.0,5.0,25.0,12.0]]}],)",
                         R"("stats":{"series":2,"points_read":5,"buckets_read":0,)",
                         R"("rollup":null}})"));
  // A member without the label groups under null; keys in group_by order.
  absl::StatusOr<QueryAnswer> a = Run(R"({"series": {"devices": ["d1", "d3", "d4"]},
      "start": 0, "end": 60000, "window": "1m", "aggregates": ["count"],
      "group_by": ["tag:product", "device"]})");
  ASSERT_TRUE(a.ok()) << a.status();
  std::string json = QueryAnswerJson(*a);
  EXPECT_NE(json.find(R"({"group":{"tag:product":null,"device":"d1"},"members":1,)"
                      R"("columns":["time","count"],"values":[[0,2]]})"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"({"group":{"tag:product":"meter","device":"d3"},"members":1,)"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find(R"({"group":{"tag:product":"pump","device":"d1"},"members":1,)"),
            std::string::npos)
      << json;
  ASSERT_EQ(a->series.size(), 4u);  // (null, d1) text, (null, d4), (meter, d3), (pump, d1)
}

TEST_F(QueryEvalTest, Text) {
  EXPECT_EQ(Values(R"({"series": {"ids": [3]}, "start": 0, "end": 120000, "window": "1m",
                       "aggregates": ["count", "first", "last"]})"),
            R"([[0,2,"Idle","Run"],[60000,1,"Fault","Fault"]])");
  source_.range_reads = 0;
  absl::StatusOr<QueryAnswer> a = Run(R"({"series": {"devices": ["d1"]}, "start": 0,
      "window": "1m", "aggregates": ["count", "avg"]})");
  EXPECT_EQ(a.status(), absl::InvalidArgumentError(
                            "aggregates: series 3 (device \"d1\", property \"state\") holds "
                            "text; only count, first and last apply to it, not avg"));
  EXPECT_EQ(source_.range_reads, 0u);  // refused before reading
}

TEST_F(QueryEvalTest, Latest) {
  EXPECT_EQ(Json(R"({"series": {"devices": ["d1"]}, "latest": true})"),
            R"({"series":[{"id":1,"device":"d1","property":"temp","labels":{"product":"pump",)"
            R"("site":"a"},"columns":["time","value"],"values":[[130000,7.0]]},{"id":3,)"
            R"("device":"d1","property":"state","labels":{},"columns":["time","value"],)"
            R"("values":[[90000,"Fault"]]}],"stats":{"series":2,"points_read":2,)"
            R"("buckets_read":0,"rollup":null}})");
}

TEST_F(QueryEvalTest, Percentiles) {
  // Series 6: ten values 10, 9, ..., 1 in one window; nearest rank.
  EXPECT_EQ(Values(R"({"series": {"ids": [6]}, "start": 0, "end": 60000, "window": "1m",
                       "aggregates": ["p50", "p90", "p95", "p99", "percentile:0",
                                      "percentile:10", "percentile:100", "percentile:99.9"]})"),
            "[[0,5.0,9.0,10.0,10.0,1.0,1.0,10.0,10.0]]");
  // Always raw, even where rollups are complete.
  source_.SetAllRollupsComplete(1'000'000);
  absl::StatusOr<QueryAnswer> a = Run(
      R"({"series": {"ids": [6]}, "start": 0, "end": 60000, "window": "1m", "aggregates": ["p50", "avg"]})");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->stats.points_read, 10u);
  EXPECT_EQ(a->stats.buckets_read, 0u);
  EXPECT_FALSE(a->stats.rollup);
}

TEST_F(QueryEvalTest, RollupsWhereCompleteRawForTheRest) {
  const std::string query = R"({"series": {"ids": [1]}, "start": 5000, "end": 180000,
      "window": "1m", "aggregates": ["avg", "count", "twa", "first", "last"]})";
  std::string raw = Values(query);
  EXPECT_EQ(raw,
            "[[0,3.0,1,3.0,3.0,3.0],[60000,5.0,1,5.0,5.0,5.0],"
            "[120000,7.0,1,7.0,7.0,7.0]]");
  // Complete up to 120 s: [5 s, 60 s) raw (start unaligned), the bucket of
  // minute 1 from rollups, minute 2 raw.
  source_.SetRollupsComplete(1, 120'000);
  absl::StatusOr<QueryAnswer> a = Run(query);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->stats.buckets_read, 1u);
  EXPECT_EQ(a->stats.points_read, 2u);
  EXPECT_EQ(a->stats.rollup, Resolution::k1m);
  EXPECT_EQ(Values(query), raw);
  // Hour windows read 1h rollups, complete up to an hour here.
  source_.SetRollupsComplete(1, 3'600'000);
  a = Run(R"({"series": {"ids": [1]}, "start": 0, "end": 7200000, "window": "1h"})");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->stats.rollup, Resolution::k1h);
  EXPECT_EQ(a->stats.buckets_read, 1u);
  EXPECT_EQ(a->stats.points_read, 0u);
  EXPECT_EQ(a->series[0].rows, (std::vector<AnswerRow>{{0, {Cell(4.0)}}}));
}

TEST_F(QueryEvalTest, LimitsNamedWithTheirKeys) {
  QueryLimits limits;
  limits.max_series = 5;
  EXPECT_EQ(Run(R"({"start": 0})", limits).status(),
            absl::ResourceExhaustedError("the query selects 6 series, over the limit of 5 "
                                         "([tsdb] max_series_per_query)"));
  EXPECT_EQ(Run(R"({"series": {"ids": [1]}, "start": 0, "window": 1})").status(),
            absl::ResourceExhaustedError("the query has 1000000 windows, over the limit of "
                                         "100000 ([tsdb] max_windows_per_query)"));
  limits = {};
  limits.max_rows = 4;
  EXPECT_EQ(Run(R"({"series": {"ids": [1, 2]}, "start": 0, "end": 180000, "window": "1m",
                    "fill": "null"})",
                limits)
                .status(),
            absl::ResourceExhaustedError("the query answers 6 rows, over the limit of 4 "
                                         "([tsdb] max_rows_per_query)"));
  EXPECT_EQ(source_.range_reads, 0u);  // all three refused before reading
  EXPECT_EQ(Run(R"({"series": {"ids": [1, 2]}, "start": 0, "end": 180000, "window": "1m"})", limits)
                .status(),
            absl::ResourceExhaustedError("the query answers more than 4 rows, over the limit "
                                         "of 4 ([tsdb] max_rows_per_query)"));
  // Raw rows are read one past what is left: with 4, series 1 gives its 4
  // and series 2 one; with 3, series 1 gives 4 and series 2 is not read.
  source_.points_returned = 0;
  EXPECT_EQ(Run(R"({"series": {"ids": [1, 2]}, "start": 0})", limits).status(),
            absl::ResourceExhaustedError("the query answers more than 4 rows, over the limit "
                                         "of 4 ([tsdb] max_rows_per_query)"));
  limits.max_rows = 3;
  EXPECT_EQ(Run(R"({"series": {"ids": [1, 2]}, "start": 0})", limits).status(),
            absl::ResourceExhaustedError("the query answers more than 3 rows, over the limit "
                                         "of 3 ([tsdb] max_rows_per_query)"));
  EXPECT_EQ(source_.points_returned, 5u + 4u);
  limits = {};
  limits.max_points_read = 3;
  EXPECT_EQ(Run(R"({"series": {"ids": [1, 2]}, "start": 0})", limits).status(),
            absl::ResourceExhaustedError("the query reads 4 raw points, over the limit of 3 "
                                         "([tsdb] max_points_read_per_query)"));
  // Stopped as soon as the count passed the limit: series 1's four points,
  // series 2 not read.
  source_.points_returned = 0;
  EXPECT_FALSE(Run(R"({"series": {"ids": [1, 2]}, "start": 0, "window": "1m"})", limits).ok());
  EXPECT_EQ(source_.points_returned, 4u);
  EXPECT_TRUE(Run(R"({"series": {"ids": [2]}, "start": 0})", limits).ok());
}

// 2,000 series of one point each over 100,000 windows: the work follows
// the points, not series x windows (2e8).
TEST_F(QueryEvalTest, SparseWindowsCostNothingPerWindow) {
  MemorySeriesSource source;
  for (int i = 0; i < 2000; ++i) {
    source.Add(Info(absl::StrCat("d", i), "p", ValueKind::kFloat), {{i * 50, 1.0 * i}});
  }
  QueryRequest r;
  r.start_ms = 0;
  r.end_ms = 100'000;
  r.window_ms = 1;
  r.aggregates = {{AggregateKind::kMax, 0, "max"}};
  absl::StatusOr<QueryAnswer> a = EvaluateQuery(source, kEnterprise, r);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->series.size(), 2000u);
  EXPECT_EQ(a->series[1999].rows, (std::vector<AnswerRow>{{99'950, {Cell(1999.0)}}}));
}

// Past 2^20 windows a group finds its windows in a hash map instead of a
// slot per window; members' windows out of order across members are sorted.
TEST_F(QueryEvalTest, GroupsOverAGridOfMillionsOfWindows) {
  MemorySeriesSource source;
  source.Add(Info("d1", "p", ValueKind::kFloat, {{"product", "a"}}),
             {{10, 1.0}, {2'900'000, 3.0}});
  source.Add(Info("d2", "p", ValueKind::kFloat, {{"product", "a"}}), {{5, 4.0}, {10, 5.0}});
  source.Add(Info("d3", "p", ValueKind::kFloat, {{"product", "b"}}), {{1'500'000, 7.0}});
  QueryRequest r;
  r.start_ms = 0;
  r.end_ms = 3'000'000;
  r.window_ms = 1;
  r.aggregates = {{AggregateKind::kCount, 0, "count"}, {AggregateKind::kSum, 0, "sum"}};
  r.group_by = {{GroupKey::kLabel, "product", "product"}};
  QueryLimits limits;
  limits.max_windows = 3'000'000;
  absl::StatusOr<QueryAnswer> a = EvaluateQuery(source, kEnterprise, r, limits);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->series.size(), 2u);
  EXPECT_EQ(a->series[0].rows,
            (std::vector<AnswerRow>{{5, {Cell(int64_t{1}), Cell(4.0)}},
                                    {10, {Cell(int64_t{2}), Cell(6.0)}},
                                    {2'900'000, {Cell(int64_t{1}), Cell(3.0)}}}));
  EXPECT_EQ(a->series[1].rows,
            (std::vector<AnswerRow>{{1'500'000, {Cell(int64_t{1}), Cell(7.0)}}}));
}

TEST_F(QueryEvalTest, ReadsInPages) {
  MemorySeriesSource source;
  std::vector<Point> points;
  for (int i = 0; i < 250; ++i) points.push_back({i, static_cast<double>(i)});
  SeriesId id = source.Add(Info("d", "p", ValueKind::kFloat), points);
  ReadCounter counter{nullptr};
  QueryLimits limits;
  counter.limits = &limits;
  std::vector<int64_t> seen;
  ASSERT_TRUE(
      ReadPoints(
          source, id, 0, 1000, 0, &counter, [&](const Point& p) { seen.push_back(p.time_ms); }, 100)
          .ok());
  EXPECT_EQ(seen.size(), 250u);
  EXPECT_EQ(seen.back(), 249);
  EXPECT_EQ(source.range_reads, 3u);
  EXPECT_EQ(counter.points_read, 250u);
}

}  // namespace
}  // namespace qilian::platform::tsdb
