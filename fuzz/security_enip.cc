// Fuzz target: bytes through the EtherNet/IP analyzer. Input: chunks of
// [control byte][bytes]: bit 7 picks the direction, bit 6 puts a gap before
// the chunk, the low 6 bits are its length; a chunk whose control byte is
// 0x3f exactly goes to the UDP side instead (one datagram each, alternately
// to the 44818 and the 2222 analyzer). Every event must dump as strict JSON
// (valid UTF-8) and carry a known "pdu"; nothing may crash.
#include <cstdint>
#include <cstdlib>

#include <string>

#include "analyzer_fuzz_host.h"
#include "security/analyzers/enip/enip_analyzer.h"

using namespace qilian::security;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto valid = [](const nlohmann::ordered_json& f) {
    const std::string p = f.value("pdu", "");
    return p == "request" || p == "response" || p == "io";
  };
  FuzzAnalyzerHost tcp_host(valid, enip::kEnipPort), udp_host(valid, enip::kEnipPort),
      io_host(valid, enip::kIoPort);
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
