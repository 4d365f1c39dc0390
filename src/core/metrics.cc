#include "core/metrics.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace qilian {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  // Two's-complement wrap-around makes negative observations subtract.
  sum_micros_.fetch_add(static_cast<uint64_t>(std::llround(v * 1e6)), std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

uint64_t Histogram::count() const { return count_.load(std::memory_order_relaxed); }

double Histogram::sum() const {
  return static_cast<double>(static_cast<int64_t>(sum_micros_.load(std::memory_order_relaxed))) /
         1e6;
}

namespace internal {

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\': out.append("\\\\"); break;
      case '"': out.append("\\\""); break;
      case '\n': out.append("\\n"); break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string FormatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

}  // namespace internal

namespace {

enum class MetricType { kCounter, kGauge, kHistogram };

const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// `{a="1",b="2"}`, with `extra` (e.g. le) appended last; empty if no labels.
std::string LabelText(const MetricLabels& labels, std::string_view extra_name = {},
                      std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!first) out.push_back(',');
    first = false;
    absl::StrAppend(&out, std::string(k), "=\"", internal::EscapeLabelValue(v), "\"");
  };
  for (const auto& [k, v] : labels) add(k, v);
  if (!extra_name.empty()) add(extra_name, extra_value);
  out.push_back('}');
  return out;
}

struct Family {
  std::string help;
  MetricType type;
  // Sorted by labels so the rendering is deterministic.
  std::map<MetricLabels, std::unique_ptr<Counter>> counters;
  std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
  std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;
};

}  // namespace

struct MetricsRegistry::Impl {
  // Lookups of existing metrics (every request) take the lock shared;
  // only the first use of a name and label set takes it exclusively.
  mutable std::shared_mutex mu;
  std::map<std::string, Family, std::less<>> families;
  std::vector<std::function<void()>> collectors;
  bool process_collector = false;

  Family& GetFamily(std::string_view name, std::string_view help, MetricType type) {
    auto it = families.find(name);
    if (it == families.end()) {
      it = families.emplace(std::string(name), Family{std::string(help), type, {}, {}, {}}).first;
    } else if (it->second.type != type) {
      // Reusing a name with another type is a programming error that would
      // produce an invalid exposition; fail loudly at start-up.
      std::fprintf(stderr, "metric '%.*s' registered as %s and %s\n",
                   static_cast<int>(name.size()), name.data(), TypeName(it->second.type),
                   TypeName(type));
      std::abort();
    }
    return it->second;
  }
};

MetricsRegistry::MetricsRegistry() : impl_(std::make_unique<Impl>()) {}
MetricsRegistry::~MetricsRegistry() = default;

namespace {

// The metric of `family_member` (Family::counters etc.) with `labels` if it
// exists, found under a shared lock; nullptr otherwise.
template <typename T, typename Member>
T* FindExisting(const std::map<std::string, Family, std::less<>>& families,
                std::string_view name, MetricType type, Member family_member,
                const MetricLabels& labels) {
  auto family = families.find(name);
  if (family == families.end() || family->second.type != type) return nullptr;
  const auto& metrics = family->second.*family_member;
  auto it = metrics.find(labels);
  return it == metrics.end() ? nullptr : it->second.get();
}

}  // namespace

