#include "platform/ingest/batch_payload.h"

#include <bit>
#include <cstring>
#include <string>

namespace qilian::platform {

namespace {

// A sticky-error reader over the payload, little-endian (the batch's byte
// order; core/bytes.h reads network order). The first failure records where
// and why; later reads return zeros and change nothing.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool ok() const { return error_ == nullptr; }
  const char* error() const { return error_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return ok() ? data_.size() - pos_ : 0; }

  void Fail(const char* why) {
    if (error_ == nullptr) error_ = why;
  }

  uint8_t U8() {
    if (!Need(1)) return 0;
    return static_cast<uint8_t>(data_[pos_++]);
  }

  // An n-byte little-endian unsigned integer, n <= 8.
  uint64_t Fixed(size_t n) {
    if (!Need(n)) return 0;
    uint64_t v = 0;
    for (size_t i = n; i > 0; --i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i - 1]);
    pos_ += n;
    return v;
  }

  // Unsigned LEB128 of at most kMaxVarintBytes; the tenth byte may only
  // carry the 64th bit.
  uint64_t Varint() {
    uint64_t v = 0;
    for (size_t i = 0; i < kMaxVarintBytes; ++i) {
      if (!Need(1)) return 0;
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      if (i == kMaxVarintBytes - 1 && b > 1) {
        Fail("varint overflows 64 bits");
        return 0;
      }
      v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) return v;
    }
    Fail("varint overflows 64 bits");
    return 0;
  }

  int64_t Zigzag() {
    uint64_t u = Varint();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }

  std::string_view Bytes(size_t n) {
    if (!Need(n)) return {};
    std::string_view v = data_.substr(pos_, n);
    pos_ += n;
    return v;
  }

 private:
  bool Need(size_t n) {
    if (error_ != nullptr) return false;
    if (data_.size() - pos_ < n) {
      Fail("truncated");
      return false;
    }
    return true;
  }

  std::string_view data_;
  size_t pos_ = 0;
  const char* error_ = nullptr;
};

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

uint64_t ZigzagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

void PutLittleEndian(uint64_t v, int bytes, std::string* out) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

bool IsIdentifierStart(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

bool IsIdentifierChar(char c) { return IsIdentifierStart(c) || (c >= '0' && c <= '9') || c == '-'; }

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
// above U+10FFFF.
bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i - 1 < n) return false;
    for (size_t k = 1; k <= n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

absl::Status Invalid(const std::string& what) {
  return absl::InvalidArgumentError("batch: " + what);
}

std::string SampleAt(size_t i) { return "samples[" + std::to_string(i) + "]: "; }

}  // namespace

