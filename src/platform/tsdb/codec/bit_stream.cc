#include "platform/tsdb/codec/bit_stream.h"

namespace qilian::platform::tsdb {

namespace {

void AppendBigEndian64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (56 - 8 * i));
  out->append(b, 8);
}

}  // namespace

void BitWriter::Spill(uint64_t v, int n) {
  const int free = 64 - used_;
  // The accumulator fills up: emit 64 bits, keep the rest of v.
  const int rest = n - free;
  const uint64_t word = (free == 64 ? 0 : acc_ << free) | (v >> rest);
  AppendBigEndian64(out_, word);
  flushed_bits_ += 64;
  acc_ = rest == 0 ? 0 : (v & ((uint64_t{1} << rest) - 1));
  used_ = rest;
}

void BitWriter::Finish() {
  if (used_ == 0) return;
  const uint64_t word = acc_ << (64 - used_);
  const int bytes = (used_ + 7) / 8;
  for (int i = 0; i < bytes; ++i) out_->push_back(static_cast<char>(word >> (56 - 8 * i)));
  flushed_bits_ += used_;
  acc_ = 0;
  used_ = 0;
}

}  // namespace qilian::platform::tsdb
