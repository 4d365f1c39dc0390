#include "platform/tsdb/engine/engine.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "platform/tsdb/engine/engine_internal.h"
#include "platform/tsdb/engine/engine_test_util.h"
#include "platform/tsdb/engine/wal_record.h"
#include "store/fault_store.h"
#include "store/memory_store.h"
#include "store/rocksdb_store.h"

namespace qilian::platform::tsdb {
namespace {

using testing_util::EngineTest;
using testing_util::P;
using testing_util::kMax;
using testing_util::kMin;

TEST_F(EngineTest, RoundTripAcrossSealsAndRestart) {
  auto e = OpenEngine();
  std::vector<Point> want_a, want_b;
  // 1,000 points each for two series, 37 per call, so heads seal at 100
  // points mid-call and the WAL is trimmed behind them.
  for (int64_t start = 0; start < 1000; start += 37) {
    std::vector<PointInput> batch;
    for (int64_t t = start; t < std::min<int64_t>(start + 37, 1000); ++t) {
      batch.push_back(P("d1", "temp", t * 1000, 20.0 + 0.5 * static_cast<double>(t % 7)));
      batch.push_back(P("d1", "count", t * 1000, int64_t{t * 3}));
      want_a.push_back({t * 1000, 20.0 + 0.5 * static_cast<double>(t % 7)});
      want_b.push_back({t * 1000, int64_t{t * 3}});
    }
    ASSERT_TRUE(e->Write(batch).ok());
  }
  SeriesId a = Id(*e, "d1", "temp"), b = Id(*e, "d1", "count");
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(All(*e, a), want_a);
  EXPECT_EQ(All(*e, b), want_b);
  Engine::Stats stats = e->GetStats();
  // Each head seals at 111 points (three calls), 9 times: one point is left.
  EXPECT_EQ(stats.head_points, 2u);
  EXPECT_GE(CountPrefix("blk/"), 20u);
  // Records whose points are all sealed are gone.
  EXPECT_EQ(CountPrefix("wal/"), stats.wal_seq - stats.checkpoint);

  // A range inside, across block boundaries, half-open.
  auto part = e->ReadRange(a, 150 * 1000, 250 * 1000);
  ASSERT_TRUE(part.ok());
  ASSERT_EQ(part->size(), 100u);
  EXPECT_EQ(part->front().time_ms, 150 * 1000);
  EXPECT_EQ(part->back().time_ms, 249 * 1000);
  auto limited = e->ReadRange(a, 0, 1000 * 1000, 5);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(*limited, std::vector<Point>(want_a.begin(), want_a.begin() + 5));

  // Three more points stay in the head (with the one left of each); a new
  // engine replays them.
  ASSERT_TRUE(e->Write(std::vector{P("d1", "temp", 1000000, 1.5), P("d1", "temp", 1001000, 2.5),
                                   P("d1", "temp", 1002000, 3.5)})
                  .ok());
  EXPECT_EQ(e->GetStats().head_points, 5u);
  want_a.push_back({1000000, 1.5});
  want_a.push_back({1001000, 2.5});
  want_a.push_back({1002000, 3.5});
  e.reset();
  auto again = OpenEngine();
  EXPECT_EQ(again->GetStats().head_points, 5u);
  EXPECT_EQ(All(*again, a), want_a);
  EXPECT_EQ(All(*again, b), want_b);
  EXPECT_EQ(again->Latest(a).value(), (Point{1002000, 3.5}));
  EXPECT_EQ(again->Latest(b).value(), (Point{999000, int64_t{2997}}));
  // And keeps writing after the replayed records.
  ASSERT_TRUE(again->Write(std::vector{P("d1", "temp", 1003000, 4.5)}).ok());
  want_a.push_back({1003000, 4.5});
  auto third = OpenEngine();
  EXPECT_EQ(All(*third, a), want_a);
}

TEST_F(EngineTest, EveryKindRoundTrips) {
  auto e = OpenEngine();
  std::vector<PointInput> batch;
  for (int64_t t = 0; t < 150; ++t) {
    batch.push_back(P("d", "on", t, t % 3 == 0));
    batch.push_back(P("d", "mode", t, std::string(t % 2 ? "run" : "idle")));
    batch.push_back(P("d", "n", t, int64_t{-t}));
  }
  ASSERT_TRUE(e->Write(batch).ok());
  auto reopened = OpenEngine();
  for (auto* engine : {e.get(), reopened.get()}) {
    auto on = All(*engine, Id(*engine, "d", "on"));
    auto mode = All(*engine, Id(*engine, "d", "mode"));
    auto n = All(*engine, Id(*engine, "d", "n"));
    ASSERT_EQ(on.size(), 150u);
    ASSERT_EQ(mode.size(), 150u);
    ASSERT_EQ(n.size(), 150u);
    EXPECT_EQ(on[3], (Point{3, true}));
    EXPECT_EQ(on[4], (Point{4, false}));
    EXPECT_EQ(mode[101], (Point{101, std::string("run")}));
    EXPECT_EQ(n[149], (Point{149, int64_t{-149}}));
  }
  EXPECT_EQ(e->Info(Id(*e, "d", "mode"))->kind, ValueKind::kText);
}

TEST_F(EngineTest, OutOfOrderInTheHeadIsKeptSorted) {
  auto e = OpenEngine();
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 30, 3.0), P("d", "x", 10, 1.0)}).ok());
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 20, 2.0), P("d", "x", 5, 0.5)}).ok());
  std::vector<Point> want = {{5, 0.5}, {10, 1.0}, {20, 2.0}, {30, 3.0}};
  EXPECT_EQ(All(*e, 1), want);
  EXPECT_EQ(e->Latest(1).value(), (Point{30, 3.0}));
  EXPECT_EQ(All(*OpenEngine(), 1), want);
}

