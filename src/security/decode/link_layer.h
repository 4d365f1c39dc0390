// Link-layer framing: finds the network-layer packet inside a captured frame
// for the link types the sensor reads (Ethernet with 802.1Q/802.1ad tags,
// Linux cooked v1 and v2, BSD loopback (DLT_NULL, DLT_LOOP) and raw IP).
#ifndef QILIAN_SECURITY_DECODE_LINK_LAYER_H_
#define QILIAN_SECURITY_DECODE_LINK_LAYER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "security/common/weird.h"

namespace qilian::security {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
// Stacked VLAN tags beyond this are treated as malformed: real networks use
// one (802.1Q) or two (802.1ad Q-in-Q).
constexpr int kMaxVlanTags = 4;

using MacAddress = std::array<uint8_t, 6>;

struct LinkFrame {
  uint16_t ethertype = 0;  // what the payload is, as an EtherType
  size_t offset = 0;       // where the payload starts in the frame
  int vlan_tags = 0;
  uint16_t vlan = 0;  // the outermost tag's VLAN ID (0 when untagged)
  // Ethernet: the addresses. Linux cooked captures have the source only
  // (when it is 6 bytes); other link types none (all zero).
  MacAddress src_mac{};
  MacAddress dst_mac{};
};

// "00:1b:1b:6b:6b:20".
std::string MacToString(const MacAddress& mac);

// True if `dlt` (a libpcap DLT_* value) is a link type DecodeLink reads.
bool IsSupportedLinkType(int dlt);

// Fills *out and returns true, or counts a weird and returns false.
// 802.3 frames with a length instead of an EtherType get ethertype 0.
bool DecodeLink(int dlt, std::span<const uint8_t> frame, WeirdCounter* weirds, LinkFrame* out);

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DECODE_LINK_LAYER_H_
