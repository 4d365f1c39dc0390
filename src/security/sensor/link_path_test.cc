// The sensor's link-layer path over hand-built frames (every byte stated):
// frames that are not IP become link-layer conversations by source MAC,
// destination MAC and EtherType, an analyzer is chosen by EtherType and
// signature, and one event is written per conversation when it ends.
#include <gtest/gtest.h>
#include <pcap/dlt.h>

#include "security/decode/test_packets.h"
#include "security/sensor/sensor.h"

namespace qilian::security {
namespace {

using namespace testing;  // NOLINT: the frame builders

// A GOOSE frame from 00:01:02:03:04:06 (Ether's source) to 00:01:02:03:04:05
// in VLAN 5: APPID 0x0001, goosePdu { gocbRef "G", stNum, sqNum }.
Bytes Goose(uint8_t st_num, uint8_t sq_num) {
  Bytes pdu = {0x61, 11, 0x80, 1, 'G', 0x85, 1, st_num, 0x86, 1, sq_num, 0x88, 1, 1};
  pdu[1] = static_cast<uint8_t>(pdu.size() - 2);
  Bytes header = {0x00, 0x01, 0x00, static_cast<uint8_t>(8 + pdu.size()), 0, 0, 0, 0};
  return Concat({Ether(0x88b8, {{0x8100, 5}}), header, pdu});
}

class LinkPathTest : public ::testing::Test {
 protected:
  LinkPathTest() { RegisterBuiltinAnalyzers(&registry_); }

  void Send(const Bytes& frame, int64_t msec) {
    frames_.push_back(frame);
    RawPacket raw;
    raw.ts = 1700000000LL * kNsPerSecond + msec * 1'000'000LL;
    raw.link_type = DLT_EN10MB;
    raw.wire_len = static_cast<uint32_t>(frame.size());
    raw.data = frames_.back();
    sensor_.Process(raw);
  }

  AnalyzerRegistry registry_;
  EventVector events_;
  Sensor sensor_{&registry_, SensorOptions{}, &events_};
  std::vector<Bytes> frames_;
};

TEST_F(LinkPathTest, GooseConversationBecomesOneEventWhenItEnds) {
  Send(Goose(1, 0), 0);
  Send(Goose(1, 1), 100);
  Send(Goose(2, 0), 200);
  EXPECT_TRUE(events_.lines.empty());
  sensor_.Finish();
  ASSERT_EQ(events_.lines.size(), 1u);
  EXPECT_EQ(events_.lines[0],
            R"({"ts":"2023-11-14T22:13:20.200000Z","conv":1,"proto":"goose",)"
            R"("src_mac":"00:01:02:03:04:06","dst_mac":"00:01:02:03:04:05","ethertype":"0x88b8",)"
            R"("vlan":5,"pdus_orig":3,"pdus_resp":0,"bytes_orig":66,"bytes_resp":0,)"
            R"("appid":"0x0001","gocb_ref":"G","st_num":2,"sq_num":0,"conf_rev":1})");
  const ProtocolStats& goose = sensor_.stats().protocols.at("goose");
  EXPECT_EQ(goose.flows, 1u);
  EXPECT_EQ(goose.events, 1u);
  EXPECT_EQ(goose.packets, 3u);
  EXPECT_EQ(goose.bytes, 3 * frames_[0].size());
  EXPECT_EQ(sensor_.stats().non_ip, 3u);
  EXPECT_EQ(sensor_.links().stats().created, 1u);
  EXPECT_NE(sensor_.Summary().find("link-layer conversations: 1; expired 0, evicted 0\n"),
            std::string::npos)
      << sensor_.Summary();
  EXPECT_NE(sensor_.Summary().find("goose        flows 1, events 1, packets 3, bytes 120\n"),
            std::string::npos)
      << sensor_.Summary();
}

TEST_F(LinkPathTest, IdleConversationEndsAndANewOneBegins) {
  Send(Goose(1, 0), 0);
  Send(Goose(1, 1), 61'000);  // 61 s later: the first conversation expired first
  ASSERT_EQ(events_.lines.size(), 1u);
  EXPECT_NE(events_.lines[0].find(R"("conv":1,)"), std::string::npos);
  EXPECT_NE(events_.lines[0].find(R"("pdus_orig":1,)"), std::string::npos);
  sensor_.Finish();
  ASSERT_EQ(events_.lines.size(), 2u);
  EXPECT_NE(events_.lines[1].find(R"("conv":2,)"), std::string::npos);
  EXPECT_EQ(sensor_.links().stats().expired, 1u);
}

TEST_F(LinkPathTest, UnknownEtherTypesAreConversationsWithoutEvents) {
  Bytes arp = Concat({Ether(0x0806), Bytes(28, 0)});
  Send(arp, 0);
  Send(arp, 1);
  sensor_.Finish();
  EXPECT_TRUE(events_.lines.empty());
  EXPECT_EQ(sensor_.links().stats().created, 1u);
  EXPECT_EQ(sensor_.weirds().Total(), 0u);
}

TEST_F(LinkPathTest, WrongProtocolOnAnEtherTypeIsRefusedAndCounted) {
  // EtherType 0x8892 with a reserved frame id (0xfd00): not PROFINET.
  Bytes bogus = Concat({Ether(0x8892), Bytes{0xfd, 0x00}, Bytes(44, 0)});
  for (int i = 0; i < 5; ++i) Send(bogus, i);
  sensor_.Finish();
  EXPECT_TRUE(events_.lines.empty());
  EXPECT_EQ(sensor_.weirds().Count("profinet_signature_mismatch"), 1u);
  EXPECT_EQ(sensor_.stats().protocols.count("profinet"), 0u);
}

}  // namespace
}  // namespace qilian::security
