// The stored form of rollups (docs/tsdb.md, "Rollups", chunk format): the
// buckets of one series and resolution within one chunk of time, packed in
// columns with the block codec's encoders. Pure: no I/O, no clock.
//
// Every field round-trips bit for bit (the engine's rollups must equal
// AddPoint over the raw points exactly), so the float fields that are not
// raw values (sum, area, m2, ...) are written as a scaled integer plus the
// distance in ulps to the exact double, which for sensor decimals is a
// byte or two where Gorilla XOR would spend eight.
#ifndef QILIAN_PLATFORM_TSDB_ENGINE_ROLLUP_CHUNK_H_
#define QILIAN_PLATFORM_TSDB_ENGINE_ROLLUP_CHUNK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/tsdb/engine/rollup.h"

namespace qilian::platform::tsdb {

inline constexpr uint8_t kRollupChunkVersion = 1;
// A chunk decodes with at most this many buckets (chunks written before
// kBucketsPerChunk held a day of 1 m buckets, 60 days of 1 h buckets).
inline constexpr size_t kMaxBucketsPerChunk = 1440;
// The engine writes chunks of this many bucket widths: 2 hours of 1 m
// buckets, 5 days of 1 h buckets. A seal rewrites the chunks its buckets
// fall in; with day-wide chunks each 2 h seal decoded and re-encoded the
// day so far (a third of ingest CPU late in the day, and for 1 h chunks up
// to 60 days of buckets at every seal). 120 buckets cost a few per cent of
// the rollups' size in chunk headers and scale searches.
inline constexpr size_t kBucketsPerChunk = 120;

constexpr int64_t ChunkWidthMs(Resolution r) {
  return ResolutionMs(r) * static_cast<int64_t>(kBucketsPerChunk);
}

// What EncodeRollupChunk chose for each float column (mode and scale), so
// that the next encoding of the same chunk with more buckets tries that
// choice and the plain mode only, instead of every mode at every scale: a
// seal re-encodes the chunk so far (several times where heads are sealed
// small, by WAL pressure), and the full search costs about 2 µs a bucket,
// for every series. A column
// whose scale is no longer a candidate is searched in full again, and so
// is every column once the chunk has doubled since the last full search.
struct RollupChunkChoices {
  bool known = false;
  size_t searched_at = 0;  // buckets at the last full search
  std::array<uint8_t, 9> mode{};
  std::array<uint8_t, 9> scale{};
};

// `buckets`: 1..kMaxBucketsPerChunk non-empty buckets, ascending start.
// With `choices`: those known are tried first (as above), and what was
// chosen is stored there. Any output decodes to `buckets` bit for bit.
std::string EncodeRollupChunk(std::span<const RollupBucket> buckets,
                              RollupChunkChoices* choices = nullptr);
// InvalidArgument "tsdb rollup chunk: <field>: ..." for anything malformed.
absl::StatusOr<std::vector<RollupBucket>> DecodeRollupChunk(std::string_view bytes);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_ENGINE_ROLLUP_CHUNK_H_
