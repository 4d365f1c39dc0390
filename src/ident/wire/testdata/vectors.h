// Test access to the recorded Handle.Net 9.3.1 wire vectors, compiled in
// from handle_vectors.inc (see gen_handle_vectors.py for the provenance).
#ifndef QILIAN_IDENT_WIRE_TESTDATA_VECTORS_H_
#define QILIAN_IDENT_WIRE_TESTDATA_VECTORS_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace qilian::ident::wire::testdata {

struct Vector {
  const char* scenario;
  int exchange;
  bool to_server;
  const char* hex;
};

inline constexpr Vector kVectors[] = {
#include "ident/wire/testdata/handle_vectors.inc"
};

inline std::string FromHex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

inline std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// The octets of one exchange; empty if there is no such vector.
inline std::string VectorBytes(std::string_view scenario, int exchange) {
  for (const auto& v : kVectors) {
    if (scenario == v.scenario && v.exchange == exchange) return FromHex(v.hex);
  }
  return {};
}

inline std::span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace qilian::ident::wire::testdata

#endif  // QILIAN_IDENT_WIRE_TESTDATA_VECTORS_H_
