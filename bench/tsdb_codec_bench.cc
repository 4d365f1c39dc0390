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
//
// With --day FILE it reads instead a generated day in line protocol
// (bench/tsdb/gen_industrial_day), cuts each series into blocks of --block
// points (7200: the engine's 2 h heads at 1 s), encodes them as the engine
// seals them (zstd at --zstd-level) and prints bytes per point, overall and
// by value kind, and the encode time per point:
//   build/bench/gen_industrial_day --devices 72 --seconds 14400 --seed 1 --out day.lp
//   build/bench/tsdb_codec_bench --day day.lp [--block 7200] [--zstd-level 3]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <string_view>
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

// ---- --day: a generated day in line protocol, per series ----

struct Series {
  ValueKind kind = ValueKind::kFloat;
  std::vector<int64_t> ts;
  std::vector<double> f;
  std::vector<int64_t> i;
  std::vector<bool> b;
};

int RunDay(const char* path, size_t block, int level) {
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", path);
    return 1;
  }
  std::map<std::string, Series> series;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view l(line);
    const size_t sp1 = l.find(' ');
    const size_t sp2 = l.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 <= sp1) continue;
    const std::string_view key = l.substr(0, sp1);
    const std::string_view fields = l.substr(sp1 + 1, sp2 - sp1 - 1);
    const int64_t ts = std::strtoll(line.c_str() + sp2 + 1, nullptr, 10);
    size_t at = 0;
    while (at < fields.size()) {
      size_t end = fields.find(',', at);
      if (end == std::string_view::npos) end = fields.size();
      const std::string_view kv = fields.substr(at, end - at);
      at = end + 1;
      const size_t eq = kv.find('=');
      std::string name(key);
      name.push_back(' ');
      name.append(kv.substr(0, eq));
      const std::string v(kv.substr(eq + 1));
      Series& s = series[name];
      s.ts.push_back(ts);
      if (v == "true" || v == "false") {
        s.kind = ValueKind::kBool;
        s.b.push_back(v == "true");
      } else if (v.back() == 'i') {
        s.kind = ValueKind::kInt;
        s.i.push_back(std::strtoll(v.c_str(), nullptr, 10));
      } else {
        s.kind = ValueKind::kFloat;
        s.f.push_back(std::strtod(v.c_str(), nullptr));
      }
    }
  }
  EncodeOptions o;
  o.zstd_level = level;
  size_t points[5] = {}, bytes[5] = {}, blocks = 0;
  std::chrono::nanoseconds spent{0};
  for (const auto& [name, s] : series) {
    for (size_t at = 0; at < s.ts.size(); at += block) {
      const size_t n = std::min(block, s.ts.size() - at);
      const std::span<const int64_t> ts(s.ts.data() + at, n);
      const std::vector<bool> part =
          s.kind == ValueKind::kBool
              ? std::vector<bool>(s.b.begin() + at, s.b.begin() + at + n)
              : std::vector<bool>();
      const auto t0 = std::chrono::steady_clock::now();
      absl::StatusOr<std::string> b;
      switch (s.kind) {
        case ValueKind::kFloat:
          b = EncodeBlock(s.kind, ts, std::span<const double>(s.f.data() + at, n), o);
          break;
        case ValueKind::kInt:
          b = EncodeBlock(s.kind, ts, std::span<const int64_t>(s.i.data() + at, n), o);
          break;
        default:
          b = EncodeBlock(s.kind, ts, std::cref(part), o);
          break;
      }
      spent += std::chrono::steady_clock::now() - t0;
      if (!b.ok()) {
        std::fprintf(stderr, "%s: %s\n", name.c_str(), std::string(b.status().message()).c_str());
        return 1;
      }
      const int k = static_cast<int>(s.kind);
      points[k] += n;
      bytes[k] += b->size();
      points[0] += n;
      bytes[0] += b->size();
      ++blocks;
    }
  }
  std::printf("%zu series, %zu blocks of up to %zu points, zstd level %d\n", series.size(),
              blocks, block, level);
  const char* names[] = {"all", "float", "int", "bool", "text"};
  for (int k = 0; k < 5; ++k) {
    if (points[k] == 0) continue;
    std::printf("%-6s %10zu points %11zu bytes %.4f B/point\n", names[k], points[k], bytes[k],
                static_cast<double>(bytes[k]) / points[k]);
  }
  std::printf("encode %.1f ns/point (one core)\n",
              static_cast<double>(spent.count()) / points[0]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* day = nullptr;
  size_t block = 7200;
  int level = 3;
  for (int a = 1; a + 1 < argc; ++a) {
    if (std::strcmp(argv[a], "--day") == 0) day = argv[a + 1];
    if (std::strcmp(argv[a], "--block") == 0) block = std::strtoul(argv[a + 1], nullptr, 10);
    if (std::strcmp(argv[a], "--zstd-level") == 0) level = std::atoi(argv[a + 1]);
  }
  if (day != nullptr) return RunDay(day, block, level);
  Register();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
