// The /api/stats routes through RestApi::Handle, over a memory store, with
// the processor counting into a StatsRecorder on a fake clock.
#include <memory>
#include <string>

#include "api/rest_api.h"
#include "api/test_callers.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "ident/stats/node_report.h"
#include "ident/stats/stats_recorder.h"
#include "nlohmann/json.hpp"
#include "store/memory_store.h"

namespace qilian::api {
namespace {

using nlohmann::json;
namespace stats = ident::stats;

absl::Time At(int y, int m, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
}

ident::ProcessorOptions WithStats(stats::StatsRecorder* recorder) {
  ident::ProcessorOptions o;
  o.stats = recorder;
  return o;
}

class StatsRoutesTest : public ::testing::Test {
 protected:
  StatsRoutesTest()
      : store_(store::NewMemoryStore(
            {{std::string(ident::Registry::kSpace), std::string(stats::kSpace)}})),
        registry_(store_.get(), clock_, ident::RegistryOptions{}),
        recorder_(store_.get(), clock_, &metrics_),
        reports_(store_.get()),
        processor_(&registry_, &metrics_, WithStats(&recorder_)),
        api_(&processor_, &metrics_) {
    StatsEndpoints endpoints;
    endpoints.recorder = &recorder_;
    endpoints.reports = &reports_;
    endpoints.report_now = [this] { return report_now_result_; };
    api_.SetStats(endpoints);
    api_.SetAuth(TestCallers());
  }

  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& bearer = "operator") {
    return SendAs(api_, method, target, body, bearer);
  }

  static json Json(const net::HttpResponse& response) {
    return json::parse(response.body, nullptr, false);
  }

  void Create(const std::string& handle) {
    json body = {{"values",
                  {{{"index", 1}, {"type", "URL"}, {"data", {{"format", "string"}, {"value", "x"}}}}}}};
    ASSERT_EQ(Send("PUT", "/api/handles/" + handle + "?overwrite=false", body.dump()).status, 201);
  }

