// Fuzz target: native session setup bodies (opcode 400, ident/wire/
// session.h) as the codec hands them over. Any octets decode or fail with a
// Handle error, never a crash.
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
  (void)wire::DecodeX25519Key(body->raw);
  return 0;
}
