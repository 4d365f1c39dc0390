// The DNP3 data link layer (IEEE 1815-2012 clause 9): frames of a 10-byte
// header (start 0x05 0x64, length, control, destination, source, CRC) and up
// to 250 bytes of user data sent in 16-byte blocks, each followed by its
// CRC. Pure: finds and checks one frame at the front of a buffer.
#ifndef QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_LINK_H_
#define QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_LINK_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace qilian::security::dnp3 {

constexpr uint8_t kStart0 = 0x05;
constexpr uint8_t kStart1 = 0x64;
constexpr size_t kLinkHeaderSize = 10;
constexpr size_t kBlockSize = 16;
// The length field counts control, destination, source and user data.
constexpr uint8_t kMinLinkLength = 5;
constexpr size_t kMaxFrameSize = 292;  // 10 + 250 data + 16 block CRCs

// Control byte bits.
constexpr uint8_t kDirBit = 0x80;
constexpr uint8_t kPrmBit = 0x40;
constexpr uint8_t kFcbBit = 0x20;  // primary frames
constexpr uint8_t kFcvBit = 0x10;  // primary frames; DFC in secondary frames

// Primary (PRM=1) link function codes that carry user data.
constexpr uint8_t kConfirmedUserData = 3;
constexpr uint8_t kUnconfirmedUserData = 4;

// The DNP3 CRC-16 (polynomial 0x3D65, reflected, complemented), as sent:
// low byte first after the bytes it covers.
uint16_t Crc(std::span<const uint8_t> bytes);

struct LinkHeader {
  uint8_t length = 0;
  uint8_t control = 0;
  uint16_t destination = 0;
  uint16_t source = 0;

  uint8_t function() const { return control & 0x0f; }
  bool primary() const { return control & kPrmBit; }
  bool from_master() const { return control & kDirBit; }
  bool carries_user_data() const {
    return primary() && (function() == kConfirmedUserData || function() == kUnconfirmedUserData);
  }
};

// "confirmed_user_data", "ack", ... by PRM bit and function; "unknown".
std::string_view LinkFunctionName(bool primary, uint8_t function);

enum class LinkResult {
  kFrame,      // a whole frame: *size bytes, header and user data filled in
  kNeedMore,   // a plausible frame whose end has not arrived yet
  kBadStart,   // no 0x05 0x64 at the front
  kBadLength,  // length below 5
  kBadHeaderCrc,
  kBadDataCrc,  // whole frame (*size bytes, header filled in), a block CRC wrong
};

// The total size on the wire of a frame whose length field is `length`.
size_t FrameSize(uint8_t length);

// Looks at the frame at the front of `bytes`. For kFrame, `user_data`
// receives the data blocks without their CRCs.
LinkResult ParseLinkFrame(std::span<const uint8_t> bytes, LinkHeader* header,
                          std::vector<uint8_t>* user_data, size_t* size);

}  // namespace qilian::security::dnp3

#endif  // QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_LINK_H_
