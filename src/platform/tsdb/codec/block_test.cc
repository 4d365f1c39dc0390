#include "platform/tsdb/codec/block.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/bytes.h"
#include "platform/tsdb/codec/crc32c.h"

namespace qilian::platform::tsdb {
namespace {

const std::vector<int64_t> kStamps = {1000, 2000, 3000};
const std::vector<double> kOneAndAHalf = {1.5, 1.5, 1.5};

// Header, 11-byte payload, checksum of the block {1000,2000,3000} x 1.5:
// timestamps as delta varints (D0 0F three times), values as decimals
// (exponent 1, run length: 15 three times).
std::string GoldenBlock() {
  return std::string(
      "\x01\x01\x00\x00\x01"              // version 1, float, no flags, delta varints, decimal
      "\x00\x00\x00\x03"                  // count
      "\x00\x00\x00\x00\x00\x00\x03\xE8"  // first timestamp 1000
      "\x00\x00\x00\x00\x00\x00\x0B\xB8"  // last timestamp 3000
      "\x00\x00\x00\x0B\x00\x00\x00\x0B"  // payload length 11, raw 11
      "\x06\xD0\x0F\xD0\x0F\xD0\x0F"      // timestamp section
      "\x01\x03\x1E\x03",                 // value section
      44);
}

// Rewrites the trailing CRC so that a corrupted field reaches its own check.
std::string Reseal(std::string block) {
  const size_t n = block.size() - kBlockChecksumBytes;
  std::string crc;
  ByteWriter(&crc).WriteU32(Crc32c(std::string_view(block).substr(0, n)));
  return block.replace(n, kBlockChecksumBytes, crc);
}

std::string Patched(std::string block, size_t offset, std::string_view bytes) {
  block.replace(offset, bytes.size(), bytes);
  return Reseal(block);
}

std::string Be32(uint32_t v) {
  std::string s;
  ByteWriter(&s).WriteU32(v);
  return s;
}
std::string Be64(int64_t v) {
  std::string s;
  ByteWriter(&s).WriteU64(static_cast<uint64_t>(v));
  return s;
}

std::string DecodeError(const std::string& block) {
  absl::StatusOr<Block> b = DecodeBlock(block);
  return b.ok() ? "ok" : std::string(b.status().message());
}

TEST(BlockTest, GoldenBytes) {
  absl::StatusOr<std::string> block = EncodeBlock(ValueKind::kFloat, kStamps, kOneAndAHalf);
  ASSERT_TRUE(block.ok()) << block.status();
  const std::string golden = GoldenBlock();
  ASSERT_EQ(block->size(), golden.size() + kBlockChecksumBytes);
  EXPECT_EQ(block->substr(0, golden.size()), golden);
  EXPECT_EQ(*block, Reseal(golden + std::string(4, '\0')));
  // The checksum itself, pinned: CRC-32C of the 44 bytes above.
  EXPECT_EQ(block->substr(44), Be32(Crc32c(golden)));

  absl::StatusOr<Block> back = DecodeBlock(*block);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->timestamps, kStamps);
  EXPECT_EQ(std::get<std::vector<double>>(back->values), kOneAndAHalf);
  EXPECT_EQ(back->header.count, 3u);
  EXPECT_EQ(back->header.value_encoding, static_cast<uint8_t>(FloatEncoding::kDecimal));
}

template <typename T>
void ExpectRoundTrip(ValueKind kind, const std::vector<int64_t>& ts, const T& values,
                     const EncodeOptions& options = {}) {
  absl::StatusOr<std::string> block = EncodeBlock(kind, ts, values, options);
  ASSERT_TRUE(block.ok()) << block.status();
  absl::StatusOr<BlockHeader> header = DecodeBlockHeader(*block);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->first_timestamp, ts.front());
  EXPECT_EQ(header->last_timestamp, ts.back());
  absl::StatusOr<Block> back = DecodeBlock(*block);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->timestamps, ts);
  const T& got = std::get<T>(back->values);
  if constexpr (std::is_same_v<T, std::vector<double>>) {
    ASSERT_EQ(got.size(), values.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(std::bit_cast<uint64_t>(got[i]), std::bit_cast<uint64_t>(values[i])) << i;
    }
  } else {
    EXPECT_EQ(got, values);
  }
}

