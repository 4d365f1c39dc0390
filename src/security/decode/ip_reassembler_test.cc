#include "security/decode/ip_reassembler.h"

#include <gtest/gtest.h>

namespace qilian::security {
namespace {

using Bytes = std::vector<uint8_t>;

FragmentKey Key(uint32_t id) { return FragmentKey{IpAddress{}, IpAddress{}, id, 17}; }

TEST(IpReassemblerTest, OutOfOrderFragmentsComplete) {
  WeirdCounter w;
  IpReassembler r({}, &w);
  Bytes out;
  EXPECT_FALSE(r.Add(Key(1), 0, 8, false, Bytes{9, 10, 11}, &out));
  EXPECT_EQ(r.datagrams(), 1u);
  EXPECT_GT(r.memory(), 0u);
  ASSERT_TRUE(r.Add(Key(1), 0, 0, true, Bytes{1, 2, 3, 4, 5, 6, 7, 8}, &out));
  EXPECT_EQ(out, (Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.memory(), 0u);
  EXPECT_EQ(w.Total(), 0u);
}

TEST(IpReassemblerTest, OverlapKeepsTheFirstBytes) {
  WeirdCounter w;
  IpReassembler r({}, &w);
  Bytes out;
  EXPECT_FALSE(r.Add(Key(2), 0, 0, true, Bytes{1, 1, 1, 1, 1, 1, 1, 1}, &out));
  // Rewrites bytes 0..7 with 2s and adds 8..15: only the new bytes count.
  ASSERT_TRUE(r.Add(Key(2), 0, 0, false, Bytes(16, 2), &out));
  EXPECT_EQ(out, (Bytes{1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2}));
  EXPECT_EQ(w.Count("fragment_overlap"), 1u);
  EXPECT_EQ(w.Count("fragment_inconsistent_overlap"), 1u);
}

TEST(IpReassemblerTest, IdenticalOverlapIsNotInconsistent) {
  WeirdCounter w;
  IpReassembler r({}, &w);
  Bytes out;
  r.Add(Key(3), 0, 0, true, Bytes(8, 7), &out);
  r.Add(Key(3), 0, 0, true, Bytes(8, 7), &out);
  EXPECT_EQ(w.Count("fragment_overlap"), 1u);
  EXPECT_EQ(w.Count("fragment_inconsistent_overlap"), 0u);
}

TEST(IpReassemblerTest, TimeoutDropsTheDatagram) {
  WeirdCounter w;
  ReassemblyLimits limits;
  limits.timeout = 30 * kNsPerSecond;
  IpReassembler r(limits, &w);
  Bytes out;
  r.Add(Key(4), 0, 0, true, Bytes(8, 1), &out);
  r.Expire(31 * kNsPerSecond);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.memory(), 0u);
  EXPECT_EQ(w.Count("fragment_timeout"), 1u);
  // The late last fragment starts a new, incomplete datagram.
  EXPECT_FALSE(r.Add(Key(4), 31 * kNsPerSecond, 8, false, Bytes(8, 1), &out));
}

TEST(IpReassemblerTest, TotalMemoryBoundDropsTheOldest) {
  WeirdCounter w;
  ReassemblyLimits limits;
  limits.max_total_bytes = 3000;
  IpReassembler r(limits, &w);
  Bytes out;
  r.Add(Key(5), 0, 0, true, Bytes(1000, 1), &out);
  r.Add(Key(6), 0, 0, true, Bytes(1000, 1), &out);
  EXPECT_EQ(r.datagrams(), 1u);  // 2 x (1000 data + 1000 flags) > 3000
  EXPECT_LE(r.memory(), 3000u);
  EXPECT_EQ(w.Count("fragment_memory_exceeded"), 1u);
}

TEST(IpReassemblerTest, DatagramBoundAndTableBound) {
  WeirdCounter w;
  ReassemblyLimits limits;
  limits.max_datagrams = 2;
  IpReassembler r(limits, &w);
  Bytes out;
  EXPECT_FALSE(r.Add(Key(7), 0, 65528, false, Bytes(16, 1), &out));
  EXPECT_EQ(w.Count("fragment_too_big"), 1u);
  r.Add(Key(8), 0, 0, true, Bytes(8, 1), &out);
  r.Add(Key(9), 0, 0, true, Bytes(8, 1), &out);
  r.Add(Key(10), 0, 0, true, Bytes(8, 1), &out);
  EXPECT_EQ(r.datagrams(), 2u);
  EXPECT_EQ(w.Count("fragment_table_full"), 1u);
}

TEST(IpReassemblerTest, InconsistentEndIsDropped) {
  WeirdCounter w;
  IpReassembler r({}, &w);
  Bytes out;
  r.Add(Key(11), 0, 0, false, Bytes(16, 1), &out);               // says the datagram is 16 bytes...
  EXPECT_EQ(r.datagrams(), 0u);                                  // ...and was complete by itself
  r.Add(Key(12), 0, 16, false, Bytes(8, 1), &out);               // ends at 24
  EXPECT_FALSE(r.Add(Key(12), 0, 24, true, Bytes(8, 1), &out));  // data past the end
  EXPECT_EQ(w.Count("fragment_size_inconsistency"), 1u);
  EXPECT_EQ(r.datagrams(), 0u);
}

}  // namespace
}  // namespace qilian::security
