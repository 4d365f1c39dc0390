// The 20-octet message envelope of RFC 3652 section 2.2.1, as deployed
// software fills it (../shared/HANDLE-INTEROP.md "Versions and envelope").
// Transports read it to frame TCP messages and to reassemble multi-packet
// UDP messages before the codec (wire/codec.h) decodes the rest.
#ifndef QILIAN_IDENT_WIRE_ENVELOPE_H_
#define QILIAN_IDENT_WIRE_ENVELOPE_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/bytes.h"

namespace qilian::ident::wire {

inline constexpr size_t kEnvelopeSize = 20;
// UDP packets carry at most 512 octets: the envelope plus 492 of message.
inline constexpr size_t kMaxUdpPacket = 512;
inline constexpr size_t kMaxUdpFragmentPayload = kMaxUdpPacket - kEnvelopeSize;
// The largest whole message the node accepts (TCP, or reassembled UDP).
inline constexpr size_t kMaxMessageBytes = 4 << 20;

// MessageFlag bits (RFC 3652 2.2.1.3).
inline constexpr uint16_t kFlagCompressed = 0x8000;  // CP
inline constexpr uint16_t kFlagEncrypted = 0x4000;   // EC
inline constexpr uint16_t kFlagTruncated = 0x2000;   // TC

struct Envelope {
  uint8_t major_version = 2;
  uint8_t minor_version = 11;
  // Raw MessageFlag. Deployed software keeps its own highest version in the
  // low two bits of the first octet (major) and the second octet (minor).
  uint16_t flags = 0;
  uint32_t session_id = 0;
  uint32_t request_id = 0;
  uint32_t sequence_number = 0;
  uint32_t message_length = 0;  // octets after the envelope (whole message)

  bool truncated() const { return flags & kFlagTruncated; }
  uint8_t suggested_major() const { return (flags >> 8) & 0x03; }
  uint8_t suggested_minor() const { return flags & 0xff; }
};

// Decodes the first 20 octets; false if fewer are given. Checks nothing
// else: the caller compares message_length with what it has.
bool DecodeEnvelope(std::span<const uint8_t> bytes, Envelope* envelope);
void EncodeEnvelope(const Envelope& envelope, ByteWriter* out);

}  // namespace qilian::ident::wire

#endif  // QILIAN_IDENT_WIRE_ENVELOPE_H_
