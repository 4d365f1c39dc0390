// Big-endian (network order) readers and writers for wire and storage formats.
//
// ByteReader is a checked decoder with a sticky error, as in Knot's wire_ctx:
// once a read runs past the end (or a caller calls Fail), every later read
// returns zeros/empty and ok() stays false, so a decoder reads a whole
// structure and checks ok() once. Lengths read from input must be compared
// with remaining() before anything is allocated; ReadBytes does that itself.
#ifndef QILIAN_CORE_BYTES_H_
#define QILIAN_CORE_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace qilian {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}
  explicit ByteReader(std::string_view data)
      : data_(reinterpret_cast<const uint8_t*>(data.data()), data.size()) {}

  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  size_t position() const { return pos_; }
  bool at_end() const { return remaining() == 0; }

  uint8_t ReadU8();
  uint16_t ReadU16();
  uint32_t ReadU32();
  uint64_t ReadU64();
  // Returns a view of the next `n` bytes, or fails (and returns empty) if
  // fewer remain. The view aliases the reader's input.
  std::string_view ReadBytes(size_t n);
  // A u32 length followed by that many bytes (RFC 3652 "UTF8-String" and
  // length-prefixed data). Fails if the length exceeds what remains or `max`.
  std::string_view ReadLengthPrefixed(size_t max = SIZE_MAX);
  void Skip(size_t n) { ReadBytes(n); }

  // Marks the reader failed, e.g. when a decoded field is out of range.
  void Fail() { ok_ = false; }

 private:
  bool Need(size_t n);

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(std::string* out) : out_(out) {}

  void WriteU8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void WriteU16(uint16_t v);
  void WriteU32(uint32_t v);
  void WriteU64(uint64_t v);
  void WriteBytes(std::string_view b) { out_->append(b); }
  // u32 length followed by the bytes.
  void WriteLengthPrefixed(std::string_view b);

  // Reserves a u32 slot and returns its offset; PatchU32 fills it in later
  // (for lengths known only after the body is written).
  size_t ReserveU32();
  void PatchU32(size_t offset, uint32_t v);

  size_t size() const { return out_->size(); }
  const std::string& data() const { return *out_; }
  std::string Release() { return std::move(*out_); }

 private:
  std::string own_;
  std::string* out_ = &own_;
};

}  // namespace qilian

#endif  // QILIAN_CORE_BYTES_H_
