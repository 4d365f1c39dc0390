#include "platform/tsdb/engine/rollup_chunk.h"

#include <cmath>
#include <cstring>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace qilian::platform::tsdb {
namespace {

// A day of 1 m buckets over 1 s points of a 2-decimal sensor, every
// bucket built with AddPoint like the engine does.
std::vector<RollupBucket> SensorDay(size_t buckets, double step) {
  std::mt19937 rng(3);
  std::normal_distribution<double> noise(0, step);
  std::vector<RollupBucket> out;
  double level = 50;
  for (size_t b = 0; b < buckets; ++b) {
    RollupBucket bucket{.start_ms = static_cast<int64_t>(b) * 60'000};
    for (int64_t s = 0; s < 60; ++s) {
      level += noise(rng);
      AddPoint(&bucket, bucket.start_ms + s * 1000 + (s % 3), std::round(level * 100) / 100);
    }
    out.push_back(bucket);
  }
  return out;
}

void ExpectRoundTrip(const std::vector<RollupBucket>& buckets) {
  std::string bytes = EncodeRollupChunk(buckets);
  auto decoded = DecodeRollupChunk(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  // Bit for bit (an infinite value makes mean and m2 NaN, which == refuses);
  // RollupBucket is 8-byte fields only, no padding.
  ASSERT_EQ(decoded->size(), buckets.size());
  for (size_t i = 0; i < buckets.size(); ++i) {
    EXPECT_EQ(std::memcmp(&(*decoded)[i], &buckets[i], sizeof(RollupBucket)), 0) << i;
  }
}

TEST(RollupChunkTest, RoundTripsBitForBit) {
  ExpectRoundTrip(SensorDay(kMaxBucketsPerChunk, 0.05));
  ExpectRoundTrip(SensorDay(1, 0.05));
  ExpectRoundTrip(SensorDay(100, 1e6));  // wide values: the plain sections win
  // Full-precision noise, negative times, huge and tiny values, infinities.
  std::vector<RollupBucket> odd;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> any(-1e300, 1e300);
  for (int64_t b = -5; b < 5; ++b) {
    RollupBucket bucket{.start_ms = b * 3'600'000};
    AddPoint(&bucket, bucket.start_ms + 7, any(rng));
    AddPoint(&bucket, bucket.start_ms + 3'599'999, b == 0 ? INFINITY : 1e-310);
    odd.push_back(bucket);
  }
  ExpectRoundTrip(odd);
}

TEST(RollupChunkTest, ASensorDayIsSmall) {
  std::string bytes = EncodeRollupChunk(SensorDay(kMaxBucketsPerChunk, 0.05));
  // 60 points a bucket: bytes per raw point.
  double per_point = static_cast<double>(bytes.size()) / (kMaxBucketsPerChunk * 60.0);
  EXPECT_LT(per_point, 0.35) << bytes.size();  // 0.33 with ±2 ms of jitter
}

// A chunk re-encoded as it grows (a seal every 120 buckets) with the
// earlier choices: every encoding decodes bit for bit, and the day costs
// at most 2% more than a full search.
TEST(RollupChunkTest, ReusedChoicesRoundTripAndStaySmall) {
  const std::vector<RollupBucket> day = SensorDay(kMaxBucketsPerChunk, 0.05);
  RollupChunkChoices choices;
  std::string bytes;
  for (size_t n = 120; n <= day.size(); n += 120) {
    std::span<const RollupBucket> part(day.data(), n);
    bytes = EncodeRollupChunk(part, &choices);
    auto decoded = DecodeRollupChunk(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    ASSERT_EQ(decoded->size(), n);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_EQ(std::memcmp(&(*decoded)[i], &day[i], sizeof(RollupBucket)), 0) << n << " " << i;
    }
  }
  EXPECT_TRUE(choices.known);
  EXPECT_EQ(choices.searched_at, 960u);  // full searches at 120, 240, 480, 960
  EXPECT_LE(bytes.size(), EncodeRollupChunk(day).size() * 102 / 100);
  // Choices that no longer apply (another chunk's) still round-trip.
  std::vector<RollupBucket> wide = SensorDay(100, 1e6);
  choices.searched_at = 1000;
  auto decoded = DecodeRollupChunk(EncodeRollupChunk(wide, &choices));
  ASSERT_TRUE(decoded.ok());
  for (size_t i = 0; i < wide.size(); ++i) {
    EXPECT_EQ(std::memcmp(&(*decoded)[i], &wide[i], sizeof(RollupBucket)), 0) << i;
  }
}

TEST(RollupChunkTest, MalformedChunksAreRefused) {
  std::string good = EncodeRollupChunk(SensorDay(3, 0.05));
  auto error = [](std::string bytes) { return DecodeRollupChunk(bytes).status(); };
  std::string bad = good;
  bad[0] = 2;
  EXPECT_EQ(error(bad), absl::InvalidArgumentError("tsdb rollup chunk: version: 2 unsupported"));
  bad = good;
  bad[1] = 0;
  bad[2] = 0;
  EXPECT_EQ(error(bad), absl::InvalidArgumentError("tsdb rollup chunk: count: 0 outside 1..1440"));
  bad[1] = 0x05;
  bad[2] = static_cast<char>(0xa1);  // 1441
  EXPECT_EQ(error(bad),
            absl::InvalidArgumentError("tsdb rollup chunk: count: 1441 outside 1..1440"));
  EXPECT_EQ(error(good + "x"),
            absl::InvalidArgumentError("tsdb rollup chunk: chunk: 1 trailing bytes"));
  // Cut anywhere: an error, never a crash or a wrong chunk.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_EQ(error(good.substr(0, n)).code(), absl::StatusCode::kInvalidArgument) << n;
  }
  // A flipped byte anywhere: an error or another chunk, never a crash.
  for (size_t i = 0; i < good.size(); ++i) {
    bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    (void)DecodeRollupChunk(bad);
  }
}

}  // namespace
}  // namespace qilian::platform::tsdb
