#include "security/analyzers/dnp3/dnp3_analyzer.h"

#include <gtest/gtest.h>

#include "security/analyzers/dnp3/dnp3_test_frames.h"
#include "security/analyzers/registry.h"
#include "security/common/weird.h"
#include "security/analyzers/testing/recording_host.h"

namespace qilian::security {
void Register_dnp3(AnalyzerRegistry* registry);
}

namespace qilian::security::dnp3 {
namespace {

using testing::Bytes;
using testing::Concat;
using testing::LinkFrame;
using testing::Request;
using testing::Response;

using FakeHost = analyzer_testing::RecordingHost;

const Bytes kReadClass0 = {0xc2, 0x01, 0x3c, 0x01, 0x06};
const Bytes kNullResponse = {0xc2, 0x81, 0x00, 0x00};

TEST(Dnp3AnalyzerTest, SignatureWantsStartBytesAndAGoodHeader) {
  Bytes frame = Request(kReadClass0);
  EXPECT_TRUE(LooksLikeDnp3(frame));
  EXPECT_TRUE(LooksLikeDnp3(Bytes(frame.begin(), frame.begin() + 4)));
  Bytes bad = frame;
  bad[5] ^= 0xff;
  EXPECT_FALSE(LooksLikeDnp3(bad));
  EXPECT_FALSE(LooksLikeDnp3(Bytes{0x05}));
  EXPECT_FALSE(LooksLikeDnp3(Bytes{'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P'}));
}

TEST(Dnp3AnalyzerTest, ResponseNamesTheRequestItAnswers) {
  FakeHost host;
  Dnp3Analyzer a(&host);
  a.DeliverStream(Direction::kOrig, Request(kReadClass0));
  a.DeliverStream(Direction::kResp, Response(kNullResponse));
  ASSERT_EQ(host.events.size(), 2u);
  const auto& req = host.events[0];
  EXPECT_EQ(req["pdu"], "request");
  EXPECT_EQ(req["src"], 1);
  EXPECT_EQ(req["dst"], 10);
  EXPECT_EQ(req["link_dir"], true);
  EXPECT_EQ(req["link_func_name"], "unconfirmed_user_data");
  EXPECT_EQ(req["func_name"], "read");
  EXPECT_EQ(req["seq"], 2);
  EXPECT_EQ(req["objects"][0]["group"], 60);
  const auto& resp = host.events[1];
  EXPECT_EQ(resp["pdu"], "response");
  EXPECT_EQ(resp["iin"], 0);
  EXPECT_EQ(resp["request_func_name"], "read");
  EXPECT_EQ(host.weirds.Total(), 0u);
  // Answered once: a repeat of the response has nothing to name.
  a.DeliverStream(Direction::kResp, Response(kNullResponse));
  EXPECT_FALSE(host.events.back().contains("request_func"));
}

TEST(Dnp3AnalyzerTest, FragmentAcrossFramesAndFramesAcrossSegments) {
  FakeHost host;
  Dnp3Analyzer a(&host);
  // A response of 600 bytes of g30v1 in three link frames.
  Bytes app = {0xe0, 0x81, 0x00, 0x00, 0x1e, 0x01, 0x01, 0x00, 0x00, 0x76, 0x00};
  while (app.size() < 11 + 119 * 5) app.push_back(0);
  Bytes stream;
  size_t at = 0;
  uint8_t seq = 5;
  while (at < app.size()) {
    size_t n = std::min<size_t>(249, app.size() - at);
    Bytes data = {
        static_cast<uint8_t>((at == 0 ? 0x40 : 0) | (at + n == app.size() ? 0x80 : 0) | seq++)};
    for (size_t i = at; i < at + n; ++i) data.push_back(app[i]);
    stream = Concat(stream, LinkFrame(0x44, 1, 10, data));
    at += n;
  }
  for (size_t i = 0; i < stream.size(); i += 7) {
    Bytes piece(stream.begin() + i, stream.begin() + std::min(stream.size(), i + 7));
    a.DeliverStream(Direction::kResp, piece);
  }
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["segments"], 3);
  EXPECT_EQ(host.events[0]["objects"][0]["count"], 119);
  EXPECT_EQ(host.events[0]["con"], true);
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(Dnp3AnalyzerTest, LinkOnlyFramesAreEvents) {
  FakeHost host;
  Dnp3Analyzer a(&host);
  a.DeliverStream(Direction::kOrig, LinkFrame(0xc9, 10, 1, {}));  // request link status
  a.DeliverStream(Direction::kResp, LinkFrame(0x0b, 1, 10, {}));  // link status
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[0]["pdu"], "link");
  EXPECT_EQ(host.events[0]["link_func_name"], "request_link_status");
  EXPECT_EQ(host.events[0]["link_fcv"], false);
  EXPECT_EQ(host.events[1]["link_func_name"], "link_status");
  EXPECT_EQ(host.events[1]["link_dfc"], false);
  EXPECT_FALSE(host.events[1].contains("func"));
}

TEST(Dnp3AnalyzerTest, GarbageAndBadCrcsResync) {
  FakeHost host;
  Dnp3Analyzer a(&host);
  Bytes corrupt = Request(kReadClass0);
  corrupt[12] ^= 0x55;  // a data block
  Bytes bad_header = Request(kReadClass0);
  bad_header[3] ^= 0x01;
  Bytes stream = Concat(Bytes{1, 2, 3, 0x05}, Request(kReadClass0));
  stream = Concat(stream, corrupt);
  stream = Concat(stream, bad_header);
  stream = Concat(stream, Request({0xc3, 0x0d}));  // cold restart
  a.DeliverStream(Direction::kOrig, stream);
  EXPECT_EQ(host.weirds.Count("dnp3_bad_start"), 1u);
  EXPECT_EQ(host.weirds.Count("dnp3_bad_data_crc"), 1u);
  EXPECT_EQ(host.weirds.Count("dnp3_bad_header_crc"), 1u);
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[0]["func_name"], "read");
  EXPECT_EQ(host.events[1]["func_name"], "cold_restart");
}

