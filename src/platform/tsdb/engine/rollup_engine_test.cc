// The engine's stored rollups (docs/tsdb.md, "Rollups"): equal to AddPoint
// over the raw points, kept across seals, restarts, late points and NaN.
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "platform/tsdb/engine/engine.h"
#include "platform/tsdb/engine/engine_internal.h"
#include "platform/tsdb/engine/engine_test_util.h"
#include "platform/tsdb/engine/rollup_chunk.h"

// Inside the fixture's namespace: EngineTest, P, kMin and kMax.
namespace qilian::platform::tsdb::testing_util {
namespace {

// `n` points a second from `t0`, 2-decimal values, in calls of `per_call`.
void WriteSeconds(Engine& e, std::string_view property, int64_t t0, int n, int per_call,
                  double base = 20.0) {
  std::vector<PointInput> batch;
  for (int i = 0; i < n; ++i) {
    double v = std::round((base + 3 * std::sin(i / 50.0) + (i % 7) * 0.01) * 100) / 100;
    batch.push_back(P("d", property, t0 + int64_t{i} * 1000, v));
    if (static_cast<int>(batch.size()) == per_call || i + 1 == n) {
      ASSERT_TRUE(e.Write(batch).ok());
      batch.clear();
    }
  }
}

TEST_F(EngineTest, RollupsEqualTheRawPointsAcrossSealsAndRestart) {
  auto e = OpenEngine();
  WriteSeconds(*e, "p", 0, 1000, 37);  // blocks of 100 points: 9 seals
  SeriesId id = Id(*e, "d", "p");
  auto read = e->ReadRollups(id, Resolution::k1m, kMin, kMax);
  ASSERT_TRUE(read.ok());
  // Sealed up to 998 s (heads seal at 111 points, 3 calls): buckets before 960
  // s.
  EXPECT_EQ(read->complete_until_ms, 960'000);
  EXPECT_EQ(ExpectRollupsMatchRaw(*e, id, Resolution::k1m), 16u);
  EXPECT_EQ(read->buckets[0].count, 60u);
  EXPECT_EQ(e->GetStats().rollup_buckets_written, 16u);
  // Not a whole hour yet: the 1 h watermark is at 0, nothing stored.
  auto hours = e->ReadRollups(id, Resolution::k1h, kMin, kMax);
  EXPECT_EQ(hours->complete_until_ms, 0);
  EXPECT_TRUE(hours->buckets.empty());
  // A range: from <= start < to.
  auto part = e->ReadRollups(id, Resolution::k1m, 60'000, 180'001);
  ASSERT_EQ(part->buckets.size(), 3u);
  EXPECT_EQ(part->buckets[0].start_ms, 60'000);
  EXPECT_EQ(part->buckets[2].start_ms, 180'000);

  auto again = OpenEngine();
  EXPECT_EQ(again->ReadRollups(id, Resolution::k1m, kMin, kMax)->complete_until_ms, 960'000);
  EXPECT_EQ(ExpectRollupsMatchRaw(*again, id, Resolution::k1m), 16u);
  // More seals after the restart continue from the stored watermark.
  WriteSeconds(*again, "p", 1'000'000, 4000, 100);
  EXPECT_EQ(ExpectRollupsMatchRaw(*again, id, Resolution::k1m), 83u);
  EXPECT_EQ(again->ReadRollups(id, Resolution::k1h, kMin, kMax)->complete_until_ms, 3'600'000);
  EXPECT_EQ(ExpectRollupsMatchRaw(*again, id, Resolution::k1h), 1u);
}

TEST_F(EngineTest, LatePointsRecomputeTheirBuckets) {
  auto e = OpenEngine();
  WriteSeconds(*e, "p", 0, 4000, 100);
  SeriesId id = Id(*e, "d", "p");
  auto before = e->ReadRollups(id, Resolution::k1m, 60'000, 120'000)->buckets.at(0);
  // Between points, over a point, a NaN over a point, into the 1 h bucket.
  ASSERT_TRUE(e->Write(std::vector{P("d", "p", 90'500, 99.5), P("d", "p", 95'000, 1.25),
                                   P("d", "p", 100'000, std::nan(""))})
                  .ok());
  auto after = e->ReadRollups(id, Resolution::k1m, 60'000, 120'000)->buckets.at(0);
  EXPECT_EQ(after.count, before.count);  // +1 new, 1 replaced, 1 now NaN
  EXPECT_EQ(after.max, 99.5);
  EXPECT_EQ(ExpectRollupsMatchRaw(*e, id, Resolution::k1m), 66u);
  EXPECT_EQ(ExpectRollupsMatchRaw(*e, id, Resolution::k1h), 1u);
  // A bucket whose every point becomes NaN is gone.
  std::vector<PointInput> nans;
  for (int64_t t = 0; t < 60'000; t += 1000) nans.push_back(P("d", "p", t, std::nan("")));
  ASSERT_TRUE(e->Write(nans).ok());
  EXPECT_EQ(e->ReadRollups(id, Resolution::k1m, kMin, kMax)->buckets.at(0).start_ms, 60'000);
  EXPECT_EQ(ExpectRollupsMatchRaw(*e, id, Resolution::k1m), 65u);
  auto again = OpenEngine();
  EXPECT_EQ(ExpectRollupsMatchRaw(*again, id, Resolution::k1m), 65u);
  EXPECT_EQ(ExpectRollupsMatchRaw(*again, id, Resolution::k1h), 1u);
}

TEST_F(EngineTest, IntAndBoolHaveRollupsTextHasNone) {
  auto e = OpenEngine();
  std::vector<PointInput> batch;
  for (int64_t t = 0; t < 500; ++t) {
    batch.push_back(P("d", "n", t * 1000, int64_t{t * 3 % 17}));
    batch.push_back(P("d", "on", t * 1000, t % 5 == 0));
    batch.push_back(P("d", "mode", t * 1000, std::string(t % 2 ? "run" : "idle")));
  }
  ASSERT_TRUE(e->Write(batch).ok());
  EXPECT_EQ(ExpectRollupsMatchRaw(*e, Id(*e, "d", "n"), Resolution::k1m), 8u);
  EXPECT_EQ(ExpectRollupsMatchRaw(*e, Id(*e, "d", "on"), Resolution::k1m), 8u);
  auto on = e->ReadRollups(Id(*e, "d", "on"), Resolution::k1m, 0, 60'000);
  EXPECT_EQ(on->buckets.at(0).sum, 12.0);  // 0, 5, ..., 55 s
  auto text = e->ReadRollups(Id(*e, "d", "mode"), Resolution::k1m, kMin, kMax);
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(text->buckets.empty());
  EXPECT_EQ(text->complete_until_ms, kMin);
  EXPECT_EQ(e->ReadRollups(99, Resolution::k1m, 0, 1).status(),
            absl::NotFoundError("series 99 not found"));
}

TEST_F(EngineTest, AQuietSeriesGetsItsCompleteBuckets) {
  options_.max_wal_records = 10;
  auto e = OpenEngine();
  WriteSeconds(*e, "quiet", 0, 90, 90);  // in the head, 0..89 s
  SeriesId quiet = Id(*e, "d", "quiet");
  EXPECT_EQ(e->ReadRollups(quiet, Resolution::k1m, kMin, kMax)->complete_until_ms, kMin);
  for (int64_t t = 0; t < 30; ++t) {
    ASSERT_TRUE(e->Write(std::vector{P("d", "busy", t, 1.0)}).ok());
  }
  // Sealed by WAL pressure: the bucket before 60 s is complete; the one
  // holding 89 s waits for the next seal.
  auto read = e->ReadRollups(quiet, Resolution::k1m, kMin, kMax);
  EXPECT_EQ(read->complete_until_ms, 60'000);
  EXPECT_EQ(ExpectRollupsMatchRaw(*e, quiet, Resolution::k1m), 1u);
}

TEST_F(EngineTest, AFailedWriteLeavesTheRollupsAsTheyWere) {
  auto e = OpenEngine();
  WriteSeconds(*e, "p", 0, 150, 150);
  SeriesId id = Id(*e, "d", "p");
  auto before = e->ReadRollups(id, Resolution::k1m, kMin, kMax).value();
  auto dump = Dump();
  // A seal and a late point into a summarized bucket, refused by the store.
  std::vector<PointInput> batch = {P("d", "p", 30'500, 7.0)};
  for (int64_t t = 150; t < 260; ++t) batch.push_back(P("d", "p", t * 1000, 1.0));
  faulty_.FailNthWrite(1, absl::InternalError("disk gone"));
  EXPECT_EQ(e->Write(batch), absl::InternalError("disk gone"));
  EXPECT_EQ(Dump(), dump);
  auto after = e->ReadRollups(id, Resolution::k1m, kMin, kMax).value();
  EXPECT_EQ(after.complete_until_ms, before.complete_until_ms);
  EXPECT_EQ(after.buckets, before.buckets);
  ASSERT_TRUE(e->Write(batch).ok());
  EXPECT_EQ(ExpectRollupsMatchRaw(*e, id, Resolution::k1m), 4u);
}

// Random writes (in order, late, duplicates, NaN), retention and restarts
// against a model: every read equals the model, and the rollups equal the
// raw points, after each step.
TEST_F(EngineTest, RandomHistoryKeepsRollupsEqualToTheRawPoints) {
  options_.max_points_per_block = 50;
  options_.max_head_span_ms = 300'000;
  options_.max_wal_records = 20;
  auto e = OpenEngine();
  std::mt19937 rng(11);
  const char* properties[] = {"a", "b", "c"};
  std::map<std::string, std::map<int64_t, double>> model;
  std::map<std::string, int64_t> floors;
  int64_t now = 1'700'000'000'000;
  auto check = [&](int step) {
    for (const auto& [property, points] : model) {
      SeriesId id = Id(*e, "d", property);
      std::vector<Point> want;
      for (const auto& [t, v] : points) want.push_back({t, v});
      auto all = All(*e, id);
      ASSERT_EQ(all.size(), want.size()) << step << " " << property;
      for (size_t i = 0; i < all.size(); ++i) {
        ASSERT_EQ(all[i].time_ms, want[i].time_ms) << step;
        double got = std::get<double>(all[i].value), v = std::get<double>(want[i].value);
        ASSERT_TRUE(got == v || (std::isnan(got) && std::isnan(v))) << step;
      }
      ExpectRollupsMatchRaw(*e, id, Resolution::k1m);
      ExpectRollupsMatchRaw(*e, id, Resolution::k1h);
    }
  };
  for (int step = 1; step <= 400; ++step) {
    std::vector<PointInput> batch;
    int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      std::string_view property = properties[rng() % 3];
      now += 200 + static_cast<int64_t>(rng() % 1600);
      int64_t t = rng() % 10 == 0 ? now - static_cast<int64_t>(rng() % 1'800'000) : now;
      double v = rng() % 20 == 0 ? std::nan("") : static_cast<double>(rng() % 10'000) / 100;
      batch.push_back(P("d", property, t, v));
      auto floor = floors.find(std::string(property));
      if (floor == floors.end() || t >= floor->second) model[std::string(property)][t] = v;
    }
    ASSERT_TRUE(e->Write(batch).ok()) << step;
    if (step % 100 == 0) {
      std::string property = properties[step / 100 % 3];
      int64_t cutoff = now - 3'600'000 + static_cast<int64_t>(rng() % 600'000);
      ASSERT_TRUE(e->DeleteBefore(Id(*e, "d", property), cutoff).ok());
      floors[property] = std::max(floors[property], cutoff);
      auto& points = model[property];
      points.erase(points.begin(), points.lower_bound(cutoff));
    }
    if (step % 50 == 0) {
      check(step);
      e = OpenEngine();
      check(step);
    }
  }
  EXPECT_GT(ExpectRollupsMatchRaw(*e, Id(*e, "d", "a"), Resolution::k1m), 50u);
  EXPECT_GE(ExpectRollupsMatchRaw(*e, Id(*e, "d", "b"), Resolution::k1h), 1u);
}

// Rollup bytes per raw point on 1 s data (a day, default block sizes).
TEST(EngineRollupSizeTest, BytesPerPoint) {
  auto store =
      store::NewMemoryStore({.spaces = {std::string(kTsdbSpace), std::string(kTsdbWalSpace)}});
  auto e = Engine::Open(store.get()).value();
  constexpr int kPoints = 86'400;
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0, 0.05);
  double level = 120;
  std::vector<PointInput> batch;
  for (int i = 0; i < kPoints; ++i) {
    level += noise(rng);
    batch.push_back(P("pump", "pressure", int64_t{i} * 1000, std::round(level * 100) / 100));
    if (batch.size() == 3600) {
      ASSERT_TRUE(e->Write(batch).ok());
      batch.clear();
    }
  }
  auto bytes = [&](std::string_view prefix) {
    return static_cast<double>(KeysAndBytes(*store, prefix).second);
  };
  double blocks = bytes("blk/") / kPoints;
  double r1m = bytes("r1m/") / kPoints;
  double r1h = bytes("r1h/") / kPoints;
  std::printf("raw blocks %.3f B/point, rollups 1m %.3f + 1h %.4f B/point\n", blocks, r1m, r1h);
  EXPECT_LT(r1m + r1h, 0.3);  // measured 0.273 (2 h chunks; 0.277 in day chunks)
}

// Chunks hold kBucketsPerChunk buckets; a store written with day-wide 1 m
// chunks (before kBucketsPerChunk) has them split at Open, once, and reads
// the same buckets.
TEST_F(EngineTest, WideRollupChunksOfAnOlderStoreAreSplitAtOpen) {
  std::vector<RollupBucket> narrow_read;
  SeriesId id;
  {
    auto e = OpenEngine();
    WriteSeconds(*e, "p", 0, 5 * 3600, 100);
    id = Id(*e, "d", "p");
    narrow_read = e->ReadRollups(id, Resolution::k1m, kMin, kMax)->buckets;
  }
  ASSERT_EQ(narrow_read.size(), 299u);  // 5 h of 1 m buckets, the last one unfinished
  // 0-2 h, 2-4 h, 4-5 h.
  EXPECT_EQ(CountPrefix("r1m/"), 3u);
  EXPECT_EQ(CountPrefix(engine_internal::kNarrowChunksKey), 1u);

  // Rewrite them as the older engine stored them: one chunk for the day.
  store::WriteBatch wide;
  std::string prefix = engine_internal::RollupPrefix(id, Resolution::k1m);
  ASSERT_TRUE(base_
                  ->Scan(kTsdbSpace, prefix, "",
                         [&](std::string_view key, auto) {
                           wide.Delete(kTsdbSpace, key);
                           return true;
                         })
                  .ok());
  wide.Put(kTsdbSpace, engine_internal::RollupKey(id, Resolution::k1m, 0),
           EncodeRollupChunk(narrow_read));
  wide.Delete(kTsdbSpace, engine_internal::kNarrowChunksKey);
  ASSERT_TRUE(base_->Write(wide).ok());
  EXPECT_EQ(CountPrefix("r1m/"), 1u);

  auto reopened = OpenEngine();
  EXPECT_EQ(CountPrefix("r1m/"), 3u);
  EXPECT_EQ(CountPrefix(engine_internal::kNarrowChunksKey), 1u);
  auto read = reopened->ReadRollups(id, Resolution::k1m, kMin, kMax);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->buckets.size(), narrow_read.size());
  for (size_t i = 0; i < narrow_read.size(); ++i) {
    EXPECT_EQ(read->buckets[i].start_ms, narrow_read[i].start_ms);
    EXPECT_EQ(read->buckets[i].count, narrow_read[i].count);
    EXPECT_EQ(read->buckets[i].sum, narrow_read[i].sum);
  }
  EXPECT_EQ(ExpectRollupsMatchRaw(*reopened, id, Resolution::k1m), 299u);
  // A range that starts inside the second chunk reads from it.
  auto part = reopened->ReadRollups(id, Resolution::k1m, 3 * 3600'000, 3 * 3600'000 + 120'000);
  ASSERT_EQ(part->buckets.size(), 2u);
  EXPECT_EQ(part->buckets[0].start_ms, 3 * 3600'000);
}

}  // namespace
}  // namespace qilian::platform::tsdb::testing_util
