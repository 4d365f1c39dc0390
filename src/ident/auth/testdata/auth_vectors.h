// Test access to the recorded Handle.Net 9.3.1 exchanges the auth tests use,
// compiled in from auth_vectors.inc (provenance: gen_auth_vectors.py).
#ifndef QILIAN_IDENT_AUTH_TESTDATA_AUTH_VECTORS_H_
#define QILIAN_IDENT_AUTH_TESTDATA_AUTH_VECTORS_H_

#include <string>
#include <string_view>

namespace qilian::ident::auth::testdata {

struct Vector {
  const char* scenario;
  int exchange;
  const char* hex;
};

inline constexpr Vector kVectors[] = {
#include "ident/auth/testdata/auth_vectors.inc"
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

// The octets of one exchange; empty if there is no such vector.
inline std::string VectorBytes(std::string_view scenario, int exchange) {
  for (const auto& v : kVectors) {
    if (scenario == v.scenario && v.exchange == exchange) return FromHex(v.hex);
  }
  return {};
}

}  // namespace qilian::ident::auth::testdata

#endif  // QILIAN_IDENT_AUTH_TESTDATA_AUTH_VECTORS_H_
