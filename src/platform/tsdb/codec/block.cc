#include "platform/tsdb/codec/block.h"

#include <zstd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/bytes.h"
#include "platform/tsdb/codec/crc32c.h"

namespace qilian::platform::tsdb {

namespace {

absl::Status Bad(const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("tsdb block: ", what));
}

int ValueEncodingCount(ValueKind kind) {
  switch (kind) {
    case ValueKind::kFloat:
      return kFloatEncodingCount;
    case ValueKind::kInt:
      return kIntEncodingCount;
    case ValueKind::kBool:
      return kBoolEncodingCount;
    case ValueKind::kText:
      return kTextEncodingCount;
  }
  return 0;
}

// Appends the value column's section; returns its encoding id.
absl::StatusOr<uint8_t> EncodeValues(ValuesView values, const EncodeOptions& options,
                                     std::string* out) {
  switch (values.index()) {
    case 0:
      return static_cast<uint8_t>(
          EncodeFloats(std::get<0>(values), out, options.allow_decimal));
    case 1:
      return static_cast<uint8_t>(EncodeInts(std::get<1>(values), out));
    case 2:
      return static_cast<uint8_t>(EncodeBools(std::get<2>(values).get(), out));
    default: {
      absl::StatusOr<TextEncoding> e = EncodeText(std::get<3>(values), out);
      if (!e.ok()) return e.status();
      return static_cast<uint8_t>(*e);
    }
  }
}

size_t ValuesSize(ValuesView values) {
  return std::visit(
      [](const auto& v) -> size_t {
        if constexpr (requires { v.get(); }) {
          return v.get().size();
        } else {
          return v.size();
        }
      },
      values);
}

absl::Status DecodeValues(ValueKind kind, uint8_t encoding, std::string_view section,
                          size_t count, Values* out) {
  switch (kind) {
    case ValueKind::kFloat:
      return DecodeFloats(static_cast<FloatEncoding>(encoding), section, count,
                          &out->emplace<0>());
    case ValueKind::kInt:
      return DecodeInts(static_cast<IntEncoding>(encoding), section, count, &out->emplace<1>());
    case ValueKind::kBool:
      return DecodeBools(static_cast<BoolEncoding>(encoding), section, count,
                         &out->emplace<2>());
    case ValueKind::kText:
      return DecodeText(static_cast<TextEncoding>(encoding), section, count, &out->emplace<3>());
  }
  return Bad("value kind unknown");
}

}  // namespace

const char* ValueKindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kFloat:
      return "float";
    case ValueKind::kInt:
      return "int";
    case ValueKind::kBool:
      return "bool";
    case ValueKind::kText:
      return "text";
  }
  return "unknown";
}

namespace {

// Checks the columns EncodeBlock and EncodeTimestampColumn take.
absl::Status CheckTimestamps(std::span<const int64_t> timestamps) {
  const size_t n = timestamps.size();
  if (n == 0 || n > kMaxPointsPerBlock) {
    return absl::InvalidArgumentError(
        absl::StrCat("tsdb block: ", n, " points outside 1..", kMaxPointsPerBlock));
  }
  for (size_t i = 1; i < n; ++i) {
    if (timestamps[i] < timestamps[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("tsdb block: timestamps decrease at point ", i));
    }
  }
  return absl::OkStatus();
}

// The header, the column id when the timestamps are shared, the payload
// (zstd-compressed when allowed and smaller) and the checksum.
absl::StatusOr<std::string> Finish(ValueKind kind, uint8_t flags, IntEncoding ts_encoding,
                                   uint8_t value_encoding, std::span<const int64_t> timestamps,
                                   uint64_t column, std::string payload,
                                   const EncodeOptions& options) {
  if (payload.size() > kMaxPayloadBytes) {
    return absl::InvalidArgumentError("tsdb block: payload over kMaxPayloadBytes");
  }
  const uint32_t raw_size = static_cast<uint32_t>(payload.size());
  if (options.allow_zstd) {
    std::string z(ZSTD_compressBound(payload.size()), '\0');
    const size_t zn =
        ZSTD_compress(z.data(), z.size(), payload.data(), payload.size(), options.zstd_level);
    if (!ZSTD_isError(zn) && zn < payload.size()) {
      z.resize(zn);
      payload = std::move(z);
      flags |= kFlagZstd;
    }
  }
  std::string out;
  out.reserve(kBlockHeaderBytes + 8 + payload.size() + kBlockChecksumBytes);
  ByteWriter w(&out);
  w.WriteU8(kBlockFormatVersion);
  w.WriteU8(static_cast<uint8_t>(kind));
  w.WriteU8(flags);
  w.WriteU8(static_cast<uint8_t>(ts_encoding));
  w.WriteU8(value_encoding);
  w.WriteU32(static_cast<uint32_t>(timestamps.size()));
  w.WriteU64(static_cast<uint64_t>(timestamps.front()));
  w.WriteU64(static_cast<uint64_t>(timestamps.back()));
  w.WriteU32(static_cast<uint32_t>(payload.size()));
  w.WriteU32(raw_size);
  if (flags & kFlagSharedTimestamps) w.WriteU64(column);
  w.WriteBytes(payload);
  w.WriteU32(Crc32c(out));
  return out;
}

}  // namespace

