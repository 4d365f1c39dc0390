// Fuzz target: bytes through the binary batch decoder (docs/mqtt.md, "The
// binary batch"). Any input must decode or give an error, never crash or
// allocate beyond the input's size; a decoded batch must encode, and that
// encoding must decode and encode again to the same bytes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "platform/ingest/batch_payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::platform;
  Batch batch;
  if (!DecodeBatch(std::string_view(reinterpret_cast<const char*>(data), size), &batch).ok()) {
    return 0;
  }
  auto encoded = EncodeBatch(batch);
  if (!encoded.ok() || encoded->size() > size) std::abort();  // never longer than the input
  Batch again;
  if (!DecodeBatch(*encoded, &again).ok()) std::abort();
  auto twice = EncodeBatch(again);
  if (!twice.ok() || *twice != *encoded) std::abort();
  return 0;
}
