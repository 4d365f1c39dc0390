// Shared timestamp columns (docs/tsdb.md, "Shared timestamps"): the series
// of one device sealed together store their timestamps once.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "core/bytes.h"
#include "gtest/gtest.h"
#include "platform/tsdb/codec/block.h"
#include "platform/tsdb/engine/engine_test_util.h"

namespace qilian::platform::tsdb {
namespace {

using testing_util::EngineTest;
using testing_util::P;

// `lines` lines of device `device` from t0, one per second with a jitter,
// each with a float, an int and a text property (as a line of line
// protocol or an MQTT report has).
std::vector<PointInput> Lines(std::string_view device, int64_t t0, int lines) {
  std::vector<PointInput> out;
  for (int i = 0; i < lines; ++i) {
    int64_t t = t0 + i * 1000 + (i * 37) % 50;
    out.push_back(P(device, "temp", t, 20.0 + i * 0.5));
    out.push_back(P(device, "count", t, int64_t{i}));
    out.push_back(P(device, "state", t, std::string(i % 2 ? "run" : "idle")));
  }
  return out;
}

// Every stored block of a series: (shared column id or 0, count).
std::vector<std::pair<uint64_t, uint32_t>> Blocks(const store::KvStore& store, SeriesId id) {
  std::vector<std::pair<uint64_t, uint32_t>> out;
  std::string prefix = "blk/";
  ByteWriter(&prefix).WriteU64(id);
  prefix += "/";
  EXPECT_TRUE(store
                  .Scan(kTsdbSpace, prefix, "",
                        [&](std::string_view, std::string_view v) {
                          auto h = DecodeBlockHeader(v);
                          EXPECT_TRUE(h.ok()) << h.status();
                          if (h.ok()) out.emplace_back(h->timestamp_column, h->count);
                          return true;
                        })
                  .ok());
  return out;
}

TEST_F(EngineTest, SeriesOfADeviceSealedTogetherShareOneTimestampColumn) {
  auto e = OpenEngine();
  std::vector<PointInput> a = Lines("pump", 1'000'000, 100);  // 100 points a series: one block
  std::vector<PointInput> b = Lines("fan", 1'000'000, 100);
  a.insert(a.end(), b.begin(), b.end());
  ASSERT_TRUE(e->Write(a).ok());
  // Two devices: one column each, for their float and int series; text
  // series keep their own timestamps.
  EXPECT_EQ(CountPrefix("tsc/"), 2u);
  for (std::string_view device : {"pump", "fan"}) {
    auto temp = Blocks(*base_, Id(*e, device, "temp"));
    auto count = Blocks(*base_, Id(*e, device, "count"));
    auto state = Blocks(*base_, Id(*e, device, "state"));
    ASSERT_EQ(temp.size(), 1u);
    ASSERT_EQ(count.size(), 1u);
    ASSERT_EQ(state.size(), 1u);
    EXPECT_NE(temp[0].first, 0u);
    EXPECT_EQ(temp[0].first, count[0].first);
    EXPECT_EQ(state[0].first, 0u);
  }
  EXPECT_NE(Blocks(*base_, Id(*e, "pump", "temp"))[0].first,
            Blocks(*base_, Id(*e, "fan", "temp"))[0].first);
  // Every point reads back, before and after a restart.
  for (int round = 0; round < 2; ++round) {
    std::vector<Point> temp = All(*e, Id(*e, "pump", "temp"));
    std::vector<Point> count = All(*e, Id(*e, "fan", "count"));
    ASSERT_EQ(temp.size(), 100u);
    ASSERT_EQ(count.size(), 100u);
    for (int i = 0; i < 100; ++i) {
      EXPECT_EQ(temp[i].time_ms, 1'000'000 + i * 1000 + (i * 37) % 50);
      EXPECT_EQ(temp[i].value, PointValue(20.0 + i * 0.5));
      EXPECT_EQ(count[i].value, PointValue(int64_t{i}));
    }
    EXPECT_EQ(e->Latest(Id(*e, "pump", "count"))->value, PointValue(int64_t{99}));
    e.reset();
    e = OpenEngine();
  }
}

TEST_F(EngineTest, ColumnIdsAreNeverReusedAcrossRestarts) {
  auto e = OpenEngine();
  ASSERT_TRUE(e->Write(Lines("pump", 1'000'000, 100)).ok());
  const uint64_t first = Blocks(*base_, Id(*e, "pump", "temp"))[0].first;
  e.reset();
  e = OpenEngine();
  ASSERT_TRUE(e->Write(Lines("pump", 2'000'000, 100)).ok());
  auto blocks = Blocks(*base_, Id(*e, "pump", "temp"));
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].first, first);
  EXPECT_EQ(blocks[1].first, first + 1);
  EXPECT_EQ(CountPrefix("tsc/"), 2u);
}

