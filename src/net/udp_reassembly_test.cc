#include "net/udp_reassembly.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/handle_test_util.h"
#include "net/testdata/resolve_udp_fragmented.inc"

namespace qilian::net {
namespace {

using testing::Bytes;
using testing::EnvelopeOf;
using testing::FromHex;
using testing::MessageBody;
using testing::Packet;
namespace wire = ident::wire;

constexpr std::string_view kAddr("\x7f\x00\x00\x01", 4);

class ReassemblyTest : public ::testing::Test {
 protected:
  ReassemblyOptions Options() {
    ReassemblyOptions o;
    o.max_bytes_per_peer = 64 << 10;
    o.max_peers = 16;
    o.timeout = absl::Seconds(2);
    return o;
  }
  FragmentOutcome Add(UdpReassembler& r, const std::string& datagram, uint16_t port = 4000,
                      std::string_view addr = kAddr) {
    return r.Add(addr, port, Bytes(datagram), &out_);
  }
  FakeClock clock_;
  std::string out_;
};

// Total-style fragments of `body` (MessageLength = whole length in each).
std::vector<std::string> TotalStyle(uint32_t request_id, const std::string& body) {
  std::vector<std::string> packets;
  for (size_t off = 0, seq = 0; off < body.size(); off += 492, ++seq) {
    packets.push_back(Packet(request_id, static_cast<uint32_t>(seq),
                             static_cast<uint32_t>(body.size()), body.substr(off, 492)));
  }
  return packets;
}

// Per-packet-style fragments (MessageLength = this packet's payload).
std::vector<std::string> PerPacketStyle(uint32_t request_id, const std::string& body) {
  std::vector<std::string> packets;
  for (size_t off = 0, seq = 0; off < body.size(); off += 492, ++seq) {
    std::string part = body.substr(off, 492);
    packets.push_back(Packet(request_id, static_cast<uint32_t>(seq),
                             static_cast<uint32_t>(part.size()), part));
  }
  return packets;
}

TEST_F(ReassemblyTest, RecordedFragmentedReplyReassemblesAndRefragmentsToTheSameOctets) {
  std::vector<std::string> recorded;
  for (const char* hex : kFragmentedReplyHex) recorded.push_back(FromHex(hex));
  ASSERT_EQ(recorded.size(), 4u);
  UdpReassembler r(Options(), &clock_);
  // Out of order, as UDP may deliver them.
  EXPECT_EQ(Add(r, recorded[2]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, recorded[0]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, recorded[3]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, recorded[1]), FragmentOutcome::kComplete);
  ASSERT_EQ(out_.size(), 20u + 1766u);
  wire::Envelope e = EnvelopeOf(out_);
  EXPECT_EQ(e.flags, 0x020b);  // TC cleared, suggested version kept
  EXPECT_EQ(e.request_id, 0x323d9271u);
  EXPECT_EQ(e.sequence_number, 0u);
  EXPECT_EQ(e.message_length, 1766u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
  EXPECT_EQ(r.peers(), 0u);

  // Sending that message again gives exactly what the deployed server sent.
  EXPECT_EQ(FragmentReply(out_), recorded);
}

TEST_F(ReassemblyTest, PerPacketStyleCompletesAtTheShortFragment) {
  std::string body = MessageBody(1000);
  std::vector<std::string> p = PerPacketStyle(7, body);
  ASSERT_EQ(p.size(), 3u);
  UdpReassembler r(Options(), &clock_);
  EXPECT_EQ(Add(r, p[2]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, p[0]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, p[1]), FragmentOutcome::kComplete);
  EXPECT_EQ(out_.substr(20), body);
  EXPECT_EQ(EnvelopeOf(out_).message_length, 1000u);
  EXPECT_FALSE(EnvelopeOf(out_).truncated());
}

TEST_F(ReassemblyTest, PerPacketStyleExactMultipleCompletesByHeaderLengths) {
  std::string body = MessageBody(984);  // two full fragments, no short one
  std::vector<std::string> p = PerPacketStyle(8, body);
  ASSERT_EQ(p.size(), 2u);
  UdpReassembler r(Options(), &clock_);
  EXPECT_EQ(Add(r, p[0]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, p[1]), FragmentOutcome::kComplete);
  EXPECT_EQ(out_.substr(20), body);
}

TEST_F(ReassemblyTest, SingleTruncatedPacketIsAWholeMessage) {
  std::string body = MessageBody(100);
  UdpReassembler r(Options(), &clock_);
  EXPECT_EQ(Add(r, Packet(9, 0, 100, body)), FragmentOutcome::kComplete);
  EXPECT_EQ(out_.substr(20), body);
}

TEST_F(ReassemblyTest, DuplicateSequenceNumberIsIgnored) {
  std::vector<std::string> p = TotalStyle(10, MessageBody(600));
  UdpReassembler r(Options(), &clock_);
  EXPECT_EQ(Add(r, p[0]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, p[0]), FragmentOutcome::kDuplicate);
  EXPECT_EQ(r.buffered_bytes(), 492u);  // counted once
  EXPECT_EQ(Add(r, p[1]), FragmentOutcome::kComplete);
  EXPECT_EQ(out_.size(), 620u);
}

TEST_F(ReassemblyTest, MissingFragmentTimesOut) {
  std::vector<std::string> p = TotalStyle(11, MessageBody(1200));
  ASSERT_EQ(p.size(), 3u);
  UdpReassembler r(Options(), &clock_);
  EXPECT_EQ(Add(r, p[0]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, p[2]), FragmentOutcome::kPending);
  clock_.Advance(absl::Milliseconds(1999));
  EXPECT_EQ(r.Expire(), 0u);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(r.Expire(), 1u);
  EXPECT_EQ(r.buffered_bytes(), 0u);
  EXPECT_EQ(r.peers(), 0u);
  EXPECT_EQ(r.pending_messages(), 0u);
  // The late fragment starts a new message instead of completing the old.
  EXPECT_EQ(Add(r, p[1]), FragmentOutcome::kPending);
}

TEST_F(ReassemblyTest, StaleMessageUnderTheSameRequestIdStartsOver) {
  std::vector<std::string> p = TotalStyle(12, MessageBody(600));
  UdpReassembler r(Options(), &clock_);
  EXPECT_EQ(Add(r, p[0]), FragmentOutcome::kPending);
  clock_.Advance(absl::Seconds(3));
  EXPECT_EQ(Add(r, p[1]), FragmentOutcome::kPending);  // old fragment 0 is gone
  EXPECT_EQ(r.buffered_bytes(), 108u);
  EXPECT_EQ(Add(r, p[0]), FragmentOutcome::kComplete);
}

TEST_F(ReassemblyTest, MixedStylesAreMalformedAndDropTheMessage) {
  std::string body = MessageBody(1200);
  UdpReassembler r(Options(), &clock_);
  EXPECT_EQ(Add(r, TotalStyle(13, body)[0]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, PerPacketStyle(13, body)[1]), FragmentOutcome::kMalformed);
  EXPECT_EQ(r.buffered_bytes(), 0u);
  EXPECT_EQ(r.peers(), 0u);
}

TEST_F(ReassemblyTest, InconsistentFragmentsAreMalformed) {
  UdpReassembler r(Options(), &clock_);
  std::string part(492, 'a');
  // Total style: a middle fragment shorter than 492.
  EXPECT_EQ(Add(r, Packet(14, 0, 1200, part.substr(0, 300))), FragmentOutcome::kMalformed);
  // Total style: a sequence number past the last fragment.
  EXPECT_EQ(Add(r, Packet(14, 3, 1200, part)), FragmentOutcome::kMalformed);
  // Total style: two fragments disagreeing on the total.
  EXPECT_EQ(Add(r, Packet(15, 0, 1200, part)), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, Packet(15, 1, 1300, part)), FragmentOutcome::kMalformed);
  // MessageLength below the payload; empty payload; payload over 492.
  EXPECT_EQ(Add(r, Packet(16, 0, 10, part)), FragmentOutcome::kMalformed);
  EXPECT_EQ(Add(r, Packet(16, 0, 10, "")), FragmentOutcome::kMalformed);
  EXPECT_EQ(Add(r, Packet(16, 0, 600, std::string(493, 'a'))), FragmentOutcome::kMalformed);
  // Per-packet style: a fragment after the short (last) one.
  EXPECT_EQ(Add(r, Packet(17, 1, 100, std::string(100, 'a'))), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, Packet(17, 2, 492, part)), FragmentOutcome::kMalformed);
  // An envelope cut short.
  EXPECT_EQ(Add(r, std::string(19, '\0')), FragmentOutcome::kMalformed);
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST_F(ReassemblyTest, MessageLargerThanThePerPeerBoundIsRefusedUpFront) {
  ReassemblyOptions o = Options();
  o.max_bytes_per_peer = 1000;
  UdpReassembler r(o, &clock_);
  EXPECT_EQ(Add(r, Packet(20, 0, 1001, std::string(492, 'a'))), FragmentOutcome::kTooLarge);
  EXPECT_EQ(Add(r, Packet(20, 0, 0xffffffff, std::string(492, 'a'))),
            FragmentOutcome::kTooLarge);
  // Per-packet style: a sequence number that would put it past the bound.
  EXPECT_EQ(Add(r, Packet(21, 2, 492, std::string(492, 'a'))), FragmentOutcome::kTooLarge);
  EXPECT_EQ(r.peers(), 0u);
}

TEST_F(ReassemblyTest, PerPeerByteBoundDropsOnlyTheMessageThatCrossesIt) {
  ReassemblyOptions o = Options();
  o.max_bytes_per_peer = 1000;
  UdpReassembler r(o, &clock_);
  std::vector<std::string> a = TotalStyle(30, MessageBody(900));
  std::vector<std::string> b = TotalStyle(31, MessageBody(900));
  EXPECT_EQ(Add(r, a[0], 4000), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, b[0], 4001), FragmentOutcome::kPending);  // 984 held
  EXPECT_EQ(Add(r, b[1], 4001), FragmentOutcome::kPeerLimit);
  EXPECT_EQ(r.buffered_bytes(), 492u);
  EXPECT_EQ(Add(r, a[1], 4000), FragmentOutcome::kComplete);
  // Another address has its own budget.
  EXPECT_EQ(Add(r, b[0], 4001, std::string_view("\x0a\x00\x00\x01", 4)), FragmentOutcome::kPending);
}

TEST_F(ReassemblyTest, MessagesInProgressPerPeerAreBounded) {
  ReassemblyOptions o = Options();
  o.max_messages_per_peer = 2;
  UdpReassembler r(o, &clock_);
  std::string body = MessageBody(600);
  EXPECT_EQ(Add(r, TotalStyle(40, body)[0]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, TotalStyle(41, body)[0]), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, TotalStyle(42, body)[0]), FragmentOutcome::kPeerLimit);
  EXPECT_EQ(r.pending_messages(), 2u);
}

