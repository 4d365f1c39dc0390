// Fuzz target: HS_PUBKEY records (ident/auth/public_key.h). Any octets give
// a key or HandleError(kInvalidValue), never a crash or an OpenSSL error
// left unhandled; an accepted key re-encodes to a record that decodes to
// the same key and encodes identically (a fixed point after one round).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "ident/auth/public_key.h"
#include "ident/response_code.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::ident;
  std::string_view record(reinterpret_cast<const char*>(data), size);
  auto key = auth::DecodePublicKey(record);
  if (!key.ok()) {
    if (ResponseCodeOf(key.status()) != ResponseCode::kInvalidValue) std::abort();
    return 0;
  }
  std::string encoded = key->Encode();
  auto again = auth::DecodePublicKey(encoded);
  if (!again.ok() || again->type() != key->type() || again->Encode() != encoded) std::abort();
  (void)auth::VerifySignature(*key, auth::SignatureDigest::kSha256, "data", record.substr(0, 64));
  return 0;
}
