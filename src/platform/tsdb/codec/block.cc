#include "platform/tsdb/codec/block.h"

#include <zstd.h>

#include <memory>

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

// The zstd context of this thread (sealing runs on the engine's writer, a
// context costs a few hundred KiB to set up).
ZSTD_CCtx* ThreadCCtx() {
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> ctx(ZSTD_createCCtx(),
                                                                     ZSTD_freeCCtx);
  return ctx.get();
}

// The payload as one zstd frame; with `head` > 0, of two zstd blocks, the
// first ending after `head` bytes: each block gets its own entropy tables,
// so a byte-aligned value section is not coded with the statistics of a bit
// stream before it. Any zstd decoder reads it as one frame. Empty when zstd
// fails.
std::string ZstdSplit(std::string_view raw, size_t head, int level) {
  ZSTD_CCtx* ctx = ThreadCCtx();
  ZSTD_CCtx_reset(ctx, ZSTD_reset_session_and_parameters);
  if (ZSTD_isError(ZSTD_CCtx_setParameter(ctx, ZSTD_c_compressionLevel, level)) ||
      ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(ctx, raw.size()))) {
    return {};
  }
  std::string z(ZSTD_compressBound(raw.size()) + 64, '\0');
  ZSTD_outBuffer out{z.data(), z.size(), 0};
  if (head > 0) {
    ZSTD_inBuffer first{raw.data(), head, 0};
    const size_t r = ZSTD_compressStream2(ctx, &out, &first, ZSTD_e_flush);
    if (ZSTD_isError(r) || r != 0 || first.pos != head) return {};
  }
  ZSTD_inBuffer rest{raw.data() + head, raw.size() - head, 0};
  const size_t r = ZSTD_compressStream2(ctx, &out, &rest, ZSTD_e_end);
  if (ZSTD_isError(r) || r != 0) return {};
  z.resize(out.pos);
  return z;
}

// A candidate more than this many times larger raw than the smallest is not
// tried: zstd seldom shrinks a section by that much more than the others (a
// Gorilla stream of decimals is 4 to 5 times the decimal section). Sizes
// depend on it, never correctness.
constexpr size_t kMaxCandidateRatio = 3;

// The level the candidates are compared at: as good a guide as level 3 on
// the benchmark day, and faster (negative levels skip the Huffman coding
// of literals, which is what sets a varint section apart: they mislead).
constexpr int kEstimateLevel = 1;

// The size of the section after zstd, or its raw size when zstd fails or
// does not make it smaller.
size_t CompressedSize(std::string_view section, int level) {
  thread_local std::string scratch;
  scratch.resize(ZSTD_compressBound(section.size()));
  const size_t zn = ZSTD_compressCCtx(ThreadCCtx(), scratch.data(), scratch.size(),
                                      section.data(), section.size(), level);
  return ZSTD_isError(zn) ? section.size() : std::min(zn, section.size());
}

// The candidate whose section is smallest after zstd (alone: each section
// is its own zstd block, below). Ties go to the smaller raw section, then
// the first.
const Candidate* SmallestCompressed(const std::vector<Candidate>& candidates, int level) {
  size_t smallest_raw = candidates.front().section.size();
  for (const Candidate& c : candidates) smallest_raw = std::min(smallest_raw, c.section.size());
  const Candidate* best = nullptr;
  size_t best_z = 0;
  for (const Candidate& c : candidates) {
    if (c.section.size() > kMaxCandidateRatio * smallest_raw + 64) continue;
    const size_t zn = CompressedSize(c.section, level);
    if (best == nullptr || zn < best_z ||
        (zn == best_z && c.section.size() < best->section.size())) {
      best = &c;
      best_z = zn;
    }
  }
  return best;
}

// The first candidate with the smallest section.
const Candidate* SmallestRaw(const std::vector<Candidate>& candidates) {
  const Candidate* best = &candidates.front();
  for (const Candidate& c : candidates) {
    if (c.section.size() < best->section.size()) best = &c;
  }
  return best;
}

// The raw payload of two sections; *head: where the value section starts.
std::string Payload(const Candidate& ts, const Candidate& value, size_t* head) {
  std::string p;
  p.reserve(kMaxVarintBytes + ts.section.size() + value.section.size());
  PutVarint(&p, ts.section.size());
  p.append(ts.section);
  if (head != nullptr) *head = p.size();
  p.append(value.section);
  return p;
}

