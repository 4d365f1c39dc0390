#include "platform/runtime/platform_runtime.h"

#include <utility>
#include <vector>

#include "core/log.h"

namespace qilian::platform {

PlatformRuntime::PlatformRuntime(DeviceRegistry* devices, MetricsRegistry& metrics)
    : devices_(devices),
      broker_resyncs_(metrics.GetCounter("qilian_broker_resyncs_total",
                                         "Times the broker's device set was replaced with "
                                         "the registry's (after each admin connection)")),
      broker_resync_failures_(metrics.GetCounter("qilian_broker_resync_failures_total",
                                                 "Replacements of the broker's device set that "
                                                 "failed (retried on the next connection)")) {}

absl::StatusOr<std::unique_ptr<PlatformRuntime>> PlatformRuntime::Start(
    PlatformRuntimeOptions options, DeviceRegistry* devices, store::KvStore* kv,
    const Clock& clock, MetricsRegistry& metrics, PointSink* sink) {
  absl::StatusOr<BrokerAdminOptions> admin_options =
      BrokerAdminOptionsFromEnvFile(options.broker_env_file);
  if (!admin_options.ok()) return admin_options.status();

  const std::string broker_host = admin_options->host;
  std::unique_ptr<PlatformRuntime> runtime(new PlatformRuntime(devices, metrics));
  PlatformRuntime* self = runtime.get();

  // The ingestion connections use the same admin client as the control
  // connection: it may read every device topic and publish to devices.
  MqttIngestOptions mqtt_options;
  mqtt_options.host = admin_options->host;
  mqtt_options.port = admin_options->port;
  mqtt_options.username = admin_options->username;
  mqtt_options.password = admin_options->password;
  mqtt_options.connections = options.ingest_connections;
  runtime->mqtt_ = std::make_unique<MqttIngest>(std::move(mqtt_options));
  runtime->shadow_ =
      std::make_unique<ShadowStore>(*devices, *runtime->mqtt_, kv, clock, options.shadow);
  if (absl::Status loaded = runtime->shadow_->Load(); !loaded.ok()) return loaded;
  runtime->ingestor_ = std::make_unique<Ingestor>(*devices, *runtime->shadow_, *runtime->mqtt_,
                                                  sink ? *sink : runtime->null_sink_, clock,
                                                  metrics, options.ingest);

  absl::StatusOr<std::unique_ptr<BrokerAdmin>> admin = BrokerAdmin::Start(
      *std::move(admin_options), [self] { self->ResyncBroker(); },
      [self](std::string_view username, bool online, int64_t time_ms) {
        self->shadow_->SetPresence(username, online, absl::FromUnixMillis(time_ms));
      });
  if (!admin.ok()) return admin.status();
  runtime->admin_ = *std::move(admin);
  devices->SetDeviceAccess(runtime->admin_.get());
  devices->SetRemovalObserver([self](const DeviceRef& device) {
    if (absl::Status s = self->shadow_->Remove(device); !s.ok()) {
      LogWarn("platform.shadow.remove_failed",
              {{"device", device.device_id}, {"error", std::string(s.message())}});
    }
  });

  if (absl::Status started = runtime->mqtt_->Start(runtime->ingestor_.get(),
                                                   runtime->shadow_.get());
      !started.ok()) {
    return started;
  }
  LogInfo("platform.mqtt.start", {{"broker", broker_host},
                                  {"connections", static_cast<int64_t>(options.ingest_connections)}});
  return runtime;
}

void PlatformRuntime::ResyncBroker() {
  // On BrokerAdmin's callback thread, which may call its requests. The
  // registry holds its changes off meanwhile, so no newer Upsert or Remove
  // is overtaken by this older full set.
  absl::Status replaced = devices_->ReplaceAllInBroker();
  if (replaced.ok()) {
    broker_resyncs_.Inc();
    LogInfo("platform.broker.resync", {{"devices", static_cast<int64_t>(devices_->size())}});
  } else {
    broker_resync_failures_.Inc();
    LogWarn("platform.broker.resync_failed", {{"error", replaced.ToString()}});
  }
}

PlatformRuntime::~PlatformRuntime() {
  if (mqtt_) mqtt_->Stop();
  if (devices_ != nullptr) {
    devices_->SetRemovalObserver(nullptr);
    devices_->SetDeviceAccess(nullptr);
  }
  admin_.reset();
}

}  // namespace qilian::platform