  FakeClock clock_{At(2026, 11, 28, 9)};
  MetricsRegistry metrics_;
  std::unique_ptr<store::KvStore> store_;
  ident::Registry registry_;
  stats::StatsRecorder recorder_;
  stats::NodeReportStore reports_;
  ident::Processor processor_;
  RestApi api_;
  absl::Status report_now_result_ = absl::OkStatus();
};

TEST_F(StatsRoutesTest, CountsRestCreatesResolutionsAndDeletesPerDay) {
  Create("88.999.1/a");
  Create("88.999.1/b");
  EXPECT_EQ(Send("GET", "/api/handles/88.999.1/a").status, 200);
  EXPECT_EQ(Send("GET", "/api/handles/88.999.1/missing").status, 404);  // counted
  EXPECT_EQ(Send("GET", "/api/handles/77.1/x").status, 400);  // not ours: not counted
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(Send("DELETE", "/api/handles/88.999.1/b").status, 200);
  EXPECT_EQ(Send("GET", "/api/handles/88.999.1/a").status, 200);

  auto r = Send("GET", "/api/stats?prefix=88.999.1&from=2026-11-27&to=2026-11-29");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Json(r);
  EXPECT_EQ(j["prefix"], "88.999.1");
  EXPECT_EQ(j["granularity"], "day");
  ASSERT_EQ(j["buckets"].size(), 3u);
  EXPECT_EQ(j["buckets"][0],
            json::parse(R"({"bucket":"2026-11-27","created":0,"deleted":0,
                            "resolutions":{"http":0,"udp":0,"tcp":0,"total":0}})"));
  EXPECT_EQ(j["buckets"][1],
            json::parse(R"({"bucket":"2026-11-28","created":2,"deleted":0,
                            "resolutions":{"http":2,"udp":0,"tcp":0,"total":2}})"));
  EXPECT_EQ(j["buckets"][2],
            json::parse(R"({"bucket":"2026-11-29","created":0,"deleted":1,
                            "resolutions":{"http":1,"udp":0,"tcp":0,"total":1}})"));
  EXPECT_EQ(j["total"]["created"], 2);

  auto hours = Json(Send("GET", "/api/stats?prefix=88.999.1&from=2026-11-28&granularity=hour"
                                "&to=2026-11-28"));
  ASSERT_EQ(hours["buckets"].size(), 24u);
  EXPECT_EQ(hours["buckets"][9]["bucket"], "2026-11-28T09");
  EXPECT_EQ(hours["buckets"][9]["resolutions"]["http"], 2);
  EXPECT_EQ(hours["buckets"][10]["resolutions"]["http"], 0);

  auto summary = Json(Send("GET", "/api/stats/summary"));
  ASSERT_EQ(summary["prefixes"].size(), 1u);
  EXPECT_EQ(summary["prefixes"][0]["prefix"], "88.999.1");
  EXPECT_EQ(summary["prefixes"][0]["registered"], 1);
  EXPECT_EQ(summary["total"]["registered"], 1);
  EXPECT_EQ(summary["total"]["resolutions"]["total"], 3);

  std::string metrics = Send("GET", "/metrics").body;
  EXPECT_NE(metrics.find("qilian_resolutions_total{door=\"http\"} 3\n"), std::string::npos);
  EXPECT_NE(metrics.find("qilian_identifiers_registered{prefix=\"88.999.1\"} 1\n"),
            std::string::npos);
}

TEST_F(StatsRoutesTest, DefaultsToTheLastSevenDays) {
  json j = Json(Send("GET", "/api/stats?prefix=88.999"));
  EXPECT_EQ(j["from"], "2026-11-22");
  EXPECT_EQ(j["to"], "2026-11-28");
  EXPECT_EQ(j["buckets"].size(), 7u);
}

TEST_F(StatsRoutesTest, RefusesBadParameters) {
  struct Case {
    std::string target;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"/api/stats", "prefix is required"},
      {"/api/stats?prefix=88.999/a", "prefix must not contain '/'"},
      {"/api/stats?prefix=88.999&granularity=week", "granularity must be 'day' or 'hour'"},
      {"/api/stats?prefix=88.999&from=2026-13-01", "from must be a date YYYY-MM-DD"},
      {"/api/stats?prefix=88.999&to=yesterday", "to must be a date YYYY-MM-DD"},
      {"/api/stats?prefix=88.999&from=2026-11-29&to=2026-11-28", "from is after to"},
      {"/api/stats?prefix=88.999&from=2025-01-01&to=2026-11-28",
       "a range of at most 366 days is served with granularity=day"},
      {"/api/stats?prefix=88.999&from=2026-10-01&to=2026-11-28&granularity=hour",
       "a range of at most 31 days is served with granularity=hour"},
      {"/api/stats?prefix=88.999&prefix=88.998", "prefix is given more than once"},
      {"/api/stats?prefix=88.999&foo=1", "unknown query parameter 'foo'"},
      {"/api/stats/summary?limit=0", "limit must be an integer from 1 to 1000"},
      {"/api/stats/summary?limit=+5", "limit must be an integer from 1 to 1000"},
      {"/api/stats/nodes?day=2026-11-31", "day must be a date YYYY-MM-DD"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    auto r = Send("GET", c.target);
    EXPECT_EQ(r.status, 400);
    json j = Json(r);
    EXPECT_EQ(j["responseCode"], 4);
    EXPECT_EQ(j["message"], c.message);
  }
}

TEST_F(StatsRoutesTest, ReportsAreStoredPerNodeAndDayAndAggregated) {
  const std::string report =
      R"({"node":"child-1","day":"2026-11-28","prefixes":[
          {"prefix":"88.998.1","registered":10,"created":3,"resolutions":{"http":5,"udp":7,"tcp":1}},
          {"prefix":"88.998.2","registered":2,"created":2,"resolutions":{"http":0,"udp":0,"tcp":4}}]})";
  auto r = Send("POST", "/api/stats/reports", report);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r), json::parse(R"({"responseCode":1,"node":"child-1","day":"2026-11-28",
                                     "prefixes":2})"));
  // Re-sent with new figures: replaces.
  std::string again = report;
  again.replace(again.find("\"created\":3"), 11, "\"created\":4");
  ASSERT_EQ(Send("POST", "/api/stats/reports", again).status, 200);

  json nodes = Json(Send("GET", "/api/stats/nodes?day=2026-11-28"));
  ASSERT_EQ(nodes["nodes"].size(), 1u);
  EXPECT_EQ(nodes["nodes"][0]["node"], "child-1");
  EXPECT_EQ(nodes["nodes"][0]["receivedAt"], "2026-11-28T09:00:00Z");
  EXPECT_EQ(nodes["nodes"][0]["registered"], 12);
  EXPECT_EQ(nodes["nodes"][0]["created"], 6);
  EXPECT_EQ(nodes["nodes"][0]["resolutions"],
            json::parse(R"({"http":5,"udp":7,"tcp":5,"total":17})"));
  EXPECT_EQ(nodes["total"]["nodes"], 1);
  // Today is the default day.
  EXPECT_EQ(Json(Send("GET", "/api/stats/nodes"))["nodes"].size(), 1u);
  EXPECT_EQ(Json(Send("GET", "/api/stats/nodes?day=2026-11-27"))["nodes"].size(), 0u);
}

