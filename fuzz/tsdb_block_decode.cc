// Fuzz target: bytes through the time-series block decoder (docs/tsdb.md,
// "Block format"). Any input must decode or give an error, never crash or
// allocate past the block limits; a decoded block must encode again, and
// that encoding must decode to the same columns (floats bit for bit). The
// same bytes go through the timestamp column decoder, and a block that
// names a shared column is decoded with a column of its count and ends.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "platform/tsdb/codec/block.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::platform::tsdb;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto column = DecodeTimestampColumn(bytes); column.ok()) {
    auto encoded = EncodeTimestampColumn(*column);
    if (!encoded.ok()) std::abort();
    auto again = DecodeTimestampColumn(*encoded);
    if (!again.ok() || *again != *column) std::abort();
    return 0;
  }
  auto block = DecodeBlock(bytes);
  if (auto header = DecodeBlockHeader(bytes); header.ok() && header->timestamp_column != 0) {
    // Evenly spaced stamps with the header's count and ends.
    std::vector<int64_t> ts(header->count);
    const int64_t span = header->last_timestamp - header->first_timestamp;
    for (size_t i = 0; i < ts.size(); ++i) {
      ts[i] = header->first_timestamp + (ts.size() > 1 ? static_cast<int64_t>(
                                                             static_cast<__int128>(span) * i /
                                                             (ts.size() - 1))
                                                       : 0);
    }
    block = DecodeBlock(bytes, ts);
  }
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
