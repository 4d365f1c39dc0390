// Fuzz target: the client-side reply decoder (ident/wire/client.h) and the
// response bodies of every opcode (ident/wire/codec.h). Nothing may crash or
// over-allocate; a body that decodes must decode again to the same thing
// after re-encoding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "ident/wire/client.h"
#include "ident/wire/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::ident;
  using namespace qilian::ident::wire;
  (void)DecodeClientReply(std::span<const uint8_t>(data, size));
  auto raw = DecodeMessage(std::span<const uint8_t>(data, size));
  if (!raw.ok()) return 0;
  const auto op = static_cast<OpCode>(raw->header.op_code);
  const auto code = static_cast<ResponseCode>(raw->header.response_code);
  auto body = DecodeResponseBody(op, code, raw->header.op_flags, raw->body);
  if (!body.ok()) return 0;
  std::string again = EncodeResponseBody(op, code, raw->header.op_flags, *body);
  auto twice = DecodeResponseBody(op, code, raw->header.op_flags, again);
  if (!twice.ok() || !(*twice == *body)) std::abort();
  return 0;
}
