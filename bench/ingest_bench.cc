// Issue 10: Ingestor throughput in property values per second, for JSON
// reports (10 values each) and binary batches (100 samples each), over 1,000
// devices, with the shadow applied and a null point sink. No broker: this
// is the platform's own cost per value, which must stay well under the
// broker's (docs/mqtt.md, docs/benchmarks.md).
//   build/bench/ingest_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "nlohmann/json.hpp"
#include "platform/ingest/batch_payload.h"
#include "platform/ingest/ingestor.h"
#include "platform/shadow/shadow_testing.h"

namespace {

using namespace qilian;
using namespace qilian::platform;

constexpr int kDevices = 1000;

struct World {
  testing::FakeDirectory directory;
  testing::RecordingPublisher publisher;
  NullPointSink sink;
  MetricsRegistry metrics;
  ShadowStore shadow{directory, publisher, nullptr, Clock::Real()};
  Ingestor ingestor{directory, shadow, publisher, sink, Clock::Real(), metrics, Options()};
  std::vector<std::string> report_topics, batch_topics, reports, batches;

  static IngestOptions Options() {
    IngestOptions o;
    o.device_messages_per_second = 0;  // measured here: the checks, not the limit
    return o;
  }

  World() {
    const int64_t now = absl::ToUnixMillis(absl::Now());
    for (int d = 0; d < kDevices; ++d) {
      std::string id = "pump-" + std::to_string(d);
      directory.Add(7, id);
      report_topics.push_back("/PK000000001/" + id + "/properties/report");
      batch_topics.push_back("/PK000000001/" + id + "/properties/report/batch");
    }
    // Ten values of the kinds plants send most: numbers, flags, modes.
    for (int i = 0; i < 64; ++i) {
      nlohmann::json r = {{"messageId", "m-" + std::to_string(i)},
                          {"timestamp", now - 1000 + i},
                          {"properties",
                           {{"flow", 200.5 + i},
                            {"pressure", 0.62},
                            {"running", i % 2 == 0},
                            {"speed", 1500 + 10 * i},
                            {"count", 1000 + i},
                            {"mode", i % 3},
                            {"label", "east"},
                            {"since", now - 3600000},
                            {"where", {{"lon", 116.4}, {"lat", 39.9}}},
                            {"temps", {20.5, 21.0}}}}};
      reports.push_back(r.dump());
      Batch b;
      b.base_time_ms = now - 10000;
      b.properties = {"flow", "pressure", "running", "speed"};
      for (int s = 0; s < 100; ++s) {
        BatchSample sample{static_cast<uint32_t>(s % 4), b.base_time_ms + s, 200.5 + s};
        if (s % 4 == 1) sample.value = 0.5f;
        if (s % 4 == 2) sample.value = s % 8 == 2;
        if (s % 4 == 3) sample.value = int64_t{10 * s};
        b.samples.push_back(sample);
      }
      batches.push_back(*EncodeBatch(b));
    }
  }
};

World& TheWorld() {
  static World* world = new World();
  return *world;
}

void Run(benchmark::State& state, const std::vector<std::string>& topics,
         const std::vector<std::string>& payloads) {
  World& w = TheWorld();
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  int64_t values = 0;
  for (auto _ : state) {
    IngestResult r = w.ingestor.Process(topics[i % kDevices], payloads[i % payloads.size()]);
    if (!r.accepted) state.SkipWithError(r.message.c_str());
    values += static_cast<int64_t>(r.values);
    ++i;
  }
  state.SetItemsProcessed(values);
  state.counters["values/s"] =
      benchmark::Counter(static_cast<double>(values), benchmark::Counter::kIsRate);
}

void BM_JsonReport10(benchmark::State& state) {
  Run(state, TheWorld().report_topics, TheWorld().reports);
}
void BM_Batch100(benchmark::State& state) {
  Run(state, TheWorld().batch_topics, TheWorld().batches);
}

BENCHMARK(BM_JsonReport10)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Batch100)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
