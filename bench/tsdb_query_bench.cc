// Issue 11: the telemetry query evaluator (docs/telemetry-query.md, "Speed"):
// EvaluateQuery plus QueryAnswerJson over the benchmark's day (bench/tsdb:
// 72 devices, 999 series, 86,400 s at 1 s), with every point sealed so that
// windowed queries are answered from complete rollups, as after the
// benchmark's compaction:
//
//   (a) one series, 1m avg, a day          (1,440 buckets in, 1,440 rows out)
//   (b) every series by product, property  (1.44 M buckets in, ~140 k rows out)
//   (c) the same with 1h windows           (24 k buckets in)
//   (d) one series, raw, a day             (86,400 points)
//
//   build/bench/tsdb_query_bench --benchmark_min_time=2
//
// The source is this file's DaySource, not MemorySeriesSource: 86 M points
// held as Point would take ~4 GiB, and MemorySeriesSource computes rollups
// from the points on every read, which the engine does not. DaySource keeps
// the rollups (computed once with rollup.h's AddPoint, as the engine does)
// and computes raw points on demand; each ReadRollups copies its buckets
// into a fresh vector, as the engine's does. So the figures are the query
// layer's own cost, the engine's reads excluded.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "platform/tsdb/engine/rollup.h"
#include "platform/tsdb/query/query_answer.h"
#include "platform/tsdb/query/query_eval.h"
#include "platform/tsdb/query/query_request.h"
#include "platform/tsdb/query/series_source.h"

