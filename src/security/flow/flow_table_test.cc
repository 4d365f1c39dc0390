#include "security/flow/flow_table.h"

#include <gtest/gtest.h>

#include <vector>

namespace qilian::security {
namespace {

IpAddress V4(uint8_t last) {
  const uint8_t b[4] = {192, 168, 0, last};
  return IpAddress::FromV4(std::span<const uint8_t, 4>(b));
}

DecodedPacket Tcp(uint8_t src, uint16_t sport, uint8_t dst, uint16_t dport, uint8_t flags,
                  TimeNs ts = 0) {
  DecodedPacket p;
  p.ts = ts;
  p.src = V4(src);
  p.dst = V4(dst);
  p.proto = kProtoTcp;
  p.src_port = sport;
  p.dst_port = dport;
  p.tcp_flags = flags;
  p.ip_len = 40;
  return p;
}

DecodedPacket Udp(uint8_t src, uint16_t sport, uint8_t dst, uint16_t dport, TimeNs ts) {
  DecodedPacket p = Tcp(src, sport, dst, dport, 0, ts);
  p.proto = kProtoUdp;
  return p;
}

class FlowTableTest : public ::testing::Test {
 protected:
  FlowTable MakeTable(FlowLimits limits = {}) {
    return FlowTable(
        limits,
        [this](Flow& f, FlowEndReason r) {
          ended_.push_back({f.id, r});
        },
        [](uint8_t proto, uint16_t port) { return proto == kProtoTcp && port == 502; });
  }
  std::vector<std::pair<uint64_t, FlowEndReason>> ended_;
};

TEST_F(FlowTableTest, BothDirectionsShareOneFlowWithCountersEach) {
  FlowTable t = MakeTable();
  Direction dir;
  bool created;
  Flow* f = t.Lookup(Tcp(1, 40000, 2, 502, kTcpSyn), &dir, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(dir, Direction::kOrig);
  EXPECT_EQ(f->orig.addr, V4(1));
  EXPECT_EQ(f->resp.port, 502);
  Flow* g = t.Lookup(Tcp(2, 502, 1, 40000, kTcpSyn | kTcpAck), &dir, &created);
  EXPECT_EQ(f, g);
  EXPECT_FALSE(created);
  EXPECT_EQ(dir, Direction::kResp);
  t.Lookup(Tcp(1, 40000, 2, 502, kTcpAck), &dir, &created);
  EXPECT_EQ(f->packets[0], 2u);
  EXPECT_EQ(f->packets[1], 1u);
  EXPECT_EQ(f->ip_bytes[0], 80u);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.stats().created_tcp, 1u);
}

TEST_F(FlowTableTest, OriginatorWhenTheOpeningWasMissed) {
  FlowTable t = MakeTable();
  Direction dir;
  bool created;
  // SYN-ACK first: its receiver opened the connection.
  Flow* f = t.Lookup(Tcp(2, 502, 1, 40000, kTcpSyn | kTcpAck), &dir, &created);
  EXPECT_EQ(f->orig.addr, V4(1));
  EXPECT_EQ(dir, Direction::kResp);
  // Mid-stream, a response from the server port first: the server responds.
  f = t.Lookup(Tcp(3, 502, 4, 50000, kTcpAck), &dir, &created);
  EXPECT_EQ(f->orig.addr, V4(4));
  // Neither side known: a privileged port facing an ephemeral one responds.
  f = t.Lookup(Tcp(5, 80, 6, 50000, kTcpAck), &dir, &created);
  EXPECT_EQ(f->orig.addr, V4(6));
  // Otherwise the first sender originates.
  f = t.Lookup(Tcp(7, 50001, 8, 50002, kTcpAck), &dir, &created);
  EXPECT_EQ(f->orig.addr, V4(7));
}

TEST_F(FlowTableTest, IdleTimeoutsDifferByClass) {
  FlowTable t = MakeTable();
  Direction dir;
  bool created;
  t.Lookup(Tcp(1, 40000, 2, 502, kTcpAck, 0), &dir, &created);
  t.Lookup(Udp(1, 40000, 2, 47808, 0), &dir, &created);
  t.Expire(61 * kNsPerSecond);  // past UDP's 60 s, within TCP's 300 s
  ASSERT_EQ(ended_.size(), 1u);
  EXPECT_EQ(ended_[0].first, 2u);
  EXPECT_EQ(ended_[0].second, FlowEndReason::kIdle);
  t.Expire(301 * kNsPerSecond);
  EXPECT_EQ(ended_.size(), 2u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.stats().expired, 2u);
}

TEST_F(FlowTableTest, ClosedTcpEndsSoon) {
  FlowTable t = MakeTable();
  Direction dir;
  bool created;
  Flow* f = t.Lookup(Tcp(1, 40000, 2, 502, kTcpRst, 0), &dir, &created);
  t.MarkClosed(f);
  t.Expire(4 * kNsPerSecond);
  EXPECT_TRUE(ended_.empty());
  t.Expire(6 * kNsPerSecond);
  EXPECT_EQ(ended_.size(), 1u);
}

TEST_F(FlowTableTest, MaxFlowsEvictsTheOldestIdle) {
  FlowLimits limits;
  limits.max_flows = 2;
  FlowTable t = MakeTable(limits);
  Direction dir;
  bool created;
  t.Lookup(Udp(1, 1000, 2, 2000, 10), &dir, &created);         // flow 1
  t.Lookup(Tcp(1, 1000, 2, 502, kTcpSyn, 5), &dir, &created);  // flow 2, idle since 5
  t.Lookup(Udp(1, 1000, 2, 2000, 20), &dir, &created);         // flow 1 active again
  t.Lookup(Udp(3, 1000, 4, 2000, 30), &dir, &created);         // flow 3 evicts flow 2
  ASSERT_EQ(ended_.size(), 1u);
  EXPECT_EQ(ended_[0].first, 2u);
  EXPECT_EQ(ended_[0].second, FlowEndReason::kEvicted);
  EXPECT_EQ(t.stats().evicted, 1u);
  EXPECT_EQ(t.size(), 2u);
  t.Flush();
  EXPECT_EQ(ended_.size(), 3u);
  EXPECT_EQ(ended_[2].second, FlowEndReason::kFlushed);
}

}  // namespace
}  // namespace qilian::security