TEST_F(EngineTest, DuplicatesLastWriteWins) {
  auto e = OpenEngine();
  // Within one call, across calls in the head, and after a restart.
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 10, 1.0), P("d", "x", 10, 2.0)}).ok());
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 20, 5.0)}).ok());
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 20, 6.0), P("d", "x", 10, 3.0)}).ok());
  std::vector<Point> want = {{10, 3.0}, {20, 6.0}};
  EXPECT_EQ(All(*e, 1), want);
  e.reset();
  e = OpenEngine();
  EXPECT_EQ(All(*e, 1), want);
  // Into a sealed block: fill it, then overwrite a sealed timestamp.
  std::vector<PointInput> fill;
  for (int64_t t = 100; t < 198; ++t) fill.push_back(P("d", "x", t, 0.0));
  ASSERT_TRUE(e->Write(fill).ok());
  ASSERT_EQ(e->GetStats().head_points, 0u);
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 150, 9.0), P("d", "x", 20, 7.0)}).ok());
  auto all = All(*e, 1);
  ASSERT_EQ(all.size(), 100u);
  EXPECT_EQ(all[1], (Point{20, 7.0}));
  EXPECT_EQ(all[52], (Point{150, 9.0}));
  EXPECT_EQ(All(*OpenEngine(), 1), all);
}

TEST_F(EngineTest, LatePointsAreMergedIntoTheBlockThatCoversThem) {
  auto e = OpenEngine();
  // Two sealed blocks: [1000, 1099] and [2000, 2099].
  for (int64_t base : {1000, 2000}) {
    std::vector<PointInput> batch;
    for (int64_t t = base; t < base + 100; ++t) batch.push_back(P("d", "x", t, 1.0));
    ASSERT_TRUE(e->Write(batch).ok());
  }
  ASSERT_EQ(CountPrefix("blk/"), 2u);
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 3000, 3.0)}).ok());  // the head
  // Late: older than every block, between the blocks, inside the second.
  ASSERT_TRUE(
      e->Write(std::vector{P("d", "x", 500, 5.0), P("d", "x", 1500, 15.0), P("d", "x", 2050, 20.5)})
          .ok());
  EXPECT_EQ(e->GetStats().late_points, 3u);
  auto all = All(*e, 1);
  ASSERT_EQ(all.size(), 203u);
  EXPECT_EQ(all[0], (Point{500, 5.0}));
  EXPECT_EQ(all[101], (Point{1500, 15.0}));
  EXPECT_EQ(all[152], (Point{2050, 20.5}));
  EXPECT_EQ(all[202], (Point{3000, 3.0}));
  // The first block, now from 500, grew past 100 points and was split
  // (500..1098, 1099..1500); 2050 replaced its point in the second block.
  EXPECT_EQ(CountPrefix("blk/"), 3u);
  EXPECT_EQ(e->GetStats().head_points, 1u);
  // A restart does not replay the late points into the head.
  auto again = OpenEngine();
  EXPECT_EQ(again->GetStats().head_points, 1u);
  EXPECT_EQ(All(*again, 1), all);
}

TEST_F(EngineTest, GapsAndClockJumps) {
  auto e = OpenEngine();
  // A gap longer than the head span seals the head up to the hour boundary
  // a margin (15 min) before the point after it: 3,600,000; that point stays.
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 0, 1.0), P("d", "x", 1000, 2.0)}).ok());
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 5'000'000, 3.0)}).ok());
  EXPECT_EQ(e->GetStats().head_points, 1u);
  EXPECT_EQ(CountPrefix("blk/"), 1u);
  // The device clock jumps back an hour: those points are late and merge
  // into the sealed block; forward again, into the head.
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 1'400'000, 4.0)}).ok());
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 5'001'000, 5.0)}).ok());
  std::vector<Point> want = {
      {0, 1.0}, {1000, 2.0}, {1'400'000, 4.0}, {5'000'000, 3.0}, {5'001'000, 5.0}};
  EXPECT_EQ(All(*e, 1), want);
  EXPECT_EQ(All(*OpenEngine(), 1), want);
  // Negative and extreme times order correctly.
  ASSERT_TRUE(e->Write(std::vector{P("d", "y", -5, 1.0), P("d", "y", -10, 2.0)}).ok());
  EXPECT_EQ(All(*e, 2), (std::vector<Point>{{-10, 2.0}, {-5, 1.0}}));
}

