// Bit streams for the time-series block codecs (docs/tsdb.md, "Block
// format"): bits are written most significant first, packed into bytes from
// the high bit down, and the last byte is padded with zero bits.
//
// BitReader is bounds-checked with a sticky error, like core/bytes.h's
// ByteReader: a read past the end returns zeros and leaves ok() false, so a
// decoder reads a whole column and checks ok() once.
#ifndef QILIAN_PLATFORM_TSDB_CODEC_BIT_STREAM_H_
#define QILIAN_PLATFORM_TSDB_CODEC_BIT_STREAM_H_

#include <cstddef>
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
  void Write(uint64_t v, int n);
  void WriteBit(bool b) { Write(b ? 1 : 0, 1); }
  // Flushes the pending bits, padding the last byte with zeros.
  void Finish();

  // Bits written so far (flushed and pending).
  size_t bit_count() const { return flushed_bits_ + used_; }

 private:
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
  uint64_t Read(int n);
  bool ReadBit() { return Read(1) != 0; }
  // Counts '1' bits up to the first '0' or until `max` ones were read (the
  // prefix of a bucketed value); the terminating '0' is consumed.
  int ReadOnes(int max);

  void Fail() { ok_ = false; }

 private:
  // Up to 57 bits at pos_ without bounds checks beyond the buffer's end
  // (missing bytes read as zero); callers check the length first.
  uint64_t Peek57(int n) const;

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
