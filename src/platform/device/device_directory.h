// What the MQTT path needs to know about devices (docs/mqtt.md): the device
// a topic names, a gateway's sub-devices, and the thing model a device's data
// is checked against. Implemented by the device registry (device_registry.h)
// from memory, so every lookup is a hash-map probe: ingestion calls it for
// every message. Snapshots are immutable and shared; a changed device is a
// new snapshot.
#ifndef QILIAN_PLATFORM_DEVICE_DEVICE_DIRECTORY_H_
#define QILIAN_PLATFORM_DEVICE_DEVICE_DIRECTORY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "platform/thing_model/value_check.h"

namespace qilian::platform {

struct DeviceRef {
  uint64_t enterprise = 0;
  std::string product_id;     // unique within the enterprise
  std::string product_key;    // unique on the node; the first topic level
  std::string device_id;      // unique within the enterprise
  uint32_t model_version = 1; // the thing model version its data is checked against
  std::string gateway_id;     // the gateway that speaks for it; empty if none
  bool enabled = true;
};

class DeviceDirectory {
 public:
  virtual ~DeviceDirectory() = default;

  // The device whose topics start /{product_key}/{device_id}/, or null.
  virtual std::shared_ptr<const DeviceRef> Find(std::string_view product_key,
                                                std::string_view device_id) const = 0;

  // The device `device_id` of `enterprise` (any product), or null. A
  // gateway's sub-device is FindInEnterprise(gateway.enterprise, sub) whose
  // gateway_id is the gateway's device_id.
  virtual std::shared_ptr<const DeviceRef> FindInEnterprise(uint64_t enterprise,
                                                            std::string_view device_id) const = 0;

  // The compiled model a device's data is checked against, or null if the
  // product or version is gone.
  virtual std::shared_ptr<const ModelIndex> Model(uint64_t enterprise, std::string_view product_id,
                                                  uint32_t version) const = 0;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_DEVICE_DEVICE_DIRECTORY_H_