absl::StatusOr<std::string> EncodeBlock(ValueKind kind, std::span<const int64_t> timestamps,
                                        ValuesView values, const EncodeOptions& options,
                                        uint64_t shared_column) {
  const size_t n = timestamps.size();
  if (static_cast<size_t>(kind) != values.index() + 1) {
    return absl::InvalidArgumentError(absl::StrCat("tsdb block: values are not of kind ",
                                                   ValueKindName(kind)));
  }
  if (absl::Status st = CheckTimestamps(timestamps); !st.ok()) return st;
  if (ValuesSize(values) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tsdb block: ", n, " timestamps but ", ValuesSize(values), " values"));
  }
  // A shared block's timestamp section is empty: its column is stored once
  // for the series that share it (EncodeTimestampColumn).
  std::string ts;
  IntEncoding ts_encoding = IntEncoding::kDeltaVarint;
  if (shared_column == 0) ts_encoding = EncodeInts(timestamps, &ts);
  std::string payload;
  PutVarint(&payload, ts.size());
  payload.append(ts);
  absl::StatusOr<uint8_t> value_encoding = EncodeValues(values, options, &payload);
  if (!value_encoding.ok()) return value_encoding.status();
  return Finish(kind, shared_column == 0 ? 0 : kFlagSharedTimestamps, ts_encoding,
                *value_encoding, timestamps, shared_column, std::move(payload), options);
}

absl::StatusOr<std::string> EncodeTimestampColumn(std::span<const int64_t> timestamps,
                                                  const EncodeOptions& options) {
  if (absl::Status st = CheckTimestamps(timestamps); !st.ok()) return st;
  std::string ts;
  const IntEncoding ts_encoding = EncodeInts(timestamps, &ts);
  std::string payload;
  PutVarint(&payload, ts.size());
  payload.append(ts);
  return Finish(ValueKind::kInt, kFlagTimestampsOnly, ts_encoding, 0, timestamps, 0,
                std::move(payload), options);
}

