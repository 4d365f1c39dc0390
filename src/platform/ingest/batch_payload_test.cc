#include "platform/ingest/batch_payload.h"

#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"

namespace qilian::platform {
namespace {

// docs/mqtt.md's layout worked by hand (and with Python's struct module):
// ack flag, base 1765094400000, properties "temp" and "running", samples
//   temp    +0     double 21.5
//   running -1000  bool true
//   temp    +1000  int -3
//   running +0     float 1.5
//   temp    +5     text "ok"
constexpr uint8_t kGolden[] = {
    0x51, 0x42, 0x01, 0x01,                                            // magic, version, flags
    0x00, 0x20, 0xd3, 0xf7, 0x9a, 0x01, 0x00, 0x00,                    // base time
    0x02,                                                              // P
    0x04, 0x74, 0x65, 0x6d, 0x70,                                      // "temp"
    0x07, 0x72, 0x75, 0x6e, 0x6e, 0x69, 0x6e, 0x67,                    // "running"
    0x05,                                                              // S
    0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x35, 0x40,  // 21.5
    0x01, 0xcf, 0x0f, 0x01, 0x01,                                      // true
    0x00, 0xd0, 0x0f, 0x02, 0x05,                                      // -3
    0x01, 0x00, 0x04, 0x00, 0x00, 0xc0, 0x3f,                          // 1.5f
    0x00, 0x0a, 0x05, 0x02, 0x6f, 0x6b,                                // "ok"
};
// Offsets of fields in kGolden, for the corruption tests.
constexpr size_t kFlagsAt = 3;
constexpr size_t kPropertyCountAt = 12;
constexpr size_t kFirstNameLengthAt = 13;
constexpr size_t kSampleCountAt = 26;
constexpr size_t kFirstSampleAt = 27;
constexpr size_t kSecondSampleAt = 38;  // running -1000 bool
constexpr size_t kThirdSampleAt = 43;   // temp +1000 int
constexpr size_t kFourthSampleAt = 48;  // running float
constexpr size_t kFifthSampleAt = 55;   // temp text

std::string Golden() {
  return std::string(reinterpret_cast<const char*>(kGolden), sizeof(kGolden));
}

Batch GoldenBatch() {
  Batch b;
  b.base_time_ms = 1765094400000;
  b.flags = kBatchFlagAck;
  b.properties = {"temp", "running"};
  b.samples = {
      {0, 1765094400000, 21.5},
      {1, 1765094399000, true},
      {0, 1765094401000, int64_t{-3}},
      {1, 1765094400000, 1.5f},
      {0, 1765094400005, std::string("ok")},
  };
  return b;
}

std::string DecodeError(const std::string& payload) {
  Batch b;
  absl::Status status = DecodeBatch(payload, &b);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

TEST(BatchPayload, EncodesTheGoldenBytes) {
  auto encoded = EncodeBatch(GoldenBatch());
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  EXPECT_EQ(*encoded, Golden());
}

TEST(BatchPayload, DecodesTheGoldenBytes) {
  Batch b;
  ASSERT_TRUE(DecodeBatch(Golden(), &b).ok());
  EXPECT_EQ(b, GoldenBatch());
  EXPECT_TRUE(b.ack());
}

TEST(BatchPayload, RoundTripsExtremes) {
  Batch b;
  b.base_time_ms = 0;
  b.properties = {"a", std::string(64, 'x'), "_Z-9"};
  b.samples = {
      {0, std::numeric_limits<int64_t>::max(), int64_t{std::numeric_limits<int64_t>::min()}},
      {1, std::numeric_limits<int64_t>::min(), int64_t{std::numeric_limits<int64_t>::max()}},
      {2, 0, std::numeric_limits<double>::infinity()},
      {2, 0, -0.0f},
      {2, 0, std::string(4096, 'y')},
      {2, 0, std::string("温度 ✓ 😀")},
      {0, 0, false},
  };
  auto encoded = EncodeBatch(b);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  Batch back;
  ASSERT_TRUE(DecodeBatch(*encoded, &back).ok());
  EXPECT_EQ(back, b);
  EXPECT_FALSE(back.ack());
}

TEST(BatchPayload, RoundTripsTheLargestCounts) {
  Batch b;
  b.base_time_ms = 1765094400000;
  for (int i = 0; i < 256; ++i)
    b.properties.push_back(std::string(1, 'p').append(std::to_string(i)));
  for (size_t i = 0; i < kMaxBatchSamples; ++i) {
    b.samples.push_back({static_cast<uint32_t>(i % 256), b.base_time_ms + static_cast<int64_t>(i),
                         static_cast<int64_t>(i)});
  }
  auto encoded = EncodeBatch(b);
  ASSERT_TRUE(encoded.ok());
  Batch back;
  ASSERT_TRUE(DecodeBatch(*encoded, &back).ok());
  EXPECT_EQ(back, b);
}

TEST(BatchPayload, DecodingReusesTheBatchAndReplacesEverything) {
  Batch b;
  ASSERT_TRUE(DecodeBatch(Golden(), &b).ok());
  Batch small;
  small.base_time_ms = 5;
  small.properties = {"x"};
  small.samples = {{0, 6, std::string("long text beyond the small-string buffer")}};
  ASSERT_TRUE(DecodeBatch(*EncodeBatch(small), &b).ok());
  EXPECT_EQ(b, small);
  ASSERT_TRUE(DecodeBatch(Golden(), &b).ok());
  EXPECT_EQ(b, GoldenBatch());
}

TEST(BatchPayload, EveryTruncationIsRefused) {
  std::string golden = Golden();
  for (size_t n = 0; n < golden.size(); ++n) {
    Batch b;
    absl::Status status = DecodeBatch(golden.substr(0, n), &b);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << n;
    EXPECT_NE(status.message().find("truncated"), std::string::npos) << n << ": " << status;
  }
}

// One corruption per field, each with its exact message.
TEST(BatchPayload, BadMagic) {
  std::string p = Golden();
  p[1] = 'C';
  EXPECT_EQ(DecodeError(p), "batch: bad magic");
}

TEST(BatchPayload, BadVersion) {
  std::string p = Golden();
  p[2] = 2;
  EXPECT_EQ(DecodeError(p), "batch: unsupported version 2");
}

TEST(BatchPayload, UnknownFlags) {
  std::string p = Golden();
  p[kFlagsAt] = 0x03;
  EXPECT_EQ(DecodeError(p), "batch: unknown flags");
  p[kFlagsAt] = 0x00;
  Batch b;
  ASSERT_TRUE(DecodeBatch(p, &b).ok());
  EXPECT_FALSE(b.ack());
}

TEST(BatchPayload, BaseTimeIsAnyInt64) {
  // No value of the base time is malformed by itself (range is the
  // ingestor's timestamp check); only a sum that overflows is.
  std::string p = Golden();
  for (size_t i = 4; i < 12; ++i) p[i] = '\xff';  // -1
  Batch b;
  ASSERT_TRUE(DecodeBatch(p, &b).ok());
  EXPECT_EQ(b.base_time_ms, -1);
  EXPECT_EQ(b.samples[1].time_ms, -1001);
}

TEST(BatchPayload, PropertyCountOutOfBounds) {
  std::string p = Golden();
  p[kPropertyCountAt] = 0;
  EXPECT_EQ(DecodeError(p), "batch: property count 0 is outside 1..256");
  Batch b;
  b.properties.assign(257, "p");
  b.samples = {{0, 0, true}};
  EXPECT_EQ(EncodeBatch(b).status().message(), "batch: property count 257 is outside 1..256");
  // 257 as a varint in place of 2.
  p = Golden();
  p.replace(kPropertyCountAt, 1, "\x81\x02");
  EXPECT_EQ(DecodeError(p), "batch: property count 257 is outside 1..256");
}

TEST(BatchPayload, VarintOverflow) {
  std::string p = Golden();
  p.replace(kPropertyCountAt, 1, std::string(10, '\xff'));
  EXPECT_EQ(DecodeError(p), "batch: property count: varint overflows 64 bits");
  p = Golden();
  p.replace(kPropertyCountAt, 1, std::string(9, '\x80') + "\x02");
  EXPECT_EQ(DecodeError(p), "batch: property count: varint overflows 64 bits");
}

TEST(BatchPayload, NonMinimalVarintIsAccepted) {
  std::string p = Golden();
  p.replace(kPropertyCountAt, 1, std::string("\x82\x00", 2));
  Batch b;
  ASSERT_TRUE(DecodeBatch(p, &b).ok());
  EXPECT_EQ(b, GoldenBatch());
}

TEST(BatchPayload, PropertyNameLength) {
  std::string p = Golden();
  p[kFirstNameLengthAt] = 0;
  EXPECT_EQ(DecodeError(p), "batch: properties[0] is not an identifier of 1..64 bytes");
  p = Golden();
  p[kFirstNameLengthAt] = 65;
  EXPECT_EQ(DecodeError(p), "batch: properties[0]: truncated");
  // 65 bytes that are there.
  p = Golden();
  p.replace(kFirstNameLengthAt, 5, "\x41" + std::string(65, 'a'));
  EXPECT_EQ(DecodeError(p), "batch: properties[0] is not an identifier of 1..64 bytes");
}

TEST(BatchPayload, PropertyNameCharacters) {
  std::string p = Golden();
  p[kFirstNameLengthAt + 1] = '1';  // "1emp"
  EXPECT_EQ(DecodeError(p), "batch: properties[0] is not an identifier of 1..64 bytes");
  p = Golden();
  p[kFirstNameLengthAt + 3] = '.';
  EXPECT_EQ(DecodeError(p), "batch: properties[0] is not an identifier of 1..64 bytes");
  Batch b = GoldenBatch();
  b.properties[1] = "bad name";
  EXPECT_EQ(EncodeBatch(b).status().message(),
            "batch: properties[1] is not an identifier of 1..64 bytes");
}

TEST(BatchPayload, SampleCountOutOfBounds) {
  std::string p = Golden();
  p[kSampleCountAt] = 0;
  EXPECT_EQ(DecodeError(p), "batch: sample count 0 is outside 1..65535");
  p = Golden();
  p.replace(kSampleCountAt, 1, "\x80\x80\x04");  // 65536
  EXPECT_EQ(DecodeError(p), "batch: sample count 65536 is outside 1..65535");
  p = Golden();
  p[kSampleCountAt] = 9;  // 9 samples cannot fit in the 34 bytes left
  EXPECT_EQ(DecodeError(p), "batch: truncated: sample count 9 needs at least 36 bytes, 34 left");
  Batch b = GoldenBatch();
  b.samples.clear();
  EXPECT_EQ(EncodeBatch(b).status().message(), "batch: sample count 0 is outside 1..65535");
}

TEST(BatchPayload, FewerSamplesThanCountedIsTruncated) {
  std::string p = Golden();
  p[kSampleCountAt] = 6;
  EXPECT_EQ(DecodeError(p), "batch: samples[5]: truncated");
}

TEST(BatchPayload, PropertyIndexOutOfBounds) {
  std::string p = Golden();
  p[kFirstSampleAt] = 2;
  EXPECT_EQ(DecodeError(p),
            "batch: samples[0]: property index 2 is not below the property count 2");
  Batch b = GoldenBatch();
  b.samples[3].property = 7;
  EXPECT_EQ(EncodeBatch(b).status().message(),
            "batch: samples[3]: property index 7 is not below the property count");
}

TEST(BatchPayload, TimeOffsetOverflow) {
  Batch b;
  b.base_time_ms = std::numeric_limits<int64_t>::max();
  b.properties = {"t"};
  b.samples = {{0, b.base_time_ms, true}};
  std::string p = *EncodeBatch(b);
  // Offset +1 from the largest base time: zigzag(1) = 2.
  p[p.size() - 3] = 2;
  EXPECT_EQ(DecodeError(p), "batch: samples[0]: time overflows 64 bits");
  b.samples[0].time_ms = -2;
  EXPECT_EQ(EncodeBatch(b).status().message(), "batch: samples[0]: time offset overflows 64 bits");
}

TEST(BatchPayload, UnknownTag) {
  std::string p = Golden();
  p[kFirstSampleAt + 2] = 0x06;
  EXPECT_EQ(DecodeError(p), "batch: samples[0]: unknown value tag 6");
  p[kFirstSampleAt + 2] = 0x00;
  EXPECT_EQ(DecodeError(p), "batch: samples[0]: unknown value tag 0");
}

TEST(BatchPayload, BoolByte) {
  std::string p = Golden();
  p[kSecondSampleAt + 4] = 2;
  EXPECT_EQ(DecodeError(p), "batch: samples[1]: bool byte 2");
}

TEST(BatchPayload, IntVarint) {
  std::string p = Golden();
  p.replace(kThirdSampleAt + 4, 1, std::string(10, '\xff'));
  EXPECT_EQ(DecodeError(p), "batch: samples[2]: varint overflows 64 bits");
}

TEST(BatchPayload, FloatAndDoubleTagsSwapped) {
  // A double read as a float leaves 4 bytes that then fail as the next sample.
  std::string p = Golden();
  p[kFirstSampleAt + 2] = 0x04;
  Batch b;
  EXPECT_FALSE(DecodeBatch(p, &b).ok());
  // The float sample read as a double runs into the text sample.
  p = Golden();
  p[kFourthSampleAt + 2] = 0x03;
  EXPECT_FALSE(DecodeBatch(p, &b).ok());
}

TEST(BatchPayload, TextLength) {
  std::string p = Golden();
  p.replace(kFifthSampleAt + 3, 1, "\x81\x20");  // 4097
  EXPECT_EQ(DecodeError(p), "batch: samples[4]: text length 4097 is over 4096");
  p = Golden();
  p[kFifthSampleAt + 3] = 3;
  EXPECT_EQ(DecodeError(p), "batch: samples[4]: truncated");
  Batch b = GoldenBatch();
  b.samples[4].value = std::string(4097, 'a');
  EXPECT_EQ(EncodeBatch(b).status().message(),
            "batch: samples[4]: text is longer than 4096 bytes or not UTF-8");
}

TEST(BatchPayload, TextUtf8) {
  for (std::string bad : {"\xff\x41", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    Batch b;
    b.properties = {"t"};
    b.samples = {{0, 0, std::string("ok")}};
    std::string p = *EncodeBatch(b);
    p.resize(p.size() - 3);
    p.push_back(static_cast<char>(bad.size()));
    p += bad;
    EXPECT_EQ(DecodeError(p), "batch: samples[0]: text is not UTF-8");
    b.samples[0].value = bad;
    EXPECT_EQ(EncodeBatch(b).status().message(),
              "batch: samples[0]: text is longer than 4096 bytes or not UTF-8");
  }
}

TEST(BatchPayload, BytesAfterTheEnd) {
  std::string p = Golden() + "x";
  EXPECT_EQ(DecodeError(p), "batch: 1 bytes after the last sample");
}

TEST(BatchPayload, EncodeErrorsLeaveTheOutputAlone) {
  std::string out = "prefix";
  Batch b = GoldenBatch();
  b.samples[4].property = 9;
  EXPECT_FALSE(AppendBatch(b, &out).ok());
  EXPECT_EQ(out, "prefix");
  b.flags = 0x80;
  EXPECT_EQ(AppendBatch(b, &out).message(), "batch: unknown flags");
  EXPECT_EQ(out, "prefix");
}

TEST(BatchPayload, VarintLength) {
  EXPECT_EQ(VarintLength(0), 1u);
  EXPECT_EQ(VarintLength(127), 1u);
  EXPECT_EQ(VarintLength(128), 2u);
  EXPECT_EQ(VarintLength(UINT64_MAX), 10u);
}

}  // namespace
}  // namespace qilian::platform
