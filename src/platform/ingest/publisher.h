// How the platform sends to devices: refusals and acknowledgements of their
// messages, and requests (property reads and writes, service calls). Over
// MQTT it is MqttIngest (mqtt_ingest.h), which publishes through the broker;
// tests record what would be sent.
#ifndef QILIAN_PLATFORM_INGEST_PUBLISHER_H_
#define QILIAN_PLATFORM_INGEST_PUBLISHER_H_

#include <string_view>

#include "absl/status/status.h"

namespace qilian::platform {

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Publishes `payload` on `topic` at QoS 1, not retained. Thread-safe; never
  // blocks on the network. Unavailable when there is no broker connection.
  virtual absl::Status Publish(std::string_view topic, std::string_view payload) = 0;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_INGEST_PUBLISHER_H_
