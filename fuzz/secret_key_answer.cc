// Fuzz target: HS_SECKEY challenge answers (ident/auth/secret_key.h). Any
// octets give an answer or HandleError(kInvalidCredential), never a crash;
// the format has one encoding per answer, so an accepted answer re-encodes
// to exactly its input. Accepted answers also go through verification,
// which must fail only with kAuthenticationFailed (the MAC is a guess).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ident/auth/secret_key.h"
#include "ident/response_code.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::ident;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto answer = auth::ParseSecretKeyAnswer(bytes);
  if (!answer.ok()) {
    if (ResponseCodeOf(answer.status()) != ResponseCode::kInvalidCredential) std::abort();
    return 0;
  }
  if (auth::EncodeSecretKeyAnswer(*answer) != bytes) std::abort();
  if (answer->pbkdf2.iterations > 20000) return 0;  // keep each run cheap
  auto verified = auth::VerifySecretKeyAnswer("fuzz-secret", "nonce-0123456789", "digest", bytes);
  if (!verified.ok() && ResponseCodeOf(verified) != ResponseCode::kAuthenticationFailed)
    std::abort();
  return 0;
}
