// The broker plugin's device table and rules (docs/broker.md): which
// usernames are devices, which topics a device may use, and the credentials
// the broker checks at CONNECT. Plain C++ with no mosquitto types, so that
// qilian_broker_plugin.cc is only glue and this part is unit-tested. The
// table is used from mosquitto's single thread; nothing here locks.
#ifndef QILIAN_PLATFORM_BROKER_DEVICE_TABLE_H_
#define QILIAN_PLATFORM_BROKER_DEVICE_TABLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace qilian::broker {

inline constexpr size_t kProductKeyLength = 11;
inline constexpr size_t kMaxDeviceIdLength = 64;
inline constexpr size_t kMaxUsernameLength = kProductKeyLength + 1 + kMaxDeviceIdLength;
inline constexpr size_t kSaltBytes = 16;
inline constexpr size_t kHashBytes = 32;  // SHA-256
// The most devices one broker holds (about 200 MB of table; docs/broker.md).
inline constexpr size_t kMaxDevices = 1'000'000;

// Whether `username` is a device's, "{productKey}/{deviceId}": productKey 11
// of [A-Za-z0-9], deviceId 1..64 of [A-Za-z0-9_-] starting with a letter or
// digit. Anything else belongs to dynamic security.
bool IsDeviceUsername(std::string_view username);

// Device topic rights. A device `username` may use only topics under its
// root "/{username}/": publish and receive on a topic name under it, and
// subscribe (or unsubscribe) to a filter under it whose wildcards come only
// after the root ("/pk/dev/#", "/pk/dev/+/reply"; not "/pk/+/#", "#", nor
// the root "/pk/dev" itself). `$` topics are never a device's.
bool DeviceMayUseTopic(std::string_view username, std::string_view topic);
bool DeviceMayUseFilter(std::string_view username, std::string_view filter);

// Decodes exactly 2*N hex digits into `out`; false (out unspecified) for any
// other length or a non-hex digit.
template <size_t N>
bool DecodeHex(std::string_view hex, std::array<uint8_t, N>& out);
std::string EncodeHex(const uint8_t* bytes, size_t n);

// What the broker knows of one device (never the secret).
struct DeviceRecord {
  std::array<uint8_t, kSaltBytes> salt{};
  std::array<uint8_t, kHashBytes> hash{};
  bool enabled = true;

  bool operator==(const DeviceRecord&) const = default;
};

enum class AuthResult { kAccepted, kRefused };

class DeviceTable {
 public:
  using Map = std::unordered_map<std::string, DeviceRecord>;

  // CONNECT of a device username: accepted iff it is here, enabled, and
  // SHA-256(salt || password) equals its hash (compared in constant time).
  AuthResult Authenticate(std::string_view username, std::string_view password) const;

  const DeviceRecord* Find(std::string_view username) const;
  // Adds or replaces; returns the previous record, if there was one.
  std::optional<DeviceRecord> Put(const std::string& username, const DeviceRecord& record);
  // Whether it was there.
  bool Erase(const std::string& username);
  void Swap(Map& other) { devices_.swap(other); }

  const Map& devices() const { return devices_; }
  size_t size() const { return devices_.size(); }
  void Reserve(size_t n) { devices_.reserve(n); }

 private:
  Map devices_;
};

// SHA-256(salt || password): what a DeviceRecord's hash holds.
std::array<uint8_t, kHashBytes> HashSecret(const std::array<uint8_t, kSaltBytes>& salt,
                                           std::string_view password);

// A change of record that must close the device's connections: it was
// disabled or its salt or hash changed.
inline bool MustDisconnect(const DeviceRecord& before, const DeviceRecord& after) {
  return !after.enabled || before.salt != after.salt || before.hash != after.hash;
}

template <size_t N>
bool DecodeHex(std::string_view hex, std::array<uint8_t, N>& out) {
  if (hex.size() != 2 * N) return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < N; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

}  // namespace qilian::broker

#endif  // QILIAN_PLATFORM_BROKER_DEVICE_TABLE_H_