absl::StatusOr<BlockHeader> DecodeBlockHeader(std::string_view block) {
  if (block.size() < kBlockHeaderBytes) {
    return Bad(absl::StrCat("header truncated: ", block.size(), " of ", kBlockHeaderBytes,
                            " bytes"));
  }
  ByteReader r(block);
  BlockHeader h;
  h.version = r.ReadU8();
  const uint8_t kind = r.ReadU8();
  h.flags = r.ReadU8();
  const uint8_t ts_encoding = r.ReadU8();
  h.value_encoding = r.ReadU8();
  h.count = r.ReadU32();
  h.first_timestamp = static_cast<int64_t>(r.ReadU64());
  h.last_timestamp = static_cast<int64_t>(r.ReadU64());
  h.payload_bytes = r.ReadU32();
  h.raw_payload_bytes = r.ReadU32();

  if (h.version != kBlockFormatVersion) {
    return Bad(absl::StrCat("format version ", h.version, " unsupported (this build reads ",
                            kBlockFormatVersion, ")"));
  }
  if (kind < 1 || kind > 4) return Bad(absl::StrCat("value kind ", kind, " unknown"));
  h.kind = static_cast<ValueKind>(kind);
  if (h.flags & ~kKnownFlags) {
    return Bad(absl::StrFormat("flags 0x%02x have unknown bits", h.flags));
  }
  if ((h.flags & kFlagSharedTimestamps) && (h.flags & kFlagTimestampsOnly)) {
    return Bad(absl::StrFormat("flags 0x%02x: shared timestamps and timestamps only together",
                               h.flags));
  }
  if (ts_encoding >= kIntEncodingCount) {
    return Bad(absl::StrCat("timestamp encoding ", ts_encoding, " unknown"));
  }
  h.timestamp_encoding = static_cast<IntEncoding>(ts_encoding);
  if (h.value_encoding >= ValueEncodingCount(h.kind)) {
    return Bad(absl::StrCat("value encoding ", h.value_encoding, " unknown for ",
                            ValueKindName(h.kind), " values"));
  }
  if (h.count == 0 || h.count > kMaxPointsPerBlock) {
    return Bad(absl::StrCat("count ", h.count, " outside 1..", kMaxPointsPerBlock));
  }
  if (h.first_timestamp > h.last_timestamp) {
    return Bad(absl::StrCat("first timestamp ", h.first_timestamp, " after last timestamp ",
                            h.last_timestamp));
  }
  if (h.raw_payload_bytes > kMaxPayloadBytes) {
    return Bad(absl::StrCat("raw payload length ", h.raw_payload_bytes, " over the limit of ",
                            kMaxPayloadBytes));
  }
  if (!(h.flags & kFlagZstd) && h.raw_payload_bytes != h.payload_bytes) {
    return Bad(absl::StrCat("raw payload length ", h.raw_payload_bytes,
                            " differs from payload length ", h.payload_bytes,
                            " in an uncompressed block"));
  }
  size_t header_bytes = kBlockHeaderBytes;
  if (h.flags & kFlagSharedTimestamps) {
    if (block.size() < kBlockHeaderBytes + 8) {
      return Bad("timestamp column id truncated");
    }
    h.timestamp_column = r.ReadU64();
    if (h.timestamp_column == 0) return Bad("timestamp column id 0");
    header_bytes += 8;
  }
  const size_t follows = block.size() - header_bytes;
  const size_t want = size_t{h.payload_bytes} + kBlockChecksumBytes;
  if (follows < want) {
    return Bad(absl::StrCat("truncated: payload length ", h.payload_bytes, " and a ",
                            kBlockChecksumBytes, "-byte checksum need ", want, " bytes, ",
                            follows, " follow the header"));
  }
  if (follows > want) return Bad(absl::StrCat(follows - want, " trailing bytes"));
  return h;
}

