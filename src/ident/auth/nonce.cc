#include "ident/auth/nonce.h"

#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {

absl::StatusOr<std::string> GenerateNonce(size_t bytes) {
  if (bytes < kMinNonceBytes || bytes > kMaxNonceBytes) {
    return absl::InvalidArgumentError(absl::StrCat("nonce length ", bytes, " outside ",
                                                   kMinNonceBytes, "..", kMaxNonceBytes));
  }
  std::string nonce(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(bytes)) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed");
  }
  return nonce;
}

}  // namespace qilian::ident::auth
