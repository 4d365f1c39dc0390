#include "security/tcp/tcp_stream.h"

#include <gtest/gtest.h>

#include <string>

namespace qilian::security {
namespace {

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;

// Records what the stream delivers: data as text, a gap as "[gap N]",
// the end as "|".
class Recorder : public StreamSink {
 public:
  void Deliver(std::span<const uint8_t> data) override { log.append(data.begin(), data.end()); }
  void Gap(uint64_t length) override { log += "[gap " + std::to_string(length) + "]"; }
  void End() override { log += "|"; }
  std::string log;
};

std::span<const uint8_t> B(const char* s) {
  return {reinterpret_cast<const uint8_t*>(s), std::char_traits<char>::length(s)};
}

class TcpStreamTest : public ::testing::Test {
 protected:
  TcpLimits limits_;
  TcpBudget budget_;
  WeirdCounter weirds_;
  Recorder sink_;
  TcpStream stream_{&limits_, &budget_, &weirds_, &sink_};
};

TEST_F(TcpStreamTest, InOrderAfterSyn) {
  stream_.Segment(1000, kSyn, {});
  stream_.Segment(1001, kAck, B("hello "));
  stream_.Segment(1007, kAck | kFin, B("world"));
  EXPECT_EQ(sink_.log, "hello world|");
  EXPECT_FALSE(stream_.mid_stream());
  EXPECT_EQ(stream_.stats().delivered, 11u);
}

TEST_F(TcpStreamTest, OutOfOrderIsBufferedThenDelivered) {
  stream_.Segment(1000, kSyn, {});
  stream_.Segment(1004, kAck, B("def"));
  EXPECT_EQ(sink_.log, "");
  EXPECT_EQ(stream_.buffered(), 3u);
  EXPECT_EQ(budget_.used, 3u);
  stream_.Segment(1001, kAck, B("abc"));
  EXPECT_EQ(sink_.log, "abcdef");
  EXPECT_EQ(stream_.buffered(), 0u);
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(TcpStreamTest, RetransmissionsAndOverlapsFirstWins) {
  stream_.Segment(0, kSyn, {});
  stream_.Segment(1, kAck, B("abcd"));
  stream_.Segment(1, kAck, B("XXXX"));   // full retransmission, different bytes
  stream_.Segment(3, kAck, B("YYefg"));  // overlaps delivered "cd"
  stream_.Segment(10, kAck, B("jkl"));   // buffered
  stream_.Segment(9, kAck, B("ZZZZ"));   // "Z" at 9 fills a hole, "ZZZ" loses to "jkl"
  stream_.Segment(8, kAck, B("h"));
  EXPECT_EQ(sink_.log, "abcdefghZjkl");
  EXPECT_EQ(stream_.stats().duplicate_bytes, 4u + 2u + 3u);
}

TEST_F(TcpStreamTest, MidStreamStartTakesTheFirstSegment) {
  stream_.Segment(5000, kAck, B("mid"));
  stream_.Segment(5003, kAck, B("dle"));
  EXPECT_TRUE(stream_.mid_stream());
  EXPECT_EQ(sink_.log, "middle");
}

TEST_F(TcpStreamTest, MidStreamStartFromThePeersAck) {
  stream_.PeerAck(5000);
  stream_.Segment(5003, kAck, B("dle"));  // out of order: waits for 5000
  EXPECT_EQ(sink_.log, "");
  stream_.Segment(5000, kAck, B("mid"));
  EXPECT_EQ(sink_.log, "middle");
  EXPECT_TRUE(stream_.mid_stream());
}

TEST_F(TcpStreamTest, AnAckFarFromTheDataDoesNotSetTheStart) {
  stream_.PeerAck(0);
  stream_.Segment(0x80000000, kAck, B("abc"));
  EXPECT_EQ(sink_.log, "abc");
}

TEST_F(TcpStreamTest, SequenceNumbersWrap) {
  stream_.Segment(0xfffffffd, kSyn, {});
  stream_.Segment(0xfffffffe, kAck, B("ab"));
  stream_.Segment(0x00000000, kAck, B("cd"));
  EXPECT_EQ(sink_.log, "abcd");
}

TEST_F(TcpStreamTest, PeerAckPastAHoleIsAGap) {
  stream_.Segment(0, kSyn, {});
  stream_.Segment(1, kAck, B("ab"));
  stream_.Segment(8, kAck, B("hi"));  // 3..7 lost by the capture
  stream_.PeerAck(6);                 // peer has up to 5: gap of 3, then still waiting
  EXPECT_EQ(sink_.log, "ab[gap 3]");
  stream_.PeerAck(10);
  EXPECT_EQ(sink_.log, "ab[gap 3][gap 2]hi");
  EXPECT_EQ(stream_.stats().gaps, 2u);
  EXPECT_EQ(stream_.stats().gap_bytes, 5u);
  stream_.PeerAck(12);  // acknowledges bytes never captured at all
  EXPECT_EQ(sink_.log, "ab[gap 3][gap 2]hi[gap 2]");
}

TEST_F(TcpStreamTest, BogusAckFarAheadIsIgnored) {
  stream_.Segment(0, kSyn, {});
  stream_.PeerAck(0x7ffffff0);
  EXPECT_EQ(sink_.log, "");
}

TEST_F(TcpStreamTest, BufferBoundGivesUpTheHole) {
  limits_.max_stream_buffer = 8;
  stream_.Segment(0, kSyn, {});
  stream_.Segment(11, kAck, B("klmnop"));  // 6 buffered after a hole at 1..10
  stream_.Segment(17, kAck, B("qrst"));    // would make 10 > 8
  EXPECT_EQ(sink_.log, "[gap 10]klmnopqrst");
  EXPECT_EQ(weirds_.Count("tcp_reassembly_buffer_full"), 1u);
  EXPECT_EQ(stream_.buffered(), 0u);
}

TEST_F(TcpStreamTest, TotalBudgetIsShared) {
  limits_.max_total_buffer = 4;
  budget_.used = 3;  // another stream holds 3 bytes
  stream_.Segment(0, kSyn, {});
  stream_.Segment(5, kAck, B("ef"));
  EXPECT_EQ(sink_.log, "[gap 4]ef");
  EXPECT_EQ(budget_.used, 3u);
}

TEST_F(TcpStreamTest, FinWaitsForMissingData) {
  stream_.Segment(0, kSyn, {});
  stream_.Segment(4, kAck | kFin, B("d"));
  EXPECT_EQ(sink_.log, "");
  stream_.Segment(1, kAck, B("abc"));
  EXPECT_EQ(sink_.log, "abcd|");
  EXPECT_TRUE(stream_.ended());
  stream_.Segment(5, kAck, B("late"));
  EXPECT_EQ(sink_.log, "abcd|");
}

TEST_F(TcpStreamTest, BytesBufferedPastTheFinAreDropped) {
  stream_.Segment(0, kSyn, {});
  stream_.Segment(8, kAck, B("late"));      // past the FIN below
  stream_.Segment(4, kAck | kFin, B("d"));  // FIN at offset 4
  stream_.Segment(1, kAck, B("abc"));
  EXPECT_EQ(sink_.log, "abcd|");
  EXPECT_EQ(stream_.buffered(), 0u);
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(TcpStreamTest, RstAndFinishFlushAcrossGaps) {
  stream_.Segment(0, kSyn, {});
  stream_.Segment(3, kAck, B("c"));
  stream_.Segment(9, kRst, {});
  EXPECT_EQ(sink_.log, "[gap 2]c|");
  EXPECT_EQ(budget_.used, 0u);
}

TEST_F(TcpStreamTest, DestroyedWithBufferedDataReturnsTheBudget) {
  {
    TcpStream s(&limits_, &budget_, &weirds_, &sink_);
    s.Segment(0, kSyn, {});
    s.Segment(10, kAck, B("zz"));
    EXPECT_EQ(budget_.used, 2u);
  }
  EXPECT_EQ(budget_.used, 0u);
}

}  // namespace
}  // namespace qilian::security