namespace {

// Checks the header and checksum, decompresses; `*raw` keeps the payload's
// bytes when they had to be decompressed.
absl::StatusOr<std::string_view> OpenPayload(std::string_view block, const BlockHeader& h,
                                             std::string* raw) {
  const size_t checked = block.size() - kBlockChecksumBytes;
  ByteReader crc_reader(block.substr(checked));
  const uint32_t stored_crc = crc_reader.ReadU32();
  const uint32_t crc = Crc32c(block.substr(0, checked));
  if (crc != stored_crc) {
    return Bad(absl::StrFormat("checksum 0x%08x does not match the contents (0x%08x)",
                               stored_crc, crc));
  }
  const size_t header_bytes = kBlockHeaderBytes + ((h.flags & kFlagSharedTimestamps) ? 8 : 0);
  std::string_view payload = block.substr(header_bytes, h.payload_bytes);
  if (h.flags & kFlagZstd) {
    raw->resize(h.raw_payload_bytes);
    const size_t n = ZSTD_decompress(raw->data(), raw->size(), payload.data(), payload.size());
    if (ZSTD_isError(n)) return Bad(absl::StrCat("zstd payload: ", ZSTD_getErrorName(n)));
    if (n != h.raw_payload_bytes) {
      return Bad(absl::StrCat("zstd payload decompressed to ", n,
                              " bytes, raw payload length says ", h.raw_payload_bytes));
    }
    payload = *raw;
  }
  return payload;
}

// Checks a timestamp column against the header: count, ends, order.
absl::Status CheckColumn(const BlockHeader& h, std::span<const int64_t> ts) {
  if (ts.size() != h.count) {
    return Bad(absl::StrCat("timestamps: ", ts.size(), " for a count of ", h.count));
  }
  if (ts.front() != h.first_timestamp) {
    return Bad(absl::StrCat("first timestamp ", h.first_timestamp, " differs from the column's ",
                            ts.front()));
  }
  for (size_t i = 1; i < ts.size(); ++i) {
    if (ts[i] < ts[i - 1]) return Bad(absl::StrCat("timestamps: decrease at point ", i));
  }
  if (ts.back() != h.last_timestamp) {
    return Bad(absl::StrCat("last timestamp ", h.last_timestamp, " differs from the column's ",
                            ts.back()));
  }
  return absl::OkStatus();
}

// Decodes `block`; its timestamps from its own section, or `shared` (the
// column it names) when it has none.
absl::StatusOr<Block> Decode(std::string_view block, std::span<const int64_t> shared,
                             bool column) {
  absl::StatusOr<BlockHeader> header = DecodeBlockHeader(block);
  if (!header.ok()) return header.status();
  const BlockHeader& h = *header;
  if (column != static_cast<bool>(h.flags & kFlagTimestampsOnly)) {
    return Bad(column ? "not a timestamp column" : "a timestamp column, not a block");
  }
  const bool is_shared = h.flags & kFlagSharedTimestamps;
  if (is_shared && shared.empty()) {
    return Bad(absl::StrCat("its timestamps are in column ", h.timestamp_column,
                            ", which the caller did not give"));
  }
  std::string raw;
  absl::StatusOr<std::string_view> opened = OpenPayload(block, h, &raw);
  if (!opened.ok()) return opened.status();
  std::string_view payload = *opened;

  // The timestamp section's length (a varint), the section, then the values.
  uint64_t ts_len = 0;
  size_t pos = 0;
  for (int shift = 0;; shift += 7) {
    if (pos >= payload.size() || shift >= 35) return Bad("timestamp section length malformed");
    const uint8_t b = static_cast<uint8_t>(payload[pos++]);
    ts_len |= uint64_t{b & 0x7Fu} << shift;
    if (!(b & 0x80)) break;
  }
  if (ts_len > payload.size() - pos) {
    return Bad(absl::StrCat("timestamp section length ", ts_len, " exceeds the ",
                            payload.size() - pos, " payload bytes left"));
  }

  Block out;
  out.header = h;
  if (is_shared) {
    if (ts_len != 0) return Bad(absl::StrCat("timestamp section of ", ts_len,
                                             " bytes in a block with shared timestamps"));
    out.timestamps.assign(shared.begin(), shared.end());
  } else {
    absl::Status s =
        DecodeInts(h.timestamp_encoding, payload.substr(pos, ts_len), h.count, &out.timestamps);
    if (!s.ok()) return Bad(absl::StrCat("timestamps: ", s.message()));
  }
  if (absl::Status s = CheckColumn(h, out.timestamps); !s.ok()) return s;
  if (h.flags & kFlagTimestampsOnly) {
    if (pos + ts_len != payload.size()) {
      return Bad(absl::StrCat(payload.size() - pos - ts_len,
                              " bytes after the timestamps of a timestamp column"));
    }
    return out;
  }
  absl::Status s =
      DecodeValues(h.kind, h.value_encoding, payload.substr(pos + ts_len), h.count, &out.values);
  if (!s.ok()) return Bad(absl::StrCat("values: ", s.message()));
  return out;
}

}  // namespace

absl::StatusOr<Block> DecodeBlock(std::string_view block) { return Decode(block, {}, false); }

absl::StatusOr<Block> DecodeBlock(std::string_view block,
                                  std::span<const int64_t> shared_timestamps) {
  return Decode(block, shared_timestamps, false);
}

absl::StatusOr<std::vector<int64_t>> DecodeTimestampColumn(std::string_view column) {
  absl::StatusOr<Block> block = Decode(column, {}, true);
  if (!block.ok()) return block.status();
  return std::move(block->timestamps);
}

}  // namespace qilian::platform::tsdb
