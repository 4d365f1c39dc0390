// EtherNet/IP encapsulation (CIP Vol 2, chapter 2): the 24-byte header
// (command, length, session handle, status, sender context, options) and each
// command's data: List Identity items (the identity object of a device with
// its socket address), List Services items, Register Session, and the common
// packet format of SendRRData and SendUnitData, whose CIP message is handed
// back undecoded (cip.h decodes it once the analyzer has matched it with
// its request). Also the common packet format alone, as class 0/1 I/O sends
// it over UDP 2222. Pure: no framing, no I/O.
#ifndef QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_ENCAP_H_
#define QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_ENCAP_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "security/analyzers/enip/cip.h"
#include "security/analyzers/json_writer.h"

namespace qilian::security::enip {

constexpr size_t kEncapHeaderSize = 24;
// Items per common packet format decoded (the specification's messages have
// 2 to 4; List Identity answers one per device).
constexpr size_t kMaxItems = 64;

struct EncapMessage {
  uint16_t command = 0;
  std::array<uint8_t, 8> context{};
  // The CIP message of SendRRData (unconnected data item) or SendUnitData
  // (connected data item, after its sequence count); empty if none.
  std::span<const uint8_t> cip;
  std::optional<uint16_t> cip_sequence;  // connected data's sequence count
};

// Whether a 24-byte header is plausible: a defined command and options 0.
bool PlausibleHeader(std::span<const uint8_t> header);

// `frame` is a header and exactly its `length` bytes of data; `response`
// is true when the side on the EtherNet/IP port sent it. Everything but the
// CIP message goes to `out` as members, in schema order.
void DecodeEncap(std::span<const uint8_t> frame, bool response, EncapMessage* m, Weirds* w,
                 JsonWriter& out);

// A UDP 2222 datagram: a common packet format with a sequenced address item
// and connected data (I/O). Members: pdu, items, connection_id, sequence,
// data_length.
void DecodeIo(std::span<const uint8_t> datagram, Weirds* w, JsonWriter& out);

}  // namespace qilian::security::enip

#endif  // QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_ENCAP_H_
