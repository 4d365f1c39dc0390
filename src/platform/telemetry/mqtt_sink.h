// The MQTT path into the time-series engine (docs/tsdb.md, "Writing"):
// the Ingestor hands each accepted report to this PointSink on an ingestion
// thread; the points are copied into a buffer and written by one flusher
// thread in groups, every `flush_interval` or sooner when the buffer fills.
//
// Why a buffer: a device message is a few values, and one engine call per
// message would cost a synced store write each (thousands of fsyncs a
// second). The group costs one. The price: a device's reply is sent when
// its message is accepted, and its points are durable within
// flush_interval of it (default 100 ms; [tsdb] mqtt_flush_ms). HTTP writes
// are durable when answered.
//
// Series: (device's enterprise, device id, property id), labelled with the
// device's product; an event is the text series "event:<id>" holding its
// output parameters as JSON.
#ifndef QILIAN_PLATFORM_TELEMETRY_MQTT_SINK_H_
#define QILIAN_PLATFORM_TELEMETRY_MQTT_SINK_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "platform/ingest/ingestor.h"
#include "platform/tsdb/engine/engine.h"

namespace qilian::platform::telemetry {

struct MqttSinkOptions {
  std::chrono::milliseconds flush_interval{100};
  // A group is written as soon as this many points wait.
  size_t max_buffered_points = 100'000;
  // Past this many waiting points (the engine cannot keep up), new points
  // are dropped and counted rather than growing memory without bound.
  size_t max_pending_points = 2'000'000;
};

class MqttPointSink final : public PointSink {
 public:
  // `engine` must outlive the sink. Counters: qilian_tsdb_points_total
  // {path="mqtt",outcome="written"|"refused"|"dropped"} and
  // qilian_tsdb_flushes_total{path="mqtt",outcome="ok"|"failed"}.
  MqttPointSink(tsdb::Engine* engine, MetricsRegistry& metrics, MqttSinkOptions options = {});
  // Writes what is buffered, then stops the flusher.
  ~MqttPointSink() override;
  MqttPointSink(const MqttPointSink&) = delete;
  MqttPointSink& operator=(const MqttPointSink&) = delete;

  void WritePoints(const DeviceRef& device, const ModelIndex& model,
                   std::span<const ReportedPoint> points) override;
  void WriteEvent(const DeviceRef& device, std::string_view event_id, int64_t time_ms,
                  const nlohmann::json& data) override;

  // Writes everything buffered before the call; returns once it is durable
  // (or failed and was counted). For tests and shutdown.
  void Flush();

 private:
  // A buffered point that owns its strings.
  struct Owned {
    uint64_t enterprise;
    std::string device, property;
    int64_t time_ms;
    tsdb::PointValue value;
    std::shared_ptr<const tsdb::LabelSet> labels;
  };

  void Add(Owned point);
  void Run();
  void WriteGroup(std::vector<Owned>& group);
  std::shared_ptr<const tsdb::LabelSet> LabelsOf(const DeviceRef& device);

  tsdb::Engine* engine_;
  MqttSinkOptions options_;
  Counter& written_;
  Counter& refused_;
  Counter& dropped_;
  Counter& flushes_ok_;
  Counter& flushes_failed_;

  std::mutex mu_;
  std::condition_variable wake_;     // the flusher: a full buffer, Flush, stop
  std::condition_variable flushed_;  // Flush callers: a group was written
  std::vector<Owned> buffer_;
  uint64_t enqueued_groups_ = 0;  // buffers handed to the flusher
  uint64_t written_groups_ = 0;   // of them, written (or failed)
  bool flush_requested_ = false;
  bool stopping_ = false;
  // Label sets by product, shared by the points of its devices.
  std::unordered_map<std::string, std::shared_ptr<const tsdb::LabelSet>> labels_by_product_;
  std::thread flusher_;
};

}  // namespace qilian::platform::telemetry

#endif  // QILIAN_PLATFORM_TELEMETRY_MQTT_SINK_H_
