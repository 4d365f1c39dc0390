// The whole pipeline over hand-built frames: every byte of each packet is
// stated in the test, and the events that come out are checked exactly.
#include "security/sensor/sensor.h"

#include <gtest/gtest.h>
#include <pcap/dlt.h>

#include "security/decode/test_packets.h"

namespace qilian::security {
namespace {

using namespace testing;  // NOLINT: the frame builders

class SensorTest : public ::testing::Test {
 protected:
  SensorTest() { RegisterBuiltinAnalyzers(&registry_); }

  void Send(const Bytes& frame, int usec) {
    frames_.push_back(frame);
    RawPacket raw;
    raw.ts = 1700000000LL * kNsPerSecond + usec * 1000LL;
    raw.link_type = DLT_EN10MB;
    raw.wire_len = static_cast<uint32_t>(frame.size());
    raw.data = frames_.back();
    sensor_.Process(raw);
  }
  // A TCP segment client (10.0.0.1:40000) -> server (10.0.0.2:502) or back.
  void Client(uint32_t seq, uint32_t ack, uint8_t flags, const Bytes& data, int usec) {
    Send(Concat({Ether(0x0800), Ipv4(Ip4{}, Tcp(40000, 502, seq, ack, flags, data))}), usec);
  }
  void Server(uint32_t seq, uint32_t ack, uint8_t flags, const Bytes& data, int usec) {
    Ip4 h;
    std::swap(h.src, h.dst);
    Send(Concat({Ether(0x0800), Ipv4(h, Tcp(502, 40000, seq, ack, flags, data))}), usec);
  }

  AnalyzerRegistry registry_;
  EventVector events_;
  Sensor sensor_{&registry_, SensorOptions{}, &events_};
  std::vector<Bytes> frames_;
};

const Bytes kReadRequest = {0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x00, 0x10, 0x00, 0x02};
const Bytes kReadResponse = {0x00, 0x01, 0x00, 0x00, 0x00, 0x07, 0x01,
                             0x03, 0x04, 0x00, 0x2a, 0x01, 0x00};

TEST_F(SensorTest, ModbusSessionBecomesEvents) {
  Client(100, 0, kTcpSyn, {}, 0);
  Server(500, 101, kTcpSyn | kTcpAck, {}, 1);
  Client(101, 501, kTcpAck, {}, 2);
  Client(101, 501, kTcpAck | kTcpPsh, kReadRequest, 3);
  Server(501, 113, kTcpAck | kTcpPsh, kReadResponse, 4);
  Client(113, 514, kTcpAck | kTcpFin, {}, 5);
  Server(514, 114, kTcpAck | kTcpFin, {}, 6);
  sensor_.Finish();

  ASSERT_EQ(events_.events.size(), 2u);
  EXPECT_EQ(events_.events[0].dump(),
            R"({"ts":"2023-11-14T22:13:20.000003Z","flow":1,"proto":"modbus",)"
            R"("orig_h":"10.0.0.1","orig_p":40000,"resp_h":"10.0.0.2","resp_p":502,)"
            R"("pdu":"request","tid":1,"unit":1,"func":3,"func_name":"read_holding_registers",)"
            R"("address":16,"quantity":2})");
  EXPECT_EQ(events_.events[1]["values"], nlohmann::json({42, 256}));
  EXPECT_EQ(events_.events[1]["address"], 16);
  EXPECT_EQ(sensor_.stats().packets, 7u);
  EXPECT_EQ(sensor_.stats().tcp_packets, 7u);
  EXPECT_EQ(sensor_.flows().stats().created, 1u);
  EXPECT_EQ(sensor_.stats().protocols.at("modbus").flows, 1u);
  EXPECT_EQ(sensor_.stats().protocols.at("modbus").events, 2u);
  EXPECT_EQ(sensor_.weirds().Total(), 0u);
}

// A live capture moves the clock when no packet comes (Sensor::Advance):
// the closed flow ends 5 s after its last packet, as a later packet would
// have ended it.
TEST_F(SensorTest, AdvanceExpiresIdleFlowsWithoutAPacket) {
  Client(100, 0, kTcpSyn, {}, 0);
  Server(500, 101, kTcpSyn | kTcpAck, {}, 1);
  Client(101, 501, kTcpAck | kTcpFin, {}, 2);
  Server(501, 102, kTcpAck | kTcpFin, {}, 3);
  const TimeNs t0 = 1700000000LL * kNsPerSecond;
  sensor_.Advance(t0 + 4 * kNsPerSecond);
  EXPECT_EQ(sensor_.flows().stats().expired, 0u);
  sensor_.Advance(t0 + 6 * kNsPerSecond);
  EXPECT_EQ(sensor_.flows().stats().expired, 1u);
}

TEST_F(SensorTest, MidStreamStartAndSegmentsSplitAcrossAFrame) {
  // No handshake; the response comes in two segments, the first out of order.
  Client(1000, 9000, kTcpAck, kReadRequest, 0);
  Server(9005, 1012, kTcpAck, Bytes(kReadResponse.begin() + 5, kReadResponse.end()), 1);
  Server(9000, 1012, kTcpAck, Bytes(kReadResponse.begin(), kReadResponse.begin() + 5), 2);
  sensor_.Finish();
  ASSERT_EQ(events_.events.size(), 2u);
  EXPECT_EQ(events_.events[0]["orig_h"], "10.0.0.1");
  EXPECT_EQ(events_.events[1]["pdu"], "response");
  EXPECT_EQ(events_.events[1]["ts"], "2023-11-14T22:13:20.000002Z");
}

TEST_F(SensorTest, NonModbusOnPort502IsNotAnalyzed) {
  Bytes http = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1'};
  for (int i = 0; i < kMaxSignatureTries; ++i) {
    Client(1000 + 14 * i, 1, kTcpAck, http, i);
  }
  sensor_.Finish();
  EXPECT_TRUE(events_.events.empty());
  EXPECT_EQ(sensor_.weirds().Count("modbus_signature_mismatch"), 1u);
  EXPECT_TRUE(sensor_.stats().protocols.empty());
}

TEST_F(SensorTest, CaptureLossIsAGapAndTheAnalyzerResyncs) {
  Bytes second = kReadRequest;
  second[1] = 2;
  Client(1000, 1, kTcpAck, kReadRequest, 0);
  // 12 bytes at 1012 never captured; the server acknowledges them.
  Server(1, 1024, kTcpAck, {}, 1);
  Client(1024, 1, kTcpAck, second, 2);
  sensor_.Finish();
  ASSERT_EQ(events_.events.size(), 2u);
  EXPECT_EQ(events_.events[1]["tid"], 2);
  EXPECT_EQ(sensor_.stats().tcp_gaps, 1u);
  EXPECT_EQ(sensor_.stats().tcp_gap_bytes, 12u);
}

TEST_F(SensorTest, MalformedFramesAreCountedNotFatal) {
  Send(Bytes{1, 2, 3}, 0);
  Send(Concat({Ether(0x0800), Bytes{0x46, 0, 0, 20}}), 1);
  Send(Concat({Ether(0x0806), Bytes(28, 0)}), 2);  // ARP
  EXPECT_EQ(sensor_.stats().dropped, 2u);
  EXPECT_EQ(sensor_.stats().non_ip, 1u);
  EXPECT_EQ(sensor_.weirds().Count("truncated_link_header"), 1u);
  EXPECT_EQ(sensor_.weirds().Count("truncated_IP_header"), 1u);
  std::string summary = sensor_.Summary();
  EXPECT_NE(summary.find("packets: 3"), std::string::npos) << summary;
  EXPECT_NE(summary.find("truncated_IP_header"), std::string::npos) << summary;
}

// A UDP analyzer defined here and registered in a registry of its own: the
// seam needs nothing from the sensor beyond AnalyzerInfo.
class EchoAnalyzer : public Analyzer {
 public:
  explicit EchoAnalyzer(AnalyzerHost* host) : host_(host) {}
  void DeliverPacket(Direction dir, std::span<const uint8_t> data) override {
    nlohmann::ordered_json e;
    e["dir"] = dir == Direction::kOrig ? "orig" : "resp";
    e["size"] = data.size();
    host_->Emit(std::move(e));
  }

