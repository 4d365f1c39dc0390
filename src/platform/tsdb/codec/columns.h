// Column codecs of the time-series block (docs/tsdb.md, "Block format"):
// one section per column, pure functions, each Encode paired with a Decode.
//
// Every encoder looks at the whole column and picks the encoding that makes
// it smallest; the id it returns goes in the block header, and the decoder
// needs it with the section's exact bytes and the point count (already
// checked against kMaxPointsPerBlock by the block decoder, so every
// allocation here is bounded by it or by the section's length).
#ifndef QILIAN_PLATFORM_TSDB_CODEC_COLUMNS_H_
#define QILIAN_PLATFORM_TSDB_CODEC_COLUMNS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace qilian::platform::tsdb {

// Integer sequences: timestamps, integer values, scaled decimals, text codes.
enum class IntEncoding : uint8_t {
  kDeltaVarint = 0,   // zigzag varint of each difference (the first from 0)
  kDeltaBuckets = 1,  // first, base delta, then delta-base in prefix buckets
  kDodBuckets = 2,    // first, first delta, then delta-of-delta in buckets
  kRunLength = 3,     // (value difference, run length) pairs
};
constexpr int kIntEncodingCount = 4;

enum class FloatEncoding : uint8_t {
  kGorillaXor = 0,  // Gorilla: XOR with the previous value, window reuse
  kDecimal = 1,     // exact scaled integers m / 10^e as an integer section
};
constexpr int kFloatEncodingCount = 2;

enum class BoolEncoding : uint8_t {
  kBitPacked = 0,  // one bit per point
  kRunLength = 1,  // first value, then alternating run lengths
};
constexpr int kBoolEncodingCount = 2;

enum class TextEncoding : uint8_t {
  kDictionary = 0,  // distinct strings in order of appearance, then codes
};
constexpr int kTextEncodingCount = 1;

// Prefix-bucket tables: bucket i (0..4) is i '1' bits and a '0', bucket 5 is
// five '1' bits; then the value in that many bits, two's complement (width
// 0: the value is 0). The encoder picks the table; its id leads the section.
constexpr int kBucketCount = 6;
constexpr int kBucketTableCount = 5;
constexpr uint8_t kBucketTables[kBucketTableCount][kBucketCount] = {
    {0, 4, 7, 12, 32, 64},    // 0: mostly exact (regular stamps, counters)
    {3, 6, 9, 16, 32, 64},    // 1: small noise around 0 (jittered stamps)
    {0, 8, 14, 20, 32, 64},   // 2: Gorilla/Prometheus-like
    {6, 10, 14, 20, 32, 64},  // 3: wider noise
    {2, 3, 4, 8, 32, 64},     // 4: a few ms of jitter on 1 s stamps
};

// Largest exponent e tried for kDecimal (10^e is exact as a double up to 22;
// sensors send a few decimals), and the largest scaled magnitude (2^53, so
// that the integer converts to a double exactly).
constexpr int kMaxDecimalExponent = 15;
constexpr int64_t kMaxDecimalMantissa = int64_t{1} << 53;

// Text limits, checked by the encoder and the decoder before allocating.
constexpr size_t kMaxTextValueBytes = 64 * 1024;
constexpr size_t kMaxTextBytesPerBlock = 1024 * 1024;

// Chooses the smallest encoding for `values` and appends its section.
IntEncoding EncodeInts(std::span<const int64_t> values, std::string* out);
// Appends the section in a given encoding (tests, and the size search).
void EncodeIntsAs(IntEncoding encoding, std::span<const int64_t> values, std::string* out);
// Decodes exactly `count` values from the whole `section`, appended to *out.
absl::Status DecodeInts(IntEncoding encoding, std::string_view section, size_t count,
                        std::vector<int64_t>* out);

// `allow_decimal` false forces Gorilla (for measuring the difference).
FloatEncoding EncodeFloats(std::span<const double> values, std::string* out,
                           bool allow_decimal = true);
absl::Status DecodeFloats(FloatEncoding encoding, std::string_view section, size_t count,
                          std::vector<double>* out);
// The exponent e such that every value is exactly m / 10^e with |m| <=
// kMaxDecimalMantissa (the smallest such e), or nullopt.
std::optional<int> DecimalExponent(std::span<const double> values);

BoolEncoding EncodeBools(const std::vector<bool>& values, std::string* out);
absl::Status DecodeBools(BoolEncoding encoding, std::string_view section, size_t count,
                         std::vector<bool>* out);

// Fails (InvalidArgument) past kMaxTextValueBytes or kMaxTextBytesPerBlock.
absl::StatusOr<TextEncoding> EncodeText(std::span<const std::string> values, std::string* out);
absl::Status DecodeText(TextEncoding encoding, std::string_view section, size_t count,
                        std::vector<std::string>* out);

// LEB128 varints (7 bits a byte, least significant group first).
void PutVarint(std::string* out, uint64_t v);
constexpr int kMaxVarintBytes = 10;

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_CODEC_COLUMNS_H_
