// The processor behind MQTT ingestion (docs/mqtt.md): one device message,
// (topic, payload), in; applied to the shadow and handed to the PointSink,
// or refused with a code, a counter and (for reports and events) a reply to
// the device. Transport-free: MqttIngest feeds it from libmosquitto, tests
// and benchmarks call Process directly.
//
// Order of checks (the first that fails decides): topic, size, device,
// gateway child, rate, payload syntax, timestamps and values against the
// device's thing model. A message is all or nothing: nothing of a refused
// message reaches the shadow or the sink.
//
// Thread-safe: MqttIngest calls Process from several threads at once.
#ifndef QILIAN_PLATFORM_INGEST_INGESTOR_H_
#define QILIAN_PLATFORM_INGEST_INGESTOR_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "nlohmann/json.hpp"
#include "platform/device/device_directory.h"
#include "platform/ingest/publisher.h"
#include "platform/ingest/rate_limiter.h"
#include "platform/ingest/topic.h"
#include "platform/shadow/shadow_store.h"

namespace qilian::platform {

// Refusal codes, the `code` of a refusal reply and the reason label of
// qilian_mqtt_refused_total.
enum class Refusal : uint8_t {
  kBadJson,
  kBadBatch,
  kTooLarge,
  kUnknownProperty,
  kUnknownEvent,
  kWrongType,
  kOutOfRange,
  kBadTimestamp,
  kUnknownDevice,
  kUnknownChild,
  kRateLimited,
  kUnknownTopic,
  kUnknownCall,  // a reply that matches no pending call (late, or never asked)
};
inline constexpr size_t kRefusalCount = 13;
std::string_view RefusalCode(Refusal refusal);

// [mqtt] options (docs/mqtt.md).
struct IngestOptions {
  size_t max_payload_bytes = 256 * 1024;
  absl::Duration max_clock_skew = absl::Minutes(5);
  double device_messages_per_second = 100;  // <= 0: no limit
  double device_burst = 200;
};

// Where accepted data goes besides the shadow: the time-series engine.
// Called after the shadow is updated, on the ingestion thread; the views in
// `points` (property indices into model.model().properties, text) are valid
// only during the call.
class PointSink {
 public:
  virtual ~PointSink() = default;
  virtual void WritePoints(const DeviceRef& device, const ModelIndex& model,
                           std::span<const ReportedPoint> points) = 0;
  virtual void WriteEvent(const DeviceRef& device, std::string_view event_id, int64_t time_ms,
                          const nlohmann::json& data) = 0;
};

class NullPointSink final : public PointSink {
 public:
  void WritePoints(const DeviceRef&, const ModelIndex&, std::span<const ReportedPoint>) override {}
  void WriteEvent(const DeviceRef&, std::string_view, int64_t, const nlohmann::json&) override {}
};

// What became of one message (for tests and the benchmark).
struct IngestResult {
  bool accepted = false;
  Refusal refusal = Refusal::kBadJson;  // when !accepted
  std::string message;                  // when !accepted: the reply's message
  size_t values = 0;                    // property values applied
};

class Ingestor {
 public:
  // All references must outlive the Ingestor. `metrics` gets
  // qilian_mqtt_received_total, qilian_mqtt_messages_total{kind} (accepted),
  // qilian_mqtt_values_total and qilian_mqtt_refused_total{reason};
  // received = the sum of messages and refused.
  Ingestor(const DeviceDirectory& directory, ShadowStore& shadow, Publisher& publisher,
           PointSink& sink, const Clock& clock, MetricsRegistry& metrics,
           IngestOptions options = {});
  ~Ingestor();
  Ingestor(const Ingestor&) = delete;
  Ingestor& operator=(const Ingestor&) = delete;

  IngestResult Process(std::string_view topic, std::string_view payload);

  const IngestOptions& options() const { return options_; }

  // The fields every JSON message may carry; `time_ms` defaults to now.
  struct Envelope {
    std::string_view message_id;
    int64_t time_ms = 0;
    bool ack = false;
  };

 private:
  struct Context;
  // Parses a JSON message and its envelope; the refusal if either is bad.
  std::optional<IngestResult> ParseMessage(Context& c, nlohmann::json* doc, Envelope* e);
  IngestResult Dispatch(Context& c);
  IngestResult Report(Context& c);
  IngestResult Batch(Context& c);
  IngestResult Event(Context& c);
  IngestResult Reply(Context& c, CallKind kind);
  IngestResult Refuse(Context& c, Refusal refusal, std::string message);
  IngestResult Accept(Context& c, size_t values, bool ack);
  // Publishes the reply to c's message: success, or the refusal.
  void SendReply(Context& c, const Refusal* refusal, std::string_view message);

  const DeviceDirectory& directory_;
  ShadowStore& shadow_;
  Publisher& publisher_;
  PointSink& sink_;
  const Clock& clock_;
  IngestOptions options_;
  DeviceRateLimiter limiter_;
  std::array<Counter*, kTopicKinds> messages_;
  std::array<Counter*, kRefusalCount> refused_;
  Counter* values_;
  Counter* received_;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_INGEST_INGESTOR_H_
