#include "security/analyzers/modbus/modbus_analyzer.h"

#include <gtest/gtest.h>

#include "security/common/weird.h"
#include "security/analyzers/testing/recording_host.h"

namespace qilian::security::modbus {
namespace {

using Bytes = std::vector<uint8_t>;

using FakeHost = analyzer_testing::RecordingHost;

// An MBAP frame: transaction id, protocol 0, length, unit, then the PDU.
Bytes Mbap(uint16_t tid, uint8_t unit, const Bytes& pdu) {
  size_t length = pdu.size() + 1;
  Bytes b = {static_cast<uint8_t>(tid >> 8),    static_cast<uint8_t>(tid),    0,   0,
             static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length), unit};
  for (uint8_t x : pdu) b.push_back(x);  // (insert() trips a GCC 12 -Warray-bounds false positive)
  return b;
}

TEST(ModbusAnalyzerTest, SignatureWantsAPlausibleHeader) {
  EXPECT_TRUE(LooksLikeModbus(Mbap(1, 1, {0x03, 0, 0, 0, 1})));
  EXPECT_TRUE(LooksLikeModbus(Mbap(1, 1, {0x83, 0x02})));
  Bytes bad_protocol = Mbap(1, 1, {0x03, 0, 0, 0, 1});
  bad_protocol[3] = 1;
  EXPECT_FALSE(LooksLikeModbus(bad_protocol));
  EXPECT_FALSE(LooksLikeModbus(Mbap(1, 1, {0x00})));  // function 0
  EXPECT_FALSE(LooksLikeModbus(Bytes{0, 1, 0, 0, 0}));
  EXPECT_FALSE(LooksLikeModbus(Bytes{'G', 'E', 'T', ' ', '/', ' ', 'H', 'T'}));
}

TEST(ModbusAnalyzerTest, RequestAndResponseMatchedByTransaction) {
  FakeHost host;
  ModbusAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, Mbap(7, 1, {0x03, 0x00, 0x10, 0x00, 0x02}));
  a.DeliverStream(Direction::kResp, Mbap(7, 1, {0x03, 0x04, 0x00, 0x01, 0x00, 0x02}));
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[0]["pdu"], "request");
  EXPECT_EQ(host.events[1]["pdu"], "response");
  EXPECT_EQ(host.events[1]["tid"], 7);
  EXPECT_EQ(host.events[1]["unit"], 1);
  EXPECT_EQ(host.events[1]["address"], 16);
  EXPECT_EQ(host.events[1]["values"], nlohmann::json({1, 2}));
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(ModbusAnalyzerTest, FramesSpanAndShareSegments) {
  FakeHost host;
  ModbusAnalyzer a(&host);
  Bytes two = Mbap(1, 1, {0x06, 0x00, 0x01, 0x00, 0x03});
  Bytes second = Mbap(2, 1, {0x05, 0x00, 0x02, 0xff, 0x00});
  two.insert(two.end(), second.begin(), second.end());
  // One byte at a time, then the rest.
  for (size_t i = 0; i < 9; ++i) a.DeliverStream(Direction::kOrig, Bytes{two[i]});
  EXPECT_EQ(host.events.size(), 0u);
  a.DeliverStream(Direction::kOrig, Bytes(two.begin() + 9, two.end()));
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[0]["func_name"], "write_single_register");
  EXPECT_EQ(host.events[1]["func_name"], "write_single_coil");
}

TEST(ModbusAnalyzerTest, ExceptionResponse) {
  FakeHost host;
  ModbusAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, Mbap(9, 3, {0x01, 0x00, 0x00, 0x00, 0x08}));
  a.DeliverStream(Direction::kResp, Mbap(9, 3, {0x81, 0x02}));
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[1]["func"], 1);
  EXPECT_EQ(host.events[1]["exception"], 2);
  EXPECT_EQ(host.events[1]["exception_name"], "illegal_data_address");
  EXPECT_EQ(host.events[1]["address"], 0);
}

TEST(ModbusAnalyzerTest, BadHeaderResyncsOnTheNextFrame) {
  FakeHost host;
  ModbusAnalyzer a(&host);
  Bytes junk = {0x00, 0x01, 0x12, 0x34, 0x00, 0x06, 0x01, 0x03};  // protocol id 0x1234
  Bytes good = Mbap(5, 1, {0x04, 0x00, 0x00, 0x00, 0x01});
  junk.insert(junk.end(), good.begin(), good.end());
  a.DeliverStream(Direction::kOrig, junk);
  EXPECT_EQ(host.weirds.Count("modbus_bad_header"), 1u);
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["tid"], 5);
}

TEST(ModbusAnalyzerTest, GapDropsThePartialFrame) {
  FakeHost host;
  ModbusAnalyzer a(&host);
  Bytes first = Mbap(1, 1, {0x03, 0x00, 0x00, 0x00, 0x01});
  a.DeliverStream(Direction::kOrig, Bytes(first.begin(), first.begin() + 5));
  a.Gap(Direction::kOrig, 100);
  a.DeliverStream(Direction::kOrig, Mbap(2, 1, {0x03, 0x00, 0x00, 0x00, 0x01}));
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["tid"], 2);
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(ModbusAnalyzerTest, MalformedPduIsWeirdButStillAnEvent) {
  FakeHost host;
  ModbusAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, Mbap(1, 1, {0x10, 0x00, 0x00, 0x00, 0x02, 0x04, 0x00}));
  EXPECT_EQ(host.weirds.Count("modbus_pdu_truncated"), 1u);
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0]["func_name"], "write_multiple_registers");
  a.DeliverStream(Direction::kResp, Mbap(1, 1, {0x10, 0x00}));
  a.EndOfData(Direction::kResp);
  EXPECT_EQ(host.weirds.Count("modbus_pdu_truncated"), 2u);
  a.DeliverStream(Direction::kResp, Bytes{0, 1, 0});
  a.EndOfData(Direction::kResp);
  EXPECT_EQ(host.weirds.Count("modbus_truncated_frame_at_end"), 1u);
}

TEST(ModbusAnalyzerTest, PendingRequestsAreBounded) {
  FakeHost host;
  ModbusAnalyzer a(&host);
  for (uint16_t tid = 0; tid < kMaxPendingRequests + 10; ++tid) {
    a.DeliverStream(Direction::kOrig, Mbap(tid, 1, {0x03, 0x00, 0x05, 0x00, 0x01}));
  }
  // The oldest requests were forgotten: their responses carry no address.
  a.DeliverStream(Direction::kResp, Mbap(0, 1, {0x03, 0x02, 0x00, 0x01}));
  a.DeliverStream(Direction::kResp, Mbap(kMaxPendingRequests + 9, 1, {0x03, 0x02, 0x00, 0x01}));
  EXPECT_FALSE(host.events[host.events.size() - 2].contains("address"));
  EXPECT_EQ(host.events.back()["address"], 5);
}

}  // namespace
}  // namespace qilian::security::modbus
