#include "core/bytes.h"

#include <gtest/gtest.h>

namespace qilian {
namespace {

TEST(ByteWriterTest, WritesBigEndian) {
  ByteWriter w;
  w.WriteU8(0x01);
  w.WriteU16(0x0203);
  w.WriteU32(0x04050607);
  w.WriteU64(0x08090a0b0c0d0e0fULL);
  w.WriteLengthPrefixed("ab");
  EXPECT_EQ(w.data(), std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                                  "\x00\x00\x00\x02" "ab", 21));
}

TEST(ByteReaderTest, RoundTrips) {
  ByteWriter w;
  w.WriteU16(65535);
  w.WriteU32(0xdeadbeef);
  w.WriteLengthPrefixed("hello");
  ByteReader r(w.data());
  EXPECT_EQ(r.ReadU16(), 65535);
  EXPECT_EQ(r.ReadU32(), 0xdeadbeefu);
  EXPECT_EQ(r.ReadLengthPrefixed(), "hello");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
}

TEST(ByteReaderTest, ErrorIsSticky) {
  ByteReader r(std::string_view("\x00\x01", 2));
  EXPECT_EQ(r.ReadU32(), 0u);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.ReadU8(), 0);  // even though a byte remains
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ByteReaderTest, LengthPrefixLongerThanInputFails) {
  ByteReader r(std::string_view("\xff\xff\xff\xff" "ab", 6));
  EXPECT_EQ(r.ReadLengthPrefixed(), "");
  EXPECT_FALSE(r.ok());
}

TEST(ByteReaderTest, LengthPrefixOverMaxFails) {
  ByteReader r(std::string_view("\x00\x00\x00\x03" "abc", 7));
  EXPECT_EQ(r.ReadLengthPrefixed(2), "");
  EXPECT_FALSE(r.ok());
}

TEST(ByteWriterTest, PatchesReservedLength) {
  ByteWriter w;
  size_t at = w.ReserveU32();
  w.WriteBytes("xyz");
  w.PatchU32(at, 3);
  EXPECT_EQ(w.data(), std::string("\x00\x00\x00\x03xyz", 7));
}

}  // namespace
}  // namespace qilian
