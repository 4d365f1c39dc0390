// Device credentials and topic rights in the MQTT broker (docs/mqtt.md,
// docs/broker.md). The device registry tells the broker through this
// interface; broker/broker_admin.h implements it over mosquitto with
// Qilian's broker plugin. Calls may block until the broker answered (or a
// time-out passes); they never run on an I/O thread.
#ifndef QILIAN_PLATFORM_BROKER_DEVICE_ACCESS_H_
#define QILIAN_PLATFORM_BROKER_DEVICE_ACCESS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace qilian::platform {

// One device as the broker knows it. The secret itself is never stored or
// sent: the broker checks SHA-256(salt || password) == hash. Secrets are
// 256-bit random tokens, so one salted hash is enough (a password a person
// chose would need a slow KDF; these are not guessable).
struct DeviceCredential {
  std::string username;     // "{productKey}/{deviceId}"; its topic root is "/" + username + "/"
  std::string salt_hex;     // 16 random bytes, hex
  std::string hash_hex;     // SHA-256(salt bytes || secret bytes), hex
  bool enabled = true;
};

class DeviceAccess {
 public:
  virtual ~DeviceAccess() = default;
  // Adds or replaces these devices' credentials (a changed secret or a
  // disabled device disconnects the device's current connection).
  virtual absl::Status Upsert(const std::vector<DeviceCredential>& devices) = 0;
  // Removes them and disconnects their connections at once.
  virtual absl::Status Remove(const std::vector<std::string>& usernames) = 0;
  // Makes the broker's set exactly `devices` (after qiliand or the broker
  // restarted).
  virtual absl::Status ReplaceAll(const std::vector<DeviceCredential>& devices) = 0;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_BROKER_DEVICE_ACCESS_H_