TEST(Dnp3AnalyzerTest, GapDropsFrameAndFragment) {
  FakeHost host;
  Dnp3Analyzer a(&host);
  Bytes frame = Request(kReadClass0);
  a.DeliverStream(Direction::kOrig, Bytes(frame.begin(), frame.begin() + 6));
  a.Gap(Direction::kOrig, 50);
  a.DeliverStream(Direction::kOrig, Request(kReadClass0, 0x41));  // FIR only
  a.Gap(Direction::kOrig, 50);
  a.DeliverStream(Direction::kOrig, Concat(Bytes{0x00}, Request({0xc4, 0x0e})));
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["func_name"], "warm_restart");
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(Dnp3AnalyzerTest, EndOfDataReportsWhatWasLeft) {
  FakeHost host;
  Dnp3Analyzer a(&host);
  Bytes frame = Request(kReadClass0);
  a.DeliverStream(Direction::kOrig, Bytes(frame.begin(), frame.begin() + 12));
  a.EndOfData(Direction::kOrig);
  EXPECT_EQ(host.weirds.Count("dnp3_truncated_frame_at_end"), 1u);
  a.DeliverStream(Direction::kResp, Response(kNullResponse, 0x40));
  a.EndOfData(Direction::kResp);
  EXPECT_EQ(host.weirds.Count("dnp3_fragment_incomplete_at_end"), 1u);
  EXPECT_TRUE(host.events.empty());
}

TEST(Dnp3AnalyzerTest, UdpDatagramsHoldWholeFrames) {
  FakeHost host;
  Dnp3Analyzer a(&host);
  a.DeliverPacket(Direction::kOrig, Concat(Request(kReadClass0), LinkFrame(0xc9, 10, 1, {})));
  ASSERT_EQ(host.events.size(), 2u);
  Bytes frame = Response(kNullResponse);
  a.DeliverPacket(Direction::kResp, Bytes(frame.begin(), frame.end() - 1));
  EXPECT_EQ(host.weirds.Count("dnp3_truncated_frame_in_datagram"), 1u);
  a.DeliverPacket(Direction::kResp, frame);  // the next datagram starts afresh
  ASSERT_EQ(host.events.size(), 3u);
  EXPECT_EQ(host.events[2]["request_func_name"], "read");
}

TEST(Dnp3AnalyzerTest, RegisteredOnTcpAndUdp) {
  AnalyzerRegistry r;
  Register_dnp3(&r);
  for (Transport t : {Transport::kTcp, Transport::kUdp}) {
    auto found = r.ForPort(t, kDnp3Port);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0]->name, "dnp3");
  }
}

TEST(Dnp3AnalyzerTest, LaterResponseFragmentsNameTheSameRequest) {
  FakeHost host;
  Dnp3Analyzer a(&host);
  a.DeliverStream(Direction::kOrig, Request({0xc5, 0x01, 0x3c, 0x01, 0x06}));
  a.DeliverStream(Direction::kResp, Response({0xa5, 0x81, 0x00, 0x00}));  // FIR, CON
  a.DeliverStream(Direction::kOrig, Request({0xc5, 0x00}));               // confirm
  a.DeliverStream(Direction::kResp, Response({0x46, 0x81, 0x00, 0x00}));  // FIN
  ASSERT_EQ(host.events.size(), 4u);
  EXPECT_EQ(host.events[1]["request_func_name"], "read");
  EXPECT_EQ(host.events[3]["request_func_name"], "read");
  EXPECT_EQ(host.events[3]["fir"], false);
  // An unsolicited response answers nothing.
  a.DeliverStream(Direction::kResp, Response({0xf0, 0x82, 0x00, 0x00}));
  EXPECT_EQ(host.events.back()["func_name"], "unsolicited_response");
  EXPECT_FALSE(host.events.back().contains("request_func"));
}

TEST(Dnp3AnalyzerTest, MalformedFragmentIsWeirdButStillAnEvent) {
  FakeHost host;
  Dnp3Analyzer a(&host);
  a.DeliverStream(Direction::kOrig, Request({0xc1, 0x02, 0x32, 0x01, 0x07, 0x01, 0x00}));
  EXPECT_EQ(host.weirds.Count("dnp3_object_data_truncated"), 1u);
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["func_name"], "write");
  EXPECT_EQ(host.events[0]["objects"][0]["group"], 50);
}

}  // namespace
}  // namespace qilian::security::dnp3
