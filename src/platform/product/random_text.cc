#include "platform/product/random_text.h"

#include <openssl/rand.h>

#include "ident/response_code.h"

namespace qilian::platform {

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    return ident::HandleError(ident::ResponseCode::kError, "the random generator failed");
  }
  return out;
}

absl::StatusOr<std::string> RandomAlnum(size_t n) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  out.reserve(n);
  while (out.size() < n) {
    absl::StatusOr<std::string> bytes = RandomBytes(n - out.size() + 8);
    if (!bytes.ok()) return bytes.status();
    for (unsigned char c : *bytes) {
      // 248 = 4 * 62: octets at or above it would favour the first letters.
      if (c < 248 && out.size() < n) out.push_back(kAlphabet[c % kAlphabet.size()]);
    }
  }
  return out;
}

std::string HexOf(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

bool IsAlnum(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace qilian::platform
