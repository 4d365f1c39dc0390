// Issue 11: ParseLines throughput on Telegraf-like lines (a measurement, 3
// tags, N fields of floats, integers and a boolean, nanosecond stamps), one
// core, in lines/s (items) and bytes/s; plain bodies through a sink (the
// engine's path), into a vector of points, and gzip bodies inflated first.
//   build/bench/line_protocol_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "platform/tsdb/line_protocol/body.h"
#include "platform/tsdb/line_protocol/line_protocol.h"

namespace {

using namespace qilian::platform::lp;

constexpr int kLinesPerBody = 5000;  // Telegraf's default batch is 1000 metrics

// One body of Telegraf-shaped lines with `fields` fields each.
std::string TelegrafBody(int fields) {
  std::string body;
  char buf[64];
  int64_t t = 1765094400000000000;
  for (int i = 0; i < kLinesPerBody; ++i) {
    body += "plc_metrics,gateway=gw-0";
    body += std::to_string(i % 7);
    body += ",line=press-";
    body += std::to_string(i % 40);
    body += ",site=plant\\ north ";
    for (int f = 0; f < fields; ++f) {
      if (f) body += ',';
      if (f % 5 == 3) {
        std::snprintf(buf, sizeof buf, "count_%d=%di", f, 100000 + i * 3 + f);
      } else if (f % 5 == 4) {
        std::snprintf(buf, sizeof buf, "running_%d=%s", f, (i + f) % 3 ? "true" : "false");
      } else {
        std::snprintf(buf, sizeof buf, "value_%d=%.4f", f, 20.0 + 0.37 * ((i * 7 + f * 13) % 997));
      }
      body += buf;
    }
    body += ' ';
    body += std::to_string(t + i * 1000000000LL);
    body += '\n';
  }
  return body;
}

class CountingSink : public LineSink {
 public:
  void OnPoint(const Point& p) override { fields += p.fields.size(); }
  void OnError(LineError) override { ++errors; }
  size_t fields = 0, errors = 0;
};

ParseOptions Options() {
  ParseOptions o;
  o.now_ms = 1765094400000;
  return o;
}

void Report(benchmark::State& state, size_t body_bytes) {
  state.SetItemsProcessed(state.iterations() * kLinesPerBody);
  state.SetBytesProcessed(state.iterations() * body_bytes);
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kLinesPerBody, benchmark::Counter::kIsRate);
}

void BM_ParseSink(benchmark::State& state) {
  const std::string body = TelegrafBody(static_cast<int>(state.range(0)));
  const ParseOptions o = Options();
  for (auto _ : state) {
    CountingSink sink;
    ParseLines(body, o, sink);
    if (sink.errors != 0) state.SkipWithError("parse errors");
    benchmark::DoNotOptimize(sink.fields);
  }
  Report(state, body.size());
}
BENCHMARK(BM_ParseSink)->Arg(5)->Arg(10)->Arg(15);

void BM_ParseVector(benchmark::State& state) {
  const std::string body = TelegrafBody(static_cast<int>(state.range(0)));
  const ParseOptions o = Options();
  for (auto _ : state) {
    ParsedBody out;
    ParseLines(body, o, &out);
    if (!out.errors.empty()) state.SkipWithError("parse errors");
    benchmark::DoNotOptimize(out.points.data());
  }
  Report(state, body.size());
}
BENCHMARK(BM_ParseVector)->Arg(10);

// Bytes/s here count the decompressed body, as for the plain runs.
void BM_GunzipAndParse(benchmark::State& state) {
  const std::string body = TelegrafBody(static_cast<int>(state.range(0)));
  const std::string gz = Gzip(body);
  const ParseOptions o = Options();
  std::string storage;
  for (auto _ : state) {
    auto text = DecodeBody(gz, ContentEncoding::kGzip, kDefaultMaxBodyBytes, &storage);
    CountingSink sink;
    ParseLines(*text, o, sink);
    benchmark::DoNotOptimize(sink.fields);
  }
  Report(state, body.size());
  state.counters["gzip_ratio"] = static_cast<double>(body.size()) / gz.size();
}
BENCHMARK(BM_GunzipAndParse)->Arg(10);

}  // namespace

BENCHMARK_MAIN();
