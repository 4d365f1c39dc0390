// Issue 11: the time-series engine's write path (docs/tsdb.md, "Engine"):
// points/s through Engine::Write in calls of 10,000 points over 1,000
// series (10 consecutive seconds of each), on the memory store and on
// RocksDB in a temporary directory with synced writes; and bytes per point
// in the store after sealing (block bytes / sealed points).
//
//   build/bench/tsdb_engine_bench --benchmark_min_time=3
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "platform/tsdb/engine/engine.h"
#include "store/memory_store.h"
#include "store/rocksdb_store.h"

namespace {

using qilian::platform::tsdb::Engine;
using qilian::platform::tsdb::kTsdbSpace;
using qilian::platform::tsdb::kTsdbWalSpace;
using qilian::platform::tsdb::PointInput;

constexpr int kSeries = 1000;
constexpr int kPerSeries = 10;  // points per series per call: 10,000 a call

// The simulator's kinds of signal: slow drifts with noise (2 decimals),
// counters, steps, on/off.
struct Load {
  std::vector<std::string> devices;
  int64_t second = 0;
  uint64_t rng = 88172645463325252ull;

  Load() {
    for (int d = 0; d < kSeries / 4; ++d) devices.push_back("dev-" + std::to_string(d));
  }
  double Noise() {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return static_cast<double>(rng % 1000) / 1000.0 - 0.5;
  }
  void Next(std::vector<PointInput>* out) {
    out->clear();
    for (int d = 0; d < kSeries / 4; ++d) {
      for (int k = 0; k < kPerSeries; ++k) {
        int64_t s = second + k;
        int64_t t = 1'700'000'000'000 + s * 1000;
        double drift = 50.0 + 10.0 * std::sin(static_cast<double>(s + d * 97) / 3600.0);
        out->push_back(
            {1, devices[d], "temperature", t, std::round((drift + Noise() * 0.2) * 100.0) / 100.0});
        out->push_back({1, devices[d], "energy", t, int64_t{s * 3 + d}});
        out->push_back({1, devices[d], "setpoint", t, ((s / 600) % 2) ? 60.0 : 55.0});
        out->push_back({1, devices[d], "running", t, (s / 900 + d) % 5 != 0});
      }
    }
    second += kPerSeries;
  }
};

void Run(benchmark::State& state, qilian::store::KvStore* store) {
  auto engine = Engine::Open(store);
  if (!engine.ok()) {
    state.SkipWithError(std::string(engine.status().message()).c_str());
    return;
  }
  Load load;
  std::vector<PointInput> batch;
  int64_t points = 0;
  for (auto _ : state) {
    state.PauseTiming();
    load.Next(&batch);
    state.ResumeTiming();
    absl::Status st = (*engine)->Write(batch);
    if (!st.ok()) {
      state.SkipWithError(std::string(st.message()).c_str());
      return;
    }
    points += static_cast<int64_t>(batch.size());
  }
  state.SetItemsProcessed(points);
  // Bytes per sealed point: every block's bytes over the points they hold.
  uint64_t block_bytes = 0;
  uint64_t sealed = static_cast<uint64_t>(points) - (*engine)->GetStats().head_points;
  (void)store->Scan(kTsdbSpace, "blk/", "", [&](std::string_view, std::string_view v) {
    block_bytes += v.size();
    return true;
  });
  state.counters["sealed_points"] = static_cast<double>(sealed);
  state.counters["bytes_per_point"] =
      sealed == 0 ? 0.0 : static_cast<double>(block_bytes) / static_cast<double>(sealed);
}

void BM_WriteMemoryStore(benchmark::State& state) {
  auto store = qilian::store::NewMemoryStore(
      {.spaces = {std::string(kTsdbSpace), std::string(kTsdbWalSpace)}});
  Run(state, store.get());
}
BENCHMARK(BM_WriteMemoryStore)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_WriteRocksDb(benchmark::State& state) {
  char dir[] = "/tmp/tsdb_engine_bench.XXXXXX";
  if (mkdtemp(dir) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  {
    qilian::store::RocksDbOptions options;
    options.path = dir;
    options.spaces = {std::string(kTsdbSpace), std::string(kTsdbWalSpace)};
    options.uncompressed_spaces = {std::string(kTsdbWalSpace)};
    auto store = qilian::store::OpenRocksDbStore(options);
    if (!store.ok()) {
      state.SkipWithError(std::string(store.status().message()).c_str());
    } else {
      Run(state, store->get());
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_WriteRocksDb)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
