#include "security/decode/link_layer.h"

#include <gtest/gtest.h>
#include <pcap/dlt.h>

#include "security/decode/test_packets.h"

namespace qilian::security {
namespace {

using testing::Bytes;
using testing::Ether;

TEST(LinkLayerTest, EthernetII) {
  WeirdCounter w;
  LinkFrame f;
  Bytes frame = Ether(0x0800);
  ASSERT_TRUE(DecodeLink(DLT_EN10MB, frame, &w, &f));
  EXPECT_EQ(f.ethertype, 0x0800);
  EXPECT_EQ(f.offset, 14u);
  EXPECT_EQ(f.vlan_tags, 0);
}

TEST(LinkLayerTest, Dot1qAndQinQ) {
  WeirdCounter w;
  LinkFrame f;
  Bytes one = Ether(0x86dd, {{0x8100, 10}});
  ASSERT_TRUE(DecodeLink(DLT_EN10MB, one, &w, &f));
  EXPECT_EQ(f.ethertype, 0x86dd);
  EXPECT_EQ(f.offset, 18u);
  Bytes two = Ether(0x0800, {{0x88a8, 100}, {0x8100, 10}});
  ASSERT_TRUE(DecodeLink(DLT_EN10MB, two, &w, &f));
  EXPECT_EQ(f.ethertype, 0x0800);
  EXPECT_EQ(f.offset, 22u);
  EXPECT_EQ(f.vlan_tags, 2);
}

TEST(LinkLayerTest, AddressesAndOuterVlanForTheLinkLayerPath) {
  WeirdCounter w;
  LinkFrame f;
  Bytes frame = Ether(0x88b8, {{0x8100, 0x8005}, {0x8100, 7}});  // PCP 4, VID 5; then VID 7
  ASSERT_TRUE(DecodeLink(DLT_EN10MB, frame, &w, &f));
  EXPECT_EQ(MacToString(f.dst_mac), "00:01:02:03:04:05");
  EXPECT_EQ(MacToString(f.src_mac), "00:01:02:03:04:06");
  EXPECT_EQ(f.vlan, 5);
  EXPECT_EQ(f.ethertype, 0x88b8);
  Bytes untagged = Ether(0x8892);
  ASSERT_TRUE(DecodeLink(DLT_EN10MB, untagged, &w, &f));
  EXPECT_EQ(f.vlan, 0);
  // Linux cooked v1: packet type, ARPHRD, address length 6, the address
  // padded to 8, protocol.
  Bytes sll = {0, 0, 0, 1, 0, 6, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0, 0x88, 0x92};
  ASSERT_TRUE(DecodeLink(DLT_LINUX_SLL, sll, &w, &f));
  EXPECT_EQ(MacToString(f.src_mac), "aa:bb:cc:dd:ee:ff");
  EXPECT_EQ(MacToString(f.dst_mac), "00:00:00:00:00:00");
  EXPECT_EQ(w.Total(), 0u);
}

TEST(LinkLayerTest, TooManyTagsAndTruncationAreWeird) {
  WeirdCounter w;
  LinkFrame f;
  Bytes five = Ether(0x0800, {{0x8100, 1}, {0x8100, 2}, {0x8100, 3}, {0x8100, 4}, {0x8100, 5}});
  EXPECT_FALSE(DecodeLink(DLT_EN10MB, five, &w, &f));
  EXPECT_EQ(w.Count("too_many_vlan_tags"), 1u);
  Bytes cut = Ether(0x0800, {{0x8100, 1}});
  cut.resize(16);
  EXPECT_FALSE(DecodeLink(DLT_EN10MB, cut, &w, &f));
  EXPECT_EQ(w.Count("truncated_link_header"), 1u);
}

TEST(LinkLayerTest, Ieee8023LengthIsNotAnEtherType) {
  WeirdCounter w;
  LinkFrame f;
  Bytes frame = Ether(0x0026);  // 802.3 length 38 (e.g. spanning tree)
  ASSERT_TRUE(DecodeLink(DLT_EN10MB, frame, &w, &f));
  EXPECT_EQ(f.ethertype, 0);
}

TEST(LinkLayerTest, LinuxCookedV1AndV2) {
  WeirdCounter w;
  LinkFrame f;
  Bytes sll = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00};
  ASSERT_TRUE(DecodeLink(DLT_LINUX_SLL, sll, &w, &f));
  EXPECT_EQ(f.ethertype, 0x0800);
  EXPECT_EQ(f.offset, 16u);
  Bytes sll2 = {0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0};
  ASSERT_TRUE(DecodeLink(276, sll2, &w, &f));
  EXPECT_EQ(f.ethertype, 0x86dd);
  EXPECT_EQ(f.offset, 20u);
  EXPECT_FALSE(DecodeLink(276, Bytes(19, 0), &w, &f));
}

TEST(LinkLayerTest, NullInEitherByteOrderAndLoop) {
  WeirdCounter w;
  LinkFrame f;
  ASSERT_TRUE(DecodeLink(DLT_NULL, Bytes{2, 0, 0, 0}, &w, &f));  // little-endian writer
  EXPECT_EQ(f.ethertype, kEtherTypeIpv4);
  ASSERT_TRUE(DecodeLink(DLT_NULL, Bytes{0, 0, 0, 30}, &w, &f));  // big-endian macOS IPv6
  EXPECT_EQ(f.ethertype, kEtherTypeIpv6);
  ASSERT_TRUE(DecodeLink(DLT_LOOP, Bytes{0, 0, 0, 2}, &w, &f));
  EXPECT_EQ(f.ethertype, kEtherTypeIpv4);
  EXPECT_EQ(f.offset, 4u);
}

TEST(LinkLayerTest, RawIpByVersionNibble) {
  WeirdCounter w;
  LinkFrame f;
  ASSERT_TRUE(DecodeLink(DLT_RAW, Bytes{0x45, 0}, &w, &f));
  EXPECT_EQ(f.ethertype, kEtherTypeIpv4);
  ASSERT_TRUE(DecodeLink(DLT_RAW, Bytes{0x60, 0}, &w, &f));
  EXPECT_EQ(f.ethertype, kEtherTypeIpv6);
  EXPECT_FALSE(DecodeLink(DLT_RAW, Bytes{0x55}, &w, &f));
  EXPECT_EQ(w.Count("bad_IP_version"), 1u);
}

TEST(LinkLayerTest, UnsupportedLinkTypeIsWeird) {
  WeirdCounter w;
  LinkFrame f;
  EXPECT_FALSE(IsSupportedLinkType(DLT_IEEE802_11));
  EXPECT_FALSE(DecodeLink(DLT_IEEE802_11, Bytes(40, 0), &w, &f));
  EXPECT_EQ(w.Count("unsupported_link_type"), 1u);
}

}  // namespace
}  // namespace qilian::security
