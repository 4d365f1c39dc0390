// Fuzz target: frames through the sensor's PacketDecoder (link layers, IPv4
// and IPv6 with fragment reassembly under tight bounds, TCP and UDP).
// Input: a link-type selector byte, then frames as [u16 length][bytes]
// until the input ends, so fragments of one datagram can meet. A decoded
// payload must lie within 64 KiB and reassembly memory within its bound.
#include <pcap/dlt.h>

#include <cstdint>
#include <cstdlib>

#include "security/decode/packet_decoder.h"

using namespace qilian::security;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr int kLinks[] = {DLT_EN10MB, DLT_LINUX_SLL, 276, DLT_NULL, DLT_LOOP, DLT_RAW};
  if (size == 0) return 0;
  WeirdCounter weirds;
  ReassemblyLimits limits{65535, 4, 4096, 2 * kNsPerSecond};
  PacketDecoder decoder(&weirds, limits);
  int link = kLinks[data[0] % 6];
  size_t at = 1;
  for (int64_t n = 0; at + 2 <= size; ++n) {
    size_t len = std::min<size_t>(size_t{data[at]} << 8 | data[at + 1], size - at - 2);
    RawPacket raw{n * kNsPerSecond / 2, static_cast<uint32_t>(len), link, {data + at + 2, len}};
    at += 2 + len;
    DecodedPacket p;
    if (decoder.Decode(raw, &p) == DecodeResult::kPacket && p.payload.size() > 65535) std::abort();
    if (decoder.fragments().memory() > limits.max_total_bytes) std::abort();
  }
  return 0;
}
