#include "platform/devsim/signal.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/status/status.h"
#include "platform/thing_model/str_cat.h"
#include "platform/devsim/random.h"

namespace qilian::platform::devsim {

namespace {

constexpr std::string_view kFaultNames[kFaultCount] = {"bearing-wear", "overheating",
                                                       "stuck-sensor", "dropout"};
// Keys of the per-device random draws, so that each parameter is independent.
enum Draw : uint64_t {
  kDrawFault = 0xFA17,
  kDrawStuck,
  kDrawPhase,
  kDrawCenter,
  kDrawDrift,
  kDrawDriftPeriod,
  kDrawRate,
  kDrawNoise,
  kDrawLoadNoise,
  kDrawState,
  kDrawFlag,
};

constexpr double kTwoPi = 2 * M_PI;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return Lower(x) == Lower(y); });
}

bool Contains(std::string_view haystack, std::string_view needle) {
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (EqualsIgnoreCase(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

Role Classify(const Property& p) {
  const DataType& t = p.type;
  if (t.kind == TypeKind::kEnum) return Role::kState;
  if (t.kind == TypeKind::kBool) return Role::kFlag;
  if (p.access == Access::kReadWrite) return Role::kSetpoint;
  std::string_view id = p.identifier, unit = t.unit;
  if (unit == "°C" || unit == "℃" || unit == "K" || unit == "°F" || Contains(id, "temperature") ||
      Contains(id, "temp")) {
    return Contains(id, "bearing") ? Role::kBearingTemperature : Role::kTemperature;
  }
  if (unit == "mm/s" || Contains(id, "vibration")) return Role::kVibration;
  if ((IsIntegral(t.kind) && !t.max) || (unit == "h" && Contains(id, "hours")) ||
      unit == "kWh" || unit == "MWh" || id.ends_with("Count") || id.ends_with("Total")) {
    return Role::kCounter;
  }
  for (std::string_view u : {"A", "kA", "W", "kW", "MW", "rpm", "m³/h", "m³/min", "t/h", "kg/h",
                             "mm/min", "L/min"}) {
    if (unit == u) return Role::kLoad;
  }
  for (std::string_view word : {"load", "power", "current", "flow", "feed", "speed"}) {
    if (Contains(id, word)) return Role::kLoad;
  }
  return Role::kGeneric;
}

int FindItem(const DataType& t, std::initializer_list<std::string_view> names) {
  for (std::string_view name : names) {
    for (size_t i = 0; i < t.items.size(); ++i) {
      if (EqualsIgnoreCase(t.items[i].name.en, name)) return static_cast<int>(i);
    }
  }
  return -1;
}

// Rounds to what the JSON text and the model accept: integers for integral
// kinds, multiples of the step, floats that stay inside the range.
double Fit(const Channel& c, double v, bool clamp) {
  if (clamp) v = std::clamp(v, c.min, c.max);
  if (c.step > 0) {
    v = c.min + std::nearbyint((v - c.min) / c.step) * c.step;
    if (clamp && v > c.max) v -= c.step;
  }
  if (IsIntegral(c.kind)) {
    v = clamp ? std::clamp(std::nearbyint(v), std::ceil(c.min), std::floor(c.max))
              : std::nearbyint(v);
    if (c.kind == TypeKind::kInt) v = std::clamp(v, -2147483648.0, 2147483647.0);
  } else if (c.kind == TypeKind::kFloat && c.step == 0) {
    // (With a step the value stays the double min + k * step: a float of
    // 38.9 is not on a 0.1 step.)
    float f = static_cast<float>(v);
    if (clamp && f > c.max) f = std::nextafter(static_cast<float>(c.max), -INFINITY);
    if (clamp && f < c.min) f = std::nextafter(static_cast<float>(c.min), INFINITY);
    v = f;
  }
  return v;
}

}  // namespace

std::string_view FaultName(int bit_index) { return kFaultNames[bit_index]; }

bool FaultFractions::any() const {
  return std::any_of(std::begin(fraction), std::end(fraction), [](double f) { return f > 0; });
}

absl::StatusOr<FaultFractions> ParseFaults(std::string_view spec) {
  FaultFractions out;
  bool given[kFaultCount] = {};
  if (spec.empty()) return out;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    spec.remove_prefix(comma == std::string_view::npos ? spec.size() : comma + 1);
    std::string_view name = item.substr(0, item.find('='));
    int index = -1;
    for (int i = 0; i < kFaultCount; ++i) {
      if (name == kFaultNames[i]) index = i;
    }
    if (index < 0) {
      return absl::InvalidArgumentError(Cat(
          "--fault: unknown fault '", name,
          "' (bearing-wear, overheating, stuck-sensor, dropout)"));
    }
    if (given[index]) {
      return absl::InvalidArgumentError(Cat("--fault: ", name, " given twice"));
    }
    given[index] = true;
    if (name.size() == item.size()) {
      return absl::InvalidArgumentError(
          Cat("--fault: ", name, " needs a fraction of devices, e.g. ", name, "=0.05"));
    }
    std::string number(item.substr(name.size() + 1));
    char* end = nullptr;
    double f = number.empty() ? NAN : std::strtod(number.c_str(), &end);
    if (number.empty() || end != number.c_str() + number.size() || !(f >= 0 && f <= 1)) {
      return absl::InvalidArgumentError(Cat(
          "--fault: ", name, "=", number, ": the fraction must be a number from 0 to 1"));
    }
    out.fraction[index] = f;
  }
  return out;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kGeneric: return "generic";
    case Role::kLoad: return "load";
    case Role::kTemperature: return "temperature";
    case Role::kBearingTemperature: return "bearing-temperature";
    case Role::kVibration: return "vibration";
    case Role::kCounter: return "counter";
    case Role::kSetpoint: return "setpoint";
    case Role::kState: return "state";
    case Role::kFlag: return "flag";
  }
  return "?";
}

