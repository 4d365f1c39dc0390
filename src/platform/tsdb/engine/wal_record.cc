#include "platform/tsdb/engine/wal_record.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"

namespace qilian::platform::tsdb {
namespace {

inline void PutVarint64(std::string* out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}
inline uint64_t Zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t Unzigzag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

// A checked reader: the first error sticks.
struct Cursor {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p == end) break;
      uint8_t b = *p++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    ok = false;
    return 0;
  }
  uint8_t U8() {
    if (p == end) {
      ok = false;
      return 0;
    }
    return *p++;
  }
  uint64_t Le64() {
    if (end - p < 8) {
      ok = false;
      p = end;
      return 0;
    }
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
    p += 8;
    return v;
  }
  std::string_view Bytes(uint64_t n) {
    if (static_cast<uint64_t>(end - p) < n) {
      ok = false;
      p = end;
      return {};
    }
    std::string_view s(reinterpret_cast<const char*>(p), n);
    p += n;
    return s;
  }
};

absl::Status Malformed(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("tsdb wal record: ", std::string(what)));
}

absl::Status DecodeV1(std::string_view record, const WalVisitor& visit) {
  ByteReader r(record);
  uint32_t n = r.ReadU32();
  for (uint32_t i = 0; i < n && r.ok(); ++i) {
    SeriesId id = r.ReadU64();
    int64_t t = static_cast<int64_t>(r.ReadU64());
    PointValue v;
    switch (r.ReadU8()) {
      case 1:
        v = std::bit_cast<double>(r.ReadU64());
        break;
      case 2:
        v = static_cast<int64_t>(r.ReadU64());
        break;
      case 3:
        v = r.ReadU8() != 0;
        break;
      case 4:
        v = std::string(r.ReadLengthPrefixed(kMaxTextValueBytes));
        break;
      default:
        r.Fail();
    }
    if (!r.ok()) break;
    if (!visit(id, t, std::move(v))) return Malformed("refused a point");
  }
  if (!r.ok() || !r.at_end()) return Malformed("version 1: malformed");
  return absl::OkStatus();
}

}  // namespace

WalRecordWriter::WalRecordWriter(std::string* out, size_t count) : out_(out) {
  out_->clear();
  out_->push_back(static_cast<char>(kWalRecordVersion));
  PutVarint64(out_, count);
}

void WalRecordWriter::Add(SeriesId id, int64_t time_ms, const PointValue& value) {
  PutVarint64(out_, id);
  PutVarint64(out_, Zigzag(static_cast<int64_t>(static_cast<uint64_t>(time_ms) -
                                                static_cast<uint64_t>(previous_))));
  previous_ = time_ms;
  const auto kind = static_cast<uint8_t>(value.index() + 1);
  out_->push_back(static_cast<char>(kind));
  switch (value.index()) {
    case 0: {
      uint64_t bits = std::bit_cast<uint64_t>(std::get<double>(value));
      char buf[8];
      for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(bits >> (8 * i));
      out_->append(buf, 8);
      break;
    }
    case 1:
      PutVarint64(out_, Zigzag(std::get<int64_t>(value)));
      break;
    case 2:
      out_->push_back(std::get<bool>(value) ? 1 : 0);
      break;
    case 3: {
      const std::string& s = std::get<std::string>(value);
      PutVarint64(out_, s.size());
      out_->append(s);
      break;
    }
  }
}

absl::Status DecodeWalRecord(std::string_view record, const WalVisitor& visit) {
  if (record.empty()) return Malformed("empty");
  // Version 1 began with a big-endian u32 count: its first byte is 0 for
  // any record under 16 M points, and a Write takes at most 2^32 - 1.
  if (static_cast<uint8_t>(record[0]) != kWalRecordVersion) {
    if (record[0] == 0) return DecodeV1(record, visit);
    return Malformed(absl::StrCat("version ", static_cast<uint8_t>(record[0]), " unsupported"));
  }
  const auto* data = reinterpret_cast<const uint8_t*>(record.data());
  Cursor c{data + 1, data + record.size()};
  uint64_t n = c.Varint();
  // Each point takes at least 4 bytes: bound the count before looping.
  if (!c.ok || n > record.size() / 4) return Malformed("bad count");
  int64_t t = 0;
  for (uint64_t i = 0; i < n; ++i) {
    SeriesId id = c.Varint();
    const auto delta = static_cast<uint64_t>(Unzigzag(c.Varint()));
    t = static_cast<int64_t>(static_cast<uint64_t>(t) + delta);
    PointValue v;
    switch (c.U8()) {
      case 1:
        v = std::bit_cast<double>(c.Le64());
        break;
      case 2:
        v = Unzigzag(c.Varint());
        break;
      case 3:
        v = c.U8() != 0;
        break;
      case 4: {
        uint64_t len = c.Varint();
        if (len > kMaxTextValueBytes) c.ok = false;
        if (c.ok) v = std::string(c.Bytes(len));
        break;
      }
      default:
        c.ok = false;
    }
    if (!c.ok) return Malformed(absl::StrCat("point ", i, ": truncated or unknown kind"));
    if (!visit(id, t, std::move(v))) return Malformed(absl::StrCat("point ", i, ": refused"));
  }
  if (c.p != c.end) return Malformed("trailing bytes");
  return absl::OkStatus();
}

void AppendWalRecordV1(std::string* out, SeriesId id, int64_t time_ms, const PointValue& value) {
  ByteWriter w(out);
  w.WriteU64(id);
  w.WriteU64(static_cast<uint64_t>(time_ms));
  w.WriteU8(static_cast<uint8_t>(value.index() + 1));
  switch (value.index()) {
    case 0:
      w.WriteU64(std::bit_cast<uint64_t>(std::get<double>(value)));
      break;
    case 1:
      w.WriteU64(static_cast<uint64_t>(std::get<int64_t>(value)));
      break;
    case 2:
      w.WriteU8(std::get<bool>(value) ? 1 : 0);
      break;
    case 3:
      w.WriteLengthPrefixed(std::get<std::string>(value));
      break;
  }
}

}  // namespace qilian::platform::tsdb
