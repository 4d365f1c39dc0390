#include "security/common/wire_text.h"

namespace qilian::security {
namespace {

std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

void AppendHexByte(uint8_t c, std::string* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out->push_back(kDigits[c >> 4]);
  out->push_back(kDigits[c & 15]);
}

std::string HexBytes(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t c : bytes) AppendHexByte(c, &out);
  return out;
}

std::string HexBytes(std::string_view bytes) { return HexBytes(AsBytes(bytes)); }

void AppendPrintableByte(uint8_t c, std::string* out) {
  if (c >= 0x20 && c < 0x7f && c != '\\') {
    out->push_back(static_cast<char>(c));
  } else {
    out->append("\\x");
    AppendHexByte(c, out);
  }
}

std::string PrintableBytes(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (uint8_t c : bytes) AppendPrintableByte(c, &out);
  return out;
}

std::string PrintableBytes(std::string_view bytes) { return PrintableBytes(AsBytes(bytes)); }

}  // namespace qilian::security
