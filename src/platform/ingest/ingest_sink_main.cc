// qilian-ingest-sink: MQTT ingestion as qiliand runs it (MqttIngest, the
// Ingestor, the shadow), without the rest of qiliand, for measuring it
// against the broker's own ceiling (bench/mqtt-bench, issue 10). Devices
// come from a fleet file (qilian-devsim --fleet-out: product_key,device_id,
// secret,model); each model reference is a starter id, the product of its
// devices. Runs until SIGTERM/SIGINT or --duration, then prints one JSON
// line: received, accepted, refused by reason, values, and values per
// second between the first and the last message.
//   qilian-ingest-sink --broker-env DIR/broker.env --fleet fleet.csv [--connections 2]
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "CLI/CLI.hpp"
#include "absl/time/clock.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "nlohmann/json.hpp"
#include "platform/broker/broker_admin.h"
#include "platform/devsim/fleet.h"
#include "platform/ingest/ingestor.h"
#include "platform/ingest/mqtt_ingest.h"
#include "platform/shadow/shadow_store.h"
#include "platform/thing_model/starter_library.h"
#include "platform/thing_model/thing_model_json.h"

namespace {

using namespace qilian;
using namespace qilian::platform;

volatile std::sig_atomic_t stop_requested = 0;

// The fleet's devices, all of enterprise 1; product id = model reference.
class FleetDirectory final : public DeviceDirectory {
 public:
  absl::Status Load(const std::vector<devsim::FleetDevice>& fleet) {
    for (const auto& d : fleet) {
      if (!models_.contains(d.model)) {
        const StarterProduct* starter = FindStarterProduct(d.model);
        if (starter == nullptr) return absl::InvalidArgumentError("not a starter id: " + d.model);
        auto model = ParseThingModel(starter->model_json);
        if (!model.ok()) return model.status();
        models_[d.model] = std::make_shared<const ModelIndex>(*std::move(model));
      }
      auto ref = std::make_shared<DeviceRef>();
      ref->enterprise = 1;
      ref->product_id = d.model;
      ref->product_key = d.product_key;
      ref->device_id = d.device_id;
      ref->model_version = models_[d.model]->model().version;
      devices_[d.product_key + "/" + d.device_id] = ref;
      by_id_[d.device_id] = ref;
    }
    return absl::OkStatus();
  }
  std::shared_ptr<const DeviceRef> Find(std::string_view pk, std::string_view dev) const override {
    thread_local std::string key;
    key.assign(pk).append("/").append(dev);
    auto it = devices_.find(key);
    return it == devices_.end() ? nullptr : it->second;
  }
  std::shared_ptr<const DeviceRef> FindInEnterprise(uint64_t enterprise,
                                                    std::string_view dev) const override {
    auto it = by_id_.find(std::string(dev));
    return enterprise != 1 || it == by_id_.end() ? nullptr : it->second;
  }
  std::shared_ptr<const ModelIndex> Model(uint64_t, std::string_view product,
                                          uint32_t) const override {
    auto it = models_.find(std::string(product));
    return it == models_.end() ? nullptr : it->second;
  }

 private:
  std::map<std::string, std::shared_ptr<const ModelIndex>> models_;
  absl::flat_hash_map<std::string, std::shared_ptr<const DeviceRef>> devices_;
  absl::flat_hash_map<std::string, std::shared_ptr<const DeviceRef>> by_id_;
};

// Notes the times of the first and the last accepted value.
class TimingSink final : public PointSink {
 public:
  void WritePoints(const DeviceRef&, const ModelIndex&, std::span<const ReportedPoint>) override {
    Mark();
  }
  void WriteEvent(const DeviceRef&, std::string_view, int64_t, const nlohmann::json&) override {
    Mark();
  }
  absl::Duration active() const {
    std::lock_guard lock(mu_);
    return last_ - first_;
  }