// The value column's candidates for the second stage (text: its one
// section, as EncodeValues writes it).
absl::StatusOr<std::vector<Candidate>> ValueCandidates(ValuesView values,
                                                      const EncodeOptions& options) {
  switch (values.index()) {
    case 0:
      return FloatCandidates(std::get<0>(values), options.allow_decimal);
    case 1:
      return IntCandidates(std::get<1>(values));
    case 2:
      return BoolCandidates(std::get<2>(values).get());
    default: {
      std::vector<Candidate> c(1);
      absl::StatusOr<uint8_t> e = EncodeValues(values, options, &c[0].section);
      if (!e.ok()) return e.status();
      c[0].encoding = *e;
      return c;
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

absl::StatusOr<std::string> EncodeBlock(ValueKind kind, std::span<const int64_t> timestamps,
                                        ValuesView values, const EncodeOptions& options) {
  const size_t n = timestamps.size();
  if (static_cast<size_t>(kind) != values.index() + 1) {
    return absl::InvalidArgumentError(absl::StrCat("tsdb block: values are not of kind ",
                                                   ValueKindName(kind)));
  }
  if (n == 0 || n > kMaxPointsPerBlock) {
    return absl::InvalidArgumentError(
        absl::StrCat("tsdb block: ", n, " points outside 1..", kMaxPointsPerBlock));
  }
  if (ValuesSize(values) != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "tsdb block: ", n, " timestamps but ", ValuesSize(values), " values"));
  }
  for (size_t i = 1; i < n; ++i) {
    if (timestamps[i] < timestamps[i - 1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("tsdb block: timestamps decrease at point ", i));
    }
  }

  // Without the second stage, each column's smallest section. With it, the
  // column is chosen by its size after zstd: bit streams barely compress,
  // while a byte-aligned section (delta varints of scaled decimals, runs)
  // often compresses far below them. The frame then is smaller than the
  // raw payload of the smallest columns, or that raw payload is stored.
  IntEncoding ts_chosen = IntEncoding::kDeltaVarint;
  uint8_t value_chosen = 0;
  uint8_t flags = 0;
  std::string payload;
  uint32_t raw_size = 0;
  if (!options.allow_zstd) {
    std::string ts;
    ts_chosen = EncodeInts(timestamps, &ts);
    PutVarint(&payload, ts.size());
    payload.append(ts);
    absl::StatusOr<uint8_t> value_encoding = EncodeValues(values, options, &payload);
    if (!value_encoding.ok()) return value_encoding.status();
    value_chosen = *value_encoding;
    if (payload.size() > kMaxPayloadBytes) {
      return absl::InvalidArgumentError("tsdb block: payload over kMaxPayloadBytes");
    }
    raw_size = static_cast<uint32_t>(payload.size());
  } else {
    const std::vector<Candidate> ts_candidates = IntCandidates(timestamps);
    absl::StatusOr<std::vector<Candidate>> value_candidates = ValueCandidates(values, options);
    if (!value_candidates.ok()) return value_candidates.status();
    const Candidate* ts_raw = SmallestRaw(ts_candidates);
    const Candidate* value_raw = SmallestRaw(*value_candidates);
    std::string raw = Payload(*ts_raw, *value_raw, nullptr);
    if (raw.size() > kMaxPayloadBytes) {
      return absl::InvalidArgumentError("tsdb block: payload over kMaxPayloadBytes");
    }
    const Candidate* ts_z = SmallestCompressed(ts_candidates, kEstimateLevel);
    const Candidate* value_z = SmallestCompressed(*value_candidates, kEstimateLevel);
    size_t head = 0;
    std::string other = Payload(*ts_z, *value_z, &head);
    std::string z;
    if (other.size() <= kMaxPayloadBytes) {
      // Two blocks mostly; one when the columns share their statistics (a
      // few bytes smaller: one block header, one set of tables).
      z = ZstdSplit(other, head, options.zstd_level);
      std::string one = ZstdSplit(other, 0, options.zstd_level);
      if (!one.empty() && (z.empty() || one.size() < z.size())) z = std::move(one);
    }
    if (!z.empty() && z.size() < raw.size()) {
      payload = std::move(z);
      raw_size = static_cast<uint32_t>(other.size());
      ts_chosen = static_cast<IntEncoding>(ts_z->encoding);
      value_chosen = value_z->encoding;
      flags |= kFlagZstd;
    } else {
      payload = std::move(raw);
      raw_size = static_cast<uint32_t>(payload.size());
      ts_chosen = static_cast<IntEncoding>(ts_raw->encoding);
      value_chosen = value_raw->encoding;
    }
  }


  std::string out;
  out.reserve(kBlockHeaderBytes + payload.size() + kBlockChecksumBytes);
  ByteWriter w(&out);
  w.WriteU8(kBlockFormatVersion);
  w.WriteU8(static_cast<uint8_t>(kind));
  w.WriteU8(flags);
  w.WriteU8(static_cast<uint8_t>(ts_chosen));
  w.WriteU8(value_chosen);
  w.WriteU32(static_cast<uint32_t>(n));
  w.WriteU64(static_cast<uint64_t>(timestamps.front()));
  w.WriteU64(static_cast<uint64_t>(timestamps.back()));
  w.WriteU32(static_cast<uint32_t>(payload.size()));
  w.WriteU32(raw_size);
  w.WriteBytes(payload);
  w.WriteU32(Crc32c(out));
  return out;
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
  const size_t follows = block.size() - kBlockHeaderBytes;
  const size_t want = size_t{h.payload_bytes} + kBlockChecksumBytes;
  if (follows < want) {
    return Bad(absl::StrCat("truncated: payload length ", h.payload_bytes, " and a ",
                            kBlockChecksumBytes, "-byte checksum need ", want, " bytes, ",
                            follows, " follow the header"));
  }
  if (follows > want) return Bad(absl::StrCat(follows - want, " trailing bytes"));
  return h;
}

absl::StatusOr<Block> DecodeBlock(std::string_view block) {
  absl::StatusOr<BlockHeader> header = DecodeBlockHeader(block);
  if (!header.ok()) return header.status();
  const BlockHeader& h = *header;

  const size_t checked = block.size() - kBlockChecksumBytes;
  ByteReader crc_reader(block.substr(checked));
  const uint32_t stored_crc = crc_reader.ReadU32();
  const uint32_t crc = Crc32c(block.substr(0, checked));
  if (crc != stored_crc) {
    return Bad(absl::StrFormat("checksum 0x%08x does not match the contents (0x%08x)",
                               stored_crc, crc));
  }

  std::string_view payload = block.substr(kBlockHeaderBytes, h.payload_bytes);
  std::string raw;
  if (h.flags & kFlagZstd) {
    raw.resize(h.raw_payload_bytes);
    const size_t n = ZSTD_decompress(raw.data(), raw.size(), payload.data(), payload.size());
    if (ZSTD_isError(n)) return Bad(absl::StrCat("zstd payload: ", ZSTD_getErrorName(n)));
    if (n != h.raw_payload_bytes) {
      return Bad(absl::StrCat("zstd payload decompressed to ", n,
                              " bytes, raw payload length says ", h.raw_payload_bytes));
    }
    payload = raw;
  }

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
  absl::Status s =
      DecodeInts(h.timestamp_encoding, payload.substr(pos, ts_len), h.count, &out.timestamps);
  if (!s.ok()) return Bad(absl::StrCat("timestamps: ", s.message()));
  if (out.timestamps.front() != h.first_timestamp) {
    return Bad(absl::StrCat("first timestamp ", h.first_timestamp, " differs from the column's ",
                            out.timestamps.front()));
  }
  for (size_t i = 1; i < out.timestamps.size(); ++i) {
    if (out.timestamps[i] < out.timestamps[i - 1]) {
      return Bad(absl::StrCat("timestamps: decrease at point ", i));
    }
  }
  if (out.timestamps.back() != h.last_timestamp) {
    return Bad(absl::StrCat("last timestamp ", h.last_timestamp, " differs from the column's ",
                            out.timestamps.back()));
  }
  s = DecodeValues(h.kind, h.value_encoding, payload.substr(pos + ts_len), h.count, &out.values);
  if (!s.ok()) return Bad(absl::StrCat("values: ", s.message()));
  return out;
}

}  // namespace qilian::platform::tsdb
