// Fuzz target: bytes through the time-series block decoder (docs/tsdb.md,
// "Block format"). Any input must decode or give an error, never crash or
// allocate past the block limits; a decoded block must encode again, and
// that encoding must decode to the same columns (floats bit for bit).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "platform/tsdb/codec/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::platform::tsdb;
  auto block = DecodeBlock(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!block.ok()) return 0;
  auto view = std::visit([](const auto& v) -> ValuesView { return v; }, block->values);
  auto encoded = EncodeBlock(block->header.kind, block->timestamps, view);
  if (!encoded.ok()) std::abort();
  auto again = DecodeBlock(*encoded);
  if (!again.ok() || again->timestamps != block->timestamps) std::abort();
  if (auto* f = std::get_if<std::vector<double>>(&block->values)) {
    const auto& g = std::get<std::vector<double>>(again->values);
    if (f->size() != g.size() || std::memcmp(f->data(), g.data(), f->size() * 8) != 0) std::abort();
  } else if (again->values != block->values) {
    std::abort();
  }
  return 0;
}
