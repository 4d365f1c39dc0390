// Device telemetry in qiliand (docs/tsdb.md): the time-series engine on
// the node's store, the two ways in (MQTT reports through MqttPointSink,
// line protocol over HTTP through WriteLines), the read side the query
// layer uses (source()), and retention applied in the background.
#ifndef QILIAN_PLATFORM_TELEMETRY_TELEMETRY_SERVICE_H_
#define QILIAN_PLATFORM_TELEMETRY_TELEMETRY_SERVICE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "platform/telemetry/line_writer.h"
#include "platform/telemetry/mqtt_sink.h"
#include "platform/telemetry/retention_policy.h"
#include "platform/tsdb/engine/engine.h"
#include "platform/tsdb/query/query_limits.h"
#include "platform/tsdb/query/series_source.h"
#include "store/kv_store.h"

namespace qilian::platform::telemetry {

struct TelemetryOptions {
  tsdb::EngineOptions engine;
  MqttSinkOptions mqtt;
  uint64_t default_retention_days = 0;  // 0: forever
  std::chrono::seconds retention_interval{3600};
  tsdb::QueryLimits query;  // what the query routes allow
};

class TelemetryService {
 public:
  // `kv` must have tsdb::kTsdbSpace, tsdb::kTsdbWalSpace and kTelemetrySpace
  // and outlive the service. Opens the engine (replaying its WAL) and loads retention.
  static absl::StatusOr<std::unique_ptr<TelemetryService>> Open(store::KvStore* kv,
                                                                TelemetryOptions options,
                                                                MetricsRegistry& metrics,
                                                                const Clock& clock);
  // Writes what MQTT buffered and stops retention.
  ~TelemetryService();
  TelemetryService(const TelemetryService&) = delete;
  TelemetryService& operator=(const TelemetryService&) = delete;

  tsdb::Engine& engine() { return *engine_; }
  MqttPointSink& mqtt_sink() { return *sink_; }
  const tsdb::SeriesSource& source() const { return *source_; }
  RetentionPolicies& retention() { return *retention_; }
  const TelemetryOptions& options() const { return options_; }

  // Line protocol for `enterprise` (line_writer.h), counted in
  // qilian_tsdb_points_total{path="http"} and qilian_tsdb_lines_refused_total.
  absl::StatusOr<LineWriteOutcome> WriteLines(uint64_t enterprise, std::string_view body,
                                              const lp::ParseOptions& options);

  // Writes what MQTT buffered, seals every head (Engine::SealAll) and
  // compacts the store (KvStore::Compact), so that the bytes on disk are
  // what the data costs. Slow (seconds to minutes): for operators and
  // benchmarks (POST /api/telemetry/compact).
  absl::Status Compact();

  // Applies every enterprise's retention now (the background loop calls it
  // every retention_interval).
  absl::Status ApplyRetention();

 private:
  TelemetryService(store::KvStore* kv, TelemetryOptions options, MetricsRegistry& metrics,
                   const Clock& clock);
  void RetentionLoop();

  store::KvStore* kv_;
  TelemetryOptions options_;
  const Clock& clock_;
  std::unique_ptr<tsdb::Engine> engine_;
  std::unique_ptr<tsdb::SeriesSource> source_;
  std::unique_ptr<RetentionPolicies> retention_;
  std::unique_ptr<MqttPointSink> sink_;
  Counter& http_points_;
  Counter& lines_refused_;
  Counter& retention_runs_;
  Counter& retention_failures_;

  std::mutex loop_mu_;
  std::condition_variable loop_wake_;
  bool stopping_ = false;
  std::thread retention_thread_;
};

}  // namespace qilian::platform::telemetry

#endif  // QILIAN_PLATFORM_TELEMETRY_TELEMETRY_SERVICE_H_