 private:
  AnalyzerHost* host_;
};

TEST(SensorSeamTest, UdpAnalyzerGetsDatagramsBothWays) {
  AnalyzerRegistry registry;
  registry.Register(AnalyzerInfo{
      .name = "echo",
      .transport = Transport::kUdp,
      .ports = {7},
      .signature = [](std::span<const uint8_t> b) { return !b.empty() && b[0] == 'E'; },
      .create = [](AnalyzerHost* h) -> std::unique_ptr<Analyzer> {
        return std::make_unique<EchoAnalyzer>(h);
      }});
  EventVector events;
  Sensor sensor(&registry, SensorOptions{}, &events);
  Ip4 there, back;
  there.proto = back.proto = kProtoUdp;
  std::swap(back.src, back.dst);
  std::vector<Bytes> frames = {Concat({Ether(0x0800), Ipv4(there, Udp(5000, 7, {'x'}))}),
                               Concat({Ether(0x0800), Ipv4(there, Udp(5000, 7, {'E', 1}))}),
                               Concat({Ether(0x0800), Ipv4(back, Udp(7, 5000, {'E', 1, 2}))})};
  for (const Bytes& f : frames) {
    RawPacket raw;
    raw.link_type = DLT_EN10MB;
    raw.data = f;
    sensor.Process(raw);
  }
  sensor.Finish();
  ASSERT_EQ(events.events.size(), 2u);  // the first datagram failed the signature
  EXPECT_EQ(events.events[0]["proto"], "echo");
  EXPECT_EQ(events.events[0]["resp_p"], 7);
  EXPECT_EQ(events.events[0]["size"], 2);
  EXPECT_EQ(events.events[1]["dir"], "resp");
  EXPECT_EQ(sensor.stats().protocols.at("echo").flows, 1u);
  EXPECT_EQ(sensor.flows().stats().created_udp, 1u);
}

}  // namespace
}  // namespace qilian::security