TEST(BlockTest, RoundTripsEveryKind) {
  std::mt19937_64 rng(1);
  for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{100}, kMaxPointsPerBlock}) {
    std::vector<int64_t> ts;
    std::vector<double> f;
    std::vector<int64_t> ints;
    std::vector<bool> bools;
    std::vector<std::string> text;
    int64_t t = 1'765'000'000'000;
    for (size_t i = 0; i < n; ++i) {
      t += 1000 + static_cast<int64_t>(rng() % 7) - 3;
      if (i % 777 == 5) t += 3'600'000;  // gaps
      ts.push_back(t);
      f.push_back(std::round(std::sin(i / 100.0) * 1000) / 100);
      ints.push_back(static_cast<int64_t>(rng() % 100));
      bools.push_back((i / 50) % 2);
      text.push_back(i % 3 ? "Running" : "Idle");
    }
    for (bool zstd : {false, true}) {
      EncodeOptions o;
      o.allow_zstd = zstd;
      ExpectRoundTrip(ValueKind::kFloat, ts, f, o);
      ExpectRoundTrip(ValueKind::kInt, ts, ints, o);
      ExpectRoundTrip(ValueKind::kBool, ts, bools, o);
      ExpectRoundTrip(ValueKind::kText, ts, text, o);
    }
  }
}

TEST(BlockTest, AdversarialTimestampsAndValues) {
  const double nan_payload = std::bit_cast<double>(uint64_t{0x7FF0000000000123});
  ExpectRoundTrip(ValueKind::kInt, std::vector<int64_t>{INT64_MIN, 0, INT64_MAX},
                  std::vector<int64_t>{INT64_MAX, INT64_MIN, 0});
  ExpectRoundTrip(ValueKind::kFloat, std::vector<int64_t>{INT64_MIN, INT64_MIN, INT64_MAX},
                  std::vector<double>{nan_payload, -0.0, std::numeric_limits<double>::infinity()});
  ExpectRoundTrip(ValueKind::kInt, std::vector<int64_t>(kMaxPointsPerBlock, -5),
                  std::vector<int64_t>(kMaxPointsPerBlock, INT64_MIN));
  std::vector<int64_t> jumps;
  std::vector<double> denormals;
  int64_t t = INT64_MIN;
  for (int i = 0; i < 64; ++i) {
    jumps.push_back(t);
    t += (i % 2) ? 0 : int64_t{1} << (i % 62);
    denormals.push_back(std::numeric_limits<double>::denorm_min() * i);
  }
  ExpectRoundTrip(ValueKind::kFloat, jumps, denormals);
}

TEST(BlockTest, ZstdWhenItIsSmaller) {
  std::vector<int64_t> ts;
  std::vector<std::string> text;
  for (int i = 0; i < 2000; ++i) {
    ts.push_back(i * 1000);
    text.push_back(absl::StrCat("pump 7 alarm: discharge pressure above limit, event ", i));
  }
  absl::StatusOr<std::string> block = EncodeBlock(ValueKind::kText, ts, text);
  ASSERT_TRUE(block.ok());
  absl::StatusOr<BlockHeader> h = DecodeBlockHeader(*block);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->flags, kFlagZstd);
  EXPECT_LT(h->payload_bytes, h->raw_payload_bytes / 4);
  ExpectRoundTrip(ValueKind::kText, ts, text);

  // A raw length one over the frame's content, then one under.
  std::string longer = Patched(*block, 29, Be32(h->raw_payload_bytes + 1));
  EXPECT_EQ(DecodeError(longer), absl::StrCat("tsdb block: zstd payload decompressed to ",
                                              h->raw_payload_bytes, " bytes, raw payload length says ",
                                              h->raw_payload_bytes + 1));
  std::string shorter = Patched(*block, 29, Be32(h->raw_payload_bytes - 1));
  EXPECT_EQ(DecodeError(shorter), "tsdb block: zstd payload: Destination buffer is too small");
  // The zstd flag on a payload that is no zstd frame.
  std::string golden = Reseal(GoldenBlock() + std::string(4, '\0'));
  EXPECT_EQ(DecodeError(Patched(golden, 2, "\x01")),
            "tsdb block: zstd payload: Src size is incorrect");
}

