// Bit streams for the time-series block codecs (docs/tsdb.md, "Block
// format"): bits are written most significant first, packed into bytes from
// the high bit down, and the last byte is padded with zero bits.
//
// BitReader is bounds-checked with a sticky error, like core/bytes.h's
// ByteReader: a read past the end returns zeros and leaves ok() false, so a
// decoder reads a whole column and checks ok() once.
#ifndef QILIAN_PLATFORM_TSDB_CODEC_BIT_STREAM_H_
#define QILIAN_PLATFORM_TSDB_CODEC_BIT_STREAM_H_

#include <bit>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace qilian::platform::tsdb {

class BitWriter {
 public:
  // Appends to *out (which must outlive the writer); Finish flushes.
  explicit BitWriter(std::string* out) : out_(out) {}

  // Writes the low `n` bits of `v` (0 <= n <= 64), most significant first.
  void Write(uint64_t v, int n) {
    if (n <= 0) return;
    if (n < 64) v &= (uint64_t{1} << n) - 1;
    if (n < 64 - used_) {
      acc_ = (acc_ << n) | v;
      used_ += n;
      return;
    }
    Spill(v, n);
  }
  void WriteBit(bool b) { Write(b ? 1 : 0, 1); }
  // Flushes the pending bits, padding the last byte with zeros.
  void Finish();

  // Bits written so far (flushed and pending).
  size_t bit_count() const { return flushed_bits_ + used_; }

 private:
  // Write's slow path: the accumulator fills up and 64 bits go out.
  void Spill(uint64_t v, int n);

  std::string* out_;
  uint64_t acc_ = 0;  // pending bits, right-aligned
  int used_ = 0;      // pending bit count, 0..63
  size_t flushed_bits_ = 0;
};

class BitReader {
 public:
  explicit BitReader(std::string_view data)
      : data_(reinterpret_cast<const uint8_t*>(data.data())), size_(data.size()) {}

  bool ok() const { return ok_; }
  // Bits consumed so far, and bytes touched (the consumed bits rounded up).
  size_t bit_position() const { return pos_; }
  size_t bytes_consumed() const { return (pos_ + 7) / 8; }
  size_t bits_left() const { return ok_ ? size_ * 8 - pos_ : 0; }

  // Reads `n` bits (0 <= n <= 64) as an unsigned value; past the end it
  // fails and returns 0.
  uint64_t Read(int n) {
    if (n <= 0) return 0;
    if (!ok_ || size_ * 8 - pos_ < static_cast<size_t>(n)) {
      ok_ = false;
      return 0;
    }
    if (n <= 57) {
      const uint64_t v = Peek57() >> (64 - n);
      pos_ += n;
      return v;
    }
    const uint64_t hi = Peek57() >> (64 - (n - 32));
    pos_ += n - 32;
    const uint64_t lo = Peek57() >> 32;
    pos_ += 32;
    return hi << 32 | lo;
  }
  // The next 57 bits, left-aligned in the result (the low 7 bits are 0,
  // bits past the end read as 0); consumes nothing and never fails.
  uint64_t Peek57() const {
    const size_t byte = pos_ >> 3;
    uint64_t w;
    if (byte + 8 <= size_) {
      std::memcpy(&w, data_ + byte, 8);
      if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    } else {
      w = 0;
      for (size_t i = 0; i < 8; ++i) w = w << 8 | (byte + i < size_ ? data_[byte + i] : 0);
    }
    return (w << (pos_ & 7)) & ~uint64_t{0x7F};
  }
  // Consumes `n` bits; fails (and returns false) past the end.
  bool Skip(size_t n) {
    if (!ok_ || size_ * 8 - pos_ < n) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }
  bool ReadBit() { return Read(1) != 0; }
  // Counts '1' bits up to the first '0' or until `max` ones were read (the
  // prefix of a bucketed value); the terminating '0' is consumed.
  int ReadOnes(int max) {
    if (!ok_) return 0;
    int ones = std::countl_one(Peek57());
    if (ones > max) ones = max;
    return Skip(ones == max ? max : ones + 1) ? ones : 0;
  }

  void Fail() { ok_ = false; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Zigzag maps signed to unsigned so that small magnitudes stay small.
inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_CODEC_BIT_STREAM_H_