TEST_F(EngineTest, ALatePointRewritesOneSeriesBlockAndLeavesItsSiblingsOnTheColumn) {
  auto e = OpenEngine();
  ASSERT_TRUE(e->Write(Lines("pump", 1'000'000, 100)).ok());
  const SeriesId temp = Id(*e, "pump", "temp"), count = Id(*e, "pump", "count");
  ASSERT_TRUE(e->Write(std::vector<PointInput>{P("pump", "temp", 1'000'500, 99.5)}).ok());
  // 101 points: two blocks of at most 100, with their own timestamps now.
  auto rewritten = Blocks(*base_, temp);
  ASSERT_EQ(rewritten.size(), 2u);
  EXPECT_EQ(rewritten[0], (std::pair<uint64_t, uint32_t>{0, 100}));
  EXPECT_EQ(rewritten[1], (std::pair<uint64_t, uint32_t>{0, 1}));
  EXPECT_NE(Blocks(*base_, count)[0].first, 0u);
  EXPECT_EQ(All(*e, temp).size(), 101u);
  EXPECT_EQ(All(*e, temp)[1], (Point{1'000'500, 99.5}));
  EXPECT_EQ(All(*e, count).size(), 100u);
}

TEST_F(EngineTest, RetentionDeletesAColumnOnlyOnceNoSeriesOfItsDeviceNeedsIt) {
  auto e = OpenEngine();
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(e->Write(Lines("pump", 1'000'000 + k * 200'000, 100)).ok());
  }
  EXPECT_EQ(CountPrefix("tsc/"), 3u);
  const SeriesId temp = Id(*e, "pump", "temp"), count = Id(*e, "pump", "count");
  // Only "temp" trimmed: "count" still names the two older columns.
  auto only_temp = e->ApplyRetention([&](const SeriesInfo& s) -> std::optional<int64_t> {
    if (s.id == temp) return 1'300'000;
    return std::nullopt;
  });
  ASSERT_TRUE(only_temp.ok()) << only_temp.status();
  EXPECT_EQ(only_temp->columns_deleted, 0u);
  EXPECT_EQ(CountPrefix("tsc/"), 3u);
  EXPECT_EQ(All(*e, count).size(), 300u);
  EXPECT_EQ(All(*e, temp).size(), 100u);
  // Every series of the device trimmed past the first two columns' ends.
  auto all = e->ApplyRetention([&](const SeriesInfo&) -> std::optional<int64_t> {
    return 1'300'000;
  });
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->columns_deleted, 2u);
  EXPECT_EQ(CountPrefix("tsc/"), 1u);
  EXPECT_EQ(All(*e, count).size(), 100u);
  EXPECT_EQ(All(*e, count).front().time_ms, 1'400'000);
  EXPECT_EQ(All(*e, temp).size(), 100u);
  e.reset();
  e = OpenEngine();
  EXPECT_EQ(All(*e, count).size(), 100u);
}

TEST_F(EngineTest, AMissingColumnIsDataLossNamingTheSeries) {
  auto e = OpenEngine();
  ASSERT_TRUE(e->Write(Lines("pump", 1'000'000, 100)).ok());
  std::vector<std::string> columns;
  ASSERT_TRUE(base_
                  ->Scan(kTsdbSpace, "tsc/", "",
                         [&](std::string_view k, std::string_view) {
                           columns.emplace_back(k);
                           return true;
                         })
                  .ok());
  ASSERT_EQ(columns.size(), 1u);
  store::WriteBatch drop;
  drop.Delete(kTsdbSpace, columns[0]);
  ASSERT_TRUE(base_->Write(drop).ok());
  auto r = e->ReadRange(Id(*e, "pump", "temp"), 0, 2'000'000);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(absl::StrContains(std::string(r.status().message()),
                                "a block's timestamp column 1 is missing"))
      << r.status();
}

}  // namespace
}  // namespace qilian::platform::tsdb