TEST_F(EngineTest, AQuietSeriesDoesNotPinTheWal) {
  options_.max_wal_records = 10;
  auto e = OpenEngine();
  ASSERT_TRUE(e->Write(std::vector{P("d", "quiet", 1, 1.0)}).ok());
  std::vector<Point> busy;
  for (int64_t t = 0; t < 30; ++t) {
    ASSERT_TRUE(e->Write(std::vector{P("d", "busy", t, static_cast<double>(t))}).ok());
    busy.push_back({t, static_cast<double>(t)});
    EXPECT_LE(CountPrefix("wal/"), 10u) << t;
  }
  // Both heads were sealed as they were when the WAL passed 10 records.
  EXPECT_EQ(CountPrefix("blk/"), 3u);
  EXPECT_LT(e->GetStats().head_points, 10u);
  auto again = OpenEngine();
  EXPECT_EQ(All(*again, 1), (std::vector<Point>{{1, 1.0}}));
  EXPECT_EQ(All(*again, 2), busy);
}

TEST_F(EngineTest, NaNIsStoredAsIs) {
  auto e = OpenEngine();
  std::vector<PointInput> batch;
  for (int64_t t = 0; t < 105; ++t) {
    batch.push_back(P("d", "x", t, t % 10 == 0 ? std::nan("") : static_cast<double>(t)));
  }
  ASSERT_TRUE(e->Write(batch).ok());
  auto reopened = OpenEngine();
  for (auto* engine : {e.get(), reopened.get()}) {
    auto all = All(*engine, 1);
    ASSERT_EQ(all.size(), 105u);
    EXPECT_TRUE(std::isnan(std::get<double>(all[0].value)));    // sealed
    EXPECT_TRUE(std::isnan(std::get<double>(all[100].value)));  // head
    EXPECT_EQ(std::get<double>(all[101].value), 101.0);
  }
}

TEST_F(EngineTest, AValueOfAnotherKindIsRefusedWithTheSeriesKind) {
  auto e = OpenEngine();
  ASSERT_TRUE(e->Write(std::vector{P("d1", "temp", 1, 20.5)}).ok());
  auto before = Dump();
  absl::Status st = e->Write(std::vector{P("d2", "temp", 1, 1.0), P("d1", "temp", 2, int64_t{21})});
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(),
            "series 1 (enterprise 7, device \"d1\", property "
            "\"temp\") holds float values; "
            "point 1 is int");
  EXPECT_EQ(Dump(), before);
  EXPECT_TRUE(absl::IsNotFound(e->Find(7, "d2", "temp").status()));
  // Two kinds for a new series in one call: the first point decides.
  st = e->Write(std::vector{P("d3", "on", 1, true), P("d3", "on", 2, std::string("yes"))});
  EXPECT_EQ(st.message(),
            "series 2 (enterprise 7, device \"d3\", property "
            "\"on\") holds bool values; "
            "point 1 is text");
  EXPECT_EQ(Dump(), before);
}

