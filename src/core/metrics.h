// A small metrics registry served as Prometheus text at /metrics.
//
// Counters, gauges and histograms are created once (usually at start-up or
// on first use) and then updated lock-free on hot paths; the returned
// references stay valid for the registry's lifetime. A metric is identified
// by name plus labels; asking again returns the same object.
#ifndef QILIAN_CORE_METRICS_H_
#define QILIAN_CORE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qilian {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Fixed upper bounds (in the metric's unit, e.g. seconds), plus +Inf.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  std::vector<uint64_t> BucketCounts() const;  // cumulative, last is +Inf
  const std::vector<double>& bounds() const { return bounds_; }
  uint64_t count() const;
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};
};

class MetricsRegistry;
void RegisterProcessCollector(MetricsRegistry& registry);

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();

  Counter& GetCounter(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const MetricLabels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                          const MetricLabels& labels = {});

  // A callback run at each render to refresh gauges that are read, not
  // pushed (RSS, store memory).
  void AddCollector(std::function<void()> collector);

  // Prometheus text exposition format 0.0.4.
  std::string RenderPrometheus() const;

  // The process-wide registry.
  static MetricsRegistry& Default();

 private:
  friend void RegisterProcessCollector(MetricsRegistry& registry);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Default latency buckets in seconds (50 us to 10 s).
std::vector<double> LatencyBuckets();

// Registers gauges read from the kernel at each render:
// qilian_process_resident_memory_bytes (from /proc/self/statm) and
// qilian_process_start_time_seconds (Unix time). Idempotent per registry.
void RegisterProcessCollector(MetricsRegistry& registry);

namespace internal {
// Prometheus text helpers, exposed for tests.
std::string EscapeLabelValue(std::string_view v);
std::string FormatMetricValue(double v);
}  // namespace internal

}  // namespace qilian

#endif  // QILIAN_CORE_METRICS_H_
