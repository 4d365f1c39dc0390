// Fuzz target: the recognisers (security/analyzers/recognize) and the
// sensor's link-layer path. The first byte picks a recogniser (low 6 bits,
// modulo their number) and a mode (top 2 bits):
//   0: the rest as datagrams, records of [u8 length][bytes], each also given
//      to the signature alone;
//   1: the rest as a TCP stream in FeedStreamChunks' chunk format;
//   2, 3: the rest as Ethernet frames, records of [u8 time step in 1/8 s]
//      [u16 length][frame], through a Sensor with at most 4 link-layer
//      conversations.
// One event per flow, at its end, strict JSON; bounds hold.
#include <pcap/dlt.h>

#include <cstdint>
#include <cstdlib>

#include "analyzer_fuzz_host.h"
#include "security/analyzers/recognize/recognizers.h"
#include "security/sensor/sensor.h"

using namespace qilian::security;

namespace {

class StrictSink : public EventSink {
 public:
  void Write(const EventLine& event) override {
    if (!nlohmann::json::accept(event.json)) std::abort();
  }
};

int events = 0;
bool OneEvent(const nlohmann::ordered_json& fields) {
  ++events;
  return fields.contains("pdus_orig") && fields.contains("bytes_resp");
}

void Frames(const uint8_t* data, size_t size) {
  static AnalyzerRegistry* registry = [] {
    auto* r = new AnalyzerRegistry;
    RegisterBuiltinAnalyzers(r);
    return r;
  }();
  SensorOptions options;
  options.flows.max_flows = 8;
  options.links.max_conversations = 4;
  StrictSink sink;
  Sensor sensor(registry, options, &sink);
  TimeNs now = 0;
  size_t at = 0;
  while (at + 3 <= size) {
    now += data[at] * kNsPerSecond / 8;
    size_t len = std::min<size_t>(size_t{data[at + 1]} << 8 | data[at + 2], size - at - 3);
    sensor.Process(RawPacket{now, static_cast<uint32_t>(len), DLT_EN10MB, {data + at + 3, len}});
    if (sensor.links().size() > options.links.max_conversations) std::abort();
    at += 3 + len;
  }
  sensor.Finish();
  if (sensor.links().size() != 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0] >> 6;
  if (mode >= 2) {
    Frames(data + 1, size - 1);
    return 0;
  }
  auto all = recognize::AllRecognizers();
  const recognize::Recognizer* r = all[(data[0] & 0x3f) % all.size()];
  events = 0;
  FuzzAnalyzerHost host(OneEvent);
  recognize::RecognizingAnalyzer analyzer(r, &host);
  if (mode == 1) {
    if (r->pdu_length == nullptr) return 0;
    FeedStreamChunks(analyzer, data + 1, size - 1);
  } else {
    size_t at = 1;
    while (at < size) {
      const size_t len = std::min<size_t>(data[at], size - at - 1);
      std::span<const uint8_t> datagram(data + at + 1, len);
      r->signature(datagram);
      analyzer.DeliverPacket(Direction::kOrig, datagram);
      at += 1 + len;
    }
  }
  analyzer.EndOfFlow();
  if (events != 1) std::abort();
  return 0;
}
