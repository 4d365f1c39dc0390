#include "security/analyzers/iec104/iec104_analyzer.h"

#include <gtest/gtest.h>

#include "security/common/weird.h"
#include "security/analyzers/testing/recording_host.h"

namespace qilian::security::iec104 {
namespace {

using Bytes = std::vector<uint8_t>;

using FakeHost = analyzer_testing::RecordingHost;

Bytes IFrame(uint16_t tx, uint16_t rx, const Bytes& asdu) {
  Bytes b = {kStartOctet,
             static_cast<uint8_t>(4 + asdu.size()),
             static_cast<uint8_t>(tx << 1),
             static_cast<uint8_t>(tx >> 7),
             static_cast<uint8_t>(rx << 1),
             static_cast<uint8_t>(rx >> 7)};
  for (uint8_t x : asdu) b.push_back(x);  // (insert() trips a GCC 12 -Warray-bounds false positive)
  return b;
}
Bytes SFrame(uint16_t rx) {
  return {kStartOctet, 4, 0x01, 0, static_cast<uint8_t>(rx << 1), static_cast<uint8_t>(rx >> 7)};
}
Bytes UFrame(uint8_t c1) { return {kStartOctet, 4, c1, 0, 0, 0}; }

const Bytes kInterrogation = {100, 0x01, 6, 0, 0x0d, 0x91, 0, 0, 0, 20};

Bytes Join(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    for (uint8_t x : p) out.push_back(x);
  }
  return out;
}

TEST(Iec104AnalyzerTest, SignatureWantsAPlausibleApci) {
  EXPECT_TRUE(LooksLikeIec104(UFrame(0x07)));
  EXPECT_TRUE(LooksLikeIec104(SFrame(3)));
  EXPECT_TRUE(LooksLikeIec104(IFrame(0, 0, kInterrogation)));
  EXPECT_FALSE(LooksLikeIec104(UFrame(0x0f)));  // two U functions
  EXPECT_FALSE(LooksLikeIec104(Bytes{kStartOctet, 2, 0x07}));
  EXPECT_FALSE(LooksLikeIec104(Bytes{'G', 'E', 'T', ' '}));
}

TEST(Iec104AnalyzerTest, FormatsAndSequenceNumbers) {
  FakeHost host;
  Iec104Analyzer a(&host);
  a.DeliverStream(Direction::kOrig, UFrame(0x07));
  a.DeliverStream(Direction::kResp, UFrame(0x0b));
  a.DeliverStream(Direction::kOrig, IFrame(0, 0, kInterrogation));
  a.DeliverStream(Direction::kResp, SFrame(1));
  ASSERT_EQ(host.events.size(), 4u);
  EXPECT_EQ(host.events[0]["apdu"], "U");
  EXPECT_EQ(host.events[0]["u_func"], "STARTDT_act");
  EXPECT_EQ(host.events[0]["sender"], "controlling");
  EXPECT_EQ(host.events[1]["u_func"], "STARTDT_con");
  EXPECT_EQ(host.events[1]["sender"], "controlled");
  EXPECT_EQ(host.events[2]["apdu"], "I");
  EXPECT_EQ(host.events[2]["tx_seq"], 0);
  EXPECT_EQ(host.events[2]["type_name"], "C_IC_NA_1");
  EXPECT_EQ(host.events[2]["cot_name"], "act");
  EXPECT_EQ(host.events[2]["common_address"], 37133);
  EXPECT_EQ(host.events[2]["objects"][0]["qoi"], 20);
  EXPECT_EQ(host.events[3]["apdu"], "S");
  EXPECT_EQ(host.events[3]["rx_seq"], 1);
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(Iec104AnalyzerTest, SequenceGapIsWeird) {
  FakeHost host;
  Iec104Analyzer a(&host);
  a.DeliverStream(Direction::kResp, IFrame(5, 0, kInterrogation));
  a.DeliverStream(Direction::kResp, IFrame(6, 0, kInterrogation));
  a.DeliverStream(Direction::kResp, IFrame(9, 0, kInterrogation));
  EXPECT_EQ(host.weirds.Count("iec104_sequence_gap"), 1u);
  EXPECT_EQ(host.events[2]["expected_tx_seq"], 7);
  EXPECT_FALSE(host.events[1].contains("expected_tx_seq"));
  // 32767 wraps to 0.
  a.DeliverStream(Direction::kOrig, IFrame(32767, 10, kInterrogation));
  a.DeliverStream(Direction::kOrig, IFrame(0, 10, kInterrogation));
  EXPECT_EQ(host.weirds.Count("iec104_sequence_gap"), 1u);
  // Acknowledging frames the peer has not sent (its next N(S) is 10).
  a.DeliverStream(Direction::kOrig, SFrame(12));
  EXPECT_EQ(host.weirds.Count("iec104_ack_unsent"), 1u);
  // After a gap the numbers are not known.
  a.Gap(Direction::kResp, 100);
  a.DeliverStream(Direction::kResp, IFrame(20, 1, kInterrogation));
  EXPECT_EQ(host.weirds.Count("iec104_sequence_gap"), 1u);
}

TEST(Iec104AnalyzerTest, FramesSpanAndShareSegments) {
  FakeHost host;
  Iec104Analyzer a(&host);
  Bytes all = Join({SFrame(1), IFrame(0, 0, kInterrogation), UFrame(0x43)});
  for (size_t i = 0; i < 10; ++i) a.DeliverStream(Direction::kOrig, Bytes{all[i]});
  EXPECT_EQ(host.events.size(), 1u);
  a.DeliverStream(Direction::kOrig, Bytes(all.begin() + 10, all.end()));
  ASSERT_EQ(host.events.size(), 3u);
  EXPECT_EQ(host.events[2]["u_func"], "TESTFR_act");
}

TEST(Iec104AnalyzerTest, JunkBeforeAFrameIsSkipped) {
  FakeHost host;
  Iec104Analyzer a(&host);
  a.DeliverStream(Direction::kOrig, Join({Bytes{0x00, 0x68, 0x01}, UFrame(0x43)}));
  EXPECT_EQ(host.weirds.Count("iec104_bad_start"), 1u);
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["u_func"], "TESTFR_act");
  a.DeliverStream(Direction::kOrig, Join({Bytes{0x68, 0x02}, UFrame(0x13)}));
  EXPECT_EQ(host.weirds.Count("iec104_bad_length"), 1u);
  ASSERT_EQ(host.events.size(), 2u);
}

TEST(Iec104AnalyzerTest, MalformedFramesAreWeirdButStillEvents) {
  FakeHost host;
  Iec104Analyzer a(&host);
  a.DeliverStream(Direction::kOrig, UFrame(0x0f));
  EXPECT_EQ(host.weirds.Count("iec104_bad_u_function"), 1u);
  EXPECT_EQ(host.events[0]["u_func"], "invalid");
  a.DeliverStream(Direction::kOrig, Bytes{kStartOctet, 5, 0x01, 0, 2, 0, 9});
  EXPECT_EQ(host.weirds.Count("iec104_bad_apdu_length"), 1u);
  a.DeliverStream(Direction::kOrig, IFrame(0, 0, {}));
  EXPECT_EQ(host.weirds.Count("iec104_asdu_truncated"), 1u);
  EXPECT_FALSE(host.events[2].contains("type_id"));
  a.DeliverStream(Direction::kOrig, Bytes{kStartOctet, 4, 0x01});
  a.EndOfData(Direction::kOrig);
  EXPECT_EQ(host.weirds.Count("iec104_truncated_frame_at_end"), 1u);
  EXPECT_EQ(host.events.size(), 3u);
}

TEST(Iec104AnalyzerTest, ServerSideIsThePortOwner) {
  FakeHost host;
  Iec104Analyzer a(&host);  // flow ports 0/0: the originator controls
  a.DeliverStream(Direction::kResp, IFrame(0, 0, kInterrogation));
  EXPECT_EQ(host.events[0]["sender"], "controlled");
}

}  // namespace
}  // namespace qilian::security::iec104