TEST_F(EngineTest, FailedStoreWriteLeavesNothingAndReturnsTheError) {
  auto e = OpenEngine();
  std::vector<PointInput> first;
  for (int64_t t = 0; t < 90; ++t) first.push_back(P("d", "x", t, 1.0));
  ASSERT_TRUE(e->Write(first).ok());
  auto before = Dump();
  Engine::Stats stats = e->GetStats();
  // A call that would create a series, seal a head and merge a late point.
  std::vector<PointInput> second;
  for (int64_t t = 90; t < 120; ++t) second.push_back(P("d", "x", t, 2.0));
  second.push_back(P("e", "y", 5, int64_t{1}));
  faulty_.FailNthWrite(1, absl::InternalError("disk gone"));
  absl::Status st = e->Write(second);
  EXPECT_EQ(st, absl::InternalError("disk gone"));
  EXPECT_EQ(Dump(), before);
  EXPECT_TRUE(absl::IsNotFound(e->Find(7, "e", "y").status()));
  EXPECT_EQ(All(*e, 1).size(), 90u);
  EXPECT_EQ(e->GetStats().wal_seq, stats.wal_seq);
  EXPECT_EQ(e->GetStats().head_points, 90u);
  // The same call goes through afterwards, with the ids it would have had.
  ASSERT_TRUE(e->Write(second).ok());
  EXPECT_EQ(Id(*e, "e", "y"), 2u);
  EXPECT_EQ(All(*e, 1).size(), 120u);
  EXPECT_EQ(CountPrefix("blk/"), 2u);  // 120 points sealed as 100 + 20
  // A late point whose rewrite fails leaves the block as it was.
  before = Dump();
  faulty_.FailNthWrite(1, absl::UnavailableError("busy"));
  EXPECT_EQ(e->Write(std::vector{P("d", "x", 3, 9.0)}), absl::UnavailableError("busy"));
  EXPECT_EQ(Dump(), before);
  EXPECT_EQ(std::get<double>(All(*e, 1)[3].value), 1.0);
  // A failed read is returned.
  faulty_.FailReads(absl::InternalError("io error"));
  EXPECT_EQ(e->ReadRange(1, 0, 10).status(), absl::InternalError("io error"));
  EXPECT_EQ(Engine::Open(&faulty_, options_).status(), absl::InternalError("io error"));
  // Reads that nothing stored can answer do not touch the store: a series
  // all in its head, and a range after every sealed point.
  faulty_.Clear();

  ASSERT_TRUE(e->Write(std::vector{P("h", "x", 5, 1.5)}).ok());
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 500, 2.5)}).ok());
  faulty_.FailReads(absl::InternalError("io error"));
  const SeriesId h = Id(*e, "h", "x");
  uint64_t blocks_read = e->GetStats().blocks_read;
  EXPECT_EQ(e->ReadRange(h, kMin, kMax).value(), std::vector<Point>({{5, 1.5}}));
  EXPECT_EQ(e->Latest(h).value(), (Point{5, 1.5}));
  EXPECT_EQ(e->ReadRange(1, 400, kMax).value(), std::vector<Point>({{500, 2.5}}));
  EXPECT_EQ(e->ReadRollups(h, Resolution::k1m, kMin, kMax)->complete_until_ms, kMin);
  EXPECT_EQ(e->GetStats().blocks_read, blocks_read);
  faulty_.Clear();
}

TEST_F(EngineTest, SeriesLimitPerEnterprise) {
  options_.max_series_per_enterprise = 3;
  auto e = OpenEngine();
  ASSERT_TRUE(e->Write(std::vector{P("d", "a", 1, 1.0), P("d", "b", 1, 1.0)}).ok());
  absl::Status st = e->Write(std::vector{P("d", "c", 1, 1.0), P("d", "d", 1, 1.0)});
  EXPECT_EQ(st, absl::ResourceExhaustedError("enterprise 7 has 3 series, the limit "
                                             "([tsdb] max_series_per_enterprise)"));
  EXPECT_TRUE(absl::IsNotFound(e->Find(7, "d", "c").status()));
  // Other enterprises have their own count; existing series still write.
  ASSERT_TRUE(e->Write(std::vector{P("d", "c", 1, 1.0), P("d", "a", 2, 2.0),
                                   P("d", "a", 1, 1.0, /*enterprise=*/8)})
                  .ok());
  st = e->Write(std::vector{P("d", "z", 1, 1.0)});
  EXPECT_EQ(st.message(),
            "enterprise 7 has 3 series, the limit ([tsdb] "
            "max_series_per_enterprise)");
  // The count survives a restart.
  EXPECT_EQ(OpenEngine()->Write(std::vector{P("d", "z", 1, 1.0)}), st);
}

TEST_F(EngineTest, QueryLimit) {
  options_.max_points_per_query = 150;
  auto e = OpenEngine();
  std::vector<PointInput> batch;
  for (int64_t t = 0; t < 250; ++t) batch.push_back(P("d", "x", t, 1.0));
  ASSERT_TRUE(e->Write(batch).ok());
  EXPECT_EQ(e->ReadRange(1, 0, 1000).status(),
            absl::ResourceExhaustedError("the query reads more than 150 points, the "
                                         "limit ([tsdb] max_points_per_query)"));
  EXPECT_EQ(e->ReadRange(1, 0, 1000, 151).status(),
            absl::ResourceExhaustedError("a limit of 151 points is over 150, the "
                                         "limit ([tsdb] max_points_per_query)"));
  EXPECT_EQ(e->ReadRange(1, 0, 150)->size(), 150u);
  EXPECT_EQ(e->ReadRange(1, 0, 1000, 150)->size(), 150u);
  EXPECT_EQ(e->ReadRange(1, 200, 1000)->size(), 50u);
  EXPECT_EQ(e->ReadRange(1, 10, 10)->size(), 0u);
}

