#include "security/analyzers/dnp3/dnp3_transport.h"

#include <gtest/gtest.h>

namespace qilian::security::dnp3 {
namespace {

using Bytes = std::vector<uint8_t>;

TEST(Dnp3TransportTest, SingleSegmentFragment) {
  Reassembler r;
  LinkHeader link;
  link.source = 7;
  EXPECT_EQ(r.Add(link, Bytes{0xc5, 0xc0, 0x01}), "");
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(Bytes(r.fragment().begin(), r.fragment().end()), (Bytes{0xc0, 0x01}));
  EXPECT_EQ(r.segments(), 1u);
  EXPECT_EQ(r.first_link().source, 7);
}

TEST(Dnp3TransportTest, SegmentsJoinInSequenceAcrossTheWrap) {
  Reassembler r;
  LinkHeader link;
  EXPECT_EQ(r.Add(link, Bytes{0x40 | 62, 1}), "");
  EXPECT_EQ(r.Add(link, Bytes{63, 2}), "");
  EXPECT_FALSE(r.complete());
  EXPECT_EQ(r.Add(link, Bytes{0x80 | 0, 3}), "");
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(Bytes(r.fragment().begin(), r.fragment().end()), (Bytes{1, 2, 3}));
  EXPECT_EQ(r.segments(), 3u);
}

TEST(Dnp3TransportTest, OutOfOrderAndOrphanSegmentsAreWeird) {
  Reassembler r;
  LinkHeader link;
  EXPECT_EQ(r.Add(link, Bytes{0x81, 1}), "dnp3_transport_missing_first");
  EXPECT_EQ(r.Add(link, Bytes{0x41, 1}), "");
  EXPECT_EQ(r.Add(link, Bytes{0x01, 1}), "dnp3_transport_duplicate");
  EXPECT_TRUE(r.in_progress());
  EXPECT_EQ(r.Add(link, Bytes{0x05, 1}), "dnp3_transport_bad_sequence");
  EXPECT_FALSE(r.in_progress());
  EXPECT_EQ(r.Add(link, Bytes{0x41, 1}), "");
  EXPECT_EQ(r.Add(link, Bytes{0xc9, 1}), "dnp3_transport_fragment_abandoned");
  EXPECT_TRUE(r.complete());
  EXPECT_EQ(r.Add(link, Bytes{}), "dnp3_transport_empty");
}

TEST(Dnp3TransportTest, FragmentSizeIsBounded) {
  Reassembler r;
  LinkHeader link;
  Bytes segment(250, 0);
  segment[0] = 0x40;
  EXPECT_EQ(r.Add(link, segment), "");
  std::string_view weird;
  for (uint8_t seq = 1; seq < 100 && weird.empty(); ++seq) {
    segment[0] = seq & 0x3f;
    weird = r.Add(link, segment);
  }
  EXPECT_EQ(weird, "dnp3_fragment_too_large");
  EXPECT_FALSE(r.in_progress());
}

}  // namespace
}  // namespace qilian::security::dnp3