 private:
  void Mark() {
    absl::Time now = absl::Now();
    std::lock_guard lock(mu_);
    if (first_ == absl::InfinitePast()) first_ = now;
    last_ = now;
  }
  mutable std::mutex mu_;
  absl::Time first_ = absl::InfinitePast();
  absl::Time last_ = absl::InfinitePast();
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"MQTT ingestion alone (MqttIngest + Ingestor + shadow), for benchmarks"};
  std::string env_file, fleet_file, group = "qilian";
  size_t connections = 2;
  double duration_s = 0, device_rate = 0;
  app.add_option("--broker-env", env_file, "scripts/broker's broker.env")->required();
  app.add_option("--fleet", fleet_file, "fleet CSV (qilian-devsim --fleet-out)")->required();
  app.add_option("--connections", connections, "MQTT connections (default 2)");
  app.add_option("--share-group", group, "shared subscription group (default qilian)");
  app.add_option("--duration", duration_s, "seconds to run (default: until SIGTERM)");
  app.add_option("--device-rate", device_rate,
                 "messages/s per device before rate_limited (default 0: no limit)");
  CLI11_PARSE(app, argc, argv);

  auto broker = BrokerAdminOptionsFromEnvFile(env_file);
  if (!broker.ok()) {
    std::fprintf(stderr, "%s\n", std::string(broker.status().message()).c_str());
    return 2;
  }
  std::ifstream in(fleet_file);
  std::stringstream text;
  text << in.rdbuf();
  auto fleet = devsim::ParseFleet(text.str());
  FleetDirectory directory;
  absl::Status loaded = fleet.ok() ? directory.Load(*fleet) : fleet.status();
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", std::string(loaded.message()).c_str());
    return 2;
  }

  MqttIngestOptions o;
  o.host = broker->host;
  o.port = broker->port;
  o.username = broker->username;
  o.password = broker->password;
  o.connections = connections;
  o.share_group = group;
  MqttIngest mqtt(o);
  ShadowStore shadow(directory, mqtt, nullptr, Clock::Real());
  TimingSink sink;
  MetricsRegistry metrics;
  IngestOptions io;
  io.device_messages_per_second = device_rate;
  io.device_burst = 2 * device_rate;
  Ingestor ingestor(directory, shadow, mqtt, sink, Clock::Real(), metrics, io);
  if (absl::Status s = mqtt.Start(&ingestor, &shadow); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  if (!mqtt.WaitSubscribed(absl::Seconds(30))) {
    std::fprintf(stderr, "not subscribed after 30 s\n");
    return 1;
  }
  std::fprintf(stderr, "subscribed: %zu connections, %zu devices\n", connections, fleet->size());
  std::signal(SIGTERM, [](int) { stop_requested = 1; });
  std::signal(SIGINT, [](int) { stop_requested = 1; });
  absl::Time end =
      duration_s > 0 ? absl::Now() + absl::Seconds(duration_s) : absl::InfiniteFuture();
  while (!stop_requested && absl::Now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  mqtt.Stop();

  auto count = [&](std::string_view name, MetricLabels labels = {}) {
    return metrics.GetCounter(name, "", labels).value();
  };
  nlohmann::json refused = nlohmann::json::object();
  for (size_t i = 0; i < kRefusalCount; ++i) {
    std::string code(RefusalCode(static_cast<Refusal>(i)));
    if (uint64_t n = count("qilian_mqtt_refused_total", {{"reason", code}})) refused[code] = n;
  }
  uint64_t accepted = 0;
  for (size_t i = 0; i < kTopicKinds; ++i) {
    accepted += count("qilian_mqtt_messages_total",
                      {{"kind", std::string(TopicKindName(static_cast<TopicKind>(i)))}});
  }
  const uint64_t values = count("qilian_mqtt_values_total");
  const double seconds = absl::ToDoubleSeconds(sink.active());
  nlohmann::json summary = {{"received", count("qilian_mqtt_received_total")},
                            {"accepted", accepted},
                            {"refused", refused},
                            {"values", values},
                            {"active_s", seconds},
                            {"values_per_s", seconds > 0 ? values / seconds : 0.0},
                            {"received_per_connection", mqtt.received_per_connection()}};
  std::printf("%s\n", summary.dump().c_str());
  return 0;
}