namespace {

using namespace qilian::platform::tsdb;  // NOLINT: a benchmark's brevity

constexpr uint64_t kEnterprise = 1;
constexpr int64_t kDayStart = 1'796'601'600'000;  // 2026-12-07T00:00:00Z
constexpr int64_t kSeconds = 86'400;
constexpr int kDevices = 72;
constexpr int kSeriesCount = 999;
constexpr int kProducts = 6;

// The benchmark day's shape: 6 products of 16 or 17 properties (97
// (product, property) groups), 12 devices each; a device reports 13 or 14
// of its product's properties, rotating, so that every group has members.
// Property 0 of each product is an integer counter, the rest are floats.
class DaySource : public SeriesSource {
 public:
  DaySource() {
    int next = 0;
    for (int d = 0; d < kDevices; ++d) {
      int product = d % kProducts;
      int properties = product == 0 ? 17 : 16;
      int reported = d < 63 ? 14 : 13;  // 63 * 14 + 9 * 13 = 999
      for (int j = 0; j < reported; ++j) {
        int property = (d / kProducts + j) % properties;
        SeriesInfo info;
        info.id = static_cast<SeriesId>(++next);
        info.enterprise = kEnterprise;
        info.device = absl::StrCat("dev-", d);
        info.property = absl::StrCat("prop-", property);
        info.kind = property == 0 ? ValueKind::kInt : ValueKind::kFloat;
        info.labels = {{"_measurement", "plant"}, {"product", absl::StrCat("product-", product)}};
        series_.push_back({std::move(info), {}, {}});
      }
    }
    for (Series& s : series_) {
      RollupBucket hour, minute;
      for (int64_t i = 0; i < kSeconds; ++i) {
        int64_t t = kDayStart + i * 1000;
        double v = NumericOf(Value(s.info, i));
        if (t % 60'000 == 0 && i > 0) {
          s.minutes.push_back(minute);
          minute = RollupBucket{};
        }
        if (t % 3'600'000 == 0 && i > 0) {
          s.hours.push_back(hour);
          hour = RollupBucket{};
        }
        minute.start_ms = BucketStart(t, 60'000);
        hour.start_ms = BucketStart(t, 3'600'000);
        AddPoint(&minute, t, v);
        AddPoint(&hour, t, v);
      }
      s.minutes.push_back(minute);
      s.hours.push_back(hour);
    }
  }

  std::vector<SeriesInfo> ListSeries(uint64_t enterprise) const override {
    std::vector<SeriesInfo> out;
    for (const Series& s : series_) {
      if (s.info.enterprise == enterprise) out.push_back(s.info);
    }
    return out;
  }

  absl::StatusOr<std::vector<Point>> ReadRange(SeriesId id, int64_t from_ms, int64_t to_ms,
                                               size_t limit) const override {
    const SeriesInfo& info = series_[id - 1].info;
    int64_t first = std::max<int64_t>(0, (from_ms - kDayStart + 999) / 1000);
    int64_t last = std::min<int64_t>(kSeconds, (to_ms - kDayStart + 999) / 1000);
    std::vector<Point> out;
    if (first >= last) return out;
    if (limit > 0) last = std::min<int64_t>(last, first + static_cast<int64_t>(limit));
    out.reserve(static_cast<size_t>(last - first));
    for (int64_t i = first; i < last; ++i) out.push_back({kDayStart + i * 1000, Value(info, i)});
    return out;
  }

  absl::StatusOr<RollupRead> ReadRollups(SeriesId id, Resolution resolution, int64_t from_ms,
                                         int64_t to_ms) const override {
    const Series& s = series_[id - 1];
    const std::vector<RollupBucket>& all = resolution == Resolution::k1m ? s.minutes : s.hours;
    auto less = [](const RollupBucket& b, int64_t t) { return b.start_ms < t; };
    auto begin = std::lower_bound(all.begin(), all.end(), from_ms, less);
    auto end = std::lower_bound(begin, all.end(), to_ms, less);
    RollupRead read;
    read.buckets.assign(begin, end);
    read.complete_until_ms = kDayStart + kSeconds * 1000;  // all sealed
    return read;
  }

  absl::StatusOr<Point> Latest(SeriesId id) const override {
    return Point{kDayStart + (kSeconds - 1) * 1000, Value(series_[id - 1].info, kSeconds - 1)};
  }

 private:
  struct Series {
    SeriesInfo info;
    std::vector<RollupBucket> minutes, hours;
  };

  // The simulator's kinds of signal: a counter, slow drifts with noise
  // rounded to 2 decimals.
  static PointValue Value(const SeriesInfo& info, int64_t second) {
    uint64_t h = (info.id * 0x9E3779B97F4A7C15ull) ^ static_cast<uint64_t>(second);
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    if (info.kind == ValueKind::kInt) {
      return static_cast<int64_t>(second * 3 + static_cast<int64_t>(h % 3));
    }
    double noise = static_cast<double>(h % 1000) / 1000.0 - 0.5;
    double drift =
        50.0 + 10.0 * std::sin(static_cast<double>(second + static_cast<int64_t>(info.id) * 97) /
                               3600.0);
    return std::round((drift + noise * 0.2) * 100.0) / 100.0;
  }
  static double NumericOf(const PointValue& v) {
    if (const int64_t* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    return std::get<double>(v);
  }

  std::vector<Series> series_;
};

const DaySource& Source() {
  static const DaySource* source = new DaySource();
  return *source;
}

void Run(benchmark::State& state, const std::string& body) {
  const DaySource& source = Source();
  absl::StatusOr<QueryRequest> request = ParseQueryRequest(body, kDayStart + kSeconds * 1000);
  if (!request.ok()) {
    state.SkipWithError(std::string(request.status().message()).c_str());
    return;
  }
  size_t bytes = 0, rows = 0, series = 0;
  for (auto _ : state) {
    absl::StatusOr<QueryAnswer> answer = EvaluateQuery(source, kEnterprise, *request);
    if (!answer.ok()) {
      state.SkipWithError(std::string(answer.status().message()).c_str());
      return;
    }
    std::string json = QueryAnswerJson(*answer);
    benchmark::DoNotOptimize(json.data());
    bytes = json.size();
    series = answer->series.size();
    rows = 0;
    for (const AnswerSeries& s : answer->series) rows += s.rows.size();
  }
  state.counters["answer_series"] = static_cast<double>(series);
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["json_bytes"] = static_cast<double>(bytes);
}

std::string Body(const std::string& rest) {
  return absl::StrCat(R"({"start":)", kDayStart, R"(,"end":)", kDayStart + kSeconds * 1000, ",",
                      rest, "}");
}

void BM_OneSeries1mAvgDay(benchmark::State& state) {
  Run(state, Body(R"("series":{"ids":[500]},"window":"1m","aggregates":["avg"])"));
}
BENCHMARK(BM_OneSeries1mAvgDay)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AllSeriesByProductProperty1mAvgDay(benchmark::State& state) {
  Run(state,
      Body(R"("series":{},"window":"1m","aggregates":["avg"],"group_by":["product","property"])"));
}
BENCHMARK(BM_AllSeriesByProductProperty1mAvgDay)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_AllSeriesByProductProperty1hAvgDay(benchmark::State& state) {
  Run(state,
      Body(R"("series":{},"window":"1h","aggregates":["avg"],"group_by":["product","property"])"));
}
BENCHMARK(BM_AllSeriesByProductProperty1hAvgDay)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_OneSeriesRawDay(benchmark::State& state) {
  Run(state, Body(R"("series":{"ids":[500]})"));
}
BENCHMARK(BM_OneSeriesRawDay)->Unit(benchmark::kMillisecond)->UseRealTime();

// The source's own part of (b): every series' 1m rollups of the day read
// and dropped, the floor under the query layer's cost with this source.
void BM_SourceReadRollupsOnly(benchmark::State& state) {
  const DaySource& source = Source();
  std::vector<SeriesInfo> series = source.ListSeries(kEnterprise);
  size_t buckets = 0;
  for (auto _ : state) {
    buckets = 0;
    for (const SeriesInfo& s : series) {
      absl::StatusOr<RollupRead> read =
          source.ReadRollups(s.id, Resolution::k1m, kDayStart, kDayStart + kSeconds * 1000);
      buckets += read->buckets.size();
      benchmark::DoNotOptimize(read->buckets.data());
    }
  }
  state.counters["buckets"] = static_cast<double>(buckets);
}
BENCHMARK(BM_SourceReadRollupsOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
