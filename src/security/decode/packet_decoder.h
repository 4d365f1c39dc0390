// Decodes a captured frame down to its transport segment: link layer, IPv4
// (header checks, options, fragments) or IPv6 (extension headers,
// fragments), then TCP or UDP headers. Malformed packets are counted as
// weirds and dropped; nothing here throws or aborts on any input.
//
// Checksums: the IPv4 header checksum is verified and a mismatch counts
// `bad_IP_checksum`, but the packet is still used, because captures taken on
// the sending host carry unfinished checksums from offloading NICs. TCP and
// UDP checksums are not verified, for the same reason.
#ifndef QILIAN_SECURITY_DECODE_PACKET_DECODER_H_
#define QILIAN_SECURITY_DECODE_PACKET_DECODER_H_

#include <cstdint>
#include <span>
#include <vector>

#include "security/capture/packet_source.h"
#include "security/common/address.h"
#include "security/common/weird.h"
#include "security/decode/ip_reassembler.h"
#include "security/decode/link_layer.h"

namespace qilian::security {

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmp6 = 58;

// TCP flag bits as they sit in the header's 13th byte.
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpSyn = 0x02;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpAck = 0x10;

// IPv6 extension headers beyond this many are treated as malformed.
constexpr int kMaxIpv6ExtensionHeaders = 8;

struct DecodedPacket {
  TimeNs ts = 0;
  IpAddress src;
  IpAddress dst;
  uint8_t ip_version = 0;
  uint8_t proto = 0;      // transport protocol number
  uint32_t ip_len = 0;    // IP datagram length (reassembled length for fragments)
  uint16_t src_port = 0;  // TCP and UDP only
  uint16_t dst_port = 0;
  uint32_t seq = 0;  // TCP only
  uint32_t ack = 0;
  uint8_t tcp_flags = 0;
  // The transport payload. It aliases the frame or the decoder's reassembly
  // buffer, so it is valid until the next Decode().
  std::span<const uint8_t> payload;
};

enum class DecodeResult {
  kPacket,        // *out holds a transport segment
  kFragmentHeld,  // an IP fragment, held until its datagram completes
  kNotIp,         // a well-formed frame that carries something other than IP
  kDropped,       // malformed; a weird says why
};

class PacketDecoder {
 public:
  PacketDecoder(WeirdCounter* weirds, ReassemblyLimits limits = {})
      : weirds_(weirds), fragments_(limits, weirds) {}

  DecodeResult Decode(const RawPacket& raw, DecodedPacket* out);

  // Drops fragment reassemblies that timed out by `now` (also done as
  // fragments arrive; this covers datagrams whose fragments stopped coming).
  void Expire(TimeNs now) { fragments_.Expire(now); }

  // The EtherType of the last kNotIp frame (0 for 802.3 and unknown).
  uint16_t last_ethertype() const { return last_link_.ethertype; }
  // The last kNotIp frame's link header, and its payload (after the
  // EtherType and VLAN tags; valid until the next Decode), for the sensor's
  // link-layer path.
  const LinkFrame& last_link() const { return last_link_; }
  std::span<const uint8_t> last_link_payload() const { return last_link_payload_; }
  const IpReassembler& fragments() const { return fragments_; }

 private:
  DecodeResult Ipv4(std::span<const uint8_t> p, DecodedPacket* out);
  DecodeResult Ipv6(std::span<const uint8_t> p, DecodedPacket* out);
  DecodeResult Transport(std::span<const uint8_t> seg, DecodedPacket* out);

  WeirdCounter* weirds_;
  IpReassembler fragments_;
  std::vector<uint8_t> reassembled_;
  LinkFrame last_link_;
  std::span<const uint8_t> last_link_payload_;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DECODE_PACKET_DECODER_H_