nlohmann::json ToJson(const SimValue& value) {
  if (value.kind == TypeKind::kBool) return value.number != 0;
  if (IsIntegral(value.kind) || value.kind == TypeKind::kEnum) {
    return static_cast<int64_t>(value.number);
  }
  return value.number;
}

ProductSignals::ProductSignals(std::shared_ptr<const ModelIndex> model) : model_(std::move(model)) {
  const auto& properties = model_->model().properties;
  for (size_t i = 0; i < properties.size(); ++i) {
    const Property& p = properties[i];
    const DataType& t = p.type;
    if (!IsNumeric(t.kind) && t.kind != TypeKind::kBool && t.kind != TypeKind::kEnum) continue;
    if (t.kind == TypeKind::kEnum && t.items.empty()) continue;
    Channel c;
    c.property = static_cast<uint32_t>(i);
    c.identifier = p.identifier;
    c.kind = t.kind;
    c.role = Classify(p);
    if (IsNumeric(t.kind)) {
      c.min = t.min.value_or(0);
      c.has_max = t.max.has_value();
      // A range the model leaves open: a span that makes sense for counters
      // and stays exact as a double.
      c.max = t.max.value_or(c.min + 1e6);
      if (c.kind == TypeKind::kInt) c.max = std::min(c.max, 2147483647.0);
      c.step = t.step.value_or(0);
    }
    for (const EnumItem& item : t.items) c.items.push_back(item.value);
    if (c.role == Role::kState) {
      c.normal_item = std::max(
          0, FindItem(t, {"Running", "Run", "Loaded", "Normal", "Auto", "Automatic", "Armed",
                          "Producing", "On"}));
      c.fault_item = FindItem(t, {"Fault", "Tripped", "Alarm"});
    }
    channels_.push_back(std::move(c));
  }
}

absl::StatusOr<std::shared_ptr<const ProductSignals>> ProductSignals::Create(
    std::shared_ptr<const ModelIndex> model) {
  std::shared_ptr<const ProductSignals> signals(new ProductSignals(std::move(model)));
  if (signals->channels_.empty()) {
    return absl::InvalidArgumentError(
        "the model has no property the simulator can report (numeric, bool or enum)");
  }
  return signals;
}

int ProductSignals::FindChannel(std::string_view identifier) const {
  for (size_t i = 0; i < channels_.size(); ++i) {
    if (channels_[i].identifier == identifier) return static_cast<int>(i);
  }
  return -1;
}

DeviceSignals ProductSignals::MakeDevice(uint64_t run_seed, uint64_t index,
                                         const FaultFractions& faults) const {
  DeviceSignals d;
  d.seed = Hash(run_seed, index);
  for (int f = 0; f < kFaultCount; ++f) {
    if (faults.fraction[f] > 0 && Unit(Hash(run_seed, index, kDrawFault + f)) < faults.fraction[f]) {
      d.faults |= uint8_t{1} << f;
    }
  }
  // The stuck sensor is a numeric one where the model has any.
  std::vector<uint16_t> numeric;
  for (size_t i = 0; i < channels_.size(); ++i) {
    if (IsNumeric(channels_[i].kind)) numeric.push_back(static_cast<uint16_t>(i));
  }
  uint64_t pick = Hash(d.seed, kDrawStuck);
  d.stuck_channel = numeric.empty() ? static_cast<uint16_t>(pick % channels_.size())
                                    : numeric[pick % numeric.size()];
  return d;
}

SimValue ProductSignals::Value(const DeviceSignals& device, size_t channel, double t,
                               double day_phase, uint64_t sample) const {
  for (const auto& [written_channel, value] : device.written) {
    if (written_channel == channel) return value;
  }
  if ((device.faults & kStuckSensor) && channel == device.stuck_channel) {
    return Compute(device, channel, 0, day_phase, 0);
  }
  return Compute(device, channel, t, day_phase, sample);
}

