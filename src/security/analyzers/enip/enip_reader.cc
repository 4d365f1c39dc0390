#include "security/analyzers/enip/enip_reader.h"

namespace qilian::security::enip {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

void AppendHex(uint8_t c, std::string* out) {
  out->push_back(kDigits[c >> 4]);
  out->push_back(kDigits[c & 15]);
}

}  // namespace

std::string Hex(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t c : bytes) AppendHex(c, &out);
  return out;
}

std::string Printable(std::span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      AppendHex(c, &out);
    }
  }
  return out;
}

}  // namespace qilian::security::enip
