#include "platform/tsdb/query/query_request.h"

#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace qilian::platform::tsdb {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

absl::StatusOr<QueryRequest> Parse(std::string_view body) { return ParseQueryRequest(body, kNow); }

std::string Error(std::string_view body) {
  absl::StatusOr<QueryRequest> r = Parse(body);
  if (r.ok()) return "OK";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << r.status();
  return std::string(r.status().message());
}

TEST(QueryRequest, FullRequest) {
  absl::StatusOr<QueryRequest> r = Parse(R"({
    "series": {"devices": ["d1", "d2"], "properties": ["temp"], "ids": [3, 4],
               "where": {"product": "pump", "_measurement": "cpu"}},
    "start": "2023-11-14T22:13:20Z", "end": 1700000060000, "window": "15m",
    "aggregates": ["avg", "p99", "percentile:99.9", "twa", "rate"],
    "fill": "linear", "group_by": ["device", "product", "tag:site"], "limit": 10})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->series.ids, (std::vector<SeriesId>{3, 4}));
  EXPECT_EQ(r->series.devices, (std::vector<std::string>{"d1", "d2"}));
  EXPECT_EQ(r->series.properties, (std::vector<std::string>{"temp"}));
  EXPECT_EQ(r->series.where, (LabelSet{{"_measurement", "cpu"}, {"product", "pump"}}));
  EXPECT_EQ(r->start_ms, 1'700'000'000'000);
  EXPECT_EQ(r->end_ms, 1'700'000'060'000);
  EXPECT_EQ(r->window_ms, 900'000);
  ASSERT_EQ(r->aggregates.size(), 5u);
  EXPECT_EQ(r->aggregates[0].kind, AggregateKind::kAvg);
  EXPECT_EQ(r->aggregates[1].kind, AggregateKind::kPercentile);
  EXPECT_EQ(r->aggregates[1].quantile, 99);
  EXPECT_EQ(r->aggregates[2].quantile, 99.9);
  EXPECT_EQ(r->aggregates[2].name, "percentile:99.9");
  EXPECT_EQ(r->aggregates[3].kind, AggregateKind::kTwa);
  EXPECT_EQ(r->aggregates[4].kind, AggregateKind::kRate);
  EXPECT_EQ(r->fill.kind, FillKind::kLinear);
  ASSERT_EQ(r->group_by.size(), 3u);
  EXPECT_EQ(r->group_by[0].kind, GroupKey::kDevice);
  EXPECT_EQ(r->group_by[1].kind, GroupKey::kLabel);
  EXPECT_EQ(r->group_by[1].label, "product");
  EXPECT_EQ(r->group_by[2].label, "site");
  EXPECT_EQ(r->group_by[2].name, "tag:site");
  EXPECT_EQ(r->limit, 10u);
  EXPECT_FALSE(r->latest);
}

