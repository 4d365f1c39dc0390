#include "platform/telemetry/mqtt_sink.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/log.h"

namespace qilian::platform::telemetry {
namespace {

// The engine value of a reported value; false for none.
bool EngineValue(const ValueView& v, tsdb::PointValue* out) {
  switch (v.kind) {
    case ValueKind::kBool:
      *out = v.b;
      return true;
    case ValueKind::kInt:
      *out = v.i;
      return true;
    case ValueKind::kDouble:
      *out = v.d;
      return true;
    case ValueKind::kText:
    case ValueKind::kJson:
      *out = std::string(v.text);
      return true;
    case ValueKind::kNone:
      return false;
  }
  return false;
}

}  // namespace

MqttPointSink::MqttPointSink(tsdb::Engine* engine, MetricsRegistry& metrics,
                             MqttSinkOptions options)
    : engine_(engine),
      options_(options),
      written_(metrics.GetCounter("qilian_tsdb_points_total", "Time-series points by path and outcome",
                                  {{"path", "mqtt"}, {"outcome", "written"}})),
      refused_(metrics.GetCounter("qilian_tsdb_points_total", "Time-series points by path and outcome",
                                  {{"path", "mqtt"}, {"outcome", "refused"}})),
      dropped_(metrics.GetCounter("qilian_tsdb_points_total", "Time-series points by path and outcome",
                                  {{"path", "mqtt"}, {"outcome", "dropped"}})),
      flushes_ok_(metrics.GetCounter("qilian_tsdb_flushes_total",
                                     "Group writes of MQTT telemetry by outcome",
                                     {{"path", "mqtt"}, {"outcome", "ok"}})),
      flushes_failed_(metrics.GetCounter("qilian_tsdb_flushes_total",
                                         "Group writes of MQTT telemetry by outcome",
                                         {{"path", "mqtt"}, {"outcome", "failed"}})),
      flusher_([this] { Run(); }) {}

MqttPointSink::~MqttPointSink() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  flusher_.join();
}

std::shared_ptr<const tsdb::LabelSet> MqttPointSink::LabelsOf(const DeviceRef& device) {
  // Called under mu_.
  auto& labels = labels_by_product_[device.product_id];
  if (labels == nullptr) {
    labels = std::make_shared<const tsdb::LabelSet>(
        tsdb::LabelSet{{"product", device.product_id}});
  }
  return labels;
}

void MqttPointSink::WritePoints(const DeviceRef& device, const ModelIndex& model,
                                std::span<const ReportedPoint> points) {
  const auto& properties = model.model().properties;
  std::lock_guard lock(mu_);
  std::shared_ptr<const tsdb::LabelSet> labels = LabelsOf(device);
  for (const ReportedPoint& p : points) {
    Owned o{device.enterprise, device.device_id, properties[p.property].identifier, p.time_ms, {},
            labels};
    if (!EngineValue(p.value, &o.value)) continue;
    Add(std::move(o));
  }
}

void MqttPointSink::WriteEvent(const DeviceRef& device, std::string_view event_id, int64_t time_ms,
                               const nlohmann::json& data) {
  std::lock_guard lock(mu_);
  Add(Owned{device.enterprise, device.device_id, absl::StrCat("event:", std::string(event_id)), time_ms,
            data.dump(), LabelsOf(device)});
}

void MqttPointSink::Add(Owned point) {
  // Called under mu_.
  if (buffer_.size() >= options_.max_pending_points) {
    dropped_.Inc();
    return;
  }
  buffer_.push_back(std::move(point));
  if (buffer_.size() == options_.max_buffered_points) wake_.notify_one();
}

void MqttPointSink::Flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = enqueued_groups_ + (buffer_.empty() ? 0 : 1);
  flush_requested_ = true;
  wake_.notify_one();
  flushed_.wait(lock, [&] { return written_groups_ >= target; });
}

void MqttPointSink::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait_for(lock, options_.flush_interval, [&] {
      return stopping_ || flush_requested_ || buffer_.size() >= options_.max_buffered_points;
    });
    flush_requested_ = false;
    if (buffer_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::vector<Owned> group;
    group.swap(buffer_);
    ++enqueued_groups_;
    lock.unlock();
    WriteGroup(group);
    lock.lock();
    ++written_groups_;
    flushed_.notify_all();
  }
}

void MqttPointSink::WriteGroup(std::vector<Owned>& group) {
  auto inputs = [](std::span<Owned> owned) {
    std::vector<tsdb::PointInput> in;
    in.reserve(owned.size());
    for (const Owned& o : owned) {
      in.push_back({o.enterprise, o.device, o.property, o.time_ms, o.value, o.labels.get()});
    }
    return in;
  };
  absl::Status s = engine_->Write(inputs(group));
  if (s.ok()) {
    written_.Inc(group.size());
    flushes_ok_.Inc();
    return;
  }
  const bool refusal = s.code() == absl::StatusCode::kInvalidArgument ||
                       s.code() == absl::StatusCode::kFailedPrecondition ||
                       s.code() == absl::StatusCode::kResourceExhausted;
  if (!refusal) {
    flushes_failed_.Inc();
    dropped_.Inc(group.size());
    LogError("tsdb.mqtt_flush_failed",
             {{"points", group.size()}, {"error", std::string(s.message())}});
    return;
  }
  // One series refused the group (a property whose type changed with a new
  // thing model version, the series limit): write series by series so that
  // only the refused ones are lost, counted and logged.
  std::stable_sort(group.begin(), group.end(), [](const Owned& a, const Owned& b) {
    return std::tie(a.enterprise, a.device, a.property) <
           std::tie(b.enterprise, b.device, b.property);
  });
  size_t begin = 0;
  while (begin < group.size()) {
    size_t end = begin + 1;
    while (end < group.size() && group[end].enterprise == group[begin].enterprise &&
           group[end].device == group[begin].device &&
           group[end].property == group[begin].property) {
      ++end;
    }
    std::span<Owned> series(group.data() + begin, end - begin);
    if (absl::Status one = engine_->Write(inputs(series)); one.ok()) {
      written_.Inc(series.size());
    } else {
      refused_.Inc(series.size());
      LogWarn("tsdb.mqtt_points_refused", {{"enterprise", series[0].enterprise},
                                              {"device", series[0].device},
                                              {"property", series[0].property},
                                              {"points", series.size()},
                                              {"error", std::string(one.message())}});
    }
    begin = end;
  }
  flushes_ok_.Inc();
}

}  // namespace qilian::platform::telemetry