SimValue ProductSignals::Compute(const DeviceSignals& device, size_t channel, double t,
                                 double day_phase, uint64_t sample) const {
  const Channel& c = channels_[channel];
  const uint64_t seed = Hash(device.seed, channel);
  SimValue out{c.kind, 0};

  if (c.role == Role::kState || c.role == Role::kFlag) {
    // Hold a value for a dwell period, then mostly the usual one again.
    double offset = Unit(Hash(seed, kDrawPhase)) * kStateDwellSeconds;
    uint64_t segment = static_cast<uint64_t>(std::max(0.0, t + offset) / kStateDwellSeconds);
    double u = Unit(Hash(seed, kDrawState, segment));
    if (c.role == Role::kFlag) {
      bool base = Unit(Hash(seed, kDrawFlag)) < 0.7;
      out.number = (u < 0.1) != base ? 1 : 0;
      return out;
    }
    int item = c.normal_item;
    if ((device.faults & kOverheating) && c.fault_item >= 0 && t >= kOverheatRampSeconds) {
      item = c.fault_item;
    } else if (u < 0.05 && c.items.size() > 1) {
      // Some other state for a while (never the fault state without a fault).
      std::vector<int> others;
      for (int i = 0; i < static_cast<int>(c.items.size()); ++i) {
        if (i != c.normal_item && i != c.fault_item) others.push_back(i);
      }
      if (!others.empty()) item = others[Hash(seed, kDrawState + 1, segment) % others.size()];
    }
    out.number = static_cast<double>(c.items[item]);
    return out;
  }

  const double span = c.max - c.min;
  const double dev_phase = Unit(Hash(device.seed, kDrawPhase)) * kTwoPi * 0.1;
  const double daily = std::sin(kTwoPi * (t / kDaySeconds + day_phase) + dev_phase - M_PI / 2);
  // The device's load, shared by its channels: a day shape, a 15-minute
  // wobble and a little noise; 0.4 .. 0.9.
  const double load = 0.65 + 0.2 * daily +
                      0.04 * std::sin(kTwoPi * t / 900 + dev_phase * 7) +
                      0.01 * Gaussian(Hash(device.seed, kDrawLoadNoise, sample));
  const double noise = Gaussian(Hash(seed, kDrawNoise, sample));
  const double center = Unit(Hash(seed, kDrawCenter));  // 0..1, per device and channel
  const double wear = (device.faults & kBearingWear)
                          ? std::pow(std::min(1.0, std::max(0.0, t) / kBearingWearSeconds), 2)
                          : 0;
  double frac = 0;
  bool clamp = true;
  switch (c.role) {
    case Role::kSetpoint:
      frac = 0.3 + 0.4 * center;
      break;
    case Role::kLoad:
      frac = (0.6 + 0.3 * center) * load + 0.01 * noise;
      break;
    case Role::kTemperature:
    case Role::kBearingTemperature: {
      const double base = 0.3 + 0.15 * center;
      frac = base + 0.25 * (load - 0.65) + 0.003 * noise;
      if (c.role == Role::kBearingTemperature) frac += 0.3 * wear;
      if (device.faults & kOverheating) {
        // Climbs from its usual value past the maximum by the end of the
        // ramp, and on.
        frac += (1.15 - base) * std::max(0.0, t) / kOverheatRampSeconds;
        clamp = false;
      }
      break;
    }
    case Role::kVibration:
      frac = (0.04 + 0.04 * center) * (0.8 + 0.4 * load) * (1 + 5 * wear) +
             0.002 * noise * (1 + wear);
      break;
    case Role::kCounter: {
      double rate;  // per simulated second
      std::string_view unit = model_->model().properties[c.property].type.unit;
      if (unit == "h") {
        rate = 0.9 / 3600;
      } else if (unit.ends_with("Wh")) {
        rate = 0.05 + 0.45 * Unit(Hash(seed, kDrawRate));
      } else {
        rate = 1.0 / (60 + 540 * Unit(Hash(seed, kDrawRate)));
      }
      double start = center * (c.has_max ? 0.3 * span : 1e5);
      double v = c.min + start + rate * std::max(0.0, t);
      out.number = Fit(c, IsIntegral(c.kind) ? std::floor(v) : v, true);
      return out;
    }
    case Role::kGeneric:
    default: {
      double drift_period = kDaySeconds * (2 + 6 * Unit(Hash(seed, kDrawDriftPeriod)));
      double drift = 0.04 * std::sin(kTwoPi * t / drift_period + kTwoPi * Unit(Hash(seed, kDrawDrift)));
      frac = 0.35 + 0.3 * center + 0.08 * daily + drift + 0.01 * noise;
      break;
    }
  }
  double v = c.min + frac * span;
  // Real values at a resolution of 1e-6 of the span (short JSON numbers).
  if (!IsIntegral(c.kind) && c.step == 0 && span > 0) {
    double resolution = std::pow(10.0, std::floor(std::log10(span)) - 6);
    v = std::nearbyint(v / resolution) * resolution;
  }
  out.number = Fit(c, v, clamp);
  return out;
}

}  // namespace qilian::platform::devsim
