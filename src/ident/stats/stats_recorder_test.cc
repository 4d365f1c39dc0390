#include "ident/stats/stats_recorder.h"

#include <memory>
#include <string>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"
#include "ident/processor.h"
#include "store/fault_store.h"
#include "store/memory_store.h"

namespace qilian::ident::stats {
namespace {

absl::Time At(int y, int m, int d, int hh, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), absl::UTCTimeZone());
}

std::unique_ptr<store::KvStore> NewStore() {
  return store::NewMemoryStore(store::StoreOptions{{std::string(kSpace)}});
}

Counts Res(uint64_t http, uint64_t udp, uint64_t tcp, uint64_t created = 0,
           uint64_t deleted = 0) {
  Counts c;
  c.resolutions = {http, udp, tcp};
  c.created = created;
  c.deleted = deleted;
  return c;
}

class StatsRecorderTest : public ::testing::Test {
 protected:
  FakeClock clock_{At(2026, 11, 28, 22, 59, 59)};
  std::unique_ptr<store::KvStore> store_ = NewStore();
};

TEST_F(StatsRecorderTest, HourBucketsRollAtTheHourAndDayBucketsAtMidnight) {
  StatsRecorder rec(store_.get(), clock_, nullptr);
  rec.RecordResolution("88.999", Door::kHttp);  // 22:59:59
  clock_.Advance(absl::Seconds(1));              // 23:00:00
  rec.RecordResolution("88.999", Door::kUdp);
  rec.RecordCreated("88.999");
  clock_.Set(At(2026, 11, 28, 23, 59, 59));
  rec.RecordResolution("88.999", Door::kTcp);
  clock_.Advance(absl::Seconds(1));  // 2026-11-29 00:00:00
  rec.RecordResolution("88.999", Door::kTcp);
  rec.RecordDeleted("88.999");

  auto hours = rec.Series("88.999", absl::CivilDay(2026, 11, 28), absl::CivilDay(2026, 11, 29),
                          Granularity::kHour);
  ASSERT_TRUE(hours.ok()) << hours.status();
  ASSERT_EQ(hours->size(), 48u);
  EXPECT_EQ((*hours)[22].bucket, "2026-11-28T22");
  EXPECT_EQ((*hours)[22].counts, Res(1, 0, 0));
  EXPECT_EQ((*hours)[23].bucket, "2026-11-28T23");
  EXPECT_EQ((*hours)[23].counts, Res(0, 1, 1, 1, 0));
  EXPECT_EQ((*hours)[24].bucket, "2026-11-29T00");
  EXPECT_EQ((*hours)[24].counts, Res(0, 0, 1, 0, 1));
  EXPECT_EQ((*hours)[0].counts, Counts{});

  auto days = rec.Series("88.999", absl::CivilDay(2026, 11, 27), absl::CivilDay(2026, 11, 29),
                         Granularity::kDay);
  ASSERT_TRUE(days.ok());
  ASSERT_EQ(days->size(), 3u);
  EXPECT_EQ((*days)[0].bucket, "2026-11-27");
  EXPECT_EQ((*days)[0].counts, Counts{});
  EXPECT_EQ((*days)[1].counts, Res(1, 1, 1, 1, 0));
  EXPECT_EQ((*days)[2].bucket, "2026-11-29");
  EXPECT_EQ((*days)[2].counts, Res(0, 0, 1, 0, 1));
}

TEST_F(StatsRecorderTest, QueriesAddFlushedAndPendingCountsOnce) {
  StatsRecorder rec(store_.get(), clock_, nullptr);
  rec.RecordResolution("88.999.1", Door::kUdp);
  rec.RecordCreated("88.999.1");
  ASSERT_TRUE(rec.Flush().ok());
  rec.RecordResolution("88.999.1", Door::kUdp);
  rec.RecordCreated("88.999.1");
  auto day = rec.Day("88.999.1", absl::CivilDay(2026, 11, 28));
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(*day, Res(0, 2, 0, 2, 0));
  auto totals = rec.Totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].prefix, "88.999.1");
  EXPECT_EQ((*totals)[0].registered, 2);
  EXPECT_EQ((*totals)[0].counts, Res(0, 2, 0, 2, 0));
}

