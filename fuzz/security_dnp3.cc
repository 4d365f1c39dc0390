// Fuzz target: bytes through the DNP3 analyzer. The first byte picks the
// mode: bit 0 delivers UDP datagrams, else a TCP stream; bit 1 builds link
// frames with right CRCs around the chunks (so mutations reach the transport
// and application layers, which a wrong CRC would stop). Then chunks of
// [control byte][bytes]: bit 7 picks the direction, bit 6 puts a gap before
// the chunk (TCP), the low 6 bits are its length; with bit 1 the chunk's
// first byte is the link control byte and the rest its user data. Every
// event must dump as strict JSON (valid UTF-8) and carry a known "pdu";
// nothing may crash.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <string>

#include "analyzer_fuzz_host.h"
#include "security/analyzers/dnp3/dnp3_analyzer.h"

using namespace qilian::security;

namespace {

void PutCrc(std::vector<uint8_t>* b, size_t from) {
  uint16_t c = dnp3::Crc({b->data() + from, b->size() - from});
  b->push_back(static_cast<uint8_t>(c));
  b->push_back(static_cast<uint8_t>(c >> 8));
}

// A link frame from 1 to 10 (or back) around `chunk`: control, user data.
std::vector<uint8_t> Framed(bool resp, std::span<const uint8_t> chunk) {
  std::vector<uint8_t> b;
  if (chunk.empty()) return b;
  std::span<const uint8_t> data = chunk.subspan(1);
  b = {dnp3::kStart0,
       dnp3::kStart1,
       static_cast<uint8_t>(5 + data.size()),
       chunk[0],
       static_cast<uint8_t>(resp ? 1 : 10),
       0,
       static_cast<uint8_t>(resp ? 10 : 1),
       0};
  PutCrc(&b, 0);
  for (size_t at = 0; at < data.size(); at += dnp3::kBlockSize) {
    size_t from = b.size();
    for (size_t i = at; i < data.size() && i < at + dnp3::kBlockSize; ++i) b.push_back(data[i]);
    PutCrc(&b, from);
  }
  return b;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  FuzzAnalyzerHost host([](const nlohmann::ordered_json& f) {
    const std::string pdu = f.value("pdu", "");
    return pdu == "request" || pdu == "response" || pdu == "link";
  });
  dnp3::Dnp3Analyzer analyzer(&host);
  bool udp = data[0] & 1;
  bool framed = data[0] & 2;
  size_t at = 1;
  while (at < size) {
    uint8_t control = data[at++];
    size_t len = std::min<size_t>(control & 0x3f, size - at);
    Direction dir = control & 0x80 ? Direction::kResp : Direction::kOrig;
    std::span<const uint8_t> chunk(data + at, len);
    std::vector<uint8_t> frame;
    if (framed) {
      frame = Framed(dir == Direction::kResp, chunk);
      chunk = frame;
    }
    if (udp) {
      analyzer.DeliverPacket(dir, chunk);
    } else {
      if (control & 0x40) analyzer.Gap(dir, 1);
      analyzer.DeliverStream(dir, chunk);
    }
    at += len;
  }
  analyzer.EndOfData(Direction::kOrig);
  analyzer.EndOfData(Direction::kResp);
  return 0;
}
