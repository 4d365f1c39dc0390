#include "security/analyzers/dnp3/dnp3_link.h"

#include <array>

namespace qilian::security::dnp3 {
namespace {

constexpr std::array<uint16_t, 256> MakeCrcTable() {
  std::array<uint16_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    uint16_t c = static_cast<uint16_t>(i);
    for (int k = 0; k < 8; ++k) c = (c & 1) ? static_cast<uint16_t>((c >> 1) ^ 0xa6bc) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint16_t, 256> kCrcTable = MakeCrcTable();

bool CrcMatches(std::span<const uint8_t> covered, const uint8_t* crc) {
  uint16_t c = Crc(covered);
  return crc[0] == (c & 0xff) && crc[1] == (c >> 8);
}

}  // namespace

uint16_t Crc(std::span<const uint8_t> bytes) {
  uint16_t crc = 0;
  for (uint8_t b : bytes) crc = static_cast<uint16_t>((crc >> 8) ^ kCrcTable[(crc ^ b) & 0xff]);
  return static_cast<uint16_t>(~crc);
}

std::string_view LinkFunctionName(bool primary, uint8_t function) {
  if (primary) {
    switch (function) {
      case 0:
        return "reset_link_states";
      case 1:
        return "reset_user_process";
      case 2:
        return "test_link_states";
      case 3:
        return "confirmed_user_data";
      case 4:
        return "unconfirmed_user_data";
      case 9:
        return "request_link_status";
      default:
        return "unknown";
    }
  }
  switch (function) {
    case 0:
      return "ack";
    case 1:
      return "nack";
    case 11:
      return "link_status";
    case 14:
      return "not_functioning";
    case 15:
      return "not_supported";
    default:
      return "unknown";
  }
}

size_t FrameSize(uint8_t length) {
  size_t data = length < kMinLinkLength ? 0 : length - kMinLinkLength;
  return kLinkHeaderSize + data + 2 * ((data + kBlockSize - 1) / kBlockSize);
}

LinkResult ParseLinkFrame(std::span<const uint8_t> b, LinkHeader* h,
                          std::vector<uint8_t>* user_data, size_t* size) {
  if (b.size() >= 1 && b[0] != kStart0) return LinkResult::kBadStart;
  if (b.size() >= 2 && b[1] != kStart1) return LinkResult::kBadStart;
  if (b.size() < kLinkHeaderSize) return LinkResult::kNeedMore;
  // The CRC first: a length from a corrupt header is meaningless.
  if (!CrcMatches(b.first(8), &b[8])) return LinkResult::kBadHeaderCrc;
  h->length = b[2];
  h->control = b[3];
  h->destination = static_cast<uint16_t>(b[4] | b[5] << 8);
  h->source = static_cast<uint16_t>(b[6] | b[7] << 8);
  if (h->length < kMinLinkLength) return LinkResult::kBadLength;
  *size = FrameSize(h->length);
  if (b.size() < *size) return LinkResult::kNeedMore;
  user_data->clear();
  size_t data_left = h->length - kMinLinkLength;
  size_t at = kLinkHeaderSize;
  bool good = true;
  while (data_left > 0) {
    size_t n = std::min(data_left, kBlockSize);
    std::span<const uint8_t> block = b.subspan(at, n);
    if (!CrcMatches(block, &b[at + n])) good = false;
    user_data->insert(user_data->end(), block.begin(), block.end());
    at += n + 2;
    data_left -= n;
  }
  return good ? LinkResult::kFrame : LinkResult::kBadDataCrc;
}

}  // namespace qilian::security::dnp3
