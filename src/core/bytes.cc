#include "core/bytes.h"

namespace qilian {

bool ByteReader::Need(size_t n) {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}

uint8_t ByteReader::ReadU8() {
  if (!Need(1)) return 0;
  return data_[pos_++];
}

uint16_t ByteReader::ReadU16() {
  if (!Need(2)) return 0;
  uint16_t v = static_cast<uint16_t>(data_[pos_] << 8 | data_[pos_ + 1]);
  pos_ += 2;
  return v;
}

uint32_t ByteReader::ReadU32() {
  if (!Need(4)) return 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = v << 8 | data_[pos_ + i];
  pos_ += 4;
  return v;
}

uint64_t ByteReader::ReadU64() {
  if (!Need(8)) return 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | data_[pos_ + i];
  pos_ += 8;
  return v;
}

std::string_view ByteReader::ReadBytes(size_t n) {
  if (!Need(n)) return {};
  std::string_view v(reinterpret_cast<const char*>(data_.data()) + pos_, n);
  pos_ += n;
  return v;
}

std::string_view ByteReader::ReadLengthPrefixed(size_t max) {
  uint32_t n = ReadU32();
  if (!ok_) return {};
  if (n > max) {
    ok_ = false;
    return {};
  }
  return ReadBytes(n);
}

// Each writes its octets with one append: encoders call these for every
// field of every message, and per-octet push_back showed in profiles.
void ByteWriter::WriteU16(uint16_t v) {
  const char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out_->append(b, 2);
}

void ByteWriter::WriteU32(uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  out_->append(b, 4);
}

void ByteWriter::WriteU64(uint64_t v) {
  WriteU32(static_cast<uint32_t>(v >> 32));
  WriteU32(static_cast<uint32_t>(v));
}

void ByteWriter::WriteLengthPrefixed(std::string_view b) {
  WriteU32(static_cast<uint32_t>(b.size()));
  out_->append(b);
}

size_t ByteWriter::ReserveU32() {
  size_t at = out_->size();
  out_->append(4, '\0');
  return at;
}

void ByteWriter::PatchU32(size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*out_)[offset + i] = static_cast<char>(v >> (24 - 8 * i));
}

}  // namespace qilian
