// A time-series block: the points of one series over a stretch of time, as
// a timestamp column and a value column, encoded for storage (docs/tsdb.md,
// "Block format"). The engine that cuts series into blocks, stores and
// queries them comes later; this is the pure codec.
//
// EncodeBlock picks each column's smallest encoding and, for a sealed block,
// compresses the payload with zstd when that makes it smaller. DecodeBlock
// checks every header field, the lengths and the CRC-32C before decoding,
// never allocates more than kMaxPointsPerBlock points or kMaxPayloadBytes of
// payload, and names the field at fault in its InvalidArgument error.
#ifndef QILIAN_PLATFORM_TSDB_CODEC_BLOCK_H_
#define QILIAN_PLATFORM_TSDB_CODEC_BLOCK_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/tsdb/codec/columns.h"

namespace qilian::platform::tsdb {

enum class ValueKind : uint8_t { kFloat = 1, kInt = 2, kBool = 3, kText = 4 };
const char* ValueKindName(ValueKind kind);

constexpr uint8_t kBlockFormatVersion = 1;
constexpr size_t kMaxPointsPerBlock = 8192;
// Header: version, kind, flags, timestamp encoding, value encoding (u8
// each), count (u32), first and last timestamp (i64), stored and raw
// payload length (u32); with kFlagSharedTimestamps the timestamp column's
// id (u64); then the payload and a CRC-32C (u32) of everything before it.
// Big-endian.
constexpr size_t kBlockHeaderBytes = 33;
constexpr size_t kBlockChecksumBytes = 4;
// The largest raw payload an encoder can write (text at its 1 MiB limit
// plus codes and timestamps stays well under it).
constexpr size_t kMaxPayloadBytes = 2 * 1024 * 1024;
constexpr uint8_t kFlagZstd = 0x01;  // the payload is one zstd frame
// The timestamps are not in the block: an 8-byte column id follows the
// header, naming a timestamp column stored once for the series of one
// device sealed together (the engine finds it; docs/tsdb.md).
constexpr uint8_t kFlagSharedTimestamps = 0x02;
// A timestamp column: the timestamp section only, no values (the kind
// byte says int and is not read).
constexpr uint8_t kFlagTimestampsOnly = 0x04;
constexpr uint8_t kKnownFlags = kFlagZstd | kFlagSharedTimestamps | kFlagTimestampsOnly;

// The value column, by kind (index = ValueKind - 1).
using Values = std::variant<std::vector<double>, std::vector<int64_t>, std::vector<bool>,
                            std::vector<std::string>>;
using ValuesView = std::variant<std::span<const double>, std::span<const int64_t>,
                                std::reference_wrapper<const std::vector<bool>>,
                                std::span<const std::string>>;

struct BlockHeader {
  uint8_t version = kBlockFormatVersion;
  ValueKind kind = ValueKind::kFloat;
  uint8_t flags = 0;
  IntEncoding timestamp_encoding = IntEncoding::kDeltaVarint;
  uint8_t value_encoding = 0;  // FloatEncoding, IntEncoding, ... by kind
  uint32_t count = 0;
  int64_t first_timestamp = 0;
  int64_t last_timestamp = 0;
  uint32_t payload_bytes = 0;      // as stored (compressed or not)
  uint32_t raw_payload_bytes = 0;  // after decompression
  uint64_t timestamp_column = 0;   // with kFlagSharedTimestamps: the column's id (non-zero)
};

struct Block {
  BlockHeader header;
  std::vector<int64_t> timestamps;  // epoch milliseconds, non-decreasing
  Values values;
};

struct EncodeOptions {
  bool allow_decimal = true;  // floats as scaled integers when exact and smaller
  bool allow_zstd = true;     // second stage for sealed blocks, when smaller
  int zstd_level = 3;
};

// Fails (InvalidArgument) for 0 or more than kMaxPointsPerBlock points,
// columns of different lengths, decreasing timestamps, a `values` variant
// that is not `kind`'s, or text over its limits. With a non-zero
// `shared_column`, the block names that column instead of holding the
// timestamps (the header still has their count and ends).
absl::StatusOr<std::string> EncodeBlock(ValueKind kind, std::span<const int64_t> timestamps,
                                        ValuesView values, const EncodeOptions& options = {},
                                        uint64_t shared_column = 0);
// The timestamps alone, for blocks that share them (kFlagTimestampsOnly).
absl::StatusOr<std::string> EncodeTimestampColumn(std::span<const int64_t> timestamps,
                                                  const EncodeOptions& options = {});

// The header alone, after checking its fields and the block's length (not
// the checksum): enough to skip a block by time range.
absl::StatusOr<BlockHeader> DecodeBlockHeader(std::string_view block);

// A block with its own timestamps (a shared one is InvalidArgument, naming
// its column).
absl::StatusOr<Block> DecodeBlock(std::string_view block);
// A block whose timestamps are `shared_timestamps` when it names a column
// (they must match its count and ends), or its own otherwise.
absl::StatusOr<Block> DecodeBlock(std::string_view block,
                                  std::span<const int64_t> shared_timestamps);
// A column of EncodeTimestampColumn, checked as DecodeBlock checks a block.
absl::StatusOr<std::vector<int64_t>> DecodeTimestampColumn(std::string_view column);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_CODEC_BLOCK_H_