size_t VarintLength(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

bool IsBatchPropertyName(std::string_view name) {
  if (name.empty() || name.size() > kMaxBatchNameLength || !IsIdentifierStart(name[0])) {
    return false;
  }
  for (char c : name) {
    if (!IsIdentifierChar(c)) return false;
  }
  return true;
}

absl::Status AppendBatch(const Batch& batch, std::string* out) {
  if ((batch.flags & ~kBatchKnownFlags) != 0) return Invalid("unknown flags");
  if (batch.properties.empty() || batch.properties.size() > kMaxBatchProperties) {
    return Invalid("property count " + std::to_string(batch.properties.size()) + " is outside 1.." +
                   std::to_string(kMaxBatchProperties));
  }
  for (size_t i = 0; i < batch.properties.size(); ++i) {
    if (!IsBatchPropertyName(batch.properties[i])) {
      return Invalid("properties[" + std::to_string(i) + "] is not an identifier of 1..64 bytes");
    }
  }
  if (batch.samples.empty() || batch.samples.size() > kMaxBatchSamples) {
    return Invalid("sample count " + std::to_string(batch.samples.size()) + " is outside 1.." +
                   std::to_string(kMaxBatchSamples));
  }
  const size_t start = out->size();
  out->push_back(static_cast<char>(kBatchMagic0));
  out->push_back(static_cast<char>(kBatchMagic1));
  out->push_back(static_cast<char>(kBatchVersion));
  out->push_back(static_cast<char>(batch.flags));
  PutLittleEndian(static_cast<uint64_t>(batch.base_time_ms), 8, out);
  PutVarint(batch.properties.size(), out);
  for (const std::string& name : batch.properties) {
    out->push_back(static_cast<char>(name.size()));
    out->append(name);
  }
  PutVarint(batch.samples.size(), out);
  for (size_t i = 0; i < batch.samples.size(); ++i) {
    const BatchSample& s = batch.samples[i];
    absl::Status error;
    int64_t offset = 0;
    if (s.property >= batch.properties.size()) {
      error = Invalid(SampleAt(i) + "property index " + std::to_string(s.property) +
                      " is not below the property count");
    } else if (__builtin_sub_overflow(s.time_ms, batch.base_time_ms, &offset)) {
      error = Invalid(SampleAt(i) + "time offset overflows 64 bits");
    } else if (const auto* text = std::get_if<std::string>(&s.value);
               text != nullptr && (text->size() > kMaxBatchTextBytes || !IsUtf8(*text))) {
      error = Invalid(SampleAt(i) + "text is longer than 4096 bytes or not UTF-8");
    }
    if (!error.ok()) {
      out->resize(start);
      return error;
    }
    PutVarint(s.property, out);
    PutVarint(ZigzagEncode(offset), out);
    out->push_back(static_cast<char>(s.value.index() + 1));
    switch (static_cast<BatchTag>(s.value.index() + 1)) {
      case BatchTag::kBool:
        out->push_back(std::get<bool>(s.value) ? 1 : 0);
        break;
      case BatchTag::kInt:
        PutVarint(ZigzagEncode(std::get<int64_t>(s.value)), out);
        break;
      case BatchTag::kDouble:
        PutLittleEndian(std::bit_cast<uint64_t>(std::get<double>(s.value)), 8, out);
        break;
      case BatchTag::kFloat:
        PutLittleEndian(std::bit_cast<uint32_t>(std::get<float>(s.value)), 4, out);
        break;
      case BatchTag::kText: {
        const std::string& text = std::get<std::string>(s.value);
        PutVarint(text.size(), out);
        out->append(text);
        break;
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodeBatch(const Batch& batch) {
  std::string out;
  if (auto status = AppendBatch(batch, &out); !status.ok()) return status;
  return out;
}

absl::Status DecodeBatch(std::string_view payload, Batch* out) {
  Reader r(payload);
  // Header: a short payload is "truncated", checked field by field so that
  // the message names the first field that is wrong.
  uint8_t m0 = r.U8(), m1 = r.U8();
  if (r.ok() && (m0 != kBatchMagic0 || m1 != kBatchMagic1)) return Invalid("bad magic");
  uint8_t version = r.U8();
  if (r.ok() && version != kBatchVersion) {
    return Invalid("unsupported version " + std::to_string(version));
  }
  uint8_t flags = r.U8();
  if (r.ok() && (flags & ~kBatchKnownFlags) != 0) return Invalid("unknown flags");
  int64_t base = static_cast<int64_t>(r.Fixed(8));
  if (!r.ok()) return Invalid(std::string("header: ") + r.error());
  out->base_time_ms = base;
  out->flags = flags;

  uint64_t count = r.Varint();
  if (!r.ok()) return Invalid(std::string("property count: ") + r.error());
  if (count == 0 || count > kMaxBatchProperties) {
    return Invalid("property count " + std::to_string(count) + " is outside 1.." +
                   std::to_string(kMaxBatchProperties));
  }
  const size_t property_count = count;
  out->properties.resize(property_count);
  for (size_t i = 0; i < property_count; ++i) {
    uint8_t length = r.U8();
    std::string_view name = r.Bytes(length);
    if (!r.ok()) return Invalid("properties[" + std::to_string(i) + "]: " + r.error());
    if (!IsBatchPropertyName(name)) {
      return Invalid("properties[" + std::to_string(i) + "] is not an identifier of 1..64 bytes");
    }
    out->properties[i].assign(name);
  }

  count = r.Varint();
  if (!r.ok()) return Invalid(std::string("sample count: ") + r.error());
  if (count == 0 || count > kMaxBatchSamples) {
    return Invalid("sample count " + std::to_string(count) + " is outside 1.." +
                   std::to_string(kMaxBatchSamples));
  }
  // Every sample takes at least 4 bytes (index, offset, tag, a 1-byte
  // value): a count the payload cannot hold is refused before allocating.
  if (count > r.remaining() / 4) {
    return Invalid("truncated: sample count " + std::to_string(count) + " needs at least " +
                   std::to_string(count * 4) + " bytes, " + std::to_string(r.remaining()) +
                   " left");
  }
  const size_t sample_count = count;
  out->samples.resize(sample_count);
  for (size_t i = 0; i < sample_count; ++i) {
    BatchSample& s = out->samples[i];
    uint64_t index = r.Varint();
    int64_t offset = r.Zigzag();
    uint8_t tag = r.U8();
    if (!r.ok()) return Invalid(SampleAt(i) + r.error());
    if (index >= property_count) {
      return Invalid(SampleAt(i) + "property index " + std::to_string(index) +
                     " is not below the property count " + std::to_string(property_count));
    }
    s.property = static_cast<uint32_t>(index);
    if (__builtin_add_overflow(base, offset, &s.time_ms)) {
      return Invalid(SampleAt(i) + "time overflows 64 bits");
    }
    switch (tag) {
      case static_cast<uint8_t>(BatchTag::kBool): {
        uint8_t b = r.U8();
        if (r.ok() && b > 1) return Invalid(SampleAt(i) + "bool byte " + std::to_string(b));
        s.value = b == 1;
        break;
      }
      case static_cast<uint8_t>(BatchTag::kInt):
        s.value = r.Zigzag();
        break;
      case static_cast<uint8_t>(BatchTag::kDouble):
        s.value = std::bit_cast<double>(r.Fixed(8));
        break;
      case static_cast<uint8_t>(BatchTag::kFloat):
        s.value = std::bit_cast<float>(static_cast<uint32_t>(r.Fixed(4)));
        break;
      case static_cast<uint8_t>(BatchTag::kText): {
        uint64_t length = r.Varint();
        if (r.ok() && length > kMaxBatchTextBytes) {
          return Invalid(SampleAt(i) + "text length " + std::to_string(length) + " is over 4096");
        }
        std::string_view text = r.Bytes(length);
        if (r.ok() && !IsUtf8(text)) return Invalid(SampleAt(i) + "text is not UTF-8");
        if (auto* existing = std::get_if<std::string>(&s.value)) {
          existing->assign(text);
        } else {
          s.value.emplace<std::string>(text);
        }
        break;
      }
      default:
        return Invalid(SampleAt(i) + "unknown value tag " + std::to_string(tag));
    }
    if (!r.ok()) return Invalid(SampleAt(i) + r.error());
  }
  if (r.remaining() != 0) {
    return Invalid(std::to_string(r.remaining()) + " bytes after the last sample");
  }
  return absl::OkStatus();
}

}  // namespace qilian::platform
