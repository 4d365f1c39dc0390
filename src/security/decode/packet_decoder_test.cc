#include "security/decode/packet_decoder.h"

#include <gtest/gtest.h>
#include <pcap/dlt.h>

#include "security/decode/test_packets.h"

namespace qilian::security {
namespace {

using namespace testing;  // NOLINT: the frame builders

Ip4 Udp4() {
  Ip4 h;
  h.proto = kProtoUdp;
  return h;
}

class PacketDecoderTest : public ::testing::Test {
 protected:
  DecodeResult Run(const Bytes& frame, int dlt = DLT_EN10MB) {
    frame_ = frame;
    RawPacket raw;
    raw.ts = 5 * kNsPerSecond;
    raw.link_type = dlt;
    raw.wire_len = static_cast<uint32_t>(frame_.size());
    raw.data = frame_;
    return decoder_.Decode(raw, &out_);
  }

  WeirdCounter weirds_;
  PacketDecoder decoder_{&weirds_};
  DecodedPacket out_;
  Bytes frame_;
};

TEST_F(PacketDecoderTest, Ipv4TcpOverVlan) {
  Bytes frame = Concat({Ether(0x0800, {{0x8100, 7}}),
                        Ipv4({}, Tcp(40000, 502, 1000, 2000, kTcpAck | kTcpPsh, {0xde, 0xad}))});
  ASSERT_EQ(Run(frame), DecodeResult::kPacket);
  EXPECT_EQ(out_.ip_version, 4);
  EXPECT_EQ(out_.src.ToString(), "10.0.0.1");
  EXPECT_EQ(out_.dst.ToString(), "10.0.0.2");
  EXPECT_EQ(out_.proto, kProtoTcp);
  EXPECT_EQ(out_.src_port, 40000);
  EXPECT_EQ(out_.dst_port, 502);
  EXPECT_EQ(out_.seq, 1000u);
  EXPECT_EQ(out_.ack, 2000u);
  EXPECT_EQ(out_.tcp_flags, kTcpAck | kTcpPsh);
  EXPECT_EQ(out_.ip_len, 42u);
  ASSERT_EQ(out_.payload.size(), 2u);
  EXPECT_EQ(out_.payload[0], 0xde);
  EXPECT_EQ(weirds_.Total(), 0u);
}

TEST_F(PacketDecoderTest, EthernetPaddingIsNotPayload) {
  Bytes frame = Concat({Ether(0x0800), Ipv4(Udp4(), Udp(1, 2, {7})), Bytes(10, 0)});
  ASSERT_EQ(Run(frame), DecodeResult::kPacket);
  EXPECT_EQ(out_.payload.size(), 1u);
}

TEST_F(PacketDecoderTest, Ipv4OptionsAreCheckedButKept) {
  Ip4 h;
  h.options = {1, 1, 1, 0};  // NOP NOP NOP EOL
  ASSERT_EQ(Run(Concat({Ether(0x0800), Ipv4(h, Tcp(1, 2, 0, 0, kTcpSyn))})), DecodeResult::kPacket);
  EXPECT_EQ(weirds_.Total(), 0u);
  h.options = {7, 9, 0, 0};  // record route claiming 9 bytes in a 4-byte area
  ASSERT_EQ(Run(Concat({Ether(0x0800), Ipv4(h, Tcp(1, 2, 0, 0, kTcpSyn))})), DecodeResult::kPacket);
  EXPECT_EQ(weirds_.Count("bad_IP_options"), 1u);
}

TEST_F(PacketDecoderTest, MalformedIpv4IsWeirdNeverACrash) {
  Bytes good = Concat({Ether(0x0800), Ipv4({}, Tcp(1, 2, 0, 0, kTcpSyn))});
  Bytes bad_checksum = good;
  bad_checksum[24] ^= 0xff;
  EXPECT_EQ(Run(bad_checksum), DecodeResult::kPacket);
  EXPECT_EQ(weirds_.Count("bad_IP_checksum"), 1u);

  Bytes short_ihl = good;
  short_ihl[14] = 0x44;
  EXPECT_EQ(Run(short_ihl), DecodeResult::kDropped);
  EXPECT_EQ(weirds_.Count("bad_IP_header_length"), 1u);

  Bytes truncated = good;
  truncated.resize(truncated.size() - 1);
  EXPECT_EQ(Run(truncated), DecodeResult::kDropped);
  EXPECT_EQ(weirds_.Count("truncated_IP"), 1u);

  Bytes tiny_total = good;
  tiny_total[16] = 0;
  tiny_total[17] = 10;
  EXPECT_EQ(Run(tiny_total), DecodeResult::kDropped);
  EXPECT_EQ(weirds_.Count("bad_IP_total_length"), 1u);

  Bytes bad_tcp_offset = good;
  bad_tcp_offset[14 + 20 + 12] = 0x40;
  EXPECT_EQ(Run(bad_tcp_offset), DecodeResult::kDropped);
  EXPECT_EQ(weirds_.Count("bad_TCP_header_length"), 1u);

  EXPECT_EQ(Run(Bytes(20, 0)), DecodeResult::kNotIp);  // EtherType 0: 802.3
  EXPECT_EQ(Run(Concat({Ether(0x0800), Bytes{0x45, 0, 0}})), DecodeResult::kDropped);
  EXPECT_EQ(weirds_.Count("truncated_IP_header"), 1u);
}

TEST_F(PacketDecoderTest, UdpLengthBeyondTheDatagramIsWeird) {
  Bytes udp = Udp(5000, 53, {1, 2, 3});
  udp[5] = 200;
  EXPECT_EQ(Run(Concat({Ether(0x0800), Ipv4(Udp4(), udp)})), DecodeResult::kDropped);
  EXPECT_EQ(weirds_.Count("bad_UDP_length"), 1u);
}

TEST_F(PacketDecoderTest, Ipv4FragmentsReassembleIntoOneSegment) {
  Bytes udp = Udp(1000, 2000, Bytes(20, 0xab));  // 28 transport bytes
  Bytes first(udp.begin(), udp.begin() + 16), second(udp.begin() + 16, udp.end());
  Ip4 h = Udp4();
  h.id = 77;
  h.frag = 0x2000;  // MF, offset 0
  EXPECT_EQ(Run(Concat({Ether(0x0800), Ipv4(h, first)})), DecodeResult::kFragmentHeld);
  h.frag = 2;  // offset 16 bytes, last
  ASSERT_EQ(Run(Concat({Ether(0x0800), Ipv4(h, second)})), DecodeResult::kPacket);
  EXPECT_EQ(out_.src_port, 1000);
  EXPECT_EQ(out_.payload.size(), 20u);
  EXPECT_EQ(out_.ip_len, 48u);
  EXPECT_EQ(decoder_.fragments().datagrams(), 0u);
}

TEST_F(PacketDecoderTest, Ipv6WithExtensionHeadersOverRawAndSll) {
  // Hop-by-hop (8 bytes, next = destination options) then destination
  // options (8 bytes, next = UDP).
  Bytes ext = {60, 0, 1, 4, 0, 0, 0, 0, 17, 0, 1, 4, 0, 0, 0, 0};
  Bytes packet = Ipv6(0, Concat({ext, Udp(47808, 47808, {0x81})}));
  ASSERT_EQ(Run(packet, DLT_RAW), DecodeResult::kPacket);
  EXPECT_EQ(out_.ip_version, 6);
  EXPECT_EQ(out_.src.ToString(), "2001:db8::1");
  EXPECT_EQ(out_.proto, kProtoUdp);
  EXPECT_EQ(out_.dst_port, 47808);
  Bytes sll = {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xdd};
  ASSERT_EQ(Run(Concat({sll, packet}), DLT_LINUX_SLL), DecodeResult::kPacket);
  EXPECT_EQ(out_.payload.size(), 1u);
}

TEST_F(PacketDecoderTest, Ipv6FragmentsReassemble) {
  Bytes tcp = Tcp(20000, 20000, 1, 0, kTcpAck, Bytes(12, 5));  // 32 bytes
  Bytes a(tcp.begin(), tcp.begin() + 24), b(tcp.begin() + 24, tcp.end());
  Bytes frag1 = {6, 0, 0x00, 0x01, 0, 0, 0, 9};  // offset 0, M
  Bytes frag2 = {6, 0, 0x00, 0x18, 0, 0, 0, 9};  // offset 24, last
  EXPECT_EQ(Run(Ipv6(44, Concat({frag2, b})), DLT_RAW), DecodeResult::kFragmentHeld);
  ASSERT_EQ(Run(Ipv6(44, Concat({frag1, a})), DLT_RAW), DecodeResult::kPacket);
  EXPECT_EQ(out_.proto, kProtoTcp);
  EXPECT_EQ(out_.payload.size(), 12u);
}

TEST_F(PacketDecoderTest, Ipv6ExtensionChainIsBounded) {
  Bytes chain;
  for (int i = 0; i < 9; ++i) Append(&chain, Bytes{60, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(Run(Ipv6(60, chain), DLT_RAW), DecodeResult::kDropped);
  EXPECT_EQ(weirds_.Count("too_many_IPv6_extension_headers"), 1u);
  Bytes cut = {17, 5, 0, 0, 0, 0, 0, 0};  // claims 48 bytes
  EXPECT_EQ(Run(Ipv6(0, cut), DLT_RAW), DecodeResult::kDropped);
  EXPECT_EQ(weirds_.Count("truncated_IPv6_extension_header"), 1u);
}

TEST_F(PacketDecoderTest, NonIpFramesReportTheirEtherType) {
  EXPECT_EQ(Run(Concat({Ether(0x8892), Bytes(40, 0)})), DecodeResult::kNotIp);  // PROFINET
  EXPECT_EQ(decoder_.last_ethertype(), 0x8892);
}

TEST_F(PacketDecoderTest, NonIpFramesKeepTheirLinkHeaderAndPayload) {
  // A PROFINET DCP identify request (frame id 0xfefe) behind a VLAN tag.
  Bytes dcp = {0xfe, 0xfe, 0x05, 0x00, 0, 0, 0, 1, 0, 1, 0, 4, 0xff, 0xff, 0, 0};
  EXPECT_EQ(Run(Concat({Ether(0x8892, {{0x8100, 3}}), dcp})), DecodeResult::kNotIp);
  EXPECT_EQ(decoder_.last_link().vlan, 3);
  EXPECT_EQ(MacToString(decoder_.last_link().src_mac), "00:01:02:03:04:06");
  EXPECT_EQ(Bytes(decoder_.last_link_payload().begin(), decoder_.last_link_payload().end()), dcp);
}

}  // namespace
}  // namespace qilian::security
