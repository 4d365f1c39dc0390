// A little-endian reader with a sticky error (EtherNet/IP and CIP put every
// integer little-endian; core/bytes.h's ByteReader is big-endian), and the
// two ways bytes go into events: hex, and strings with non-printable bytes
// escaped so the JSON is always valid UTF-8.
#ifndef QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_READER_H_
#define QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_READER_H_

#include <cstdint>
#include <span>
#include <string>

#include "security/common/wire_text.h"

namespace qilian::security::enip {

class LeReader {
 public:
  explicit LeReader(std::span<const uint8_t> b) : b_(b) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? b_.size() - pos_ : 0; }
  size_t position() const { return pos_; }
  // The next `n` bytes, or an empty span and a failed reader if fewer remain.
  std::span<const uint8_t> Take(size_t n) {
    if (!ok_ || n > b_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::span<const uint8_t> s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  uint32_t Uint(size_t n) {
    std::span<const uint8_t> s = Take(n);
    uint32_t v = 0;
    for (size_t i = s.size(); i > 0; --i) v = v << 8 | s[i - 1];
    return v;
  }
  uint8_t U8() { return static_cast<uint8_t>(Uint(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Uint(2)); }
  uint32_t U32() { return Uint(4); }
  std::span<const uint8_t> Rest() { return Take(remaining()); }
  void Fail() { ok_ = false; }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace qilian::security::enip

#endif  // QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_READER_H_
