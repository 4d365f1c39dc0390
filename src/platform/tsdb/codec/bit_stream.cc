#include "platform/tsdb/codec/bit_stream.h"

#include <bit>

namespace qilian::platform::tsdb {

namespace {

void AppendBigEndian64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (56 - 8 * i));
  out->append(b, 8);
}

}  // namespace

void BitWriter::Write(uint64_t v, int n) {
  if (n <= 0) return;
  if (n < 64) v &= (uint64_t{1} << n) - 1;
  const int free = 64 - used_;
  if (n < free) {
    acc_ = (acc_ << n) | v;
    used_ += n;
    return;
  }
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

uint64_t BitReader::Peek57(int n) const {
  const size_t byte = pos_ >> 3;
  uint64_t w = 0;
  if (byte + 8 <= size_) {
    for (int i = 0; i < 8; ++i) w = w << 8 | data_[byte + i];
  } else {
    for (size_t i = 0; i < 8; ++i) w = w << 8 | (byte + i < size_ ? data_[byte + i] : 0);
  }
  w <<= (pos_ & 7);
  return n == 0 ? 0 : w >> (64 - n);
}

uint64_t BitReader::Read(int n) {
  if (n <= 0) return 0;
  if (!ok_ || size_ * 8 - pos_ < static_cast<size_t>(n)) {
    ok_ = false;
    return 0;
  }
  if (n <= 57) {
    uint64_t v = Peek57(n);
    pos_ += n;
    return v;
  }
  uint64_t hi = Peek57(n - 32);
  pos_ += n - 32;
  uint64_t lo = Peek57(32);
  pos_ += 32;
  return hi << 32 | lo;
}

int BitReader::ReadOnes(int max) {
  if (!ok_) return 0;
  const size_t left = size_ * 8 - pos_;
  const uint64_t w = Peek57(max) << (64 - max);  // the next `max` bits, left-aligned
  int ones = std::countl_one(w);
  if (ones > max) ones = max;
  const size_t used = ones == max ? max : ones + 1;
  if (used > left) {
    ok_ = false;
    return 0;
  }
  pos_ += used;
  return ones;
}

}  // namespace qilian::platform::tsdb
