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
// A chunk holds at most this many buckets: a day of 1 m buckets, 60 days of
// 1 h buckets.
inline constexpr size_t kMaxBucketsPerChunk = 1440;

constexpr int64_t ChunkWidthMs(Resolution r) {
  return ResolutionMs(r) * static_cast<int64_t>(kMaxBucketsPerChunk);
}

// `buckets`: 1..kMaxBucketsPerChunk non-empty buckets, ascending start.
std::string EncodeRollupChunk(std::span<const RollupBucket> buckets);
// InvalidArgument "tsdb rollup chunk: <field>: ..." for anything malformed.
absl::StatusOr<std::vector<RollupBucket>> DecodeRollupChunk(std::string_view bytes);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_ENGINE_ROLLUP_CHUNK_H_
