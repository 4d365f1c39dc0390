// Bytes taken from the wire, written into events as text that is always
// valid UTF-8 and loses nothing: lowercase hex, or printable ASCII with
// every other byte (and the backslash itself) as \xNN. Shared by every
// analyzer, so an event field means the same in every protocol's schema.
#ifndef QILIAN_SECURITY_COMMON_WIRE_TEXT_H_
#define QILIAN_SECURITY_COMMON_WIRE_TEXT_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace qilian::security {

// Two lowercase hex digits.
void AppendHexByte(uint8_t c, std::string* out);
// "0a1b..."
std::string HexBytes(std::span<const uint8_t> bytes);
std::string HexBytes(std::string_view bytes);
// Printable ASCII (0x20..0x7e) kept but '\', every other byte as \xNN.
void AppendPrintableByte(uint8_t c, std::string* out);
std::string PrintableBytes(std::span<const uint8_t> bytes);
std::string PrintableBytes(std::string_view bytes);

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_COMMON_WIRE_TEXT_H_
