// Fuzz target: Ethernet frames through the whole sensor pipeline (decoder,
// flow table, TCP streams, analyzers) under small bounds. Input: records of
// [time step in 1/8 s][u16 length][frame]. Every event must dump as strict
// JSON; flows never exceed their bound.
#include <pcap/dlt.h>

#include <cstdint>
#include <cstdlib>

#include "security/sensor/sensor.h"

using namespace qilian::security;

namespace {
class StrictSink : public EventSink {
 public:
  void Write(const EventLine& event) override {
    if (!nlohmann::json::accept(event.json)) std::abort();
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static AnalyzerRegistry* registry = [] {
    auto* r = new AnalyzerRegistry;
    RegisterBuiltinAnalyzers(r);
    return r;
  }();
  SensorOptions options;
  options.flows.max_flows = 8;
  options.fragments = ReassemblyLimits{65535, 4, 8192, 2 * kNsPerSecond};
  options.tcp = TcpLimits{1024, 4096, 1u << 20};
  StrictSink sink;
  Sensor sensor(registry, options, &sink);
  TimeNs now = 0;
  size_t at = 0;
  while (at + 3 <= size) {
    now += data[at] * kNsPerSecond / 8;
    size_t len = std::min<size_t>(size_t{data[at + 1]} << 8 | data[at + 2], size - at - 3);
    RawPacket raw{now, static_cast<uint32_t>(len), DLT_EN10MB, {data + at + 3, len}};
    sensor.Process(raw);
    if (sensor.flows().size() > options.flows.max_flows) std::abort();
    at += 3 + len;
  }
  sensor.Finish();
  if (sensor.flows().size() != 0) std::abort();
  return 0;
}
