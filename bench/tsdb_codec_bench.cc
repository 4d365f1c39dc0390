// Issue 11: the time-series block codec (docs/tsdb.md, "Block format") on a
// synthetic industrial day: 86,400 points at 1 s with a few milliseconds of
// jitter, cut into blocks of kMaxPointsPerBlock, for a pump's pressure (a
// daily cycle, a slow drift, operator steps and noise, sent with 2
// decimals), the same values as Gorilla XOR only, a full-precision float, a
// running-seconds counter, a running flag and a state enum (as text and as
// integer codes), and two of them again stamped exactly on the second.
// Reports bytes per point (timestamps included, headers and
// checksums included) and encode/decode points per second.
//   build/bench/tsdb_codec_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "platform/tsdb/codec/block.h"

namespace {

using namespace qilian::platform::tsdb;

constexpr int kPoints = 86'400;
constexpr int64_t kStartMs = 1'796'083'200'000;  // 2026-12-01T00:00:00Z
constexpr double kPi = 3.14159265358979323846;

struct Day {
  std::vector<int64_t> ts;
  std::vector<int64_t> exact_ts;  // the same day stamped exactly on the second
  std::vector<double> pressure;    // bar, 2 decimals
  std::vector<double> vibration;   // mm/s, full precision (a computed RMS)
  std::vector<int64_t> run_seconds;
  std::vector<bool> running;
  std::vector<std::string> state;  // Running / Idle / Fault / Maintenance
  std::vector<int64_t> state_code;

  Day() {
    std::mt19937_64 rng(20261201);
    std::normal_distribution<double> noise(0, 1);
    std::uniform_int_distribution<int> jitter(-3, 3);
    double drift = 0, setpoint = 4.0;
    bool run = true;
    int64_t run_s = 3'600'000;
    int code = 0;
    const char* names[] = {"Running", "Idle", "Fault", "Maintenance"};
    for (int i = 0; i < kPoints; ++i) {
      ts.push_back(kStartMs + int64_t{i} * 1000 + jitter(rng));
      exact_ts.push_back(kStartMs + int64_t{i} * 1000);
      if (i % 5400 == 0) setpoint = 3.5 + (rng() % 11) / 10.0;  // operator step every 1.5 h
      drift += noise(rng) * 0.0005;
      const double day = std::sin(2 * kPi * i / 86'400.0);
      double p = run ? setpoint + 0.3 * day + drift + noise(rng) * 0.02 : 0.0;
      pressure.push_back(std::round(p * 100) / 100);
      vibration.push_back(run ? 2.2 + 0.4 * day + std::fabs(noise(rng)) * 0.3 : 0.01 * std::fabs(noise(rng)));
      // The pump stops now and then (about 8 times a day, for 5 to 60 min).
      if (run && rng() % 10'000 == 0) {
        run = false;
        code = rng() % 4 == 0 ? 2 : 1;
      } else if (!run && rng() % 1'500 == 0) {
        run = true;
        code = 0;
      }
      if (i == 50'000) code = 3;
      if (i == 52'000) code = run ? 0 : 1;
      if (run) ++run_s;
      run_seconds.push_back(run_s);
      running.push_back(run);
      state.push_back(names[code]);
      state_code.push_back(code);
    }
  }
};

const Day& TheDay() {
  static const Day* day = new Day();
  return *day;
}

template <typename T>
std::vector<std::string> EncodeDay(ValueKind kind, const std::vector<T>& values,
                                   const EncodeOptions& options, bool exact) {
  const std::vector<int64_t>& stamps = exact ? TheDay().exact_ts : TheDay().ts;
  std::vector<std::string> blocks;
  for (size_t at = 0; at < stamps.size(); at += kMaxPointsPerBlock) {
    const size_t n = std::min(kMaxPointsPerBlock, stamps.size() - at);
    const std::span<const int64_t> ts(stamps.data() + at, n);
    absl::StatusOr<std::string> b;
    if constexpr (std::is_same_v<T, bool>) {
      const std::vector<bool> part(values.begin() + at, values.begin() + at + n);  // no span
      b = EncodeBlock(kind, ts, std::cref(part), options);
    } else {
      b = EncodeBlock(kind, ts, std::span<const T>(values.data() + at, n), options);
    }
    if (!b.ok()) {
      std::fprintf(stderr, "%s\n", std::string(b.status().message()).c_str());
      std::abort();
    }
    blocks.push_back(std::move(*b));
  }
  return blocks;
}

size_t TotalBytes(const std::vector<std::string>& blocks) {
  size_t n = 0;
  for (const auto& b : blocks) n += b.size();
  return n;
}

template <typename T>
void Encode(benchmark::State& state, ValueKind kind, const std::vector<T>* values,
            EncodeOptions options, bool exact) {
  size_t bytes = 0;
  for (auto _ : state) {
    auto blocks = EncodeDay(kind, *values, options, exact);
    bytes = TotalBytes(blocks);
    benchmark::DoNotOptimize(blocks);
  }
  state.SetItemsProcessed(state.iterations() * kPoints);
  state.counters["B/point"] = static_cast<double>(bytes) / kPoints;
}

template <typename T>
void Decode(benchmark::State& state, ValueKind kind, const std::vector<T>* values,
            EncodeOptions options, bool exact) {
  const auto blocks = EncodeDay(kind, *values, options, exact);
  for (auto _ : state) {
    for (const auto& b : blocks) {
      auto block = DecodeBlock(b);
      if (!block.ok()) std::abort();
      benchmark::DoNotOptimize(block);
    }
  }
  state.SetItemsProcessed(state.iterations() * kPoints);
  state.counters["B/point"] = static_cast<double>(TotalBytes(blocks)) / kPoints;
}

EncodeOptions Options(bool decimal, bool zstd) {
  EncodeOptions o;
  o.allow_decimal = decimal;
  o.allow_zstd = zstd;
  return o;
}

void Register() {
  const Day& d = TheDay();
  auto add = [](const std::string& name, auto* values, ValueKind kind, EncodeOptions o,
                bool exact = false) {
    benchmark::RegisterBenchmark(("encode/" + name).c_str(),
                                 [=](benchmark::State& s) { Encode(s, kind, values, o, exact); })
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("decode/" + name).c_str(),
                                 [=](benchmark::State& s) { Decode(s, kind, values, o, exact); })
        ->Unit(benchmark::kMillisecond);
  };
  for (bool zstd : {false, true}) {
    const std::string z = zstd ? "+zstd" : "";
    add("pump_pressure_2dp" + z, &d.pressure, ValueKind::kFloat, Options(true, zstd));
    add("pump_pressure_gorilla_only" + z, &d.pressure, ValueKind::kFloat, Options(false, zstd));
    add("vibration_full_precision" + z, &d.vibration, ValueKind::kFloat, Options(true, zstd));
    add("run_seconds_counter" + z, &d.run_seconds, ValueKind::kInt, Options(true, zstd));
    add("running_bool" + z, &d.running, ValueKind::kBool, Options(true, zstd));
    add("state_enum_text" + z, &d.state, ValueKind::kText, Options(true, zstd));
    add("state_enum_codes" + z, &d.state_code, ValueKind::kInt, Options(true, zstd));
    add("running_bool_exact_stamps" + z, &d.running, ValueKind::kBool, Options(true, zstd), true);
    add("pump_pressure_2dp_exact_stamps" + z, &d.pressure, ValueKind::kFloat, Options(true, zstd),
        true);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Register();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