TEST_F(ReassemblyTest, PeerTableIsBounded) {
  ReassemblyOptions o = Options();
  o.max_peers = 1;
  UdpReassembler r(o, &clock_);
  std::vector<std::string> p = TotalStyle(50, MessageBody(600));
  EXPECT_EQ(Add(r, p[0], 4000, std::string_view("\x0a\x00\x00\x01", 4)), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, p[0], 4000, std::string_view("\x0a\x00\x00\x02", 4)), FragmentOutcome::kPeersFull);
  EXPECT_EQ(Add(r, p[1], 4000, std::string_view("\x0a\x00\x00\x01", 4)), FragmentOutcome::kComplete);
  // Room again once the first peer is done.
  EXPECT_EQ(Add(r, p[0], 4000, std::string_view("\x0a\x00\x00\x02", 4)), FragmentOutcome::kPending);
}

TEST_F(ReassemblyTest, SameRequestIdFromTwoPortsAreTwoMessages) {
  std::vector<std::string> a = TotalStyle(60, MessageBody(600, 'a'));
  std::vector<std::string> b = TotalStyle(60, MessageBody(600, 'b'));
  UdpReassembler r(Options(), &clock_);
  EXPECT_EQ(Add(r, a[0], 4000), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, b[0], 4001), FragmentOutcome::kPending);
  EXPECT_EQ(Add(r, b[1], 4001), FragmentOutcome::kComplete);
  EXPECT_EQ(out_[30], 'b');
  EXPECT_EQ(Add(r, a[1], 4000), FragmentOutcome::kComplete);
  EXPECT_EQ(out_[30], 'a');
}