TEST_F(EngineTest, ListFindAndBadInput) {
  auto e = OpenEngine();
  ASSERT_TRUE(e->Write(std::vector{P("d1", "a", 1, 1.0), P("d2", "a", 1, 1.0),
                                   P("d1", "b", 1, int64_t{1}), P("d1", "a", 1, 1.0, 9)})
                  .ok());
  auto all = e->ListSeries(7);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].property, "b");
  EXPECT_EQ(all[2].kind, ValueKind::kInt);
  auto d1 = e->ListSeries(7, "d1");
  ASSERT_EQ(d1.size(), 2u);
  EXPECT_EQ(d1[0].id, 1u);
  EXPECT_EQ(d1[1].id, 3u);
  EXPECT_EQ(e->ListSeries(9).size(), 1u);
  EXPECT_EQ(e->ListSeries(10).size(), 0u);
  EXPECT_EQ(e->Find(7, "d3", "a").status(),
            absl::NotFoundError("no series for enterprise 7, device \"d3\", property \"a\""));
  EXPECT_EQ(e->Latest(99).status(), absl::NotFoundError("series 99 not found"));
  EXPECT_EQ(e->Write(std::vector{P("", "a", 1, 1.0)}),
            absl::InvalidArgumentError("point 0: device and property must be 1 to 256 bytes"));
  EXPECT_EQ(e->Write(std::vector{P("d", "a", 1, std::string(70000, 'x'))}),
            absl::InvalidArgumentError("point 0: a text value is 70000 bytes, over 65536"));
  EXPECT_TRUE(e->Write(std::vector<PointInput>{}).ok());
}

TEST_F(EngineTest, LabelsAreStoredWithTheSeries) {
  auto e = OpenEngine();
  LabelSet labels = {{"_measurement", "pump"}, {"site", "north"}};
  LabelSet other = {{"site", "south"}};
  PointInput a = P("d1", "p", 1, 1.0);
  a.labels = &labels;
  PointInput b = P("d1", "p", 2, 2.0);
  b.labels = &other;  // the series exists by then: ignored
  ASSERT_TRUE(e->Write(std::vector{a, b, P("d2", "p", 1, 1.0)}).ok());
  EXPECT_EQ(e->Info(1)->labels, labels);
  EXPECT_TRUE(e->Info(2)->labels.empty());
  auto again = OpenEngine();
  EXPECT_EQ(again->Info(1)->labels, labels);
  EXPECT_EQ(again->ListSeries(7, "d1").at(0).labels, labels);
  EXPECT_EQ(again->SeriesCount(7), 2u);
  EXPECT_EQ(again->SeriesCount(8), 0u);

  // Refused whole, naming the point.
  auto refused = [&](LabelSet set) {
    PointInput p = P("d3", "p", 1, 1.0);
    p.labels = &set;
    return e->Write(std::vector{P("d1", "p", 3, 3.0), p});
  };
  auto before = Dump();
  EXPECT_EQ(refused({{"b", "1"}, {"a", "2"}}),
            absl::InvalidArgumentError(
                "point 1: label keys must be sorted and unique (\"a\" after \"b\")"));
  EXPECT_EQ(refused({{"a", "1"}, {"a", "2"}}),
            absl::InvalidArgumentError(
                "point 1: label keys must be sorted and unique (\"a\" after \"a\")"));
  EXPECT_EQ(
      refused({{"a", ""}}),
      absl::InvalidArgumentError("point 1: label \"a\": key and value must be 1 to 256 bytes"));
  EXPECT_EQ(refused({{std::string(257, 'k'), "v"}}).code(), absl::StatusCode::kInvalidArgument);
  LabelSet many;
  for (int i = 0; i < 65; ++i) many.push_back({absl::StrCat("k", 100 + i), "v"});
  EXPECT_EQ(refused(many), absl::InvalidArgumentError("point 1: 65 labels, over 64"));
  EXPECT_EQ(Dump(), before);

  // A series record written before labels (ending after the property)
  // reads as no labels.
  std::string key = "series/" + engine_internal::Be64(1);
  std::string record;
  ASSERT_TRUE(base_->Get(kTsdbSpace, key, &record).ok());
  size_t labels_bytes = 4 + 2 * (4 + 4) + 12 + 4 + 4 + 5;  // count, keys, values
  ASSERT_TRUE(base_->Put(kTsdbSpace, key, record.substr(0, record.size() - labels_bytes)).ok());
  auto old = OpenEngine();
  EXPECT_TRUE(old->Info(1)->labels.empty());
  EXPECT_EQ(old->Info(1)->device, "d1");
}

