// The device shadow (docs/shadow.md): for every device, the last reported
// value of each property with its time, the desired state the platform wants
// with its version, the delta between the two, online/offline and last seen;
// and the platform's pending calls to devices (property reads and writes,
// service invocations) until the device replies or they time out.
//
// Reported state lives in memory only (it is rebuilt from what devices
// report; the time-series engine keeps history). Desired state is durable:
// every change is written to the KvStore (space "platform", keys "shadow/",
// docs/storage.md) before it is acknowledged, and Load() restores it.
//
// Thread-safe. Devices are spread over shards, each with its own lock, so
// ingestion threads reporting for different devices rarely meet. Callbacks
// and publishes run outside every lock.
#ifndef QILIAN_PLATFORM_SHADOW_SHADOW_STORE_H_
#define QILIAN_PLATFORM_SHADOW_SHADOW_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "nlohmann/json.hpp"
#include "platform/device/device_directory.h"
#include "platform/ingest/publisher.h"
#include "platform/shadow/shadow_value.h"
#include "platform/thing_model/value_check.h"

namespace qilian::store {
class KvStore;
}

namespace qilian::platform {

inline constexpr std::string_view kShadowSpace = "platform";
inline constexpr std::string_view kShadowKeyPrefix = "shadow/";
inline constexpr size_t kMaxPendingCalls = 100000;  // over all devices
inline constexpr absl::Duration kMaxCallTimeout = absl::Minutes(10);

struct ShadowOptions {
  size_t shards = 64;
  // How long the write that carries a desired change waits for the
  // device's reply before it is dropped (the delta stays either way).
  absl::Duration desired_write_timeout = absl::Seconds(30);
};

// One property value reported by a device: `property` is its index in the
// model's properties (ModelIndex::model().properties).
struct ReportedPoint {
  uint32_t property = 0;
  int64_t time_ms = 0;
  ValueView value;
};

// What REST shows of one device.
struct ShadowDocument {
  bool online = false;
  std::optional<int64_t> last_seen_ms;  // presence or any accepted message
  // {"<property>": {"value": v, "time": ms}} for each property ever reported.
  nlohmann::json reported = nlohmann::json::object();
  // {"<property>": v}: what the platform wants the device to hold.
  nlohmann::json desired = nlohmann::json::object();
  uint64_t desired_version = 0;  // 0: never set; +1 on every change
  // The desired properties whose reported value differs (or is missing).
  nlohmann::json delta = nlohmann::json::object();
};

// A device's answer to a call. Transport and time-out failures are a
// Status instead (DeadlineExceeded for a time-out).
struct CallReply {
  bool success = false;
  std::string code;     // the device's, when !success
  std::string message;  // the device's, when !success
  // read: {"<property>": v}; invoke: the service's output; write: {}.
  nlohmann::json data = nlohmann::json::object();
};
using CallCallback = std::function<void(absl::StatusOr<CallReply>)>;

// Which reply a pending call waits for.
enum class CallKind : uint8_t { kRead, kWrite, kInvoke };

class ShadowStore {
 public:
  // `kv` may be null (desired state then lives in memory only: tests and
  // tools). All references must outlive the store.
  ShadowStore(const DeviceDirectory& directory, Publisher& publisher, store::KvStore* kv,
              const Clock& clock, ShadowOptions options = {});
  ~ShadowStore();
  ShadowStore(const ShadowStore&) = delete;
  ShadowStore& operator=(const ShadowStore&) = delete;

  // Restores every device's desired state from the store (at start-up,
  // before ingestion starts). DataLoss names a record that does not parse.
  absl::Status Load();

  // --- Ingestion (called by the Ingestor for every accepted message) ---

  // Applies accepted values: a property keeps the value with the latest
  // time (an older sample does not overwrite a newer one). `model` is the
  // one the points were checked against; it also marks the device seen now.
  void ApplyReported(const DeviceRef& device, const std::shared_ptr<const ModelIndex>& model,
                     std::span<const ReportedPoint> points);

  // Presence from the broker ($qilian/presence/...): `username` is
  // "{productKey}/{deviceId}". A device that comes online with a non-empty
  // delta is sent the delta as a properties/write. False if the username
  // names no device.
  bool SetPresence(std::string_view username, bool online, absl::Time time);

  // A device's reply to a call: `reply` is the JSON object the device sent
  // on .../properties/read|write/reply or .../function/invoke/reply. Checks
  // it against the call and the model, completes the call and returns OK;
  // NotFound "no pending call with messageId '…'" (late or unknown),
  // InvalidArgument for a reply that is malformed or fails the model check
  // (the call then completes with that error too).
  absl::Status CompleteCall(const DeviceRef& device, CallKind kind, const nlohmann::json& reply);

  // --- For REST ---

  // The device's shadow; an empty document for a device never seen.
  ShadowDocument Get(const DeviceRef& device) const;

  // Changes desired properties: `properties` is an object; a value is
  // checked with CheckPropertyWrite, null removes the property from the
  // desired state. With `expected_version`, the change applies only if the
  // desired version is that (FailedPrecondition "desired version is N, not
  // M" otherwise). Durable when it returns; then the delta is published to
  // the device as properties/write. Returns the new version.
  // Errors: NotFound (no model / property), FailedPrecondition (read-only,
  // version), InvalidArgument (value), a storage error.
  absl::StatusOr<uint64_t> SetDesired(const DeviceRef& device, const nlohmann::json& properties,
                                      std::optional<uint64_t> expected_version = std::nullopt);

  // Calls on the device: checked against its model first (values with
  // CheckPropertyWrite, inputs with CheckServiceInput, read identifiers
  // must be properties), then published with a fresh messageId. `done` runs
  // once: with the device's reply (a read's values checked with
  // CheckProperty and applied to the reported state, an invoke's output
  // with CheckServiceOutput), or DeadlineExceeded after `timeout`. An error
  // returned here means nothing was sent and `done` will not run.
  absl::Status WriteProperties(const DeviceRef& device, const nlohmann::json& values,
                               absl::Duration timeout, CallCallback done);
  absl::Status ReadProperties(const DeviceRef& device, const std::vector<std::string>& properties,
                              absl::Duration timeout, CallCallback done);
  absl::Status InvokeFunction(const DeviceRef& device, std::string_view function,
                              const nlohmann::json& inputs, absl::Duration timeout,
                              CallCallback done);

  // Completes the calls whose time-out has passed (by the clock) with
  // DeadlineExceeded; returns how many. MqttIngest runs it periodically;
  // tests call it after moving a FakeClock.
  size_t ExpireCalls();
  size_t pending_calls() const;

  // Forgets a deleted device: its shadow and its durable desired state.
  absl::Status Remove(const DeviceRef& device);

  // Devices held, and the bytes they take (maps, values, desired states).
  size_t device_count() const;
  size_t ApproximateBytes() const;

  // The key of a device's desired state in space "platform".
  static std::string DesiredKey(uint64_t enterprise, std::string_view device_id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_SHADOW_SHADOW_STORE_H_
