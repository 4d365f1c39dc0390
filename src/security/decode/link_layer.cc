#include "security/decode/link_layer.h"

#include <pcap/dlt.h>

#include <algorithm>

namespace qilian::security {
namespace {

// libpcap's DLT_RAW is 12 on most systems and 14 on OpenBSD; files written
// with LINKTYPE_RAW (101) are mapped to the local DLT_RAW by libpcap.
constexpr int kDltRawAlt = 14;
constexpr int kDltLinuxSll2 = 276;

uint16_t Be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

// Raw IP frames carry no type: the version nibble says which IP it is.
bool RawIp(std::span<const uint8_t> frame, size_t offset, WeirdCounter* weirds, LinkFrame* out) {
  if (frame.size() <= offset) {
    weirds->Add("truncated_link_header");
    return false;
  }
  int version = frame[offset] >> 4;
  if (version != 4 && version != 6) {
    weirds->Add("bad_IP_version");
    return false;
  }
  out->ethertype = version == 4 ? kEtherTypeIpv4 : kEtherTypeIpv6;
  out->offset = offset;
  return true;
}

bool Ethernet(std::span<const uint8_t> frame, WeirdCounter* weirds, LinkFrame* out) {
  size_t at = 12;
  if (frame.size() < at + 2) {
    weirds->Add("truncated_link_header");
    return false;
  }
  std::copy_n(frame.begin(), 6, out->dst_mac.begin());
  std::copy_n(frame.begin() + 6, 6, out->src_mac.begin());
  uint16_t type = Be16(frame, at);
  // 0x8100 802.1Q, 0x88a8 802.1ad service tag, 0x9100 the pre-standard Q-in-Q.
  while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
    if (++out->vlan_tags > kMaxVlanTags) {
      weirds->Add("too_many_vlan_tags");
      return false;
    }
    at += 4;
    if (frame.size() < at + 2) {
      weirds->Add("truncated_link_header");
      return false;
    }
    if (out->vlan_tags == 1) out->vlan = Be16(frame, at - 2) & 0x0fff;
    type = Be16(frame, at);
  }
  out->ethertype = type >= 0x0600 ? type : 0;  // <= 1500 is an 802.3 length
  out->offset = at + 2;
  return true;
}

}  // namespace

std::string MacToString(const MacAddress& mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < mac.size(); ++i) {
    if (i > 0) out += ':';
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0x0f];
  }
  return out;
}

bool IsSupportedLinkType(int dlt) {
  switch (dlt) {
    case DLT_EN10MB:
    case DLT_LINUX_SLL:
    case kDltLinuxSll2:
    case DLT_NULL:
    case DLT_LOOP:
    case DLT_RAW:
    case kDltRawAlt:
    case DLT_IPV4:
    case DLT_IPV6:
      return true;
    default:
      return false;
  }
}

bool DecodeLink(int dlt, std::span<const uint8_t> frame, WeirdCounter* weirds, LinkFrame* out) {
  *out = LinkFrame{};
  switch (dlt) {
    case DLT_EN10MB:
      return Ethernet(frame, weirds, out);
    case DLT_LINUX_SLL:  // 16 bytes, protocol (an EtherType) last
      if (frame.size() < 16) break;
      out->ethertype = Be16(frame, 14);
      out->offset = 16;
      if (Be16(frame, 4) == 6) std::copy_n(frame.begin() + 6, 6, out->src_mac.begin());
      return true;
    case kDltLinuxSll2:  // 20 bytes, protocol first
      if (frame.size() < 20) break;
      out->ethertype = Be16(frame, 0);
      out->offset = 20;
      return true;
    case DLT_NULL:
    case DLT_LOOP: {
      if (frame.size() < 4) break;
      // A 4-byte address family: DLT_NULL in the writer's byte order,
      // DLT_LOOP in network order. AF_INET is 2 everywhere; AF_INET6 is 10
      // (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS).
      uint32_t le = frame[0] | frame[1] << 8 | frame[2] << 16 | uint32_t{frame[3]} << 24;
      uint32_t be = uint32_t{frame[0]} << 24 | frame[1] << 16 | frame[2] << 8 | frame[3];
      uint32_t family = dlt == DLT_LOOP ? be : (le < 256 ? le : be);
      out->offset = 4;
      if (family == 2) {
        out->ethertype = kEtherTypeIpv4;
      } else if (family == 10 || family == 24 || family == 28 || family == 30) {
        out->ethertype = kEtherTypeIpv6;
      } else {
        out->ethertype = 0;
      }
      return true;
    }
    case DLT_RAW:
    case kDltRawAlt:
    case DLT_IPV4:
    case DLT_IPV6:
      return RawIp(frame, 0, weirds, out);
    default:
      weirds->Add("unsupported_link_type");
      return false;
  }
  weirds->Add("truncated_link_header");
  return false;
}

}  // namespace qilian::security
