#include "security/analyzers/s7comm/s7comm_analyzer.h"

#include <gtest/gtest.h>

#include "security/analyzers/s7comm/s7comm_testing.h"

namespace qilian::security::s7comm {
namespace {

using testing::Append;
using testing::Bytes;
using testing::Dt;
using testing::FakeHost;
using testing::S7;
using testing::Tpkt;

Bytes SetupFrame(uint16_t ref, uint8_t rosctr = 1) {
  return Dt(S7(rosctr, ref, {0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0}));
}

TEST(S7commAnalyzerTest, SignatureWantsTpktAndCotp) {
  EXPECT_TRUE(LooksLikeS7(SetupFrame(1)));
  EXPECT_FALSE(LooksLikeS7(Bytes{0, 1, 0, 0, 0, 6, 1, 3}));  // Modbus
  EXPECT_FALSE(LooksLikeS7(Bytes{'G', 'E', 'T', ' ', '/', ' ', 'H'}));
}

TEST(S7commAnalyzerTest, ConnectionRequestNamesRackAndSlot) {
  FakeHost host;
  S7commAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, Tpkt({0x11, 0xe0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xc0, 0x01,
                                          0x0a, 0xc1, 0x02, 0x01, 0x00, 0xc2, 0x02, 0x03, 0x23}));
  ASSERT_EQ(host.events.size(), 1u);
  const auto& e = host.events[0];
  EXPECT_EQ(e["pdu"], "cotp_connect_request");
  EXPECT_EQ(e["tpdu_size"], 1024);
  EXPECT_EQ(e["src_tsap"], "0100");
  EXPECT_EQ(e["dst_tsap"], "0323");
  EXPECT_EQ(e["conn_type"], "s7_basic");
  EXPECT_EQ(e["rack"], 1);
  EXPECT_EQ(e["slot"], 3);
}

TEST(S7commAnalyzerTest, DisconnectAndError) {
  FakeHost host;
  S7commAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, Tpkt({0x06, 0x80, 0x00, 0x03, 0x00, 0x0a, 0x80}));
  a.DeliverStream(Direction::kResp, Tpkt({0x05, 0xc0, 0x00, 0x0a, 0x00, 0x03}));
  a.DeliverStream(Direction::kResp, Tpkt({0x04, 0x70, 0x00, 0x0a, 0x02}));
  ASSERT_EQ(host.events.size(), 3u);
  EXPECT_EQ(host.events[0]["pdu"], "cotp_disconnect_request");
  EXPECT_EQ(host.events[0]["reason"], 128);
  EXPECT_EQ(host.events[1]["pdu"], "cotp_disconnect_confirm");
  EXPECT_EQ(host.events[2]["pdu"], "cotp_error");
  EXPECT_EQ(host.events[2]["reject_cause"], 2);
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(S7commAnalyzerTest, TpktsSpanAndShareSegments) {
  FakeHost host;
  S7commAnalyzer a(&host);
  Bytes two = SetupFrame(1);
  Append(&two, SetupFrame(2));
  for (size_t i = 0; i < 9; ++i) a.DeliverStream(Direction::kOrig, Bytes{two[i]});
  EXPECT_EQ(host.events.size(), 0u);
  a.DeliverStream(Direction::kOrig, Bytes(two.begin() + 9, two.end()));
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[0]["pdu_ref"], 1);
  EXPECT_EQ(host.events[1]["pdu_ref"], 2);
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(S7commAnalyzerTest, CotpSegmentsAreJoined) {
  FakeHost host;
  S7commAnalyzer a(&host);
  Bytes pdu = S7(1, 5, {0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0});
  a.DeliverStream(Direction::kOrig, Dt(Bytes(pdu.begin(), pdu.begin() + 7), false));
  EXPECT_EQ(host.events.size(), 0u);
  a.DeliverStream(Direction::kOrig, Dt(Bytes(pdu.begin() + 7, pdu.end())));
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["pdu_size"], 480);
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(S7commAnalyzerTest, S7commPlusIsCountedNotDecoded) {
  FakeHost host;
  S7commAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, Dt({0x72, 0x01, 0x00, 0x05, 0x31, 0x00, 0x00, 0x04, 0xca}));
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["proto"], "s7comm-plus");
  EXPECT_EQ(host.events[0]["version"], 1);
  EXPECT_EQ(host.events[0]["opcode_name"], "request");
  a.DeliverStream(Direction::kOrig, Dt({0x99, 0x01}));
  EXPECT_EQ(host.weirds.Count("s7comm_unknown_protocol_id"), 1u);
}

