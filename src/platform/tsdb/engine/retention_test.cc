// Retention (docs/tsdb.md, "Retention"): exactly the points at or after
// the cutoff are left, in blocks, heads and rollups, after a restart too,
// while writes go on.
#include <atomic>
#include <limits>
#include <optional>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "platform/tsdb/engine/engine.h"
#include "platform/tsdb/engine/engine_test_util.h"

// Inside the fixture's namespace: EngineTest, P, kMin and kMax.
namespace qilian::platform::tsdb::testing_util {
namespace {

// Points t = from..to-1 seconds, value t, in calls of 100 (blocks of 100).
std::vector<Point> WriteRange(Engine& e, std::string_view property, int64_t from, int64_t to) {
  std::vector<Point> want;
  std::vector<PointInput> batch;
  for (int64_t t = from; t < to; ++t) {
    batch.push_back(P("d", property, t * 1000, static_cast<double>(t)));
    want.push_back({t * 1000, static_cast<double>(t)});
    if (batch.size() == 100 || t + 1 == to) {
      EXPECT_TRUE(e.Write(batch).ok());
      batch.clear();
    }
  }
  return want;
}

std::vector<Point> From(const std::vector<Point>& all, int64_t cutoff) {
  std::vector<Point> out;
  for (const Point& p : all) {
    if (p.time_ms >= cutoff) out.push_back(p);
  }
  return out;
}

TEST_F(EngineTest, DeleteBeforeLeavesExactlyThePointsFromTheCutoff) {
  auto e = OpenEngine();
  std::vector<Point> all = WriteRange(*e, "p", 0, 950);  // 9 blocks, 50 in the head
  SeriesId id = Id(*e, "d", "p");
  ASSERT_EQ(CountPrefix("blk/"), 9u);
  ASSERT_TRUE(e->DeleteBefore(id, 250'500).ok());
  std::vector<Point> want = From(all, 250'500);
  EXPECT_EQ(All(*e, id), want);
  // Blocks 0-99 and 100-199 s deleted, 200-299 s rewritten from 251 s.
  EXPECT_EQ(CountPrefix("blk/"), 7u);
  EXPECT_EQ(e->GetStats().retention_blocks_deleted, 2u);
  EXPECT_EQ(e->GetStats().retention_points_deleted, 251u);
  // The bucket holding the cutoff is recomputed from what is left.
  EXPECT_EQ(ExpectRollupsMatchRaw(*e, id, Resolution::k1m), 10u);
  EXPECT_EQ(e->ReadRollups(id, Resolution::k1m, kMin, kMax)->buckets.at(0).count, 49u);
  EXPECT_TRUE(e->ReadRange(id, 0, 250'500)->empty());
  // A point older than the cutoff is accepted and dropped; a newer late
  // one is merged.
  ASSERT_TRUE(e->Write(std::vector{P("d", "p", 100'000, 5.0), P("d", "p", 260'500, 6.0)}).ok());
  want.insert(want.begin() + 10, Point{260'500, 6.0});
  EXPECT_EQ(All(*e, id), want);
  auto again = OpenEngine();
  EXPECT_EQ(All(*again, id), want);
  EXPECT_EQ(ExpectRollupsMatchRaw(*again, id, Resolution::k1m), 10u);
  // The head: a cutoff past the sealed points trims it too.
  ASSERT_TRUE(again->DeleteBefore(id, 920'000).ok());
  EXPECT_EQ(All(*again, id), From(want, 920'000));
  EXPECT_EQ(again->GetStats().retention_points_deleted, want.size() - 30);
  EXPECT_EQ(again->Latest(id).value(), (Point{949'000, 949.0}));
  EXPECT_EQ(All(*OpenEngine(), id), From(want, 920'000));
}

TEST_F(EngineTest, DeleteBeforeEverythingThenWriteAgain) {
  auto e = OpenEngine();
  WriteRange(*e, "p", 0, 450);
  SeriesId id = Id(*e, "d", "p");
  ASSERT_TRUE(e->DeleteBefore(id, 1'000'000).ok());
  EXPECT_TRUE(All(*e, id).empty());
  EXPECT_EQ(e->Latest(id).status(), absl::NotFoundError("series 1 has no points"));
  EXPECT_TRUE(e->ReadRollups(id, Resolution::k1m, kMin, kMax)->buckets.empty());
  EXPECT_EQ(CountPrefix("blk/"), 0u);
  EXPECT_EQ(CountPrefix("r1m/"), 0u);
  // Below sealed_last but from the cutoff on: late points with no block left.
  std::vector<Point> want = WriteRange(*e, "p", 1000, 1250);
  EXPECT_EQ(All(*e, id), want);
  EXPECT_EQ(All(*OpenEngine(), id), want);
  EXPECT_EQ(e->DeleteBefore(99, 1).code(), absl::StatusCode::kNotFound);
}

TEST_F(EngineTest, ApplyRetentionInBoundedBatchesWhileWritesGoOn) {
  options_.max_points_per_block = 10;
  auto e = OpenEngine();
  std::vector<Point> old;
  for (int64_t from = 0; from < 12'000; from += 2000) {
    std::vector<PointInput> batch;
    for (int64_t t = from; t < from + 2000; ++t) {
      batch.push_back(P("d", "old", t * 1000, static_cast<double>(t)));
      old.push_back({t * 1000, static_cast<double>(t)});
    }
    ASSERT_TRUE(e->Write(batch).ok());
  }
  ASSERT_EQ(CountPrefix("blk/"), 1200u);
  std::atomic<bool> done{false};
  std::vector<Point> busy;
  std::thread writer([&] {
    for (int64_t t = 0; !done || t < 50; ++t) {
      if (!e->Write(std::vector{P("d", "busy", t, 1.0)}).ok()) return;
      busy.push_back({t, 1.0});
    }
  });
  auto result = e->ApplyRetention([](const SeriesInfo& info) -> std::optional<int64_t> {
    if (info.property == "old") return 11'000'000;
    return std::nullopt;
  });
  done = true;
  writer.join();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->series_trimmed, 1u);
  EXPECT_EQ(result->blocks_deleted, 1100u);
  EXPECT_EQ(result->points_deleted, 11'000u);
  EXPECT_EQ(All(*e, Id(*e, "d", "old")), From(old, 11'000'000));
  EXPECT_EQ(All(*e, Id(*e, "d", "busy")), busy);
  EXPECT_EQ(ExpectRollupsMatchRaw(*e, Id(*e, "d", "old"), Resolution::k1m), 16u);
  // A later run with nothing older than its cutoffs writes nothing.
  auto before = Dump();
  auto again = e->ApplyRetention([](const SeriesInfo&) { return std::optional<int64_t>(0); });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->series_trimmed, 2u);
  EXPECT_EQ(again->points_deleted, 0u);
  EXPECT_EQ(Dump(), before);
}

}  // namespace
}  // namespace qilian::platform::tsdb::testing_util
