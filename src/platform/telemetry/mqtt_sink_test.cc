#include "platform/telemetry/mqtt_sink.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "platform/shadow/shadow_testing.h"
#include "store/memory_store.h"

namespace qilian::platform::telemetry {
namespace {

using tsdb::Engine;
using tsdb::LabelSet;
using tsdb::Point;

// Property indices of testing::kTestModel.
constexpr uint32_t kFlow = 0, kRunning = 2, kSpeed = 3, kLabel = 6, kPos = 8;
constexpr uint64_t kEnterprise = 7;

class MqttPointSinkTest : public ::testing::Test {
 protected:
  MqttPointSinkTest()
      : store_(store::NewMemoryStore(
            {.spaces = {std::string(tsdb::kTsdbSpace), std::string(tsdb::kTsdbWalSpace)}})),
        engine_(*Engine::Open(store_.get())),
        model_(testing::TestModelIndex()),
        device_(directory_.Add(kEnterprise, "pump-1")) {}

  uint64_t Points(std::string_view outcome) {
    return metrics_
        .GetCounter("qilian_tsdb_points_total", "",
                    {{"path", "mqtt"}, {"outcome", std::string(outcome)}})
        .value();
  }
  std::vector<Point> Read(std::string_view property) {
    absl::StatusOr<tsdb::SeriesId> id = engine_->Find(kEnterprise, "pump-1", property);
    if (!id.ok()) return {};
    return *engine_->ReadRange(*id, INT64_MIN, INT64_MAX);
  }
  MqttSinkOptions Hourly() {
    MqttSinkOptions o;
    o.flush_interval = std::chrono::hours(1);  // only Flush() writes
    return o;
  }

  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<Engine> engine_;
  MetricsRegistry metrics_;
  testing::FakeDirectory directory_;
  std::shared_ptr<const ModelIndex> model_;
  std::shared_ptr<const DeviceRef> device_;
};

TEST_F(MqttPointSinkTest, ReportsBecomeSeriesLabelledWithTheProduct) {
  MqttPointSink sink(engine_.get(), metrics_, Hourly());
  const ReportedPoint points[] = {{kFlow, 1000, ValueView::Double(12.5)},
                                  {kRunning, 1000, ValueView::Bool(true)},
                                  {kSpeed, 1000, ValueView::Int(1500)},
                                  {kLabel, 1000, ValueView::Text("line A")},
                                  {kPos, 1000, ValueView::Json(R"({"x":1.5,"y":-2})")},
                                  {kFlow, 2000, ValueView::Double(13)}};
  sink.WritePoints(*device_, *model_, points);
  EXPECT_TRUE(engine_->ListSeries(kEnterprise).empty()) << "buffered until the flush";
  sink.Flush();
  std::vector<tsdb::SeriesInfo> series = engine_->ListSeries(kEnterprise);
  ASSERT_EQ(series.size(), 5u);
  EXPECT_EQ(series[0].device, "pump-1");
  EXPECT_EQ(series[0].property, "flow");
  EXPECT_EQ(series[0].kind, tsdb::ValueKind::kFloat);
  EXPECT_EQ(series[0].labels, (LabelSet{{"product", "pump"}}));
  EXPECT_EQ(Read("flow"), (std::vector<Point>{{1000, 12.5}, {2000, 13.0}}));
  EXPECT_EQ(Read("running"), (std::vector<Point>{{1000, true}}));
  EXPECT_EQ(Read("speed"), (std::vector<Point>{{1000, int64_t{1500}}}));
  EXPECT_EQ(Read("label"), (std::vector<Point>{{1000, std::string("line A")}}));
  EXPECT_EQ(Read("pos"), (std::vector<Point>{{1000, std::string(R"({"x":1.5,"y":-2})")}}));
  EXPECT_EQ(Points("written"), 6u);
}

TEST_F(MqttPointSinkTest, EventsAreTextSeriesOfTheirOutputAsJson) {
  MqttPointSink sink(engine_.get(), metrics_, Hourly());
  sink.WriteEvent(*device_, "overheat", 5000, nlohmann::json{{"temperature", 99.5}});
  sink.Flush();
  EXPECT_EQ(Read("event:overheat"),
            (std::vector<Point>{{5000, std::string(R"({"temperature":99.5})")}}));
}

TEST_F(MqttPointSinkTest, ARefusedSeriesCostsOnlyItsOwnPoints) {
  // "speed" already holds floats (an older thing model said double).
  const tsdb::PointInput old{kEnterprise, "pump-1", "speed", 500, 1.5};
  ASSERT_TRUE(engine_->Write({&old, 1}).ok());
  MqttPointSink sink(engine_.get(), metrics_, Hourly());
  const ReportedPoint points[] = {{kFlow, 1000, ValueView::Double(1)},
                                  {kSpeed, 1000, ValueView::Int(10)},
                                  {kSpeed, 2000, ValueView::Int(20)}};
  sink.WritePoints(*device_, *model_, points);
  sink.Flush();
  EXPECT_EQ(Read("flow"), (std::vector<Point>{{1000, 1.0}}));
  EXPECT_EQ(Read("speed"), (std::vector<Point>{{500, 1.5}}));
  EXPECT_EQ(Points("written"), 1u);
  EXPECT_EQ(Points("refused"), 2u);
}

TEST_F(MqttPointSinkTest, WritesOnItsOwnWithinTheInterval) {
  MqttSinkOptions o;
  o.flush_interval = std::chrono::milliseconds(5);
  MqttPointSink sink(engine_.get(), metrics_, o);
  const ReportedPoint point{kFlow, 1000, ValueView::Double(3)};
  sink.WritePoints(*device_, *model_, {&point, 1});
  // No timing asserted: only that it happens without Flush.
  for (int i = 0; i < 5000 && Read("flow").empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(Read("flow"), (std::vector<Point>{{1000, 3.0}}));
}

TEST_F(MqttPointSinkTest, AFullBufferDropsAndCounts) {
  MqttSinkOptions o = Hourly();
  o.max_buffered_points = 1000;  // not reached: only the pending cap acts
  o.max_pending_points = 2;
  MqttPointSink sink(engine_.get(), metrics_, o);
  const ReportedPoint points[] = {{kFlow, 1000, ValueView::Double(1)},
                                  {kFlow, 2000, ValueView::Double(2)},
                                  {kFlow, 3000, ValueView::Double(3)}};
  sink.WritePoints(*device_, *model_, points);
  sink.Flush();
  EXPECT_EQ(Read("flow"), (std::vector<Point>{{1000, 1.0}, {2000, 2.0}}));
  EXPECT_EQ(Points("dropped"), 1u);
}

TEST_F(MqttPointSinkTest, StoppingWritesWhatIsBuffered) {
  {
    MqttPointSink sink(engine_.get(), metrics_, Hourly());
    const ReportedPoint point{kFlow, 1000, ValueView::Double(4)};
    sink.WritePoints(*device_, *model_, {&point, 1});
  }
  EXPECT_EQ(Read("flow"), (std::vector<Point>{{1000, 4.0}}));
}

}  // namespace
}  // namespace qilian::platform::telemetry