TEST(FragmentReplyTest, SmallReplyIsSentAsIs) {
  std::string reply = testing::Message(5, MessageBody(492));
  std::vector<std::string> packets = FragmentReply(reply);
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0], reply);
}

TEST(FragmentReplyTest, LargeReplyCarriesTotalLengthAndTcOnEveryFragment) {
  std::string body = MessageBody(493);
  std::vector<std::string> packets = FragmentReply(testing::Message(5, body));
  ASSERT_EQ(packets.size(), 2u);
  for (uint32_t i = 0; i < 2; ++i) {
    wire::Envelope e = EnvelopeOf(packets[i]);
    EXPECT_TRUE(e.truncated());
    EXPECT_EQ(e.sequence_number, i);
    EXPECT_EQ(e.message_length, 493u);
    EXPECT_EQ(e.request_id, 5u);
  }
  EXPECT_EQ(packets[0].size(), 512u);
  EXPECT_EQ(packets[1].size(), 21u);
  EXPECT_EQ(packets[0].substr(20) + packets[1].substr(20), body);
}

TEST(FragmentReplyTest, TruncatedReplyIsTheEnvelopeAloneWithTc) {
  std::string t = TruncatedReply(testing::Message(77, MessageBody(3000)));
  ASSERT_EQ(t.size(), 20u);
  wire::Envelope e = EnvelopeOf(t);
  EXPECT_TRUE(e.truncated());
  EXPECT_EQ(e.flags, 0x220b);
  EXPECT_EQ(e.request_id, 77u);
  EXPECT_EQ(e.sequence_number, 0u);
  EXPECT_EQ(e.message_length, 0u);
}

}  // namespace
}  // namespace qilian::net
