// HART-IP (HCF_SPEC-085) on UDP and TCP 5094: an 8-byte header (version,
// message type, message id, status, sequence number, byte count of the
// whole message). A server may answer a UDP session request from another
// port (the capture's device answers from 5095), so HART-IP is recognised
// on any UDP port: version, message type and id, and a byte count within
// the datagram must all agree. For pass-through messages the HART command number is noted.
#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

constexpr size_t kHeader = 8;
constexpr size_t kMaxMessage = 8192;

const char* MessageTypeName(uint8_t t) {
  switch (t) {
    case 0: return "request";
    case 1: return "response";
    case 2: return "publish";
    case 3: return "error";
    case 15: return "nak";
    default: return "reserved";
  }
}

const char* MessageIdName(uint8_t id) {
  switch (id) {
    case 0: return "session-initiate";
    case 1: return "session-close";
    case 2: return "keep-alive";
    case 3: return "pass-through";
    case 4: return "direct-pdu";
    case 5: return "read-audit-log";
    default: return "reserved";
  }
}

bool Header(std::span<const uint8_t> b) {
  return b.size() >= kHeader && (b[0] == 1 || b[0] == 2) &&
         std::string_view(MessageTypeName(b[1])) != "reserved" && b[2] <= 5 &&
         Be16(b, 6) >= kHeader && Be16(b, 6) <= kMaxMessage;
}

bool Signature(std::span<const uint8_t> b) {
  return Header(b) && Be16(b, 6) <= b.size();
}

size_t PduLength(std::span<const uint8_t> b) {
  if (b.size() < kHeader) return kNeedMore;
  return Header(b) ? Be16(b, 6) : kNotFramed;
}

bool Inspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) {
  if (!Header(b) || Be16(b, 6) != b.size()) return false;
  notes->Count("message_types", MessageTypeName(b[1]));
  notes->Count("message_ids", MessageIdName(b[2]));
  if (b[2] == 3 && b.size() > kHeader) {
    // Token-passing PDU: delimiter, address (5 bytes long form, else 1),
    // expansion bytes, command.
    std::span<const uint8_t> pdu = b.subspan(kHeader);
    const uint8_t delimiter = pdu[0];
    const size_t at = 1 + ((delimiter & 0x80) ? 5 : 1) + ((delimiter >> 5) & 0x03);
    if (pdu.size() <= at) return false;
    notes->Count("commands", std::to_string(pdu[at]));
  }
  return true;
}

}  // namespace

const Recognizer& HartIpRecognizer() {
  static const Recognizer r{.name = "hart_ip",
                            .tcp_ports = {5094},
                            .udp_ports = {5094},
                            .signature = Signature,
                            .any_port = {Transport::kUdp},
                            .pdu_length = PduLength,
                            .inspect = Inspect};
  return r;
}

}  // namespace qilian::security::recognize
