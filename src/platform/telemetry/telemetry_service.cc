#include "platform/telemetry/telemetry_service.h"

#include <utility>

#include "absl/time/time.h"
#include "core/log.h"

namespace qilian::platform::telemetry {
namespace {

constexpr int64_t kDayMs = 86'400'000;

// The query layer's view of the engine.
class EngineSource final : public tsdb::SeriesSource {
 public:
  explicit EngineSource(const tsdb::Engine* engine) : engine_(engine) {}
  std::vector<tsdb::SeriesInfo> ListSeries(uint64_t enterprise) const override {
    return engine_->ListSeries(enterprise);
  }
  absl::StatusOr<std::vector<tsdb::Point>> ReadRange(tsdb::SeriesId id, int64_t from_ms,
                                                     int64_t to_ms, size_t limit) const override {
    return engine_->ReadRange(id, from_ms, to_ms, limit);
  }
  absl::StatusOr<tsdb::RollupRead> ReadRollups(tsdb::SeriesId id, tsdb::Resolution resolution,
                                               int64_t from_ms, int64_t to_ms) const override {
    return engine_->ReadRollups(id, resolution, from_ms, to_ms);
  }
  absl::StatusOr<tsdb::Point> Latest(tsdb::SeriesId id) const override {
    return engine_->Latest(id);
  }

 private:
  const tsdb::Engine* engine_;
};

std::string_view ProductOf(const tsdb::SeriesInfo& series) {
  for (const tsdb::Label& l : series.labels) {
    if (l.key == "product") return l.value;
  }
  return {};
}

}  // namespace

TelemetryService::TelemetryService(store::KvStore* kv, TelemetryOptions options,
                                   MetricsRegistry& metrics, const Clock& clock)
    : kv_(kv),
      options_(std::move(options)),
      clock_(clock),
      retention_(std::make_unique<RetentionPolicies>(kv, options_.default_retention_days)),
      http_points_(metrics.GetCounter("qilian_tsdb_points_total",
                                      "Time-series points by path and outcome",
                                      {{"path", "http"}, {"outcome", "written"}})),
      lines_refused_(metrics.GetCounter("qilian_tsdb_lines_refused_total",
                                        "Line-protocol lines refused (parse errors and lines "
                                        "the engine cannot store)")),
      retention_runs_(metrics.GetCounter("qilian_tsdb_retention_runs_total",
                                         "Retention passes by outcome", {{"outcome", "ok"}})),
      retention_failures_(metrics.GetCounter("qilian_tsdb_retention_runs_total",
                                             "Retention passes by outcome",
                                             {{"outcome", "failed"}})) {}

absl::StatusOr<std::unique_ptr<TelemetryService>> TelemetryService::Open(
    store::KvStore* kv, TelemetryOptions options, MetricsRegistry& metrics, const Clock& clock) {
  std::unique_ptr<TelemetryService> service(
      new TelemetryService(kv, std::move(options), metrics, clock));
  absl::StatusOr<std::unique_ptr<tsdb::Engine>> engine =
      tsdb::Engine::Open(kv, service->options_.engine);
  if (!engine.ok()) return engine.status();
  service->engine_ = *std::move(engine);
  if (absl::Status s = service->retention_->Load(); !s.ok()) return s;
  service->source_ = std::make_unique<EngineSource>(service->engine_.get());
  service->sink_ =
      std::make_unique<MqttPointSink>(service->engine_.get(), metrics, service->options_.mqtt);
  TelemetryService* raw = service.get();
  metrics.AddCollector([raw, &metrics] {
    tsdb::Engine::Stats stats = raw->engine_->GetStats();
    metrics.GetGauge("qilian_tsdb_head_points", "Points in memory, not yet sealed into blocks")
        .Set(static_cast<double>(stats.head_points));
    metrics.GetGauge("qilian_tsdb_blocks_written", "Blocks sealed or rewritten since start")
        .Set(static_cast<double>(stats.blocks_written));
    metrics.GetGauge("qilian_tsdb_engine_points_written",
                     "Points the engine accepted since start (every path)")
        .Set(static_cast<double>(stats.points_written));
  });
  service->retention_thread_ = std::thread([raw] { raw->RetentionLoop(); });
  return service;
}

TelemetryService::~TelemetryService() {
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
  }
  loop_wake_.notify_all();
  if (retention_thread_.joinable()) retention_thread_.join();
  sink_.reset();  // writes what it buffered while the engine is still open
}

absl::StatusOr<LineWriteOutcome> TelemetryService::WriteLines(uint64_t enterprise,
                                                              std::string_view body,
                                                              const lp::ParseOptions& options) {
  absl::StatusOr<LineWriteOutcome> outcome = telemetry::WriteLines(
      *engine_, enterprise, body, options, options_.engine.max_series_per_enterprise);
  if (outcome.ok()) {
    http_points_.Inc(outcome->points);
    lines_refused_.Inc(outcome->errors.size());
  }
  return outcome;
}

absl::Status TelemetryService::Compact() {
  sink_->Flush();
  if (absl::Status st = engine_->SealAll(); !st.ok()) return st;
  return kv_->Compact();
}

absl::Status TelemetryService::ApplyRetention() {
  const int64_t now_ms = absl::ToUnixMillis(clock_.Now());
  absl::StatusOr<tsdb::RetentionResult> result = engine_->ApplyRetention(
      [this, now_ms](const tsdb::SeriesInfo& series) -> std::optional<int64_t> {
        uint64_t days = retention_->DaysFor(series.enterprise, ProductOf(series));
        if (days == 0) return std::nullopt;
        return now_ms - static_cast<int64_t>(days) * kDayMs;
      });
  if (!result.ok()) {
    retention_failures_.Inc();
    return result.status();
  }
  retention_runs_.Inc();
  return absl::OkStatus();
}

void TelemetryService::RetentionLoop() {
  std::unique_lock lock(loop_mu_);
  while (!loop_wake_.wait_for(lock, options_.retention_interval, [this] { return stopping_; })) {
    lock.unlock();
    if (absl::Status s = ApplyRetention(); !s.ok()) {
      LogError("tsdb.retention_failed", {{"error", std::string(s.message())}});
    }
    lock.lock();
  }
}

}  // namespace qilian::platform::telemetry
