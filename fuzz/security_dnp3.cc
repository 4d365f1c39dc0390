// Fuzz target: bytes through the DNP3 analyzer. The first byte picks the
// transport (bit 0: UDP datagrams, else a TCP stream); then chunks of
// [control byte][bytes]: bit 7 picks the direction, bit 6 puts a gap before
// the chunk (TCP), the low 6 bits are its length. Every event must dump as
// strict JSON (valid UTF-8) and carry a known "pdu"; nothing may crash.
#include <cstdint>
#include <cstdlib>

#include "security/analyzers/dnp3/dnp3_analyzer.h"

using namespace qilian::security;

namespace {
class Host : public AnalyzerHost {
 public:
  TimeNs now() const override { return 0; }
  const Flow& flow() const override { return flow_; }
  void Emit(nlohmann::ordered_json fields) override {
    fields.dump();  // throws, and so aborts, on invalid UTF-8
    const auto& pdu = fields["pdu"];
    if (pdu != "request" && pdu != "response" && pdu != "link") std::abort();
  }
  void Weird(std::string_view name) override {
    if (name.empty()) std::abort();
  }

 private:
  Flow flow_;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Host host;
  dnp3::Dnp3Analyzer analyzer(&host);
  bool udp = data[0] & 1;
  size_t at = 1;
  while (at < size) {
    uint8_t control = data[at++];
    size_t len = std::min<size_t>(control & 0x3f, size - at);
    Direction dir = control & 0x80 ? Direction::kResp : Direction::kOrig;
    if (udp) {
      analyzer.DeliverPacket(dir, {data + at, len});
    } else {
      if (control & 0x40) analyzer.Gap(dir, 1);
      analyzer.DeliverStream(dir, {data + at, len});
    }
    at += len;
  }
  analyzer.EndOfData(Direction::kOrig);
  analyzer.EndOfData(Direction::kResp);
  return 0;
}
