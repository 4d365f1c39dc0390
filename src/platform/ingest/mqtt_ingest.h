// qiliand's MQTT subscriber and publisher (docs/mqtt.md): N libmosquitto
// connections to the broker as its admin client, each with its own network
// thread, sharing the device topics through the shared subscription
// $share/<group>/<filter> at QoS 1, so the broker spreads device messages
// over them. Each message goes straight to Ingestor::Process on the
// connection's thread. Only the device-to-platform topics are subscribed
// (kDeviceTopicFilters), so the platform never receives its own publishes.
//
// Also the Publisher of refusals, acknowledgements and requests to devices
// (round-robin over the connected connections), and the timer that expires
// the shadow's pending calls.
//
// Wiring (the Ingestor needs the Publisher, MqttIngest needs the Ingestor):
//   MqttIngest mqtt(options);                       // idle; Publish: Unavailable
//   ShadowStore shadow(directory, mqtt, &kv, clock);
//   Ingestor ingestor(directory, shadow, mqtt, sink, clock, metrics, ingest_options);
//   mqtt.Start(&ingestor, &shadow);                 // connects, subscribes, delivers
//   ...
//   mqtt.Stop();                                    // before ingestor and shadow go
#ifndef QILIAN_PLATFORM_INGEST_MQTT_INGEST_H_
#define QILIAN_PLATFORM_INGEST_MQTT_INGEST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "platform/ingest/publisher.h"

namespace qilian::platform {

class Ingestor;
class ShadowStore;

struct MqttIngestOptions {
  // The broker and its admin client: scripts/broker's broker.env, as
  // BrokerAdminOptionsFromEnvFile (broker/broker_admin.h) reads it.
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string username;
  std::string password;
  std::string client_id_prefix;  // empty: "qiliand-ingest-{pid}-"; then the index
  size_t connections = 2;        // each with its own thread
  std::string share_group = "qilian";
  int keepalive_s = 30;
  absl::Duration reconnect_delay_min = absl::Seconds(1);  // doubling up to the max
  absl::Duration reconnect_delay_max = absl::Seconds(30);
  // QoS 1 publishes in flight per connection (libmosquitto queues the rest).
  int max_inflight = 1000;
  // How often the shadow's pending calls are checked for time-outs.
  absl::Duration sweep_interval = absl::Milliseconds(200);
};

class MqttIngest final : public Publisher {
 public:
  explicit MqttIngest(MqttIngestOptions options);
  ~MqttIngest() override;  // disconnects and joins every thread
  MqttIngest(const MqttIngest&) = delete;
  MqttIngest& operator=(const MqttIngest&) = delete;

  // Starts the connections (they connect, and reconnect, in the
  // background) and the time-out sweeper. `shadow` may be null (no
  // sweeping). Errors: InvalidArgument for bad options, Internal when
  // libmosquitto cannot start, FailedPrecondition when already started.
  absl::Status Start(Ingestor* ingestor, ShadowStore* shadow);

  // Disconnects and joins every thread: after it returns the Ingestor and
  // the shadow are no longer called, so they may be destroyed. Idempotent;
  // the destructor calls it. Publish is Unavailable afterwards.
  void Stop();

  // Publisher: QoS 1, not retained. Unavailable when no connection is up.
  absl::Status Publish(std::string_view topic, std::string_view payload) override;

  // Connections connected and with every subscription granted.
  size_t subscribed_connections() const;
  // Waits until all connections are subscribed (true) or `timeout` passed.
  bool WaitSubscribed(absl::Duration timeout) const;
  // Messages delivered to the Ingestor, in all and per connection.
  uint64_t received() const;
  std::vector<uint64_t> received_per_connection() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_INGEST_MQTT_INGEST_H_
