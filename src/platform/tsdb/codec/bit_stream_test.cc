#include "platform/tsdb/codec/bit_stream.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "platform/tsdb/codec/crc32c.h"

namespace qilian::platform::tsdb {
namespace {

TEST(BitStreamTest, GoldenBytes) {
  std::string out;
  BitWriter w(&out);
  w.Write(0b101, 3);
  w.Write(0xFF, 8);
  w.WriteBit(false);
  w.Write(1, 1);
  w.Finish();
  // 101 11111111 0 1 -> 1011 1111 1110 1000 (three zero padding bits)
  EXPECT_EQ(out, std::string("\xBF\xE8", 2));
  EXPECT_EQ(w.bit_count(), 13u);
}

TEST(BitStreamTest, SixtyFourBitWritesAcrossWords) {
  std::string out;
  BitWriter w(&out);
  w.Write(1, 1);
  w.Write(0x0123456789ABCDEFull, 64);
  w.Write(0xFFFFFFFFFFFFFFFFull, 64);
  w.Finish();
  ASSERT_EQ(out.size(), 17u);
  BitReader r(out);
  EXPECT_EQ(r.Read(1), 1u);
  EXPECT_EQ(r.Read(64), 0x0123456789ABCDEFull);
  EXPECT_EQ(r.Read(64), 0xFFFFFFFFFFFFFFFFull);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.bits_left(), 7u);
}

TEST(BitStreamTest, RandomWidthsRoundTrip) {
  std::mt19937_64 rng(11);
  std::vector<std::pair<uint64_t, int>> items;
  std::string out;
  BitWriter w(&out);
  for (int i = 0; i < 5000; ++i) {
    int n = static_cast<int>(rng() % 65);
    uint64_t v = rng();
    if (n < 64) v &= (uint64_t{1} << n) - 1;
    if (n == 0) v = 0;
    items.emplace_back(v, n);
    w.Write(v, n);
  }
  w.Finish();
  EXPECT_EQ(out.size(), (w.bit_count() + 7) / 8);
  BitReader r(out);
  for (auto [v, n] : items) ASSERT_EQ(r.Read(n), v);
  EXPECT_TRUE(r.ok());
  EXPECT_LT(r.bits_left(), 8u);
}

TEST(BitStreamTest, ReadPastEndIsStickyAndReturnsZero) {
  std::string data("\xFF", 1);
  BitReader r(data);
  EXPECT_EQ(r.Read(4), 0xFu);
  EXPECT_EQ(r.Read(5), 0u);  // 4 bits left: fails
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.Read(1), 0u);  // sticky, though a bit remains
  EXPECT_EQ(r.bits_left(), 0u);
}

TEST(BitStreamTest, ReadOnes) {
  std::string data("\xDF\x80", 2);  // 110 11111 1
  BitReader r(data);
  EXPECT_EQ(r.ReadOnes(5), 2);  // "110"
  EXPECT_EQ(r.ReadOnes(5), 5);  // "11111", no terminator
  EXPECT_EQ(r.ReadOnes(5), 1);  // "10"
  EXPECT_EQ(r.bit_position(), 10u);
  EXPECT_TRUE(r.ok());
  std::string ones("\xFF", 1);
  BitReader t(ones);
  EXPECT_EQ(t.Read(6), 63u);
  EXPECT_EQ(t.ReadOnes(5), 0);  // "11" then the end: no terminator
  EXPECT_FALSE(t.ok());
}

TEST(BitStreamTest, ZigZag) {
  EXPECT_EQ(ZigZag(0), 0u);
  EXPECT_EQ(ZigZag(-1), 1u);
  EXPECT_EQ(ZigZag(1), 2u);
  EXPECT_EQ(ZigZag(INT64_MIN), UINT64_MAX);
  for (int64_t v : {int64_t{0}, int64_t{-1}, int64_t{77}, INT64_MIN, INT64_MAX}) {
    EXPECT_EQ(UnZigZag(ZigZag(v)), v);
  }
}

TEST(Crc32cTest, KnownVectors) {
  // RFC 3720 B.4 and the iSCSI test patterns.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  EXPECT_EQ(Crc32c(""), 0u);
  std::mt19937 rng(3);
  for (int len = 0; len < 100; ++len) {
    std::string s(len, '\0');
    for (char& c : s) c = static_cast<char>(rng());
    ASSERT_EQ(Crc32c(s), Crc32cPortable(s)) << len;
  }
}

}  // namespace
}  // namespace qilian::platform::tsdb