TEST(QueryRequest, Defaults) {
  absl::StatusOr<QueryRequest> r = Parse(R"({"start": 0})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->end_ms, kNow);
  EXPECT_FALSE(r->window_ms);
  EXPECT_TRUE(r->aggregates.empty());
  EXPECT_EQ(r->fill.kind, FillKind::kNone);
  EXPECT_EQ(r->limit, 0u);

  r = Parse(R"({"start": 0, "window": 60000})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->aggregates.size(), 1u);
  EXPECT_EQ(r->aggregates[0].name, "avg");

  r = Parse(R"({"latest": true, "series": {"devices": ["d"]}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->latest);
}

TEST(QueryRequest, TimesAndFills) {
  absl::StatusOr<QueryRequest> r =
      Parse(R"({"start": "1969-12-31T23:59:59.9995-00:00", "end": "1970-01-01T01:00:00+01:00",
               "window": 1000, "fill": 2.5})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->start_ms, -1);  // sub-millisecond fractions floor
  EXPECT_EQ(r->end_ms, 0);
  EXPECT_EQ(r->fill.kind, FillKind::kNumber);
  EXPECT_EQ(r->fill.number, 2.5);
  for (auto [text, kind] : {std::pair{"\"none\"", FillKind::kNone},
                            {"\"null\"", FillKind::kNull},
                            {"null", FillKind::kNull},
                            {"\"previous\"", FillKind::kPrevious},
                            {"-1", FillKind::kNumber}}) {
    r = Parse(absl::StrCat(R"({"start": 0, "window": 1000, "fill": )", text, "}"));
    ASSERT_TRUE(r.ok()) << text << r.status();
    EXPECT_EQ(r->fill.kind, kind) << text;
  }
}

TEST(QueryRequest, Durations) {
  EXPECT_EQ(*ParseDuration("1m", "w"), 60'000);
  EXPECT_EQ(*ParseDuration("15m", "w"), 900'000);
  EXPECT_EQ(*ParseDuration("1h", "w"), 3'600'000);
  EXPECT_EQ(*ParseDuration("1d", "w"), 86'400'000);
  EXPECT_EQ(*ParseDuration("250ms", "w"), 250);
  EXPECT_EQ(*ParseDuration("1.5s", "w"), 1500);
  EXPECT_EQ(*ParseDuration("0.001s", "w"), 1);
  EXPECT_EQ(ParseDuration("0.5ms", "w").status().message(),
            "w: must be a whole number of milliseconds");
  EXPECT_EQ(ParseDuration("0m", "w").status().message(), "w: must be positive");
  EXPECT_EQ(ParseDuration("1w", "w").status().message(),
            "w: \"1w\" is not a duration (a number and one of ms, s, m, h, d)");
  EXPECT_EQ(ParseDuration("m", "w").status().message(),
            "w: \"m\" is not a duration (a number and one of ms, s, m, h, d)");
  EXPECT_EQ(ParseDuration("1..5s", "w").status().message(),
            "w: \"1..5s\" is not a duration (a number and one of ms, s, m, h, d)");
  EXPECT_EQ(ParseDuration("-1m", "w").status().message(),
            "w: \"-1m\" is not a duration (a number and one of ms, s, m, h, d)");
  EXPECT_EQ(ParseDuration("1234567890123456d", "w").status().message(), "w: too long");
  EXPECT_EQ(ParseDuration("999999999d", "w").status().message(), "w: too long");
}

TEST(QueryRequest, ErrorsNameTheFieldAndReason) {
  const std::pair<const char*, const char*> kCases[] = {
      {"", "request: not valid JSON"},
      {"[1]", "request: must be a JSON object"},
      {R"({"start": 0, "bogus": 1})",
       "request: unknown key \"bogus\" (known: series, start, end, window, aggregates, fill, "
       "group_by, limit, latest)"},
      {R"({"end": 5})", "start: missing"},
      {R"({"start": 1.5})", "start: must be epoch milliseconds (an integer) or an RFC 3339 string"},
      {R"({"start": "yesterday"})",
       "start: \"yesterday\" is not an RFC 3339 time such as 2026-01-02T03:04:05Z"},
      {R"({"start": 5, "end": 5})", "start: must be before end (start 5, end 5)"},
      {R"({"start": 9, "end": 5})", "start: must be before end (start 9, end 5)"},
      {R"({"start": 253402300800000})", "start: out of range (years 0000 to 9999)"},
      {R"({"start": 0, "end": 18446744073709551615})", "end: out of range (years 0000 to 9999)"},
      {R"({"start": 0, "window": 0})", "window: must be positive"},
      {R"({"start": 0, "window": -60000})", "window: must be positive"},
      {R"({"start": 0, "window": 0.5})", "window: must be a whole number of milliseconds"},
      {R"({"start": 0, "window": "0.5ms"})", "window: must be a whole number of milliseconds"},
      {R"({"start": 0, "window": "soon"})",
       "window: \"soon\" is not a duration (a number and one of ms, s, m, h, d)"},
      {R"({"start": 0, "window": true})",
       "window: must be a duration such as \"15m\" or a number of milliseconds"},
      {R"({"start": 0, "aggregates": ["avg"]})",
       "aggregates: need a window (without one the answer is raw points)"},
      {R"({"start": 0, "window": "1m", "aggregates": []})",
       "aggregates: must be a non-empty list of aggregate names"},
      {R"({"start": 0, "window": "1m", "aggregates": ["avg", "median"]})",
       "aggregates[1]: unknown aggregate \"median\" (avg, min, max, sum, count, first, last, "
       "stddev, p50, p90, p95, p99, percentile:<q>, twa, increase, rate)"},
      {R"({"start": 0, "window": "1m", "aggregates": [7]})", "aggregates[0]: must be a string"},
      {R"({"start": 0, "window": "1m", "aggregates": ["avg", "avg"]})",
       "aggregates[1]: \"avg\" twice"},
      {R"({"start": 0, "window": "1m", "aggregates": ["percentile:101"]})",
       "aggregates[0]: percentile \"101\" is not a number from 0 to 100"},
      {R"({"start": 0, "window": "1m", "aggregates": ["percentile:x"]})",
       "aggregates[0]: percentile \"x\" is not a number from 0 to 100"},
      {R"({"start": 0, "window": "1m", "fill": "zero"})",
       "fill: unknown fill \"zero\" (none, null, previous, linear or a number)"},
      {R"({"start": 0, "window": "1m", "fill": [1]})",
       "fill: must be none, null, previous, linear or a number"},
      {R"({"start": 0, "fill": "null"})", "fill: needs a window"},
      {R"({"start": 0, "group_by": ["device"]})", "group_by: needs a window"},
      {R"({"start": 0, "window": "1m", "group_by": "device"})", "group_by: must be a list"},
      {R"({"start": 0, "window": "1m", "group_by": ["site"]})",
       "group_by[0]: unknown group key \"site\" (device, property, product or tag:<key>)"},
      {R"({"start": 0, "window": "1m", "group_by": ["tag:"]})",
       "group_by[0]: unknown group key \"tag:\" (device, property, product or tag:<key>)"},
      {R"({"start": 0, "window": "1m", "group_by": ["device", "device"]})",
       "group_by[1]: \"device\" twice"},
      {R"({"start": 0, "limit": 0})", "limit: must be a positive integer"},
      {R"({"start": 0, "limit": -3})", "limit: must be a positive integer"},
      {R"({"start": 0, "limit": "10"})", "limit: must be a positive integer"},
      {R"({"latest": 1})", "latest: must be true or false"},
      {R"({"latest": true, "window": "1m"})", "window: does not apply to latest"},
      {R"({"latest": true, "start": 0})", "start: does not apply to latest"},
      {R"({"start": 0, "series": []})", "series: must be an object"},
      {R"({"start": 0, "series": {"device": ["d"]}})",
       "series: unknown key \"device\" (known: ids, devices, properties, where)"},
      {R"({"start": 0, "series": {"devices": []}})", "series.devices: must not be empty"},
      {R"({"start": 0, "series": {"properties": ["a", 1]}})",
       "series.properties: must be a list of strings"},
      {R"({"start": 0, "series": {"ids": [0]}})",
       "series.ids: must be a non-empty list of series ids"},
      {R"({"start": 0, "series": {"where": {}}})",
       "series.where: must be a non-empty object of label values"},
      {R"({"start": 0, "series": {"where": {"product": 1}}})",
       "series.where.product: must be a string"},
  };
  for (const auto& [body, message] : kCases) EXPECT_EQ(Error(body), message) << body;
}

TEST(QueryRequest, LongValuesAreCutInMessages) {
  std::string name(200, 'x');
  EXPECT_EQ(Error(absl::StrCat(R"({"start": 0, "window": "1m", "aggregates": [")", name, "\"]}")),
            absl::StrCat("aggregates[0]: unknown aggregate \"", std::string(64, 'x'),
                         "...\" (avg, min, max, sum, count, first, last, stddev, p50, p90, p95, "
                         "p99, percentile:<q>, twa, increase, rate)"));
}

TEST(QueryRequest, DeepNestingAndHugeNumbers) {
  std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  EXPECT_EQ(Error(deep), "request: must be a JSON object");
  EXPECT_EQ(Error(absl::StrCat(R"({"start": 0, "series": )", deep, "}")),
            "series: must be an object");
  EXPECT_EQ(Error(R"({"start": 1e999})"), "request: not valid JSON");
  EXPECT_EQ(Error(R"({"start": 0, "limit": 99999999999999999999999})"),
            "limit: must be a positive integer");
}

// Robustness: a few hundred random mutations of a valid request (bytes
// flipped, inserted, deleted, the body cut) never crash the parser, and
// every refusal is InvalidArgument with a field named.
TEST(QueryRequest, RandomMutationsNeverCrash) {
  const std::string valid = R"({"series":{"devices":["d1"],"where":{"product":"pump"}},)"
                            R"("start":"2026-01-01T00:00:00Z","end":1767229200000,"window":"15m",)"
                            R"("aggregates":["avg","p95","twa"],"fill":"previous",)"
                            R"("group_by":["device","tag:site"],"limit":100})";
  ASSERT_TRUE(Parse(valid).ok());
  std::mt19937_64 rng(11);
  const std::string alphabet = "{}[]\":,0123456789.-eE tfnrul\\\x80\xff";
  int accepted = 0;
  for (int i = 0; i < 500; ++i) {
    std::string body = valid;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !body.empty(); ++e) {
      size_t at = rng() % body.size();
      switch (rng() % 4) {
        case 0:
          body[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          body.insert(at, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 2:
          body.erase(at, 1);
          break;
        case 3:
          body.resize(at);
          break;
      }
    }
    absl::StatusOr<QueryRequest> r = Parse(body);
    if (r.ok()) {
      ++accepted;
      EXPECT_LT(r->start_ms, r->end_ms) << body;
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << body;
      EXPECT_NE(r.status().message().find(": "), std::string_view::npos) << body;
    }
  }
  EXPECT_LT(accepted, 500);
}

}  // namespace
}  // namespace qilian::platform::tsdb
