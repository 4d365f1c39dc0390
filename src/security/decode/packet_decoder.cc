#include "security/decode/packet_decoder.h"

#include "security/decode/link_layer.h"

namespace qilian::security {
namespace {

uint16_t Be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
uint32_t Be32(std::span<const uint8_t> b, size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}

bool Ipv4ChecksumOk(std::span<const uint8_t> header) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < header.size(); i += 2) sum += Be16(header, i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

// RFC 791 options: EOL (0) ends them, NOP (1) is one byte, every other
// option has a length byte that counts itself and the type.
bool Ipv4OptionsOk(std::span<const uint8_t> opts) {
  size_t i = 0;
  while (i < opts.size()) {
    uint8_t type = opts[i];
    if (type == 0) return true;
    if (type == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= opts.size() || opts[i + 1] < 2 || i + opts[i + 1] > opts.size()) return false;
    i += opts[i + 1];
  }
  return true;
}

bool IsIpv6ExtensionHeader(uint8_t next) {
  return next == 0 || next == 43 || next == 44 || next == 51 || next == 60 || next == 135;
}

}  // namespace

DecodeResult PacketDecoder::Decode(const RawPacket& raw, DecodedPacket* out) {
  *out = DecodedPacket{};
  out->ts = raw.ts;
  LinkFrame link;
  if (!DecodeLink(raw.link_type, raw.data, weirds_, &link)) return DecodeResult::kDropped;
  std::span<const uint8_t> net = raw.data.subspan(link.offset);
  if (link.ethertype == kEtherTypeIpv4) return Ipv4(net, out);
  if (link.ethertype == kEtherTypeIpv6) return Ipv6(net, out);
  last_link_ = link;
  last_link_payload_ = net;
  return DecodeResult::kNotIp;
}

DecodeResult PacketDecoder::Ipv4(std::span<const uint8_t> p, DecodedPacket* out) {
  if (p.size() < 20) {
    weirds_->Add("truncated_IP_header");
    return DecodeResult::kDropped;
  }
  if (p[0] >> 4 != 4) {
    weirds_->Add("bad_IP_version");
    return DecodeResult::kDropped;
  }
  size_t ihl = size_t{p[0] & 0x0fu} * 4;
  uint16_t total = Be16(p, 2);
  if (ihl < 20) {
    weirds_->Add("bad_IP_header_length");
    return DecodeResult::kDropped;
  }
  if (total < ihl) {
    weirds_->Add("bad_IP_total_length");
    return DecodeResult::kDropped;
  }
  if (p.size() < total) {
    // Cut short by the capture's snap length or by damage: nothing above
    // IP can be trusted to be whole.
    weirds_->Add("truncated_IP");
    return DecodeResult::kDropped;
  }
  p = p.first(total);  // drops Ethernet padding after short datagrams
  std::span<const uint8_t> header = p.first(ihl);
  if (!Ipv4ChecksumOk(header)) weirds_->Add("bad_IP_checksum");
  if (ihl > 20 && !Ipv4OptionsOk(header.subspan(20))) weirds_->Add("bad_IP_options");

  out->ip_version = 4;
  out->src = IpAddress::FromV4(p.subspan<12, 4>());
  out->dst = IpAddress::FromV4(p.subspan<16, 4>());
  out->proto = p[9];
  out->ip_len = total;
  uint16_t frag = Be16(p, 6);
  bool more = frag & 0x2000;
  uint32_t offset = uint32_t{frag & 0x1fffu} * 8;
  if (frag & 0x8000) weirds_->Add("IP_reserved_flag_set");
  std::span<const uint8_t> payload = p.subspan(ihl);
  if (!more && offset == 0) return Transport(payload, out);

  FragmentKey key{out->src, out->dst, Be16(p, 4), out->proto};
  if (!fragments_.Add(key, out->ts, offset, more, payload, &reassembled_)) {
    return DecodeResult::kFragmentHeld;
  }
  out->ip_len = static_cast<uint32_t>(ihl + reassembled_.size());
  return Transport(reassembled_, out);
}

DecodeResult PacketDecoder::Ipv6(std::span<const uint8_t> p, DecodedPacket* out) {
  if (p.size() < 40) {
    weirds_->Add("truncated_IPv6_header");
    return DecodeResult::kDropped;
  }
  if (p[0] >> 4 != 6) {
    weirds_->Add("bad_IP_version");
    return DecodeResult::kDropped;
  }
  uint16_t payload_len = Be16(p, 4);
  if (payload_len == 0) {
    weirds_->Add("IPv6_jumbogram");  // hop-by-hop jumbo payloads are not read
    return DecodeResult::kDropped;
  }
  if (p.size() < 40u + payload_len) {
    weirds_->Add("truncated_IP");
    return DecodeResult::kDropped;
  }
  p = p.first(40u + payload_len);
  out->ip_version = 6;
  out->src = IpAddress::FromV6(p.subspan<8, 16>());
  out->dst = IpAddress::FromV6(p.subspan<24, 16>());
  out->ip_len = static_cast<uint32_t>(p.size());

  uint8_t next = p[6];
  size_t at = 40;
  for (int n = 0; IsIpv6ExtensionHeader(next); ++n) {
    if (n == kMaxIpv6ExtensionHeaders) {
      weirds_->Add("too_many_IPv6_extension_headers");
      return DecodeResult::kDropped;
    }
    if (p.size() < at + 8) {
      weirds_->Add("truncated_IPv6_extension_header");
      return DecodeResult::kDropped;
    }
    if (next == 44) {  // fragment header: next, reserved, offset|flags, id
      uint16_t frag = Be16(p, at + 2);
      FragmentKey key{out->src, out->dst, Be32(p, at + 4), p[at]};
      uint32_t offset = frag & 0xfff8u;
      bool more = frag & 1;
      out->proto = p[at];
      std::span<const uint8_t> payload = p.subspan(at + 8);
      if (!more && offset == 0) return Transport(payload, out);  // atomic fragment
      if (!fragments_.Add(key, out->ts, offset, more, payload, &reassembled_)) {
        return DecodeResult::kFragmentHeld;
      }
      out->ip_len = static_cast<uint32_t>(at + 8 + reassembled_.size());
      return Transport(reassembled_, out);
    }
    // AH counts its length in 4-byte units less 2; the others in 8-byte
    // units not counting the first 8 bytes.
    size_t len = next == 51 ? (size_t{p[at + 1]} + 2) * 4 : (size_t{p[at + 1]} + 1) * 8;
    if (p.size() < at + len) {
      weirds_->Add("truncated_IPv6_extension_header");
      return DecodeResult::kDropped;
    }
    next = p[at];
    at += len;
  }
  out->proto = next;
  return Transport(p.subspan(at), out);
}

DecodeResult PacketDecoder::Transport(std::span<const uint8_t> seg, DecodedPacket* out) {
  if (out->proto == kProtoTcp) {
    if (seg.size() < 20) {
      weirds_->Add("truncated_TCP_header");
      return DecodeResult::kDropped;
    }
    size_t data_offset = static_cast<size_t>(seg[12] >> 4) * 4;
    if (data_offset < 20 || data_offset > seg.size()) {
      weirds_->Add("bad_TCP_header_length");
      return DecodeResult::kDropped;
    }
    out->src_port = Be16(seg, 0);
    out->dst_port = Be16(seg, 2);
    out->seq = Be32(seg, 4);
    out->ack = Be32(seg, 8);
    out->tcp_flags = seg[13];
    if ((out->tcp_flags & (kTcpSyn | kTcpFin)) == (kTcpSyn | kTcpFin)) weirds_->Add("TCP_SYN_FIN");
    out->payload = seg.subspan(data_offset);
    return DecodeResult::kPacket;
  }
  if (out->proto == kProtoUdp) {
    if (seg.size() < 8) {
      weirds_->Add("truncated_UDP_header");
      return DecodeResult::kDropped;
    }
    uint16_t len = Be16(seg, 4);
    if (len < 8 || len > seg.size()) {
      weirds_->Add("bad_UDP_length");
      return DecodeResult::kDropped;
    }
    out->src_port = Be16(seg, 0);
    out->dst_port = Be16(seg, 2);
    out->payload = seg.subspan(8, len - 8u);
    return DecodeResult::kPacket;
  }
  out->payload = seg;  // ICMP and others: flows by address pair only
  return DecodeResult::kPacket;
}

}  // namespace qilian::security
