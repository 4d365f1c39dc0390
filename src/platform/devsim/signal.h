// Simulated property values of a device, generated from its thing model so
// that any product works (docs/devsim.md, "Signals"). Every numeric property
// gets a daily cycle (a sinusoid over 24 h of simulated time, phase per
// device), Gaussian noise and a slow drift inside its range; what the model
// makes obvious is used as well: temperatures follow the load, counters
// (hours, counts, energy) only go up, vibration is low and rises with
// bearing wear, "rw" properties are setpoints that change only when
// written. Enum and bool properties change rarely.
//
// Values are a pure function of (run seed, device index, property, time,
// sample number): no state advances when a value is computed, so threads
// need no coordination and --seed reproduces a run. Faults switched on for
// a device change the shapes (Fault below).
#ifndef QILIAN_PLATFORM_DEVSIM_SIGNAL_H_
#define QILIAN_PLATFORM_DEVSIM_SIGNAL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/thing_model/thing_model.h"
#include "platform/thing_model/value_check.h"

namespace qilian::platform::devsim {

// Faults a run switches on for a fraction of its devices (--fault).
enum Fault : uint8_t {
  kBearingWear = 1,  // vibration and bearing temperatures rise over time (stay in range)
  kOverheating = 2,  // temperatures climb past their maximum within kOverheatRampSeconds
  kStuckSensor = 4,  // one numeric property keeps one value
  kDropout = 8,      // the device goes silent and disconnects for a while (engine.h)
};
inline constexpr int kFaultCount = 4;
// "bearing-wear", ... in the order of the bits above.
std::string_view FaultName(int bit_index);

// Simulated seconds after the start of the run for the shapes of faults.
inline constexpr double kBearingWearSeconds = 3600;   // vibration ×6 at full wear
inline constexpr double kOverheatRampSeconds = 300;   // a temperature is past max after this
inline constexpr double kDaySeconds = 86400;
inline constexpr double kStateDwellSeconds = 3600;    // enum/bool values hold at least this

struct FaultFractions {
  double fraction[kFaultCount] = {0, 0, 0, 0};
  bool any() const;
};
// "bearing-wear=0.05,overheating=0.01,stuck-sensor=0.02,dropout=0.01"; each
// fraction in [0, 1], each fault at most once. InvalidArgument naming the
// offending item.
absl::StatusOr<FaultFractions> ParseFaults(std::string_view spec);

// What a property is taken to be, from its type, unit, access and name.
enum class Role : uint8_t {
  kGeneric,
  kLoad,                // currents, powers, flows, speeds, feeds: follow the load
  kTemperature,         // follows the load; overheating
  kBearingTemperature,  // as kTemperature; bearing wear
  kVibration,           // bearing wear
  kCounter,             // only increases: hours, counts, energy
  kSetpoint,            // "rw": constant until written
  kState,               // enum
  kFlag,                // bool
};
std::string_view RoleName(Role role);

// A value as it travels: int/long/enum as integers, bool as 0/1.
struct SimValue {
  TypeKind kind = TypeKind::kDouble;
  double number = 0;
  bool operator==(const SimValue&) const = default;
};
nlohmann::json ToJson(const SimValue& value);

// One reported property (numeric, bool or enum; text, date, struct, array
// and geo-point properties are not reported).
struct Channel {
  uint32_t property = 0;  // index in ThingModel::properties
  std::string identifier;
  TypeKind kind = TypeKind::kDouble;
  Role role = Role::kGeneric;
  double min = 0, max = 0;  // the model's, or assumed when it has none
  bool has_max = true;
  double step = 0;  // 0: none
  std::vector<int64_t> items;  // enum values
  int normal_item = 0;         // index of the usual state ("Running", ...)
  int fault_item = -1;         // index of "Fault", if any
};

// Per device: what makes it differ from its siblings. Small (100,000 of
// them live in one process).
struct DeviceSignals {
  uint64_t seed = 0;
  uint8_t faults = 0;        // Fault bits
  uint16_t stuck_channel = 0;  // with kStuckSensor
  // Values written to the device (properties/write), by channel.
  std::vector<std::pair<uint16_t, SimValue>> written;
};

class ProductSignals {
 public:
  // Fails only for a model with no reportable property.
  static absl::StatusOr<std::shared_ptr<const ProductSignals>> Create(
      std::shared_ptr<const ModelIndex> model);

  const ModelIndex& model() const { return *model_; }
  const std::vector<Channel>& channels() const { return channels_; }
  // The channel of a property identifier, or -1.
  int FindChannel(std::string_view identifier) const;

  // The device `index` of a run with `run_seed`: its own seed and the faults
  // it gets (each fault independently with its fraction).
  DeviceSignals MakeDevice(uint64_t run_seed, uint64_t index, const FaultFractions& faults) const;

  // The value of `channel` at `t` simulated seconds after the start of the
  // run; `day_phase` is the time of day at the start (0..1); `sample`
  // numbers the device's samples and keys the noise.
  SimValue Value(const DeviceSignals& device, size_t channel, double t, double day_phase,
                 uint64_t sample) const;

 private:
  explicit ProductSignals(std::shared_ptr<const ModelIndex> model);
  SimValue Compute(const DeviceSignals& device, size_t channel, double t, double day_phase,
                   uint64_t sample) const;
  std::shared_ptr<const ModelIndex> model_;
  std::vector<Channel> channels_;
};

}  // namespace qilian::platform::devsim

#endif  // QILIAN_PLATFORM_DEVSIM_SIGNAL_H_
