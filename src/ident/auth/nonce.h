// Challenge nonces. A 402 challenge carries a fresh random nonce and the
// answer is bound to it; the native front end takes a challenge out of its
// table when it is answered, so a recorded answer sent again finds nothing
// to answer (native_frontend.cc, "spent").
#ifndef QILIAN_IDENT_AUTH_NONCE_H_
#define QILIAN_IDENT_AUTH_NONCE_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace qilian::ident::auth {

// RFC 3652 asks for at least 20 octets (deployed servers send 16; clients
// read the length).
inline constexpr size_t kNonceBytes = 20;
inline constexpr size_t kMinNonceBytes = 20;
inline constexpr size_t kMaxNonceBytes = 256;

// `bytes` octets from OpenSSL's CSPRNG (RAND_bytes). InvalidArgument when
// `bytes` is outside kMinNonceBytes..kMaxNonceBytes.
absl::StatusOr<std::string> GenerateNonce(size_t bytes = kNonceBytes);

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_NONCE_H_
