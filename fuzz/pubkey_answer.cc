// Fuzz target: HS_PUBKEY challenge answers (ident/auth/challenge_answer.h).
// Any octets give an answer or HandleError(kInvalidCredential), never a
// crash; an accepted answer re-encodes to exactly its input.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ident/auth/challenge_answer.h"
#include "ident/response_code.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::ident;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto answer = auth::ParsePublicKeyAnswer(bytes);
  if (!answer.ok()) {
    if (ResponseCodeOf(answer.status()) != ResponseCode::kInvalidCredential) std::abort();
    return 0;
  }
  if (auth::EncodePublicKeyAnswer(*answer) != bytes) std::abort();
  (void)auth::SignatureDigestOfHashName(answer->hash_name);
  return 0;
}