Counter& MetricsRegistry::GetCounter(std::string_view name, std::string_view help,
                                     const MetricLabels& labels) {
  {
    std::shared_lock lock(impl_->mu);
    if (auto* c = FindExisting<Counter>(impl_->families, name, MetricType::kCounter,
                                        &Family::counters, labels)) {
      return *c;
    }
  }
  std::unique_lock lock(impl_->mu);
  auto& slot = impl_->GetFamily(name, help, MetricType::kCounter).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::GetGauge(std::string_view name, std::string_view help,
                                 const MetricLabels& labels) {
  {
    std::shared_lock lock(impl_->mu);
    if (auto* g = FindExisting<Gauge>(impl_->families, name, MetricType::kGauge,
                                      &Family::gauges, labels)) {
      return *g;
    }
  }
  std::unique_lock lock(impl_->mu);
  auto& slot = impl_->GetFamily(name, help, MetricType::kGauge).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(std::string_view name, std::string_view help,
                                         std::vector<double> bounds, const MetricLabels& labels) {
  {
    std::shared_lock lock(impl_->mu);
    if (auto* h = FindExisting<Histogram>(impl_->families, name, MetricType::kHistogram,
                                          &Family::histograms, labels)) {
      return *h;
    }
  }
  std::unique_lock lock(impl_->mu);
  auto& slot = impl_->GetFamily(name, help, MetricType::kHistogram).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

void MetricsRegistry::AddCollector(std::function<void()> collector) {
  std::unique_lock lock(impl_->mu);
  impl_->collectors.push_back(std::move(collector));
}

std::string MetricsRegistry::RenderPrometheus() const {
  // Collectors update gauges through this registry, so they run unlocked.
  std::vector<std::function<void()>> collectors;
  {
    std::unique_lock lock(impl_->mu);
    collectors = impl_->collectors;
  }
  for (const auto& c : collectors) c();

  std::shared_lock lock(impl_->mu);
  std::string out;
  for (const auto& [name, f] : impl_->families) {
    absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(f.help), "\n");
    absl::StrAppend(&out, "# TYPE ", name, " ", TypeName(f.type), "\n");
    for (const auto& [labels, c] : f.counters) {
      absl::StrAppend(&out, name, LabelText(labels), " ", c->value(), "\n");
    }
    for (const auto& [labels, g] : f.gauges) {
      absl::StrAppend(&out, name, LabelText(labels), " ", g->value(), "\n");
    }
    for (const auto& [labels, h] : f.histograms) {
      std::vector<uint64_t> counts = h->BucketCounts();
      const auto& bounds = h->bounds();
      for (size_t i = 0; i < counts.size(); ++i) {
        std::string le = i < bounds.size() ? internal::FormatMetricValue(bounds[i]) : "+Inf";
        absl::StrAppend(&out, name, "_bucket", LabelText(labels, "le", le), " ", counts[i], "\n");
      }
      absl::StrAppend(&out, name, "_sum", LabelText(labels), " ",
                      internal::FormatMetricValue(h->sum()), "\n");
      // The +Inf bucket rather than count(): the two are updated separately
      // and a scrape must see _count equal to the +Inf bucket.
      absl::StrAppend(&out, name, "_count", LabelText(labels), " ", counts.back(), "\n");
    }
  }
  return out;
}

MetricsRegistry& MetricsRegistry::Default() {
  static MetricsRegistry* registry = new MetricsRegistry();
  return *registry;
}

std::vector<double> LatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

namespace {

int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return static_cast<int64_t>(resident_pages) * sysconf(_SC_PAGESIZE);
}

// Process start from /proc: boot time plus the start tick in /proc/self/stat.
int64_t ProcessStartSeconds() {
  int64_t now = absl::ToUnixSeconds(absl::Now());
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // The command name may contain spaces; fields resume after its ')'.
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return now;
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  // After ')' the first field is #3 (state); starttime is #22.
  for (int i = 3; i < 22; ++i) fields >> field;
  uint64_t start_ticks = 0;
  if (!(fields >> start_ticks)) return now;
  std::ifstream proc_stat("/proc/stat");
  std::string line;
  while (std::getline(proc_stat, line)) {
    if (line.rfind("btime ", 0) == 0) {
      int64_t btime = std::atoll(line.c_str() + 6);
      long hz = sysconf(_SC_CLK_TCK);
      if (hz <= 0) return now;
      return btime + static_cast<int64_t>(start_ticks / static_cast<uint64_t>(hz));
    }
  }
  return now;
}

}  // namespace

void RegisterProcessCollector(MetricsRegistry& registry) {
  {
    std::unique_lock lock(registry.impl_->mu);
    if (registry.impl_->process_collector) return;
    registry.impl_->process_collector = true;
  }
  Gauge& rss = registry.GetGauge("qilian_process_resident_memory_bytes",
                                 "Resident set size of the process in bytes.");
  Gauge& start = registry.GetGauge("qilian_process_start_time_seconds",
                                   "Start time of the process since the Unix epoch in seconds.");
  start.Set(ProcessStartSeconds());
  registry.AddCollector([&rss] { rss.Set(ResidentBytes()); });
}

}  // namespace qilian
