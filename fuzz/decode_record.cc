// Fuzz target: the stored-record decoder (docs/storage.md). Whatever the
// bytes, DecodeRecord must not crash or over-allocate, and a record it
// accepts must re-encode to exactly the bytes it came from (the format has
// one encoding per record, so a mismatch means the decoder accepted
// something it should not have).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ident/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto record = qilian::ident::DecodeRecord(bytes);
  if (record.ok() && qilian::ident::EncodeRecord(*record) != bytes) std::abort();
  return 0;
}
