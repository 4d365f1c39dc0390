// LLDP (IEEE 802.1AB, EtherType 0x88cc), which PROFINET devices and managed
// switches send: a list of TLVs (7-bit type, 9-bit length), the first three
// chassis ID, port ID and TTL. The chassis and port IDs and the system name
// are noted: which device sits on which port.
#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

constexpr uint16_t kEtherTypeLldp = 0x88cc;

// An ID TLV's value: a subtype, then a MAC address (subtype 4 for the
// chassis, 3 for the port) or text.
std::string Id(std::span<const uint8_t> v, uint8_t mac_subtype) {
  if (v.size() == 7 && v[0] == mac_subtype) {
    std::string out;
    for (size_t i = 1; i < 7; ++i) out += (i > 1 ? ":" : "") + Hex(v[i], 2).substr(2);
    return out;
  }
  return Printable(v.subspan(v.empty() ? 0 : 1));
}

bool Walk(std::span<const uint8_t> b, FlowNotes* notes) {
  int index = 0;
  while (b.size() >= 2) {
    const uint8_t type = b[0] >> 1;
    const size_t length = (b[0] & 1) << 8 | b[1];
    if (b.size() < 2 + length) return false;
    // The first three TLVs must be chassis ID, port ID and TTL, in order.
    if (index < 3 && type != index + 1) return false;
    std::span<const uint8_t> v = b.subspan(2, length);
    if (type == 0) return index >= 3;  // end of LLDPDU
    if (notes != nullptr) {
      if (type == 1) notes->First("chassis_id", Id(v, 4));
      if (type == 2) notes->First("port_id", Id(v, 3));
      if (type == 5) notes->First("system_name", Printable(v));
    }
    b = b.subspan(2 + length);
    ++index;
  }
  return index >= 3;  // some senders leave out the end TLV
}

bool Signature(std::span<const uint8_t> b) { return Walk(b, nullptr); }

bool Inspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) { return Walk(b, notes); }

}  // namespace

const Recognizer& LldpRecognizer() {
  static const Recognizer r{.name = "lldp",
                            .ethertypes = {kEtherTypeLldp},
                            .signature = Signature,
                            .inspect = Inspect};
  return r;
}

}  // namespace qilian::security::recognize
