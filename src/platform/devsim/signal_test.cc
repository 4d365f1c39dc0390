#include "platform/devsim/signal.h"

#include <gtest/gtest.h>

#include <map>

#include "platform/devsim/payload.h"
#include "platform/thing_model/starter_library.h"
#include "platform/thing_model/thing_model_json.h"

namespace qilian::platform::devsim {
namespace {

std::shared_ptr<const ProductSignals> Starter(std::string_view id) {
  const StarterProduct* starter = FindStarterProduct(id);
  EXPECT_NE(starter, nullptr) << id;
  auto model = ParseThingModel(starter->model_json);
  EXPECT_TRUE(model.ok()) << model.status();
  auto signals = ProductSignals::Create(std::make_shared<const ModelIndex>(*std::move(model)));
  EXPECT_TRUE(signals.ok()) << signals.status();
  return *signals;
}

double At(const ProductSignals& p, const DeviceSignals& d, std::string_view id, double t,
          uint64_t sample = 0) {
  int ch = p.FindChannel(id);
  EXPECT_GE(ch, 0) << id;
  return p.Value(d, ch, t, 0.3, sample).number;
}

double Mean(const ProductSignals& p, const DeviceSignals& d, std::string_view id, double from,
            double to) {
  double sum = 0;
  for (int i = 0; i < 60; ++i) sum += At(p, d, id, from + (to - from) * i / 60, i);
  return sum / 60;
}

TEST(SignalTest, EveryStarterValueIsValidWithoutFaults) {
  for (const StarterProduct& starter : StarterLibrary()) {
    auto product = Starter(starter.id);
    const ModelIndex& model = product->model();
    for (uint64_t device = 0; device < 50; ++device) {
      DeviceSignals d = product->MakeDevice(7, device, FaultFractions{});
      ASSERT_EQ(d.faults, 0);
      for (int k = 0; k < 200; ++k) {
        // Two simulated weeks, irregularly.
        double t = (k * 6047.0 + device * 977.0);
        for (size_t c = 0; c < product->channels().size(); ++c) {
          SimValue v = product->Value(d, c, t, 0.8, k);
          const std::string& id = product->channels()[c].identifier;
          auto status = model.CheckProperty(id, ToJson(v));
          ASSERT_TRUE(status.ok()) << starter.id << " " << status;
          // And as the JSON text carries it.
          std::string text;
          AppendJsonValue(v, &text);
          auto parsed = nlohmann::json::parse(text, nullptr, false);
          status = model.CheckProperty(id, parsed);
          ASSERT_TRUE(status.ok()) << starter.id << " " << text << " " << status;
        }
      }
    }
  }
}

TEST(SignalTest, RolesFromTheModel) {
  auto pump = Starter("centrifugal_pump");
  std::map<std::string, std::string> roles;
  for (const Channel& c : pump->channels()) roles[c.identifier] = std::string(RoleName(c.role));
  EXPECT_EQ(roles["vibrationVelocity"], "vibration");
  EXPECT_EQ(roles["bearingTempDE"], "bearing-temperature");
  EXPECT_EQ(roles["fluidTemperature"], "temperature");
  EXPECT_EQ(roles["runningHours"], "counter");
  EXPECT_EQ(roles["speedSetpoint"], "setpoint");
  EXPECT_EQ(roles["runState"], "state");
  EXPECT_EQ(roles["motorCurrent"], "load");
  EXPECT_EQ(roles["suctionPressure"], "generic");
  EXPECT_EQ(pump->channels().size(), 16u);
}

TEST(SignalTest, DeterministicBySeed) {
  auto pump = Starter("centrifugal_pump");
  DeviceSignals a = pump->MakeDevice(1, 5, FaultFractions{});
  DeviceSignals b = pump->MakeDevice(1, 5, FaultFractions{});
  DeviceSignals c = pump->MakeDevice(2, 5, FaultFractions{});
  EXPECT_EQ(At(*pump, a, "flowRate", 100, 3), At(*pump, b, "flowRate", 100, 3));
  EXPECT_NE(At(*pump, a, "flowRate", 100, 3), At(*pump, c, "flowRate", 100, 3));
  // Noise: the same time, another sample.
  EXPECT_NE(At(*pump, a, "flowRate", 100, 3), At(*pump, a, "flowRate", 100, 4));
}

TEST(SignalTest, DailyCycleMovesTheLoadAndTemperaturesFollow) {
  auto pump = Starter("centrifugal_pump");
  DeviceSignals d = pump->MakeDevice(1, 0, FaultFractions{});
  // day_phase 0.3 at t = 0: the day's sinusoid peaks 0.45 days later.
  double low = Mean(*pump, d, "motorCurrent", 0.70 * kDaySeconds, 0.72 * kDaySeconds);
  double high = Mean(*pump, d, "motorCurrent", 0.20 * kDaySeconds, 0.22 * kDaySeconds);
  EXPECT_GT(high, low * 1.3);
  EXPECT_GT(Mean(*pump, d, "fluidTemperature", 0.20 * kDaySeconds, 0.22 * kDaySeconds),
            Mean(*pump, d, "fluidTemperature", 0.70 * kDaySeconds, 0.72 * kDaySeconds));
}

TEST(SignalTest, CountersOnlyRise) {
  auto pump = Starter("centrifugal_pump");
  DeviceSignals d = pump->MakeDevice(3, 1, FaultFractions{});
  double last = -1;
  for (int k = 0; k < 100; ++k) {
    double v = At(*pump, d, "runningHours", k * 3600.0, k);
    EXPECT_GE(v, last);
    last = v;
  }
  EXPECT_GE(At(*pump, d, "runningHours", 100 * 3600.0) - At(*pump, d, "runningHours", 0), 80);
}

TEST(SignalTest, BearingWearRaisesVibrationAndBearingTemperaturesOnly) {
  auto pump = Starter("centrifugal_pump");
  DeviceSignals healthy = pump->MakeDevice(1, 9, FaultFractions{});
  DeviceSignals worn = healthy;
  worn.faults = kBearingWear;
  double early = Mean(*pump, worn, "vibrationVelocity", 0, 60);
  double late = Mean(*pump, worn, "vibrationVelocity", kBearingWearSeconds,
                     kBearingWearSeconds + 60);
  EXPECT_GT(late, 4 * early);
  EXPECT_LE(late, 50.0);  // in range
  double half = Mean(*pump, worn, "vibrationVelocity", kBearingWearSeconds / 2,
                     kBearingWearSeconds / 2 + 60);
  EXPECT_GT(half, early);
  EXPECT_LT(half, late);
  EXPECT_GT(Mean(*pump, worn, "bearingTempDE", 3600, 3660) -
                Mean(*pump, worn, "bearingTempDE", 0, 60),
            0.25 * 170);
  EXPECT_DOUBLE_EQ(At(*pump, worn, "fluidTemperature", 3600, 1),
                   At(*pump, healthy, "fluidTemperature", 3600, 1));
  EXPECT_NEAR(Mean(*pump, healthy, "vibrationVelocity", 3600, 3660),
              Mean(*pump, healthy, "vibrationVelocity", 0, 60), 1.0);
  for (int k = 0; k < 100; ++k) {
    ASSERT_TRUE(pump->model()
                    .CheckProperty("vibrationVelocity",
                                   ToJson(pump->Value(worn, pump->FindChannel("vibrationVelocity"),
                                                      k * 100.0, 0.3, k)))
                    .ok());
  }
}

TEST(SignalTest, OverheatingClimbsPastTheMaximum) {
  auto kiln = Starter("rotary_kiln");
  DeviceSignals d = kiln->MakeDevice(1, 2, FaultFractions{});
  d.faults = kOverheating;
  // In range at the start; past the maximum after the ramp, and climbing.
  EXPECT_LE(At(*kiln, d, "burningZoneTemperature", 0), 1800.0);
  EXPECT_GT(At(*kiln, d, "burningZoneTemperature", kOverheatRampSeconds), 1800.0);
  EXPECT_GT(At(*kiln, d, "burningZoneTemperature", 2 * kOverheatRampSeconds),
            At(*kiln, d, "burningZoneTemperature", kOverheatRampSeconds));
  EXPECT_GT(At(*kiln, d, "inletTemperature", kOverheatRampSeconds), 1300.0);
  auto status = kiln->model().CheckProperty(
      "burningZoneTemperature",
      ToJson(kiln->Value(d, kiln->FindChannel("burningZoneTemperature"), kOverheatRampSeconds, 0.3, 0)));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  // The run state reports the fault (item 2, "Fault") once past the ramp.
  EXPECT_EQ(At(*kiln, d, "runState", kOverheatRampSeconds + 1), 2);
  // Pressures are not temperatures.
  DeviceSignals healthy = d;
  healthy.faults = 0;
  EXPECT_DOUBLE_EQ(At(*kiln, d, "hoodPressure", 900, 5), At(*kiln, healthy, "hoodPressure", 900, 5));
}

TEST(SignalTest, StuckSensorKeepsOneValue) {
  auto motor = Starter("motor");
  DeviceSignals d = motor->MakeDevice(1, 4, FaultFractions{});
  d.faults = kStuckSensor;
  const size_t stuck = d.stuck_channel;
  ASSERT_TRUE(IsNumeric(motor->channels()[stuck].kind));
  SimValue first = motor->Value(d, stuck, 0, 0.3, 0);
  size_t other = (stuck + 1) % motor->channels().size();
  bool other_moved = false;
  for (int k = 1; k < 50; ++k) {
    EXPECT_EQ(motor->Value(d, stuck, k * 1000.0, 0.3, k), first);
    other_moved = other_moved || !(motor->Value(d, other, k * 1000.0, 0.3, k) ==
                                   motor->Value(d, other, 0, 0.3, 0));
  }
  EXPECT_TRUE(other_moved);
}

TEST(SignalTest, FaultsGoToTheirFractionOfDevices) {
  auto pump = Starter("centrifugal_pump");
  auto fractions = ParseFaults("bearing-wear=0.05,overheating=0,stuck-sensor=1,dropout=0.2");
  ASSERT_TRUE(fractions.ok()) << fractions.status();
  int counts[kFaultCount] = {};
  for (uint64_t i = 0; i < 10000; ++i) {
    DeviceSignals d = pump->MakeDevice(11, i, *fractions);
    for (int f = 0; f < kFaultCount; ++f) counts[f] += (d.faults >> f) & 1;
  }
  EXPECT_GT(counts[0], 400);
  EXPECT_LT(counts[0], 600);
  EXPECT_EQ(counts[1], 0);
  EXPECT_EQ(counts[2], 10000);
  EXPECT_GT(counts[3], 1800);
  EXPECT_LT(counts[3], 2200);
}

TEST(SignalTest, WrittenValuesShowInLaterValues) {
  auto pump = Starter("centrifugal_pump");
  DeviceSignals d = pump->MakeDevice(1, 0, FaultFractions{});
  int ch = pump->FindChannel("speedSetpoint");
  d.written.emplace_back(static_cast<uint16_t>(ch), SimValue{TypeKind::kInt, 1480});
  EXPECT_EQ(At(*pump, d, "speedSetpoint", 500, 7), 1480);
}

TEST(SignalTest, ParseFaultsErrors) {
  auto check = [](std::string_view spec, std::string_view message) {
    auto f = ParseFaults(spec);
    ASSERT_FALSE(f.ok()) << spec;
    EXPECT_EQ(std::string(f.status().message()), message);
  };
  check("bearing=0.1",
        "--fault: unknown fault 'bearing' (bearing-wear, overheating, stuck-sensor, dropout)");
  check("dropout", "--fault: dropout needs a fraction of devices, e.g. dropout=0.05");
  check("dropout=1.5", "--fault: dropout=1.5: the fraction must be a number from 0 to 1");
  check("dropout=x", "--fault: dropout=x: the fraction must be a number from 0 to 1");
  check("dropout=", "--fault: dropout=: the fraction must be a number from 0 to 1");
  check("dropout=0.1,dropout=0.2", "--fault: dropout given twice");
  auto ok = ParseFaults("overheating=0.01");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->fraction[1], 0.01);
  EXPECT_TRUE(ok->any());
  EXPECT_FALSE(ParseFaults("")->any());
}

}  // namespace
}  // namespace qilian::platform::devsim
