#include "ident/mint.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>

#include "ident/response_code.h"

namespace qilian::ident {

absl::StatusOr<std::string> RandomMintSuffix() {
  std::array<uint8_t, 16> bits;
  if (RAND_bytes(bits.data(), static_cast<int>(bits.size())) != 1) {
    return HandleError(ResponseCode::kError, "cannot mint a suffix: no random bytes");
  }
  bits[6] = static_cast<uint8_t>((bits[6] & 0x0f) | 0x40);  // version 4
  bits[8] = static_cast<uint8_t>((bits[8] & 0x3f) | 0x80);  // variant 10
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(kMintedSuffixBytes);
  for (size_t i = 0; i < bits.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kHex[bits[i] >> 4]);
    text.push_back(kHex[bits[i] & 0x0f]);
  }
  return text;
}

}  // namespace qilian::ident
