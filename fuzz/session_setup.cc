// Fuzz target: native session setup bodies (opcode 400, ident/wire/
// session.h) as the codec hands them over, the key records they carry
// (DH_PUB_KEY with its group checks, X25519_PUB_KEY) and the reply form.
// Any octets decode or fail with an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ident/response_code.h"
#include "ident/wire/codec.h"
#include "ident/wire/session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::ident;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto body = wire::DecodeRequestBody(OpCode::kSessionSetup, bytes);
  if (!body.ok()) return 0;
  auto setup = wire::DecodeSessionSetup(*body);
  if (!setup.ok() && ResponseCodeOf(setup.status()) == ResponseCode::kSuccess) std::abort();
  // The key records and the reply form go through the same octets.
  if (setup.ok()) (void)wire::ExchangeKey::NewLike(setup->public_key);
  (void)wire::DecodeSessionSetupReply(body->raw);
  return 0;
}
