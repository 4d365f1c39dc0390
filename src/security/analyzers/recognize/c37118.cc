// IEEE C37.118.2 synchrophasor frames (TCP 4712, UDP 4713): sync byte 0xAA,
// frame type and version, frame size, the PMU/PDC ID code, time stamp, and a
// CRC-CCITT over the whole frame. The CRC makes the signature strong enough
// to recognise a PMU stream on any port.
#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

constexpr uint8_t kSync = 0xaa;
constexpr size_t kMinFrame = 16;  // SYNC, FRAMESIZE, IDCODE, SOC, FRACSEC, CHK
constexpr size_t kMaxFrame = 65535;

const char* FrameTypeName(uint8_t t) {
  static constexpr const char* kNames[] = {"data", "header", "cfg1", "cfg2", "command", "cfg3"};
  return t < std::size(kNames) ? kNames[t] : "reserved";
}

const char* CommandName(uint16_t c) {
  switch (c) {
    case 1: return "turn-off-transmission";
    case 2: return "turn-on-transmission";
    case 3: return "send-header";
    case 4: return "send-cfg1";
    case 5: return "send-cfg2";
    case 6: return "send-cfg3";
    case 8: return "extended-frame";
    default: return "other";
  }
}

// CRC-CCITT as C37.118 computes it: polynomial 0x1021, initial 0xFFFF, no
// final XOR.
uint16_t Crc(std::span<const uint8_t> b) {
  uint16_t crc = 0xffff;
  for (uint8_t byte : b) {
    crc ^= static_cast<uint16_t>(byte) << 8;
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
  }
  return crc;
}

bool Header(std::span<const uint8_t> b) {
  if (b.size() < 4 || b[0] != kSync) return false;
  const uint8_t type = (b[1] >> 4) & 0x07;
  const uint8_t version = b[1] & 0x0f;
  return (b[1] & 0x80) == 0 && type <= 5 && version >= 1 && version <= 3 &&
         Be16(b, 2) >= kMinFrame;
}

bool CrcOk(std::span<const uint8_t> frame) {
  const size_t n = frame.size();
  return Crc(frame.first(n - 2)) == Be16(frame, n - 2);
}

// The first frame must be whole, and its CRC right.
bool Signature(std::span<const uint8_t> b) {
  if (!Header(b)) return false;
  const size_t size = Be16(b, 2);
  return b.size() >= size && CrcOk(b.first(size));
}

size_t PduLength(std::span<const uint8_t> b) {
  if (b.size() < 4) return kNeedMore;
  return Header(b) ? Be16(b, 2) : kNotFramed;
}

bool Inspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) {
  if (!Header(b) || b.size() < kMinFrame) return false;
  const size_t size = Be16(b, 2);
  if (size != b.size() || !CrcOk(b)) return false;  // UDP: one frame per datagram
  const uint8_t type = (b[1] >> 4) & 0x07;
  notes->Count("frame_types", FrameTypeName(type));
  notes->First("id_code", Be16(b, 4));
  if (type == 4 && size >= 18) notes->Count("commands", CommandName(Be16(b, 14)));
  return true;
}

}  // namespace

const Recognizer& C37118Recognizer() {
  static const Recognizer r{.name = "c37118",
                            .tcp_ports = {4712},
                            .udp_ports = {4713},
                            .signature = Signature,
                            .any_port = {Transport::kTcp, Transport::kUdp},
                            .pdu_length = PduLength,
                            .inspect = Inspect};
  return r;
}

}  // namespace qilian::security::recognize