TEST(BlockTest, EncodeRefusesBadColumns) {
  auto error = [](absl::StatusOr<std::string> s) { return std::string(s.status().message()); };
  EXPECT_EQ(error(EncodeBlock(ValueKind::kFloat, std::vector<int64_t>{}, std::vector<double>{})),
            "tsdb block: 0 points outside 1..8192");
  std::vector<int64_t> many(kMaxPointsPerBlock + 1, 0);
  EXPECT_EQ(error(EncodeBlock(ValueKind::kInt, many, many)),
            "tsdb block: 8193 points outside 1..8192");
  EXPECT_EQ(error(EncodeBlock(ValueKind::kFloat, kStamps, std::vector<double>{1.0})),
            "tsdb block: 3 timestamps but 1 values");
  EXPECT_EQ(error(EncodeBlock(ValueKind::kFloat, std::vector<int64_t>{5, 4}, 
                              std::vector<double>{1, 2})),
            "tsdb block: timestamps decrease at point 1");
  EXPECT_EQ(error(EncodeBlock(ValueKind::kInt, kStamps, kOneAndAHalf)),
            "tsdb block: values are not of kind int");
}

// One test per header field: each broken value, resealed, names its field.
TEST(BlockTest, CorruptHeaderFields) {
  const std::string b = Reseal(GoldenBlock() + std::string(4, '\0'));
  ASSERT_EQ(DecodeError(b), "ok");
  EXPECT_EQ(DecodeError(Patched(b, 0, "\x02")),
            "tsdb block: format version 2 unsupported (this build reads 1)");
  EXPECT_EQ(DecodeError(Patched(b, 1, std::string(1, '\0'))), "tsdb block: value kind 0 unknown");
  EXPECT_EQ(DecodeError(Patched(b, 1, "\x05")), "tsdb block: value kind 5 unknown");
  EXPECT_EQ(DecodeError(Patched(b, 2, "\x82")), "tsdb block: flags 0x82 have unknown bits");
  EXPECT_EQ(DecodeError(Patched(b, 3, "\x04")), "tsdb block: timestamp encoding 4 unknown");
  EXPECT_EQ(DecodeError(Patched(b, 3, "\x03")),
            "tsdb block: timestamps: run lengths: run of 2000 at point 0 of 3");
  EXPECT_EQ(DecodeError(Patched(b, 4, "\x02")),
            "tsdb block: value encoding 2 unknown for float values");
  EXPECT_EQ(DecodeError(Patched(b, 4, std::string(1, '\0'))), "tsdb block: values: gorilla: bit stream truncated");
  EXPECT_EQ(DecodeError(Patched(b, 5, Be32(0))), "tsdb block: count 0 outside 1..8192");
  EXPECT_EQ(DecodeError(Patched(b, 5, Be32(8193))), "tsdb block: count 8193 outside 1..8192");
  EXPECT_EQ(DecodeError(Patched(b, 5, Be32(4))), "tsdb block: timestamps: delta varints: truncated");
  EXPECT_EQ(DecodeError(Patched(b, 5, Be32(2))),
            "tsdb block: timestamps: delta varints: 2 trailing bytes");
  EXPECT_EQ(DecodeError(Patched(b, 9, Be64(3001))),
            "tsdb block: first timestamp 3001 after last timestamp 3000");
  EXPECT_EQ(DecodeError(Patched(b, 9, Be64(999))),
            "tsdb block: first timestamp 999 differs from the column's 1000");
  EXPECT_EQ(DecodeError(Patched(b, 17, Be64(3001))),
            "tsdb block: last timestamp 3001 differs from the column's 3000");
  EXPECT_EQ(DecodeError(Patched(b, 25, Be32(12))),
            "tsdb block: raw payload length 11 differs from payload length 12 in an "
            "uncompressed block");
  EXPECT_EQ(DecodeError(Patched(b, 29, Be32(10))),
            "tsdb block: raw payload length 10 differs from payload length 11 in an "
            "uncompressed block");
  EXPECT_EQ(DecodeError(Patched(b, 29, Be32(kMaxPayloadBytes + 1))),
            "tsdb block: raw payload length 2097153 over the limit of 2097152");
  EXPECT_EQ(DecodeError(Patched(Patched(b, 25, Be32(12)), 29, Be32(12))),
            "tsdb block: truncated: payload length 12 and a 4-byte checksum need 16 bytes, 15 "
            "follow the header");
  EXPECT_EQ(DecodeError(Patched(Patched(b, 25, Be32(10)), 29, Be32(10))),
            "tsdb block: 1 trailing bytes");
}

