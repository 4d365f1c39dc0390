// Test helper: builds frames byte by byte (Ethernet, IPv4 with a correct
// header checksum, IPv6, TCP, UDP) so decoder, flow and sensor tests state
// exactly what is on the wire.
#ifndef QILIAN_SECURITY_DECODE_TEST_PACKETS_H_
#define QILIAN_SECURITY_DECODE_TEST_PACKETS_H_

#include <cstdint>
#include <initializer_list>
#include <vector>

namespace qilian::security::testing {

using Bytes = std::vector<uint8_t>;

inline void Append(Bytes* b, const Bytes& more) { b->insert(b->end(), more.begin(), more.end()); }
inline void Put16(Bytes* b, uint16_t v) {
  b->push_back(v >> 8);
  b->push_back(v & 0xff);
}
inline void Put32(Bytes* b, uint32_t v) {
  Put16(b, v >> 16);
  Put16(b, v & 0xffff);
}

// Ethernet II header: fixed MACs, then optional VLAN tags (TPID, VID), then
// the EtherType.
inline Bytes Ether(uint16_t ethertype,
                   std::initializer_list<std::pair<uint16_t, uint16_t>> tags = {}) {
  Bytes b = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6};
  for (auto [tpid, vid] : tags) {
    Put16(&b, tpid);
    Put16(&b, vid);
  }
  Put16(&b, ethertype);
  return b;
}

struct Ip4 {
  uint8_t src[4] = {10, 0, 0, 1};
  uint8_t dst[4] = {10, 0, 0, 2};
  uint8_t proto = 6;
  uint16_t id = 1;
  uint16_t frag = 0;  // flags and offset field as on the wire
  Bytes options;      // a multiple of 4 bytes
};

// An IPv4 header (checksum filled in) followed by `payload`.
inline Bytes Ipv4(const Ip4& h, const Bytes& payload) {
  Bytes b;
  b.push_back(0x40 | static_cast<uint8_t>((20 + h.options.size()) / 4));
  b.push_back(0);
  Put16(&b, static_cast<uint16_t>(20 + h.options.size() + payload.size()));
  Put16(&b, h.id);
  Put16(&b, h.frag);
  b.push_back(64);
  b.push_back(h.proto);
  Put16(&b, 0);
  b.insert(b.end(), h.src, h.src + 4);
  b.insert(b.end(), h.dst, h.dst + 4);
  Append(&b, h.options);
  uint32_t sum = 0;
  for (size_t i = 0; i < b.size(); i += 2) sum += b[i] << 8 | b[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  b[10] = static_cast<uint8_t>(~sum >> 8);
  b[11] = static_cast<uint8_t>(~sum);
  Append(&b, payload);
  return b;
}

// An IPv6 header from ::1:<s> to ::1:<d>, `next` header, then `rest`.
inline Bytes Ipv6(uint8_t next, const Bytes& rest, uint8_t s = 1, uint8_t d = 2) {
  Bytes b = {0x60, 0, 0, 0};
  Put16(&b, static_cast<uint16_t>(rest.size()));
  b.push_back(next);
  b.push_back(64);
  for (uint8_t last : {s, d}) {
    Bytes a(16, 0);
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[15] = last;
    Append(&b, a);
  }
  Append(&b, rest);
  return b;
}

inline Bytes Tcp(uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                 const Bytes& payload = {}) {
  Bytes b;
  Put16(&b, sport);
  Put16(&b, dport);
  Put32(&b, seq);
  Put32(&b, ack);
  b.push_back(0x50);
  b.push_back(flags);
  Put16(&b, 65535);
  Put32(&b, 0);  // checksum and urgent pointer
  Append(&b, payload);
  return b;
}

inline Bytes Udp(uint16_t sport, uint16_t dport, const Bytes& payload) {
  Bytes b;
  Put16(&b, sport);
  Put16(&b, dport);
  Put16(&b, static_cast<uint16_t>(8 + payload.size()));
  Put16(&b, 0);
  Append(&b, payload);
  return b;
}

inline Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes b;
  for (const Bytes& p : parts) Append(&b, p);
  return b;
}

}  // namespace qilian::security::testing

#endif  // QILIAN_SECURITY_DECODE_TEST_PACKETS_H_
