// The binary batch payload of /{pk}/{dev}/properties/report/batch
// (docs/mqtt.md, "The binary batch"): many (property, time, value) samples in
// one MQTT message, for gateways and data loggers. A pure codec: no I/O, no
// logging, no model checks (those belong to the ingestor); only the format and
// its limits.
//
// Layout (little-endian; varint = unsigned LEB128, zigzag = protobuf's):
//   "QB" | version 1 | flags | int64 base time ms | varint P | P x (u8 L, L
//   bytes name) | varint S | S x (varint index, zigzag offset ms, u8 tag, value)
//
// DecodeBatch errors are InvalidArgument with a message that says what is
// wrong and where ("batch: samples[3]: truncated"); the ingestor sends it to
// the device with code bad_batch. EncodeBatch refuses (InvalidArgument) a
// batch that DecodeBatch would refuse, so whatever it encodes decodes back
// to an equal Batch.
#ifndef QILIAN_PLATFORM_INGEST_BATCH_PAYLOAD_H_
#define QILIAN_PLATFORM_INGEST_BATCH_PAYLOAD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace qilian::platform {

// The format's constants and limits.
inline constexpr uint8_t kBatchMagic0 = 0x51;  // 'Q'
inline constexpr uint8_t kBatchMagic1 = 0x42;  // 'B'
inline constexpr uint8_t kBatchVersion = 1;
inline constexpr uint8_t kBatchFlagAck = 0x01;              // bit 0: ack requested
inline constexpr uint8_t kBatchKnownFlags = kBatchFlagAck;  // other bits must be 0
inline constexpr size_t kBatchHeaderBytes = 12;             // magic, version, flags, base time
inline constexpr size_t kMaxBatchProperties = 256;          // P is 1..256
inline constexpr size_t kMaxBatchNameLength = 64;           // L is 1..64
inline constexpr size_t kMaxBatchSamples = 65535;           // S is 1..65535
inline constexpr size_t kMaxBatchTextBytes = 4096;          // text value length
inline constexpr size_t kMaxVarintBytes = 10;               // LEB128 of a 64-bit value

// The value tags.
enum class BatchTag : uint8_t {
  kBool = 0x01,    // 1 byte, 0 or 1
  kInt = 0x02,     // zigzag varint
  kDouble = 0x03,  // 8 bytes IEEE 754
  kFloat = 0x04,   // 4 bytes IEEE 754
  kText = 0x05,    // varint length, UTF-8 bytes
};

// The variant's alternatives in tag order: index + 1 is the tag.
using BatchValue = std::variant<bool, int64_t, double, float, std::string>;

struct BatchSample {
  uint32_t property = 0;  // index into Batch::properties
  int64_t time_ms = 0;    // absolute epoch milliseconds (the wire carries base-relative)
  BatchValue value;
  bool operator==(const BatchSample&) const = default;
};

struct Batch {
  int64_t base_time_ms = 0;  // epoch milliseconds
  uint8_t flags = 0;
  std::vector<std::string> properties;  // identifiers, 1..64 bytes each
  std::vector<BatchSample> samples;
  bool ack() const { return (flags & kBatchFlagAck) != 0; }
  bool operator==(const Batch&) const = default;
};

// Appends the encoding of `batch` to `*out`. On error `*out` is unchanged.
absl::Status AppendBatch(const Batch& batch, std::string* out);
absl::StatusOr<std::string> EncodeBatch(const Batch& batch);

// Decodes `payload` into `*out`, reusing its storage: a caller that decodes
// many batches into one Batch allocates only when a batch is bigger than any
// before. On error `*out` holds an unspecified part of the batch.
absl::Status DecodeBatch(std::string_view payload, Batch* out);

// Whether `name` is a property identifier as batches may carry it:
// [A-Za-z_][A-Za-z0-9_-]*, 1..64 bytes (docs/thing-model.md).
bool IsBatchPropertyName(std::string_view name);

// Encoded size of a varint (exposed for tests and size estimates).
size_t VarintLength(uint64_t v);

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_INGEST_BATCH_PAYLOAD_H_
