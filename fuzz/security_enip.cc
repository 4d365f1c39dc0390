// Fuzz target: bytes through the EtherNet/IP analyzer. Input: chunks of
// [control byte][bytes]: bit 7 picks the direction, bit 6 puts a gap before
// the chunk, the low 6 bits are its length; a chunk whose control byte is
// 0x3f exactly goes to the UDP side instead (one datagram each, alternately
// to the 44818 and the 2222 analyzer). Every event must dump as strict JSON
// (valid UTF-8) and carry a known "pdu"; nothing may crash.
#include <cstdint>
#include <cstdlib>

#include "security/analyzers/enip/enip_analyzer.h"

using namespace qilian::security;

namespace {
class Host : public AnalyzerHost {
 public:
  explicit Host(uint16_t port) { flow_.resp.port = port; }
  TimeNs now() const override { return 0; }
  const Flow& flow() const override { return flow_; }
  void Emit(nlohmann::ordered_json fields) override {
    fields.dump();  // throws, and so aborts, on invalid UTF-8
    const auto& p = fields["pdu"];
    if (p != "request" && p != "response" && p != "io") std::abort();
  }
  void Weird(std::string_view name) override {
    if (name.empty()) std::abort();
  }

 private:
  Flow flow_;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Host tcp_host(enip::kEnipPort), udp_host(enip::kEnipPort), io_host(enip::kIoPort);
  enip::EnipAnalyzer tcp(&tcp_host), udp(&udp_host), io(&io_host);
  size_t at = 0;
  bool to_io = false;
  while (at < size) {
    uint8_t control = data[at++];
    size_t len = std::min<size_t>(control & 0x3f, size - at);
    Direction dir = control & 0x80 ? Direction::kResp : Direction::kOrig;
    if (control == 0x3f) {
      (to_io ? io : udp).DeliverPacket(dir, {data + at, len});
      to_io = !to_io;
    } else {
      if (control & 0x40) tcp.Gap(dir, 1);
      tcp.DeliverStream(dir, {data + at, len});
    }
    at += len;
  }
  tcp.EndOfData(Direction::kOrig);
  tcp.EndOfData(Direction::kResp);
  return 0;
}