TEST_F(StatsRoutesTest, AnInvalidReportNamesTheField) {
  auto r = Send("POST", "/api/stats/reports",
                R"({"node":"c","day":"2026-11-28","prefixes":[{"prefix":"88.1","registered":1}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r), json::parse(R"({"responseCode":202,"field":"prefixes[0].created",
                                     "message":"prefixes[0].created: is required"})"));
  r = Send("POST", "/api/stats/reports", "not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json(r)["message"], "request body is not valid JSON");
}

TEST_F(StatsRoutesTest, ReportsNeedANodeIdentityAndReportNowAnOperator) {
  auto r = Send("POST", "/api/stats/reports", "{}", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Json(r)["responseCode"], 402);
  r = Send("POST", "/api/stats/reports", "{}", "member:88.999.1");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Json(r)["message"], "user:member:88.999.1 may not report statistics for a node");
  r = Send("POST", "/api/stats/report-now", "", "");
  EXPECT_EQ(r.status, 401);
  r = Send("POST", "/api/stats/report-now", "", "auditor");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(Json(r)["message"], "user:auditor is not an operator of this node");
}

TEST_F(StatsRoutesTest, ReportNowMapsItsOutcome) {
  EXPECT_EQ(Send("POST", "/api/stats/report-now").status, 200);
  report_now_result_ = absl::FailedPreconditionError("no parent is configured ([stats] parent_url)");
  auto r = Send("POST", "/api/stats/report-now");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Json(r)["message"], "no parent is configured ([stats] parent_url)");
  report_now_result_ = absl::UnavailableError("parent http://127.0.0.1:1 answered 500: x");
  r = Send("POST", "/api/stats/report-now");
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(Json(r)["message"], "parent http://127.0.0.1:1 answered 500: x");
}

TEST(StatsRoutesDisabledTest, AnswersNotEnabled) {
  auto kv = store::NewMemoryStore({{std::string(ident::Registry::kSpace)}});
  ident::Registry registry(kv.get(), Clock::Real(), ident::RegistryOptions{});
  RestApi api(&registry, nullptr, RestOptions{});
  net::HttpRequest request;
  request.method = "GET";
  request.target = "/api/stats?prefix=88.999";
  request.remote_is_loopback = true;
  auto r = api.Handle(request);
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(json::parse(r.body)["message"], "statistics are not enabled on this node");
  request.target = "/api/stats/nodes";
  r = api.Handle(request);
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(json::parse(r.body)["message"],
            "receiving statistics reports is not enabled on this node");
}

}  // namespace
}  // namespace qilian::api
