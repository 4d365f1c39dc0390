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
  EXPECT_EQ(builder.Json(*pump, d, tl, tl.start_ms + 2500, &out), 16u);
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
