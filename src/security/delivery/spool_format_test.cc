#include "security/delivery/spool_format.h"

#include <gtest/gtest.h>

namespace qilian::security {
namespace {

TEST(SpoolFormat, SegmentHeaderRoundTrips) {
  const std::string header = EncodeSegmentHeader(42);
  ASSERT_EQ(header.size(), kSegmentHeaderBytes);
  EXPECT_EQ(header.substr(0, 8), "QSPOOL01");
  EXPECT_EQ(*DecodeSegmentHeader(header), 42u);
  EXPECT_EQ(DecodeSegmentHeader(header.substr(0, 15)).status().message(),
            "bad segment header: 15 of 16 bytes");
  EXPECT_EQ(DecodeSegmentHeader("XSPOOL01" + header.substr(8)).status().message(),
            "bad segment header: not a spool segment (magic)");
}

TEST(SpoolFormat, RecordLayoutIsLengthCrcSequencePayload) {
  std::string bytes;
  AppendRecord(7, "{}", &bytes);
  // 2 bytes, CRC-32C of the sequence and the payload, sequence 7, "{}".
  const std::string expected_tail = std::string("\x07\0\0\0\0\0\0\0", 8) + "{}";
  ASSERT_EQ(bytes.size(), kRecordHeaderBytes + 2);
  EXPECT_EQ(bytes.substr(0, 4), std::string("\x02\0\0\0", 4));
  EXPECT_EQ(bytes.substr(8), expected_tail);
  DecodedRecord r;
  std::string error;
  ASSERT_EQ(DecodeRecord(bytes, 7, &r, &error), RecordResult::kRecord) << error;
  EXPECT_EQ(r.sequence, 7u);
  EXPECT_EQ(r.payload, "{}");
  EXPECT_EQ(r.size, bytes.size());
}

TEST(SpoolFormat, EveryShorterPrefixIsIncomplete) {
  std::string bytes;
  AppendRecord(1, "{\"ts\":\"2026-12-08T00:00:00Z\"}", &bytes);
  DecodedRecord r;
  std::string error;
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(DecodeRecord(std::string_view(bytes).substr(0, n), 1, &r, &error),
              RecordResult::kIncomplete)
        << n;
  }
}

TEST(SpoolFormat, CorruptionIsNamed) {
  std::string bytes;
  AppendRecord(3, "{\"a\":1}", &bytes);
  DecodedRecord r;
  std::string error;
  std::string flipped = bytes;
  flipped[kRecordHeaderBytes + 2] ^= 0x01;
  EXPECT_EQ(DecodeRecord(flipped, 3, &r, &error), RecordResult::kCorrupt);
  EXPECT_EQ(error.rfind("CRC32C mismatch (stored 0x", 0), 0u) << error;
  EXPECT_EQ(DecodeRecord(bytes, 4, &r, &error), RecordResult::kCorrupt);
  EXPECT_EQ(error, "sequence 3 where 4 was expected");
  std::string huge = bytes;
  huge[3] = 0x01;  // 16 MiB + 7
  EXPECT_EQ(DecodeRecord(huge, 3, &r, &error), RecordResult::kCorrupt);
  EXPECT_EQ(error, "record length 16777223 over the limit");
}

}  // namespace
}  // namespace qilian::security