TEST(BlockTest, CorruptPayloadAndChecksum) {
  const std::string b = Reseal(GoldenBlock() + std::string(4, '\0'));
  std::string bad_crc = b;
  bad_crc[44] ^= 0x01;
  EXPECT_EQ(DecodeError(bad_crc), absl::StrFormat(
      "tsdb block: checksum 0x%08x does not match the contents (0x%08x)",
      Crc32c(GoldenBlock()) ^ 0x01000000u, Crc32c(GoldenBlock())));
  std::string flipped = b;
  flipped[40] ^= 0x40;  // a payload bit, checksum left alone
  EXPECT_EQ(DecodeError(flipped).substr(0, 23), "tsdb block: checksum 0x");
  // Resealed payload corruption: each section names itself.
  EXPECT_EQ(DecodeError(Patched(b, 33, "\x7F")),
            "tsdb block: timestamp section length 127 exceeds the 10 payload bytes left");
  EXPECT_EQ(DecodeError(Patched(b, 33, "\x80")),
            "tsdb block: timestamp section length 256000 exceeds the 8 payload bytes left");
  EXPECT_EQ(DecodeError(Patched(b, 33, "\x80\x80\x80\x80\x80\x80")),
            "tsdb block: timestamp section length malformed");
  EXPECT_EQ(DecodeError(Patched(b, 33, "\x05")),
            "tsdb block: timestamps: delta varints: truncated");
  EXPECT_EQ(DecodeError(Patched(b, 35, "\x8F")),
            "tsdb block: timestamps: delta varints: truncated");
  EXPECT_EQ(DecodeError(Patched(b, 38, "\xD1")), "tsdb block: timestamps: decrease at point 2");
  EXPECT_EQ(DecodeError(Patched(b, 40, "\x10")), "tsdb block: values: decimal: exponent 16 over 15");
  EXPECT_EQ(DecodeError(Patched(b, 41, "\x09")),
            "tsdb block: values: decimal: integer encoding 9 unknown");
  EXPECT_EQ(DecodeError(Patched(b, 43, "\x02")),
            "tsdb block: values: decimal: run lengths: truncated");
}

TEST(BlockTest, TruncationAtEveryByte) {
  const std::string b = Reseal(GoldenBlock() + std::string(4, '\0'));
  for (size_t k = 0; k < b.size(); ++k) {
    const std::string cut = b.substr(0, k);
    std::string want =
        k < kBlockHeaderBytes
            ? absl::StrCat("tsdb block: header truncated: ", k, " of 33 bytes")
            : absl::StrCat("tsdb block: truncated: payload length 11 and a 4-byte checksum need "
                           "15 bytes, ",
                           k - kBlockHeaderBytes, " follow the header");
    EXPECT_EQ(DecodeError(cut), want) << k;
    if (k < kBlockHeaderBytes) {
      EXPECT_EQ(DecodeBlockHeader(cut).status().message(), want);
    }
  }
  EXPECT_EQ(DecodeError(b + "x"), "tsdb block: 1 trailing bytes");
}