// SealAll: every head in blocks, the WAL empty, reads and rollups as
// before, after a restart too; a second call has nothing to do.
TEST_F(EngineTest, SealAllSealsEveryHeadAndEmptiesTheWal) {
  auto e = OpenEngine();
  for (int64_t call = 0; call < 30; ++call) {
    std::vector<PointInput> batch;
    for (int64_t i = 0; i < 7; ++i) {
      batch.push_back(P("d", "x", (call * 7 + i) * 1000, static_cast<double>(call * 7 + i)));
      batch.push_back(P("d", "n", (call * 7 + i) * 1000, int64_t{call}));
    }
    batch.push_back(P("e", "s", call * 1000, absl::StrCat("s", call)));
    ASSERT_TRUE(e->Write(batch).ok());
  }
  std::vector<std::vector<Point>> want;
  for (SeriesId id = 1; id <= 3; ++id) want.push_back(All(*e, id));
  ASSERT_GT(e->GetStats().head_points, 0u);
  ASSERT_GT(CountPrefix("wal/"), 0u);
  ASSERT_EQ(e->SealAll(), absl::OkStatus());
  Engine::Stats stats = e->GetStats();
  EXPECT_EQ(stats.head_points, 0u);
  EXPECT_EQ(stats.checkpoint, stats.wal_seq);
  EXPECT_EQ(stats.wal_seq, 31u);
  EXPECT_EQ(CountPrefix("wal/"), 0u);
  for (SeriesId id = 1; id <= 3; ++id) EXPECT_EQ(All(*e, id), want[id - 1]) << id;
  // The 1 m rollups reach the minute of the last sealed point.
  EXPECT_EQ(e->ReadRollups(1, Resolution::k1m, testing_util::kMin, testing_util::kMax)
                ->complete_until_ms,
            180'000);
  auto before = Dump();
  ASSERT_EQ(e->SealAll(), absl::OkStatus());
  EXPECT_EQ(Dump(), before);
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 500'000, 1.0)}).ok());
  EXPECT_EQ(e->GetStats().wal_seq, 32u);
  e.reset();
  auto again = OpenEngine();
  EXPECT_EQ(again->GetStats().head_points, 1u);
  want[0].push_back({500'000, 1.0});
  for (SeriesId id = 1; id <= 3; ++id) EXPECT_EQ(All(*again, id), want[id - 1]) << id;
}

// A store from before kTsdbWalSpace: its WAL records (version 1, in the
// tsdb space) are moved at Open and replayed; none is left behind.
TEST_F(EngineTest, AnOlderStoresWalIsMovedAndReplayed) {
  std::vector<std::tuple<SeriesId, int64_t, PointValue>> points;
  {
    auto e = OpenEngine();
    for (int call = 0; call < 20; ++call) {
      std::vector<PointInput> batch = {P("d", "x", call * 10, call * 1.5),
                                       P("d", "n", call * 10 + 1, int64_t{call}),
                                       P("e", "s", call * 10, absl::StrCat("s", call))};
      ASSERT_TRUE(e->Write(batch).ok());
    }
  }
  std::vector<std::pair<std::string, std::string>> records;
  ASSERT_TRUE(base_
                  ->Scan(kTsdbWalSpace, "wal/", "",
                         [&](std::string_view k, std::string_view v) {
                           records.emplace_back(k, v);
                           return true;
                         })
                  .ok());
  ASSERT_EQ(records.size(), 20u);
  auto reference = OpenEngine();
  std::vector<std::vector<Point>> want;
  for (SeriesId id = 1; id <= 3; ++id) want.push_back(All(*reference, id));
  reference.reset();
  for (const auto& [key, value] : records) {
    std::string v1;
    uint32_t n = 0;
    ASSERT_EQ(DecodeWalRecord(value,
                              [&](SeriesId id, int64_t t, PointValue v) {
                                AppendWalRecordV1(&v1, id, t, v);
                                ++n;
                                return true;
                              }),
              absl::OkStatus());
    std::string count;
    for (int shift = 24; shift >= 0; shift -= 8) count.push_back(static_cast<char>(n >> shift));
    ASSERT_TRUE(base_->Delete(kTsdbWalSpace, key).ok());
    ASSERT_TRUE(base_->Put(kTsdbSpace, key, count + v1).ok());
  }
  auto e = OpenEngine();
  for (SeriesId id = 1; id <= 3; ++id) EXPECT_EQ(All(*e, id), want[id - 1]) << id;
  EXPECT_EQ(CountPrefix("wal/"), 20u);  // now in kTsdbWalSpace
  size_t left = 0;
  ASSERT_TRUE(base_->Scan(kTsdbSpace, "wal/", "", [&](auto, auto) { return ++left > 0; }).ok());
  EXPECT_EQ(left, 0u);
  EXPECT_EQ(e->GetStats().wal_seq, 21u);
}

// The block index: a read of the last hour of a long series fetches the
// blocks of that hour, not the series' first ones.
TEST_F(EngineTest, ReadsSeekWithTheBlockIndex) {
  auto e = OpenEngine();
  std::vector<PointInput> batch;
  for (int64_t i = 0; i < 10'000; ++i) {  // a point every 10 s: 100 blocks of 1000 s
    batch.push_back(P("d", "x", i * 10'000, static_cast<double>(i)));
    if (batch.size() == 1000) {
      ASSERT_TRUE(e->Write(batch).ok());
      batch.clear();
    }
  }
  ASSERT_EQ(CountPrefix("blk/"), 100u);
  EXPECT_EQ(e->GetStats().points_written, 10'000u);
  for (auto* engine : {e.get(), OpenEngine().release()}) {
    std::unique_ptr<Engine> owned(engine == e.get() ? nullptr : engine);
    uint64_t before = engine->GetStats().blocks_read;
    auto hour = engine->ReadRange(1, 99'990'000 - 3'600'000, 100'000'000);
    ASSERT_TRUE(hour.ok());
    EXPECT_EQ(hour->size(), 361u);
    EXPECT_LE(engine->GetStats().blocks_read - before, 5u);
    EXPECT_EQ(engine->Latest(1).value(), (Point{99'990'000, 9999.0}));
    // A late point finds its block directly.
    ASSERT_TRUE(engine->Write(std::vector{P("d", "x", 50'005'000, -1.0)}).ok());
    EXPECT_EQ(engine->ReadRange(1, 50'000'000, 50'010'001)->size(), 3u);
  }
  // A store from before the index gets its entries at Open, once.
  ASSERT_EQ(CountPrefix("bix/"), CountPrefix("blk/"));
  for (const auto& [key, value] : Dump()) {
    if (key.starts_with("tsdb:bix")) {
      ASSERT_TRUE(base_->Delete(kTsdbSpace, key.substr(5)).ok());
    }
  }
  auto old = OpenEngine();
  EXPECT_EQ(CountPrefix("bix/"), CountPrefix("blk/"));
  EXPECT_EQ(CountPrefix("bix_ready"), 1u);
  auto hour = old->ReadRange(1, 99'990'000 - 3'600'000, 100'000'000);
  EXPECT_EQ(hour->size(), 361u);
  EXPECT_LE(old->GetStats().blocks_read, 5u);
}

// Acknowledged points survive kill -9: a child writes through RocksDB,
// reports each acknowledged call on a pipe, then SIGKILLs itself with
// heads unsealed; a new engine over the same directory has every point.
TEST(EngineCrashTest, AcknowledgedPointsSurviveKill9) {
  char dir[] = "/tmp/tsdb_engine_test.XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  store::RocksDbOptions ro;
  ro.path = dir;
  ro.spaces = {std::string(kTsdbSpace), std::string(kTsdbWalSpace)};
  ro.uncompressed_spaces = {std::string(kTsdbWalSpace)};
  EngineOptions options;
  options.max_points_per_block = 64;
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  constexpr int kCalls = 20;
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto st = store::OpenRocksDbStore(ro);
    if (!st.ok()) _exit(2);
    auto e = Engine::Open(st->get(), options);
    if (!e.ok()) _exit(3);
    for (int c = 0; c < kCalls; ++c) {
      std::vector<PointInput> batch;
      for (int k = 0; k < 25; ++k) {
        int64_t t = c * 25 + k;  // a point a second
        batch.push_back(P("d", "x", t * 1000, static_cast<double>(t)));
        batch.push_back(P("d", "n", t * 1000, int64_t{t}));
      }
      if (!(*e)->Write(batch).ok()) _exit(4);
      char acked = 1;
      if (write(fds[1], &acked, 1) != 1) _exit(5);
    }
    raise(SIGKILL);
    _exit(6);
  }
  close(fds[1]);
  int acked = 0;
  char c;
  while (read(fds[0], &c, 1) == 1) ++acked;
  close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << wstatus;
  ASSERT_EQ(acked, kCalls);
  {
    auto st = store::OpenRocksDbStore(ro);
    ASSERT_TRUE(st.ok()) << st.status();
    auto e = Engine::Open(st->get(), options);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_GT((*e)->GetStats().head_points, 0u);  // replayed, not only blocks
    for (std::string_view property : {"x", "n"}) {
      auto id = (*e)->Find(7, "d", property);
      ASSERT_TRUE(id.ok());
      // The rollups were written with the blocks they summarize.
      // Sealed to 447 s (7 blocks of 64): the buckets before 420 s.
      EXPECT_EQ(testing_util::ExpectRollupsMatchRaw(**e, *id, Resolution::k1m), 7u);
      auto all = (*e)->ReadRange(*id, 0, 1 << 30);
      ASSERT_TRUE(all.ok());
      ASSERT_EQ(all->size(), 500u);
      for (int64_t t = 0; t < 500; ++t) {
        PointValue want = property == "x" ? PointValue(static_cast<double>(t)) : PointValue(t);
        ASSERT_EQ((*all)[static_cast<size_t>(t)], (Point{t * 1000, want}));
      }
    }
  }
  std::filesystem::remove_all(dir);
}

// Readers during writes see sorted, unique points and never fewer than
// were acknowledged before the read began.
TEST_F(EngineTest, ReadsDuringWritesAreConsistent) {
  options_.max_points_per_block = 50;
  auto e = OpenEngine();
  ASSERT_TRUE(e->Write(std::vector{P("d", "x", 0, 0.0)}).ok());
  std::atomic<int64_t> acked{1};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int64_t t = 1; t < 2000; t += 7) {
      std::vector<PointInput> batch;
      for (int64_t k = t; k < std::min<int64_t>(t + 7, 2000); ++k) {
        batch.push_back(P("d", "x", k, static_cast<double>(k)));
      }
      if (!e->Write(batch).ok()) break;
      acked = std::min<int64_t>(t + 7, 2000);
    }
    done = true;
  });
  bool bad = false;
  while (!done && !bad) {
    int64_t before = acked.load();
    auto all = e->ReadRange(1, 0, 5000);
    if (!all.ok() || static_cast<int64_t>(all->size()) < before) {
      bad = true;
      break;
    }
    for (size_t i = 0; i < all->size(); ++i) {
      if ((*all)[i].time_ms != static_cast<int64_t>(i)) bad = true;
    }
  }
  writer.join();
  EXPECT_FALSE(bad);
  EXPECT_EQ(All(*e, 1).size(), 2000u);
}

// A long head is sealed up to an hour boundary 15 minutes before its
// newest point; writers a few minutes behind land in the head, not late;
// after a restart the WAL gives back exactly the kept points; the rollups
// end at the boundary and match the raw points.
TEST_F(EngineTest, ALongHeadIsSealedUpToAnHourBoundaryAndKeepsTheRest) {
  options_.max_points_per_block = 8192;
  options_.max_head_span_ms = 2 * 3600 * 1000;
  auto e = OpenEngine();
  auto write_minutes = [&](int from, int to) {  // one point every 10 s
    std::vector<PointInput> batch;
    for (int64_t t = from * 60'000LL; t < to * 60'000LL; t += 10'000) {
      batch.push_back(P("d", "x", t, static_cast<double>(t / 1000)));
    }
    ASSERT_TRUE(e->Write(batch).ok());
  };
  for (int m = 0; m < 120; m += 10) write_minutes(m, m + 10);
  EXPECT_EQ(CountPrefix("blk/"), 0u);
  // 120..130 arrives before 115..120 (a concurrent writer a little behind).
  write_minutes(120, 130);  // span >= 2 h: sealed up to 1:00 (130 - 15 min = 1:55)
  EXPECT_EQ(CountPrefix("blk/"), 1u);
  write_minutes(115, 120);
  EXPECT_EQ(e->GetStats().late_points, 0u);
  EXPECT_EQ(e->GetStats().head_points, 6u * 70);  // 1:00 .. 2:10
  const SeriesId id = Id(*e, "d", "x");
  auto rollups = e->ReadRollups(id, Resolution::k1h, kMin, kMax);
  ASSERT_TRUE(rollups.ok());
  EXPECT_EQ(rollups->complete_until_ms, 3'600'000);
  ASSERT_EQ(rollups->buckets.size(), 1u);
  EXPECT_EQ(rollups->buckets[0].count, 360u);
  EXPECT_EQ(e->ReadRollups(id, Resolution::k1m, kMin, kMax)->complete_until_ms, 3'600'000);
  EXPECT_EQ(testing_util::ExpectRollupsMatchRaw(*e, id, Resolution::k1m), 60u);
  std::vector<Point> all = All(*e, id);
  ASSERT_EQ(all.size(), 6u * 130);
  // A restart (no seal first): the head comes back from the WAL, exactly.
  e.reset();
  e = OpenEngine();
  EXPECT_EQ(e->GetStats().head_points, 6u * 70);
  EXPECT_EQ(All(*e, id), all);
  // Another hour on: the next seal ends at 2:00, and the WAL is trimmed to
  // the records of the kept points.
  for (int m = 130; m < 200; m += 10) write_minutes(m, m + 10);
  EXPECT_EQ(CountPrefix("blk/"), 2u);
  EXPECT_EQ(e->ReadRollups(id, Resolution::k1h, kMin, kMax)->complete_until_ms, 7'200'000);
  EXPECT_EQ(testing_util::ExpectRollupsMatchRaw(*e, id, Resolution::k1h), 2u);
  e.reset();
  e = OpenEngine();
  EXPECT_EQ(All(*e, id).size(), 6u * 200);
  EXPECT_EQ(e->GetStats().head_points, 6u * 80);  // 2:00 .. 3:20
}

}  // namespace
}  // namespace qilian::platform::tsdb
