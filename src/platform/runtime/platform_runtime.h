// The platform's moving parts in one place, for qiliand: the admin
// connection to the broker (device credentials and presence), the MQTT
// ingestion connections, the device shadow and the ingestor between them
// (docs/mqtt.md, docs/broker.md, docs/shadow.md). The device registry is
// the caller's (it serves REST without a broker too); the runtime tells the
// broker about its devices and keeps the shadow in step with it.
//
// Start order matters and lives here so qiliand need not know it: the
// shadow restores desired state before ingestion delivers anything; the
// registry is given the broker only once the admin connection exists; on
// every (re)connection of the admin, the broker's device set is replaced
// with the registry's (a broker restarted with a stale state file, or
// changes made while it was down, are made good).
#ifndef QILIAN_PLATFORM_RUNTIME_PLATFORM_RUNTIME_H_
#define QILIAN_PLATFORM_RUNTIME_PLATFORM_RUNTIME_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "platform/broker/broker_admin.h"
#include "platform/device/device_registry.h"
#include "platform/ingest/ingestor.h"
#include "platform/ingest/mqtt_ingest.h"
#include "platform/shadow/shadow_store.h"

namespace qilian::store {
class KvStore;
}

namespace qilian::platform {

struct PlatformRuntimeOptions {
  // scripts/broker's broker.env: where the broker listens and its admin
  // client's name and password file.
  std::string broker_env_file;
  size_t ingest_connections = 2;
  IngestOptions ingest;
  ShadowOptions shadow;
};

class PlatformRuntime {
 public:
  // Reads the broker's env file, restores the shadow, and starts the admin
  // and ingestion connections (they connect, and reconnect, in the
  // background: a broker that is down delays devices, not qiliand).
  // Errors: the env file's (NotFound, InvalidArgument naming the key), the
  // shadow's Load, or libmosquitto failing to start.
  static absl::StatusOr<std::unique_ptr<PlatformRuntime>> Start(
      PlatformRuntimeOptions options, DeviceRegistry* devices, store::KvStore* kv,
      const Clock& clock, MetricsRegistry& metrics, PointSink* sink = nullptr);

  // Stops ingestion, then detaches the registry from the broker.
  ~PlatformRuntime();
  PlatformRuntime(const PlatformRuntime&) = delete;
  PlatformRuntime& operator=(const PlatformRuntime&) = delete;

  ShadowStore& shadow() { return *shadow_; }
  BrokerAdmin& broker() { return *admin_; }
  MqttIngest& mqtt() { return *mqtt_; }

 private:
  PlatformRuntime(DeviceRegistry* devices, MetricsRegistry& metrics);
  void ResyncBroker();

  DeviceRegistry* devices_;
  NullPointSink null_sink_;
  Counter& broker_resyncs_;
  Counter& broker_resync_failures_;
  std::unique_ptr<MqttIngest> mqtt_;
  std::unique_ptr<ShadowStore> shadow_;
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<BrokerAdmin> admin_;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_RUNTIME_PLATFORM_RUNTIME_H_
