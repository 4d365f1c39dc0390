#include "security/analyzers/enip/enip_analyzer.h"

#include <gtest/gtest.h>

#include "security/analyzers/enip/enip_test_bytes.h"
#include "security/analyzers/testing/recording_host.h"
#include "security/common/weird.h"

namespace qilian::security::enip {
namespace {

using Bytes = std::vector<uint8_t>;
using testing::FromHex;

using FakeHost = analyzer_testing::RecordingHost;

TEST(EnipAnalyzerTest, Signatures) {
  EXPECT_TRUE(LooksLikeEnip(FromHex(testing::kListIdentityRequest)));
  EXPECT_TRUE(LooksLikeEnip(Bytes{0x6f, 0x00}));
  EXPECT_FALSE(LooksLikeEnip(Bytes{'G', 'E', 'T', ' '}));
  Bytes options = FromHex(testing::kListIdentityRequest);
  options[23] = 1;
  EXPECT_FALSE(LooksLikeEnip(options));
  EXPECT_TRUE(LooksLikeEnipIo(Bytes{0x02, 0x00, 0x02, 0x80, 0x08, 0x00}));
  EXPECT_FALSE(LooksLikeEnipIo(Bytes{0x09, 0x00, 0x02, 0x80, 0x08, 0x00}));
}

TEST(EnipAnalyzerTest, RequestAndResponseMatchedThroughAStream) {
  FakeHost host;
  EnipAnalyzer a(&host);
  Bytes req = FromHex(testing::kSendRRDataRequest);
  Bytes resp = FromHex(testing::kSendRRDataResponse);
  // The request a byte at a time; the response with a List Identity after it.
  for (uint8_t b : req) a.DeliverStream(Direction::kOrig, Bytes{b});
  Bytes both = resp;
  for (uint8_t b : FromHex(testing::kListIdentityResponse)) both.push_back(b);
  a.DeliverStream(Direction::kResp, both);
  ASSERT_EQ(host.events.size(), 3u);
  EXPECT_EQ(host.events[0]["pdu"], "request");
  EXPECT_EQ(host.events[0]["cip"]["request"]["service_name"], "Get_Attributes_All");
  EXPECT_EQ(host.events[1]["pdu"], "response");
  EXPECT_EQ(host.events[1]["cip"]["class"], 0xac);
  EXPECT_EQ(host.events[1]["cip"]["routed"], true);
  EXPECT_EQ(host.events[2]["identities"][0]["product_name"], "1756-ENBT/A");
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(EnipAnalyzerTest, BadHeaderAndGapResync) {
  FakeHost host;
  EnipAnalyzer a(&host);
  Bytes junk(30, 0xee);
  for (uint8_t b : FromHex(testing::kListIdentityRequest)) junk.push_back(b);
  a.DeliverStream(Direction::kOrig, junk);
  EXPECT_EQ(host.weirds.Count("enip_bad_header"), 1u);
  ASSERT_EQ(host.events.size(), 1u);
  // After a gap, zeros do not pass for NOPs.
  a.Gap(Direction::kOrig, 10);
  Bytes zeros(40, 0);
  for (uint8_t b : FromHex(testing::kListIdentityRequest)) zeros.push_back(b);
  a.DeliverStream(Direction::kOrig, zeros);
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[1]["command_name"], "ListIdentity");
  EXPECT_EQ(host.weirds.Count("enip_bad_header"), 1u);
  a.DeliverStream(Direction::kOrig, Bytes{0x65, 0x00, 0x04});
  a.EndOfData(Direction::kOrig);
  EXPECT_EQ(host.weirds.Count("enip_truncated_message_at_end"), 1u);
}

TEST(EnipAnalyzerTest, UdpDatagrams) {
  FakeHost host;
  host.flow_.resp.port = kEnipPort;
  EnipAnalyzer a(&host);
  a.DeliverPacket(Direction::kOrig, FromHex(testing::kListIdentityRequest));
  a.DeliverPacket(Direction::kResp, FromHex(testing::kListIdentityResponse));
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[1]["identities"][0]["vendor_id"], 1);
  Bytes cut = FromHex(testing::kListIdentityResponse);
  cut.resize(40);
  a.DeliverPacket(Direction::kResp, cut);
  EXPECT_EQ(host.weirds.Count("enip_datagram_truncated"), 1u);
  FakeHost io_host;
  io_host.flow_.resp.port = kIoPort;
  EnipAnalyzer io(&io_host);
  io.DeliverPacket(Direction::kOrig,
                   Bytes{0x02, 0x00, 0x02, 0x80, 0x08, 0x00, 0x01, 0,    0,    0,
                         0x05, 0,    0,    0,    0xb1, 0x00, 0x02, 0x00, 0xaa, 0xbb});
  ASSERT_EQ(io_host.events.size(), 1u);
  EXPECT_EQ(io_host.events[0]["pdu"], "io");
}

TEST(EnipAnalyzerTest, ConnectedRepliesMatchBySequenceCount) {
  FakeHost host;
  EnipAnalyzer a(&host);
  auto unit = [](uint16_t seq, const Bytes& cip) {
    size_t len = 6 + 2 + 8 + 4 + 2 + cip.size();
    Bytes b = {0x70,
               0x00,
               static_cast<uint8_t>(len),
               0,
               1,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0,
               0x02,
               0x00,
               0xa1,
               0x00,
               0x04,
               0x00,
               0x01,
               0x00,
               0x00,
               0x00,
               0xb1,
               0x00,
               static_cast<uint8_t>(cip.size() + 2),
               0x00,
               static_cast<uint8_t>(seq),
               static_cast<uint8_t>(seq >> 8)};
    for (uint8_t x : cip) b.push_back(x);
    return b;
  };
  a.DeliverStream(Direction::kOrig, unit(9, {0x4c, 0x02, 0x91, 0x01, 'X', 0x00, 0x01, 0x00}));
  a.DeliverStream(Direction::kOrig, unit(10, {0x4c, 0x02, 0x91, 0x01, 'Y', 0x00, 0x01, 0x00}));
  a.DeliverStream(Direction::kResp, unit(10, {0xcc, 0, 0, 0, 0xc1, 0, 1}));
  a.DeliverStream(Direction::kResp, unit(9, {0xcc, 0, 0, 0, 0xc1, 0, 0}));
  ASSERT_EQ(host.events.size(), 4u);
  EXPECT_EQ(host.events[2]["cip_sequence"], 10);
  EXPECT_EQ(host.events[2]["cip"]["tag"], "Y");
  EXPECT_EQ(host.events[3]["cip"]["tag"], "X");
  EXPECT_EQ(host.events[3]["cip"]["data_type_name"], "BOOL");
  EXPECT_EQ(host.weirds.Total(), 0u);
}

}  // namespace
}  // namespace qilian::security::enip
