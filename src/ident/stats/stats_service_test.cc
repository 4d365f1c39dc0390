#include "ident/stats/stats_service.h"

#include <string>
#include <vector>

#include "core/config.h"
#include "gtest/gtest.h"
#include "ident/stats/node_report.h"
#include "store/memory_store.h"

namespace qilian::ident::stats {
namespace {

TEST(StatsServiceTest, ReportNowSendsYesterdayAndToday) {
  auto kv = store::NewMemoryStore(store::StoreOptions{{std::string(kSpace)}});
  FakeClock clock(absl::FromCivil(absl::CivilSecond(2026, 11, 28, 0, 30, 0), absl::UTCTimeZone()));
  StatsRecorder rec(kv.get(), clock, nullptr);
  rec.RecordCreated("88.999.1");
  StatsServiceOptions options;
  options.node_id = "child";
  StatsService service(&rec, options);
  EXPECT_EQ(service.ReportNow(),
            absl::FailedPreconditionError("no parent is configured ([stats] parent_url)"));

  std::vector<std::string> sent;
  service.SetSenderForTest([&](std::string_view body) {
    sent.emplace_back(body);
    return absl::OkStatus();
  });
  ASSERT_TRUE(service.ReportNow().ok());
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0], R"({"day":"2026-11-27","node":"child","prefixes":[]})");
  EXPECT_EQ(sent[1],
            R"({"day":"2026-11-28","node":"child","prefixes":[)"
            R"({"created":1,"prefix":"88.999.1","registered":1,"resolutions":{"http":0,"tcp":0,"udp":0}}]})");
  // ReportNow flushed: a fresh recorder over the store sees the create.
  StatsRecorder fresh(kv.get(), clock, nullptr);
  auto totals = fresh.Totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
}

TEST(StatsServiceTest, AFailedSendIsReturned) {
  auto kv = store::NewMemoryStore(store::StoreOptions{{std::string(kSpace)}});
  FakeClock clock;
  StatsRecorder rec(kv.get(), clock, nullptr);
  StatsService service(&rec, StatsServiceOptions{});
  service.SetSenderForTest(
      [](std::string_view) { return absl::UnavailableError("parent answered 500"); });
  EXPECT_EQ(service.ReportNow(), absl::UnavailableError("parent answered 500"));
}

TEST(StatsServiceTest, AnUnreachableParentIsUnavailable) {
  auto kv = store::NewMemoryStore(store::StoreOptions{{std::string(kSpace)}});
  FakeClock clock;
  StatsRecorder rec(kv.get(), clock, nullptr);
  StatsServiceOptions options;
  options.parent_url = "http://127.0.0.1:1";  // nothing listens on port 1
  StatsService service(&rec, options);
  absl::Status s = service.ReportNow();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(s.message().substr(0, 39), "cannot connect to http://127.0.0.1:1: C") << s;
}

TEST(StatsServiceTest, StopFlushesWhatIsLeft) {
  auto kv = store::NewMemoryStore(store::StoreOptions{{std::string(kSpace)}});
  FakeClock clock;
  StatsRecorder rec(kv.get(), clock, nullptr);
  StatsServiceOptions options;
  options.flush_interval = absl::Hours(1);  // only the final flush runs
  StatsService service(&rec, options);
  service.Start();
  rec.RecordCreated("88.999");
  ASSERT_TRUE(service.Stop().ok());
  StatsRecorder fresh(kv.get(), clock, nullptr);
  auto totals = fresh.Totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].registered, 1);
}

TEST(StatsConfigTest, ParsesTheStatsSection) {
  auto c = ParseConfig(
      "[stats]\nflush_interval_s = 5\nmax_prefixes = 7\nparent_url = \"http://10.0.0.1:8000\"\n"
      "report_interval_s = 3600\nnode_id = \"gs-1\"\n");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->stats.flush_interval_s, 5u);
  EXPECT_EQ(c->stats.max_prefixes, 7u);
  EXPECT_EQ(c->stats.parent_url, "http://10.0.0.1:8000");
  EXPECT_EQ(c->stats.report_interval_s, 3600u);
  EXPECT_EQ(c->stats.node_id, "gs-1");
  EXPECT_EQ(ParseConfig("")->stats.parent_url, "");
  EXPECT_EQ(ParseConfig("[stats]\nparent_url = \"\"\n")->stats.parent_url, "");
  EXPECT_EQ(ParseConfig("[stats]\nparent_url = \"ftp://x\"\n").status(),
            absl::InvalidArgumentError(
                "config:2:14: configuration key 'stats.parent_url' must be empty or an http:// or https:// URL"));
  EXPECT_EQ(ParseConfig("[stats]\nflush_interval_s = 0\n").status(),
            absl::InvalidArgumentError("config:2:20: configuration key 'stats.flush_interval_s' "
                                       "is out of range: 0 (allowed 1..3600)"));
}

}  // namespace
}  // namespace qilian::ident::stats