TEST(S7commAnalyzerTest, BadTpktResyncsOnTheNextHeader) {
  FakeHost host;
  S7commAnalyzer a(&host);
  Bytes junk = {0x03, 0x00, 0x00, 0x02, 0xaa, 0xbb};  // length 2
  Append(&junk, SetupFrame(3));
  a.DeliverStream(Direction::kOrig, junk);
  EXPECT_EQ(host.weirds.Count("s7comm_bad_tpkt"), 1u);
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["pdu_ref"], 3);
}

TEST(S7commAnalyzerTest, GapDropsPartialTpktAndTsdu) {
  FakeHost host;
  S7commAnalyzer a(&host);
  Bytes pdu = S7(1, 5, {0xf0, 0x00, 0x00, 0x01, 0x00, 0x01, 0x01, 0xe0});
  a.DeliverStream(Direction::kOrig, Dt(Bytes(pdu.begin(), pdu.begin() + 7), false));
  Bytes next = SetupFrame(6);
  a.DeliverStream(Direction::kOrig, Bytes(next.begin(), next.begin() + 5));
  a.Gap(Direction::kOrig, 100);
  a.DeliverStream(Direction::kOrig, SetupFrame(7));
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["pdu_ref"], 7);
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(S7commAnalyzerTest, TruncatedAtEndAndOversizedTsdu) {
  FakeHost host;
  S7commAnalyzer a(&host);
  Bytes big(1000, 0x32);
  for (size_t i = 0; i < kMaxTsduSize / big.size() + 2; ++i) {
    a.DeliverStream(Direction::kResp, Dt(big, false));
  }
  a.DeliverStream(Direction::kResp, Dt(big));  // the oversized TSDU's end
  EXPECT_EQ(host.weirds.Count("s7comm_tsdu_too_large"), 1u);
  EXPECT_EQ(host.events.size(), 0u);
  a.DeliverStream(Direction::kResp, SetupFrame(8, 3));
  EXPECT_EQ(host.events.size(), 1u);
  a.DeliverStream(Direction::kResp, Bytes{3, 0, 0});
  a.EndOfData(Direction::kResp);
  EXPECT_EQ(host.weirds.Count("s7comm_truncated_frame_at_end"), 1u);
}

TEST(S7commAnalyzerTest, PendingJobsAreBounded) {
  FakeHost host;
  S7commAnalyzer a(&host);
  // Read var jobs of DB 9, byte 0; the oldest are forgotten.
  Bytes item = {0x04, 0x01, 0x12, 0x0a, 0x10, 0x02, 0x00, 0x01, 0x00, 0x09, 0x84, 0, 0, 0};
  for (uint16_t ref = 0; ref < kMaxPendingRequests + 10; ++ref) {
    a.DeliverStream(Direction::kOrig, Dt(S7(1, ref, item)));
  }
  Bytes value = {0xff, 0x04, 0x00, 0x08, 0x01};
  a.DeliverStream(Direction::kResp, Dt(S7(3, 0, {0x04, 0x01}, value)));
  a.DeliverStream(Direction::kResp, Dt(S7(3, kMaxPendingRequests + 9, {0x04, 0x01}, value)));
  EXPECT_FALSE(host.events[host.events.size() - 2]["items"][0].contains("db"));
  EXPECT_EQ(host.events.back()["items"][0]["db"], 9);
}

}  // namespace
}  // namespace qilian::security::s7comm
