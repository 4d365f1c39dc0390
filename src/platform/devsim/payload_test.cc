#include "platform/devsim/payload.h"

#include <gtest/gtest.h>

#include "platform/thing_model/starter_library.h"
#include "platform/thing_model/thing_model_json.h"

namespace qilian::platform::devsim {
namespace {

std::shared_ptr<const ProductSignals> Pump() {
  auto model = ParseThingModel(FindStarterProduct("centrifugal_pump")->model_json);
  return *ProductSignals::Create(std::make_shared<const ModelIndex>(*std::move(model)));
}

TEST(PayloadTest, JsonReportCarriesEveryChannelAndChecks) {
  auto pump = Pump();
  DeviceSignals d = pump->MakeDevice(1, 0, FaultFractions{});
  Timeline tl{1765094400000, 1, 0.5, 1};
  PayloadBuilder builder;
  std::string out;
  uint64_t next_row = 0;  // not used on real time
  EXPECT_EQ(builder.Json(*pump, d, tl, tl.start_ms + 2500, &next_row, &out), 16u);
  auto json = nlohmann::json::parse(out, nullptr, false);
  ASSERT_TRUE(json.is_object()) << out;
  EXPECT_EQ(json["timestamp"], tl.start_ms + 2500);
  ASSERT_EQ(json["properties"].size(), 16u);
  for (const auto& [key, value] : json["properties"].items()) {
    EXPECT_TRUE(pump->model().CheckProperty(key, value).ok()) << key << "=" << value;
  }
}

TEST(PayloadTest, BatchTakesSamplesInStreamOrderUpToNow) {
  auto pump = Pump();
  DeviceSignals d = pump->MakeDevice(1, 0, FaultFractions{});
  Timeline tl{1765094400000, 1, 0.5, 2};  // a row every 2 s
  PayloadBuilder builder;
  std::string out;
  uint64_t next = 0;
  // At 5 s rows 0, 1, 2 are due: 48 samples; ask for 20.
  ASSERT_EQ(builder.Batch(*pump, d, tl, tl.start_ms + 5000, 20, &next, &out), 20u);
  EXPECT_EQ(next, 20u);
  Batch batch;
  ASSERT_TRUE(DecodeBatch(out, &batch).ok());
  EXPECT_EQ(batch.base_time_ms, tl.start_ms);
  ASSERT_EQ(batch.properties.size(), 16u);
  EXPECT_EQ(batch.properties[0], "runState");
  ASSERT_EQ(batch.samples.size(), 20u);
  EXPECT_EQ(batch.samples[15].property, 15u);
  EXPECT_EQ(batch.samples[16].property, 0u);
  EXPECT_EQ(batch.samples[16].time_ms, tl.start_ms + 2000);
  for (const BatchSample& s : batch.samples) {
    nlohmann::json v = std::visit([](const auto& x) { return nlohmann::json(x); }, s.value);
    EXPECT_TRUE(pump->model().CheckProperty(batch.properties[s.property], v).ok())
        << batch.properties[s.property] << "=" << v;
  }
  // The rest of the due samples, then nothing until the next row.
  EXPECT_EQ(builder.Batch(*pump, d, tl, tl.start_ms + 5000, 100, &next, &out), 28u);
  EXPECT_EQ(next, 48u);
  EXPECT_EQ(builder.Batch(*pump, d, tl, tl.start_ms + 5999, 100, &next, &out), 0u);
  EXPECT_TRUE(out.empty());
  // A device that was away skips to at most kMaxBacklogBatches of backlog.
  EXPECT_EQ(builder.Batch(*pump, d, tl, tl.start_ms + 600000, 100, &next, &out), 100u);
  EXPECT_EQ(next, 301u * 16 - kMaxBacklogBatches * 100 + 100);
}

// 2026-12-06T12:00:00Z: a day before the tests' wall clock.
constexpr int64_t kSimStartMs = 1796558400000;
constexpr int64_t kRealStartMs = 1796644800000;

// A day of rows 10 simulated seconds apart, sent in 10 real seconds.
Timeline DayTimeline() {
  Timeline tl{kRealStartMs, 8640, 0.5, 10};
  tl.sim_start_ms = kSimStartMs;
  tl.end_row = tl.EndRow(kSimStartMs + 86400000);
  return tl;
}

TEST(TimelineTest, RealTimeStampsAreTheClock) {
  Timeline tl{kRealStartMs, 600, 0, 2};
  EXPECT_FALSE(tl.SimClock());
  EXPECT_EQ(tl.StampAt(kRealStartMs + 4999), kRealStartMs + 4999);
  EXPECT_EQ(tl.RowAt(kRealStartMs + 4999), 2u);
  EXPECT_EQ(tl.RowAt(kRealStartMs - 1000), 0u);
  EXPECT_EQ(tl.RowTimeMs(3), kRealStartMs + 6000);
  // Signals run on simulated time: 600 s per real second.
  EXPECT_EQ(tl.RowSimSeconds(3), 3600);
}

TEST(TimelineTest, SimulatedClockStampsRows) {
  Timeline tl = DayTimeline();
  EXPECT_TRUE(tl.SimClock());
  EXPECT_EQ(tl.end_row, 8640u);
  EXPECT_EQ(tl.RowTimeMs(tl.end_row), kSimStartMs + 86400000);
  EXPECT_EQ(tl.RowTimeMs(0), kSimStartMs);
  EXPECT_EQ(tl.RowTimeMs(8639), kSimStartMs + 86390000);
  // One real second is 8640 simulated seconds: 864 rows.
  EXPECT_EQ(tl.StampAt(kRealStartMs + 1000), kSimStartMs + 8640000);
  EXPECT_EQ(tl.RowAt(kRealStartMs + 1000), 864u);
  EXPECT_EQ(tl.RowAt(kRealStartMs + 999), 863u);
  EXPECT_EQ(tl.RowSimSeconds(864), 8640);
  EXPECT_EQ(tl.SimSeconds(kRealStartMs + 1000), 8640);
  // The end row is the first at or after the end, also when the span is
  // not a whole number of rows.
  EXPECT_EQ(tl.EndRow(kSimStartMs), 0u);
  EXPECT_EQ(tl.EndRow(kSimStartMs + 1), 1u);
  EXPECT_EQ(tl.EndRow(kSimStartMs + 10000), 1u);
  EXPECT_EQ(tl.EndRow(kSimStartMs + 10001), 2u);
  Timeline third{kRealStartMs, 1, 0, 1.0 / 3};
  third.sim_start_ms = kSimStartMs;
  for (int64_t span : {1, 333, 334, 1000, 999999}) {
    const uint64_t end = third.EndRow(kSimStartMs + span);
    EXPECT_GE(third.RowTimeMs(end), kSimStartMs + span) << span;
    EXPECT_LT(third.RowTimeMs(end - 1), kSimStartMs + span) << span;
  }
}

// A pump's device on the day's timeline.
class SimClockPayloadTest : public testing::Test {
 protected:
  std::shared_ptr<const ProductSignals> pump = Pump();
  DeviceSignals d = pump->MakeDevice(1, 0, FaultFractions{});
  const Timeline tl = DayTimeline();
  PayloadBuilder builder;
  std::string out;
};

TEST_F(SimClockPayloadTest, BatchSendsTheWholeSpanOnce) {
  uint64_t next = 0;
  // 2.5 real seconds in: rows 0..2160 are due, and a late publisher still
  // sends every one of them (no backlog limit on the simulated clock).
  ASSERT_EQ(builder.Batch(*pump, d, tl, kRealStartMs + 2500, 1000, &next, &out), 1000u);
  Batch batch;
  ASSERT_TRUE(DecodeBatch(out, &batch).ok());
  EXPECT_EQ(batch.base_time_ms, kSimStartMs);
  EXPECT_EQ(batch.samples[16].time_ms, kSimStartMs + 10000);
  // Sample 999 is channel 7 of row 62, whose values are those at 620
  // simulated seconds.
  const BatchSample& last = batch.samples[999];
  EXPECT_EQ(last.time_ms, kSimStartMs + 62 * 10000);
  EXPECT_EQ(last.property, 7u);
  const double value =
      std::visit([](const auto& x) { return nlohmann::json(x); }, last.value).get<double>();
  const double expected = pump->Value(d, 7, 620, tl.day_phase, 62).number;
  EXPECT_NEAR(value, expected, 1e-6 * std::abs(expected));  // a float travels as a float
  // Up to the end of the span and no further, however late it is asked.
  uint64_t total = 1000;
  while (size_t n = builder.Batch(*pump, d, tl, kRealStartMs + 3600000, 65535, &next, &out)) {
    ASSERT_TRUE(DecodeBatch(out, &batch).ok());
    for (const BatchSample& s : batch.samples) {
      EXPECT_GE(s.time_ms, kSimStartMs);
      EXPECT_LT(s.time_ms, kSimStartMs + 86400000);
    }
    total += n;
  }
  EXPECT_EQ(total, 8640u * 16);
  EXPECT_EQ(next, 8640u * 16);
  EXPECT_TRUE(out.empty());
}

TEST_F(SimClockPayloadTest, JsonIsARowStream) {
  uint64_t next_row = 0;
  // 1 ms in, row 0 (stamp 0 s) is due; row 1 (10 s) is due after 10/8640 s.
  ASSERT_EQ(builder.Json(*pump, d, tl, kRealStartMs + 1, &next_row, &out), 16u);
  EXPECT_EQ(nlohmann::json::parse(out)["timestamp"], kSimStartMs);
  EXPECT_EQ(builder.Json(*pump, d, tl, kRealStartMs + 1, &next_row, &out), 0u);
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(builder.Json(*pump, d, tl, kRealStartMs + 2, &next_row, &out), 16u);
  EXPECT_EQ(nlohmann::json::parse(out)["timestamp"], kSimStartMs + 10000);
  EXPECT_EQ(next_row, 2u);
  // The last row of the span, then nothing.
  next_row = 8639;
  ASSERT_EQ(builder.Json(*pump, d, tl, kRealStartMs + 20000, &next_row, &out), 16u);
  EXPECT_EQ(nlohmann::json::parse(out)["timestamp"], kSimStartMs + 86390000);
  EXPECT_EQ(builder.Json(*pump, d, tl, kRealStartMs + 20000, &next_row, &out), 0u);
}

TEST(PayloadTest, JsonNumbers) {
  std::string out;
  AppendJsonValue({TypeKind::kDouble, 37.300000000000004}, &out);
  out += ' ';
  AppendJsonValue({TypeKind::kFloat, static_cast<float>(0.1)}, &out);
  out += ' ';
  AppendJsonValue({TypeKind::kLong, 123456789012.0}, &out);
  out += ' ';
  AppendJsonValue({TypeKind::kBool, 1}, &out);
  out += ' ';
  AppendJsonValue({TypeKind::kEnum, 3}, &out);
  EXPECT_EQ(out, "37.3 0.1 123456789012 true 3");
}

}  // namespace
}  // namespace qilian::platform::devsim
