// Beckhoff ADS over AMS (TwinCAT). TCP 48898: an AMS/TCP header (2 reserved
// zero bytes, a little-endian length) and a 32-byte AMS header (target and
// source AMS net id and port, command id, state flags, data length, error
// code, invoke id) whose data length must agree with the TCP header's:
// strong enough to recognise ADS on any TCP port. UDP 48899: the discovery
// protocol (magic 0x71146603, an invoke id, a service id).
#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

constexpr size_t kTcpHeader = 6;
constexpr size_t kAmsHeader = 32;
constexpr size_t kMaxPdu = 1 << 20;
constexpr uint32_t kDiscoveryMagic = 0x71146603;  // little-endian on the wire
constexpr uint16_t kStateResponse = 0x0001;

const char* CommandName(uint16_t c) {
  static constexpr const char* kNames[] = {
      "invalid",      "read-device-info", "read",          "write",
      "read-state",   "write-control",    "add-device-notification",
      "delete-device-notification", "device-notification", "read-write",
  };
  return c < std::size(kNames) ? kNames[c] : "other";
}

bool AmsTcp(std::span<const uint8_t> b) {
  return b.size() >= kTcpHeader + kAmsHeader && b[0] == 0 && b[1] == 0 &&
         Le32(b, 2) == kAmsHeader + Le32(b, kTcpHeader + 20);
}

bool Discovery(std::span<const uint8_t> b) { return b.size() >= 12 && Le32(b, 0) == kDiscoveryMagic; }

bool Signature(std::span<const uint8_t> b) { return AmsTcp(b) || Discovery(b); }

size_t PduLength(std::span<const uint8_t> b) {
  if (b.size() < kTcpHeader) return kNeedMore;
  const uint32_t length = Le32(b, 2);
  if (b[0] != 0 || b[1] != 0 || length < kAmsHeader || length > kMaxPdu) return kNotFramed;
  return kTcpHeader + length;
}

std::string NetId(std::span<const uint8_t> id) {
  std::string out;
  for (size_t i = 0; i < 6; ++i) out += (i ? "." : "") + std::to_string(id[i]);
  return out;
}

bool Inspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) {
  if (Discovery(b)) {
    notes->Count("discovery_services", Hex(Le32(b, 8), 8));
    return true;
  }
  if (!AmsTcp(b)) return false;
  std::span<const uint8_t> ams = b.subspan(kTcpHeader);
  const uint16_t command = Le16(ams, 16);
  const uint16_t state = Le16(ams, 18);
  if (state & kStateResponse) {
    notes->Count("responses", CommandName(command));
    const uint32_t error = Le32(ams, 24);
    if (error != 0) notes->Count("errors", Hex(error, 4));
  } else {
    notes->Count("commands", CommandName(command));
    notes->First("target", NetId(ams.subspan(0, 6)) + ":" + std::to_string(Le16(ams, 6)));
  }
  return true;
}

}  // namespace

const Recognizer& AdsRecognizer() {
  static const Recognizer r{.name = "ads",
                            .tcp_ports = {48898},
                            .udp_ports = {48899},
                            .signature = Signature,
                            .any_port = {Transport::kTcp},
                            .pdu_length = PduLength,
                            .inspect = Inspect};
  return r;
}

}  // namespace qilian::security::recognize
