// A little-endian reader for DNP3 (every DNP3 multi-byte field is least
// significant byte first, unlike core/bytes.h's network order). Its error
// sticks, as ByteReader's: read a structure, then check ok() once.
#ifndef QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_READER_H_
#define QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_READER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace qilian::security::dnp3 {

class LeReader {
 public:
  explicit LeReader(std::span<const uint8_t> data) : data_(data) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  bool at_end() const { return remaining() == 0; }

  // An unsigned field of `n` bytes (1..8).
  uint64_t ReadUint(size_t n) {
    if (!Need(n)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t{data_[pos_ + i]} << (8 * i);
    pos_ += n;
    return v;
  }
  uint8_t ReadU8() { return static_cast<uint8_t>(ReadUint(1)); }
  uint16_t ReadU16() { return static_cast<uint16_t>(ReadUint(2)); }
  uint32_t ReadU32() { return static_cast<uint32_t>(ReadUint(4)); }
  // The next `n` bytes, or empty (and failed) if fewer remain.
  std::span<const uint8_t> ReadBytes(size_t n) {
    if (!Need(n)) return {};
    std::span<const uint8_t> out = data_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  void Skip(size_t n) { ReadBytes(n); }
  void Fail() { ok_ = false; }

 private:
  bool Need(size_t n) {
    if (!ok_ || data_.size() - pos_ < n) ok_ = false;
    return ok_;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace qilian::security::dnp3

#endif  // QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_READER_H_
