// CIP explicit messages (CIP Vol 1, 2-4): a request (service, request path,
// data) or a response (service with 0x80, general status, additional status,
// data) written as a JSON object. Requests leave a CipRequestInfo behind, so their
// response is named and decoded by the class it answers (responses carry no
// path). Multiple_Service_Packet and Unconnected_Send are unwrapped: their
// embedded messages are decoded the same way, nested up to kMaxNesting.
// Pure: no framing, no I/O.
#ifndef QILIAN_SECURITY_ANALYZERS_ENIP_CIP_H_
#define QILIAN_SECURITY_ANALYZERS_ENIP_CIP_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "security/analyzers/json_writer.h"

namespace qilian::security::enip {

constexpr int kMaxNesting = 4;
// Embedded services decoded per Multiple_Service_Packet (the rest counted).
constexpr size_t kMaxEmbeddedServices = 256;
// Data of write services written out as hex up to this size; longer data
// gives only its length.
constexpr size_t kMaxDataHex = 32;

// What a response needs from its request.
struct CipRequestInfo {
  uint8_t service = 0;
  std::optional<uint32_t> cls;
  std::optional<uint32_t> instance;
  std::optional<uint32_t> attribute;
  std::string tag;
  // Multiple_Service_Packet: each embedded request; Unconnected_Send: the one.
  std::vector<CipRequestInfo> embedded;
};

// Weird names found while decoding, in order (a message may have several).
using Weirds = std::vector<std::string_view>;

// `bytes` is one message, written to `out` as one value: an object, or null
// when `bytes` is empty (an empty embedded message). Fills `info` (may be
// nullptr) for the response.
void DecodeCipRequest(std::span<const uint8_t> bytes, CipRequestInfo* info, Weirds* weirds,
                      JsonWriter& out, int depth = 0);
// `request` is the matching request, or nullptr when it was not seen.
void DecodeCipResponse(std::span<const uint8_t> bytes, const CipRequestInfo* request,
                       Weirds* weirds, JsonWriter& out, int depth = 0);

}  // namespace qilian::security::enip

#endif  // QILIAN_SECURITY_ANALYZERS_ENIP_CIP_H_
