// PROFINET IO real-time frames (IEC 61158-6-10) on EtherType 0x8892: a frame
// id says what the frame is (cyclic RT data, alarms, DCP). For DCP
// (discovery and basic configuration) the service and its type are noted.
#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

constexpr uint16_t kEtherTypeProfinet = 0x8892;
constexpr size_t kDcpHeader = 12;  // frame id, service id, type, xid, delay, length

std::string_view FrameClass(uint16_t id) {
  if (id <= 0x00ff) return "time-sync";
  if (id <= 0x7fff) return "rt-class-3";
  if (id <= 0xbfff) return "rt-class-1";
  if (id <= 0xfbff) return "rt-class-udp";
  if (id == 0xfc01) return "alarm-high";
  if (id == 0xfe01) return "alarm-low";
  if (id >= 0xfefc && id <= 0xfeff) return "dcp";
  return "reserved";
}

bool IsDcp(uint16_t id) { return id >= 0xfefc && id <= 0xfeff; }

const char* DcpServiceName(uint8_t s) {
  switch (s) {
    case 3: return "get";
    case 4: return "set";
    case 5: return "identify";
    case 6: return "hello";
    default: return "unknown";
  }
}

const char* DcpTypeName(uint8_t t) {
  switch (t) {
    case 0: return "request";
    case 1: return "response-success";
    case 5: return "response-unsupported";
    default: return "unknown";
  }
}

bool Signature(std::span<const uint8_t> b) {
  if (b.size() < 2) return false;
  const uint16_t id = Be16(b, 0);
  if (FrameClass(id) == "reserved") return false;
  if (!IsDcp(id)) return true;
  return b.size() >= kDcpHeader && b[2] >= 3 && b[2] <= 6 &&
         Be16(b, 10) <= b.size() - kDcpHeader;
}

bool Inspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) {
  if (!Signature(b)) return false;
  const uint16_t id = Be16(b, 0);
  notes->Count("frame_ids", Hex(id, 4));
  if (IsDcp(id)) {
    notes->Count("dcp_services",
                 std::string(DcpServiceName(b[2])) + "/" + DcpTypeName(b[3]));
  }
  return true;
}

}  // namespace

const Recognizer& ProfinetRecognizer() {
  static const Recognizer r{.name = "profinet",
                            .ethertypes = {kEtherTypeProfinet},
                            .signature = Signature,
                            .inspect = Inspect};
  return r;
}

}  // namespace qilian::security::recognize