TEST_F(StatsRecorderTest, FlushedCountsSurviveANewRecorderAndAddUp) {
  {
    StatsRecorder rec(store_.get(), clock_, nullptr);
    for (int i = 0; i < 5; ++i) rec.RecordCreated("88.999");
    rec.RecordDeleted("88.999");
    rec.RecordResolution("88.999", Door::kTcp);
    ASSERT_TRUE(rec.Flush().ok());
  }
  StatsRecorder rec(store_.get(), clock_, nullptr);
  rec.RecordCreated("88.999");
  ASSERT_TRUE(rec.Flush().ok());
  ASSERT_TRUE(rec.Flush().ok());  // nothing pending: changes nothing
  auto totals = rec.Totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].registered, 5);
  EXPECT_EQ((*totals)[0].counts, Res(0, 0, 1, 6, 1));
  auto day = rec.Day("88.999", absl::CivilDay(2026, 11, 28));
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(*day, Res(0, 0, 1, 6, 1));
}

TEST_F(StatsRecorderTest, PrefixesCompareCaseInsensitively) {
  StatsRecorder rec(store_.get(), clock_, nullptr);
  rec.RecordCreated("88.abc");
  rec.RecordCreated("88.ABC");
  auto totals = rec.Totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].prefix, "88.ABC");
  EXPECT_EQ((*totals)[0].registered, 2);
}

TEST_F(StatsRecorderTest, PrefixesPastTheCapAreFoldedIntoOther) {
  StatsOptions options;
  options.max_prefixes = 2;
  StatsRecorder rec(store_.get(), clock_, nullptr, options);
  rec.RecordCreated("88.1");
  rec.RecordCreated("88.2");
  rec.RecordCreated("88.3");
  rec.RecordResolution("88.4", Door::kHttp);
  rec.RecordCreated("88.1");  // already held: not folded
  EXPECT_EQ(rec.folded(), 2u);
  auto totals = rec.Totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 3u);
  EXPECT_EQ((*totals)[0].prefix, "88.1");
  EXPECT_EQ((*totals)[0].registered, 2);
  EXPECT_EQ((*totals)[1].prefix, "other");
  EXPECT_EQ((*totals)[1].counts, Res(1, 0, 0, 1, 0));
  EXPECT_EQ((*totals)[2].prefix, "88.2");

  // A flush starts a new interval: new prefixes are admitted again.
  ASSERT_TRUE(rec.Flush().ok());
  rec.RecordCreated("88.3");
  EXPECT_EQ(rec.folded(), 2u);
  auto day = rec.Day("88.3", absl::CivilDay(2026, 11, 28));
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(day->created, 1u);
}

TEST_F(StatsRecorderTest, AFailedFlushKeepsTheCountsForTheNextOne) {
  store::FaultInjectingStore faulty(store_.get());
  StatsRecorder rec(&faulty, clock_, nullptr);
  rec.RecordCreated("88.999");
  faulty.FailNthWrite(1, absl::UnavailableError("disk gone"));
  absl::Status s = rec.Flush();
  EXPECT_EQ(s, absl::UnavailableError("disk gone"));
  auto totals = rec.Totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 1u);
  EXPECT_EQ((*totals)[0].registered, 1);
  ASSERT_TRUE(rec.Flush().ok());
  StatsRecorder fresh(store_.get(), clock_, nullptr);
  auto stored = fresh.Totals();
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  EXPECT_EQ((*stored)[0].registered, 1);
}

TEST_F(StatsRecorderTest, ACorruptRecordIsDataLoss) {
  ASSERT_TRUE(store_->Put(kSpace, "p/88.999", "short").ok());
  StatsRecorder rec(store_.get(), clock_, nullptr);
  auto totals = rec.Totals();
  EXPECT_EQ(totals.status(),
            absl::DataLossError("statistics total of 5 bytes, expected 48"));
}

TEST_F(StatsRecorderTest, TotalsAreOrderedAndLimited) {
  StatsRecorder rec(store_.get(), clock_, nullptr);
  rec.RecordCreated("88.2");
  rec.RecordCreated("88.2");
  rec.RecordCreated("88.1");
  rec.RecordResolution("88.3", Door::kHttp);
  auto totals = rec.Totals(2);
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 2u);
  EXPECT_EQ((*totals)[0].prefix, "88.2");
  EXPECT_EQ((*totals)[1].prefix, "88.1");
}

