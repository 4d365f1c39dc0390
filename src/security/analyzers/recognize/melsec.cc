// Mitsubishi MELSEC. Two protocols:
//
// - MC protocol / SLMP, binary 3E and 4E frames (TCP and UDP, ports 5000 to
//   5007 by convention; the PLC's are configurable): subheader 0x5000
//   (request) or 0xD000 (response), 4E adding a serial number (0x5400,
//   0xD400), access route, a data length that must match, then the command
//   and subcommand (request) or end code (response).
// - MELSOFT, what GX Works speaks to a PLC's Ethernet port (UDP 5560, TCP
//   5562; no public specification, no Wireshark dissector): what is noted
//   is only what the capture shows certainly, the frame type byte (0x57
//   command and 0xD7 its response, with a little-endian length at offset 19
//   counting the bytes after offset 21; 0x5A and 0xDA for discovery).
#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

constexpr size_t kMaxFrame = 8192;

// The offset of the data length in a 3E or 4E frame, or 0 if `b` does not
// start with an MC subheader.
size_t LengthOffset(std::span<const uint8_t> b) {
  if (b.size() < 2 || b[1] != 0) return 0;
  if (b[0] == 0x50 || b[0] == 0xd0) return 7;
  if (b[0] == 0x54 || b[0] == 0xd4) return 11;
  return 0;
}

size_t SlmpLength(std::span<const uint8_t> b) {
  if (b.size() < 2) return kNeedMore;
  const size_t at = LengthOffset(b);
  if (at == 0) return kNotFramed;
  if (b.size() < at + 2) return kNeedMore;
  const size_t length = at + 2 + Le16(b, at);
  return length <= kMaxFrame ? length : kNotFramed;
}

bool IsResponse(uint8_t subheader) { return subheader & 0x80; }

// A request carries at least a monitoring timer and a command (6 bytes of
// data), a response an end code (2).
bool SlmpSignature(std::span<const uint8_t> b) {
  const size_t at = LengthOffset(b);
  if (at == 0 || b.size() < at + 2) return false;
  const size_t data = Le16(b, at);
  return data >= (IsResponse(b[0]) ? 2u : 6u) && at + 2 + data == b.size();
}

bool SlmpInspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) {
  if (!SlmpSignature(b)) return false;
  const size_t data = LengthOffset(b) + 2;
  if (IsResponse(b[0])) {
    notes->Count("end_codes", Hex(Le16(b, data), 4));
  } else {
    notes->Count("commands", Hex(Le16(b, data + 2), 4) + "/" + Hex(Le16(b, data + 4), 4));
  }
  return true;
}

constexpr size_t kMelsoftLengthAt = 19;
constexpr size_t kMelsoftHeader = 21;

bool MelsoftSignature(std::span<const uint8_t> b) {
  if (b.size() >= 4 && (b[0] == 0x5a || b[0] == 0xda) && b[1] == 0 && b[2] == 0) return true;
  return b.size() >= kMelsoftHeader && (b[0] == 0x57 || b[0] == 0xd7) && b[1] == 0x01 &&
         Le16(b, kMelsoftLengthAt) == b.size() - kMelsoftHeader;
}

size_t MelsoftLength(std::span<const uint8_t> b) {
  if (b.size() < kMelsoftHeader) return kNeedMore;
  if ((b[0] != 0x57 && b[0] != 0xd7) || b[1] != 0x01) return kNotFramed;
  return kMelsoftHeader + Le16(b, kMelsoftLengthAt);
}

bool MelsoftInspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) {
  if (!MelsoftSignature(b)) return false;
  notes->Count("frame_types", Hex(b[0], 2));
  return true;
}

}  // namespace

const Recognizer& SlmpRecognizer() {
  static const Recognizer r{.name = "melsec",
                            .tcp_ports = {5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007},
                            .udp_ports = {5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007},
                            .signature = SlmpSignature,
                            .pdu_length = SlmpLength,
                            .inspect = SlmpInspect};
  return r;
}

const Recognizer& MelsoftRecognizer() {
  static const Recognizer r{.name = "melsoft",
                            .tcp_ports = {5562},
                            .udp_ports = {5560},
                            .signature = MelsoftSignature,
                            .pdu_length = MelsoftLength,
                            .inspect = MelsoftInspect};
  return r;
}

}  // namespace qilian::security::recognize
