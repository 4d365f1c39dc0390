// Fuzz target: the 20-octet envelope (ident/wire/envelope.h). Any input of
// 20 octets or more decodes, and re-encodes to exactly its first 20 octets.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "ident/wire/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::ident::wire;
  Envelope env;
  bool ok = DecodeEnvelope(std::span<const uint8_t>(data, size), &env);
  if (ok != (size >= kEnvelopeSize)) std::abort();
  if (!ok) return 0;
  qilian::ByteWriter w;
  EncodeEnvelope(env, &w);
  if (w.data() != std::string_view(reinterpret_cast<const char*>(data), kEnvelopeSize)) std::abort();
  return 0;
}