TEST_F(StatsRecorderTest, ObserveCountsWhatTheProcessorAnswered) {
  StatsRecorder rec(store_.get(), clock_, nullptr);
  Request req;
  Response resp;
  req.handle = "88.999/a";
  req.op = OpCode::kResolution;
  req.peer.transport = Transport::kUdp;
  rec.Observe(req, resp);  // success
  resp.code = ResponseCode::kHandleNotFound;
  rec.Observe(req, resp);
  resp.code = ResponseCode::kServerNotResponsible;
  rec.Observe(req, resp);  // not counted
  req.peer.transport = Transport::kTcp;
  resp.code = ResponseCode::kValuesNotFound;
  rec.Observe(req, resp);

  req.op = OpCode::kCreateHandle;
  resp = Response{};
  resp.outcome = WriteOutcome::kCreated;
  rec.Observe(req, resp);
  resp.outcome = WriteOutcome::kUpdated;  // a replace: no new identifier
  rec.Observe(req, resp);
  resp.outcome = WriteOutcome::kCreated;
  resp.code = ResponseCode::kHandleAlreadyExists;
  rec.Observe(req, resp);

  req.op = OpCode::kDeleteHandle;
  resp = Response{};
  rec.Observe(req, resp);
  resp.code = ResponseCode::kHandleNotFound;
  rec.Observe(req, resp);

  req.op = OpCode::kResolution;
  req.handle = "no-slash";
  rec.Observe(req, Response{});

  auto day = rec.Day("88.999", absl::CivilDay(2026, 11, 28));
  ASSERT_TRUE(day.ok());
  EXPECT_EQ(*day, Res(0, 2, 1, 1, 1));
  auto totals = rec.Totals();
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->size(), 1u);
}

TEST_F(StatsRecorderTest, MetricsCountResolutionsByDoorAndGaugeTopPrefixes) {
  MetricsRegistry metrics;
  auto rec = std::make_unique<StatsRecorder>(store_.get(), clock_, &metrics);
  rec->RecordResolution("88.999", Door::kUdp);
  rec->RecordResolution("88.999", Door::kUdp);
  rec->RecordCreated("88.999.1");
  std::string text = metrics.RenderPrometheus();
  EXPECT_NE(text.find("qilian_resolutions_total{door=\"udp\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("qilian_resolutions_total{door=\"http\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("qilian_identifiers_registered{prefix=\"88.999.1\"} 1\n"),
            std::string::npos)
      << text;
  rec.reset();
  // The collector outlives the recorder harmlessly.
  EXPECT_NE(metrics.RenderPrometheus().find("qilian_resolutions_total"), std::string::npos);
}

TEST(ParseDayTest, StrictDates) {
  absl::CivilDay d;
  EXPECT_TRUE(ParseDay("2026-11-28", &d));
  EXPECT_EQ(d, absl::CivilDay(2026, 11, 28));
  EXPECT_TRUE(ParseDay("2028-02-29", &d));
  EXPECT_FALSE(ParseDay("2026-02-29", &d));
  EXPECT_FALSE(ParseDay("2026-13-01", &d));
  EXPECT_FALSE(ParseDay("2026-1-01", &d));
  EXPECT_FALSE(ParseDay("2026/11/28", &d));
  EXPECT_FALSE(ParseDay("", &d));
  EXPECT_EQ(HourBucket(At(2026, 1, 2, 3, 4, 5)), "2026-01-02T03");
}

// Found by the node_report fuzz target: a day ParseDay accepts must format
// back to the same text (four-digit year), or a report the node writes is
// refused by its own parser.
TEST(ParseDayTest, EveryParsedDayFormatsBackTheSame) {
  for (const char* text : {"0506-01-01", "0000-03-01", "2026-11-28", "9999-12-31"}) {
    absl::CivilDay d;
    ASSERT_TRUE(ParseDay(text, &d)) << text;
    EXPECT_EQ(FormatDay(d), text);
  }
}

}  // namespace
}  // namespace qilian::ident::stats
