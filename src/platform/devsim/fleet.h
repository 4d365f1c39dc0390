// The fleet a simulator run connects: one line per device,
//   product_key,device_id,secret,model
// where model is a starter-library id ("centrifugal_pump") or "@path" to a
// thing model in our JSON format. It is the file `qilian device import
// --secrets-out` writes; qilian-devsim also generates fleets (--generate,
// --fleet-out) so a bench harness can register the same devices.
// docs/devsim.md, "Fleet file".
#ifndef QILIAN_PLATFORM_DEVSIM_FLEET_H_
#define QILIAN_PLATFORM_DEVSIM_FLEET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace qilian::platform::devsim {

inline constexpr size_t kProductKeyLength = 11;    // [A-Za-z0-9], docs/mqtt.md
inline constexpr size_t kMaxDeviceIdLength = 64;   // [A-Za-z0-9_-], as the registry's
inline constexpr size_t kMaxSecretLength = 256;    // printable ASCII, no comma
inline constexpr size_t kMaxModelRefLength = 4096;
inline constexpr size_t kMaxFleetDevices = 10'000'000;

struct FleetDevice {
  std::string product_key;
  std::string device_id;
  std::string secret;
  std::string model;  // starter id or "@path"
  bool operator==(const FleetDevice&) const = default;
};

// The whole file. Blank lines and lines starting with '#' are skipped, as is
// a first line that is exactly the header "product_key,device_id,secret,model";
// a trailing '\r' is dropped. Any other line must have exactly four fields.
// InvalidArgument "line N: <reason>" for the first bad line, e.g.
// "line 3: product key 'abc': must be 11 characters of [A-Za-z0-9]", or
// "line 7: duplicate device pk/dev (first on line 2)".
absl::StatusOr<std::vector<FleetDevice>> ParseFleet(std::string_view text);

// The checks ParseFleet makes, one field at a time; "" when valid, else the
// reason.
std::string CheckProductKey(std::string_view key);
std::string CheckDeviceId(std::string_view id);

// Devices "<prefix>000001".. with the given starter id or @path. Secrets
// are 32 hex digits: from `secret_seed` when it is non-zero (the same seed
// gives the same fleet), else from the operating system's random source.
std::vector<FleetDevice> GenerateFleet(size_t count, std::string_view product_key,
                                       std::string_view model, std::string_view id_prefix,
                                       uint64_t secret_seed);

// The next line of *text (without its '\n' or "\r\n"), removed from it.
std::string_view TakeLine(std::string_view* text);

// The file text, with the header line.
std::string FleetText(const std::vector<FleetDevice>& fleet);

}  // namespace qilian::platform::devsim

#endif  // QILIAN_PLATFORM_DEVSIM_FLEET_H_