// Blocks of several series sealed together share one timestamp column.
TEST(BlockTest, SharedTimestampsRoundTripWithTheirColumn) {
  std::vector<int64_t> ts;
  for (int i = 0; i < 500; ++i) ts.push_back(1796083200000 + i * 1000 + (i * 37) % 50);
  std::vector<double> a(500), b(500);
  for (int i = 0; i < 500; ++i) {
    a[i] = i * 0.25;
    b[i] = 100 - i;
  }
  absl::StatusOr<std::string> column = EncodeTimestampColumn(ts);
  ASSERT_TRUE(column.ok()) << column.status();
  absl::StatusOr<std::string> inline_a = EncodeBlock(ValueKind::kFloat, ts, a);
  absl::StatusOr<std::string> shared_a = EncodeBlock(ValueKind::kFloat, ts, a, {}, 7);
  absl::StatusOr<std::string> shared_b = EncodeBlock(ValueKind::kFloat, ts, b, {}, 7);
  ASSERT_TRUE(inline_a.ok() && shared_a.ok() && shared_b.ok());
  // The shared block is smaller by about the column (which has a header
  // and checksum of its own; the block gains an 8-byte id).
  EXPECT_LT(shared_a->size(), inline_a->size());
  EXPECT_LE(shared_a->size() + column->size(),
            inline_a->size() + kBlockHeaderBytes + kBlockChecksumBytes + 8 + 16);

  absl::StatusOr<BlockHeader> h = DecodeBlockHeader(*shared_a);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->flags & kFlagSharedTimestamps, kFlagSharedTimestamps);
  EXPECT_EQ(h->timestamp_column, 7u);
  EXPECT_EQ(h->count, 500u);
  EXPECT_EQ(h->first_timestamp, ts.front());
  EXPECT_EQ(h->last_timestamp, ts.back());

  absl::StatusOr<std::vector<int64_t>> back_ts = DecodeTimestampColumn(*column);
  ASSERT_TRUE(back_ts.ok()) << back_ts.status();
  EXPECT_EQ(*back_ts, ts);
  absl::StatusOr<Block> back_a = DecodeBlock(*shared_a, *back_ts);
  absl::StatusOr<Block> back_b = DecodeBlock(*shared_b, *back_ts);
  ASSERT_TRUE(back_a.ok() && back_b.ok());
  EXPECT_EQ(back_a->timestamps, ts);
  EXPECT_EQ(std::get<0>(back_a->values), a);
  EXPECT_EQ(std::get<0>(back_b->values), b);
  // A block with its own timestamps ignores the column it is given.
  absl::StatusOr<Block> own = DecodeBlock(*inline_a, std::vector<int64_t>{1});
  ASSERT_TRUE(own.ok()) << own.status();
  EXPECT_EQ(own->timestamps, ts);
}

TEST(BlockTest, SharedTimestampsRefusedWithoutOrWithTheWrongColumn) {
  const std::vector<int64_t> other = {1000, 2500, 3000};
  absl::StatusOr<std::string> shared = EncodeBlock(ValueKind::kFloat, kStamps, kOneAndAHalf, {}, 9);
  ASSERT_TRUE(shared.ok());
  EXPECT_EQ(DecodeBlock(*shared).status().message(),
            "tsdb block: its timestamps are in column 9, which the caller did not give");
  EXPECT_EQ(DecodeBlock(*shared, std::vector<int64_t>{1000, 3000}).status().message(),
            "tsdb block: timestamps: 2 for a count of 3");
  EXPECT_EQ(DecodeBlock(*shared, std::vector<int64_t>{1000, 2000, 2999}).status().message(),
            "tsdb block: last timestamp 3000 differs from the column's 2999");
  absl::StatusOr<Block> ok = DecodeBlock(*shared, other);  // same count and ends: accepted
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->timestamps, other);
  // A column is not a block, and a block is not a column.
  absl::StatusOr<std::string> column = EncodeTimestampColumn(kStamps);
  ASSERT_TRUE(column.ok());
  EXPECT_EQ(DecodeBlock(*column).status().message(),
            "tsdb block: a timestamp column, not a block");
  EXPECT_EQ(DecodeTimestampColumn(*shared).status().message(),
            "tsdb block: not a timestamp column");
  // Column id 0 is never written; a block saying so is damaged.
  std::string zero = *shared;
  for (size_t i = kBlockHeaderBytes; i < kBlockHeaderBytes + 8; ++i) zero[i] = 0;
  EXPECT_EQ(DecodeBlockHeader(zero).status().message(), "tsdb block: timestamp column id 0");
  EXPECT_EQ(DecodeBlockHeader(shared->substr(0, kBlockHeaderBytes + 3)).status().message(),
            "tsdb block: timestamp column id truncated");
  EXPECT_EQ(EncodeTimestampColumn(std::vector<int64_t>{}).status().message(),
            "tsdb block: 0 points outside 1..8192");
}

}  // namespace
}  // namespace qilian::platform::tsdb
