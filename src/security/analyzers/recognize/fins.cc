// OMRON FINS on UDP and TCP 9600. Over UDP a datagram is one FINS frame: a
// 10-byte header (ICF, RSV, GCT, destination and source network/node/unit,
// SID) and a 2-byte command code (MRC, SRC), responses adding a 2-byte end
// code. Over TCP each frame is wrapped in a "FINS" header (magic, length,
// command, error code), and node address exchanges come first.
#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

constexpr size_t kFinsHeader = 10;
constexpr size_t kTcpHeader = 16;  // "FINS", length, command, error code
constexpr size_t kMaxTcpFrame = 2048 + kTcpHeader;
constexpr uint8_t kIcfResponse = 0x40;

bool KnownMrc(uint8_t mrc) {
  switch (mrc) {
    case 0x01: case 0x02: case 0x03: case 0x04: case 0x05: case 0x06: case 0x07:
    case 0x08: case 0x09: case 0x0c: case 0x21: case 0x22: case 0x23: case 0x26:
    case 0x28:
      return true;
    default:
      return false;
  }
}

// ICF: bit 7 (gateway) set, bits 5..1 reserved (0); RSV 0; GCT at most 7.
bool FinsFrame(std::span<const uint8_t> b) {
  return b.size() >= kFinsHeader + 2 && (b[0] & 0xbe) == 0x80 && b[1] == 0 && b[2] <= 7 &&
         KnownMrc(b[kFinsHeader]);
}

bool IsTcpHeader(std::span<const uint8_t> b) {
  return b.size() >= 8 && b[0] == 'F' && b[1] == 'I' && b[2] == 'N' && b[3] == 'S';
}

bool Signature(std::span<const uint8_t> b) {
  if (IsTcpHeader(b)) return b.size() >= kTcpHeader && Be32(b, 4) >= 8;
  return FinsFrame(b);
}

size_t PduLength(std::span<const uint8_t> b) {
  if (b.size() < 8) return kNeedMore;
  if (!IsTcpHeader(b)) return kNotFramed;
  const uint32_t length = Be32(b, 4);
  if (length < 8 || length > kMaxTcpFrame) return kNotFramed;
  return 8 + length;
}

void Frame(std::span<const uint8_t> f, FlowNotes* notes) {
  const uint16_t command = Be16(f, kFinsHeader);
  if (f[0] & kIcfResponse) {
    if (f.size() >= kFinsHeader + 4) {
      notes->Count("end_codes", Hex(Be16(f, kFinsHeader + 2), 4));
    }
  } else {
    notes->Count("commands", Hex(command, 4));
  }
}

const char* TcpCommandName(uint32_t c) {
  switch (c) {
    case 0: return "node-address-to-server";
    case 1: return "node-address-to-client";
    case 2: return "frame";
    case 3: return "frame-error";
    default: return "other";
  }
}

bool Inspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) {
  if (IsTcpHeader(b)) {
    if (b.size() < kTcpHeader) return false;
    const uint32_t command = Be32(b, 8);
    notes->Count("tcp_commands", TcpCommandName(command));
    if (command != 2) return true;
    std::span<const uint8_t> f = b.subspan(kTcpHeader);
    if (!FinsFrame(f)) return false;
    Frame(f, notes);
    return true;
  }
  if (!FinsFrame(b)) return false;
  Frame(b, notes);
  return true;
}

}  // namespace

const Recognizer& FinsRecognizer() {
  static const Recognizer r{.name = "fins",
                            .tcp_ports = {9600},
                            .udp_ports = {9600},
                            .signature = Signature,
                            .pdu_length = PduLength,
                            .inspect = Inspect};
  return r;
}

}  // namespace qilian::security::recognize
