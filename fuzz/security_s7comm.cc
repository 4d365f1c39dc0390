// Fuzz target: a byte stream through the S7comm analyzer (TPKT, COTP,
// S7comm, S7comm-plus recognised). Input: chunks of [control byte][bytes]:
// bit 7 picks the direction, bit 6 puts a gap before the chunk, the low 6
// bits are its length. Every event must dump as
// strict JSON (valid UTF-8) and carry a "pdu"; nothing may crash.
#include <cstdint>
#include <cstdlib>

#include "security/analyzers/s7comm/s7comm_analyzer.h"

using namespace qilian::security;

namespace {
class Host : public AnalyzerHost {
 public:
  TimeNs now() const override { return 0; }
  const Flow& flow() const override { return flow_; }
  void Emit(nlohmann::ordered_json fields) override {
    fields.dump();  // throws, and so aborts, on invalid UTF-8
    if (!fields.contains("pdu") || !fields["pdu"].is_string()) std::abort();
  }
  void Weird(std::string_view name) override {
    if (name.empty()) std::abort();
  }

 private:
  Flow flow_;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Host host;
  s7comm::S7commAnalyzer analyzer(&host);
  size_t at = 0;
  while (at < size) {
    uint8_t control = data[at++];
    size_t len = std::min<size_t>(control & 0x3f, size - at);
    Direction dir = control & 0x80 ? Direction::kResp : Direction::kOrig;
    if (control & 0x40) analyzer.Gap(dir, 1);
    analyzer.DeliverStream(dir, {data + at, len});
    at += len;
  }
  analyzer.EndOfData(Direction::kOrig);
  analyzer.EndOfData(Direction::kResp);
  return 0;
}
