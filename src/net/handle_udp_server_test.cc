#include "net/handle_udp_server.h"

#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "gtest/gtest.h"
#include "net/handle_test_util.h"

namespace qilian::net {
namespace {

using testing::BigRequest;
using testing::EnvelopeOf;
using testing::FakeFrontend;
using testing::MessageBody;
using testing::Packet;
using testing::Request;
using testing::TestSocket;
namespace wire = ident::wire;

class UdpServerTest : public ::testing::Test {
 protected:
  void Start(HandleUdpServerOptions options = {}) {
    options.workers = options.workers == 0 ? 1 : options.workers;
    options.clock = &clock_;
    server_ = std::make_unique<HandleUdpServer>(options, fake_.Handler(), &metrics_);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
    client_ = std::make_unique<TestSocket>(SOCK_DGRAM, server_->port());
  }

  uint64_t Count(const char* name, MetricLabels labels = {}) {
    return metrics_.GetCounter(name, "", labels).value();
  }

  // Sends an echo request and returns every datagram received before its
  // answer, so a test can tell that earlier packets were answered or not
  // without waiting for a silence to last (one worker answers in order).
  std::vector<std::string> DrainUntilSentinel(uint32_t sentinel_id = 0xabcdef, char kind = 'P') {
    std::string sentinel = Request(sentinel_id, kind);
    EXPECT_TRUE(client_->Send(sentinel));
    std::vector<std::string> before;
    for (;;) {
      std::optional<std::string> d = client_->RecvDatagram();
      if (!d) {
        ADD_FAILURE() << "no answer to the sentinel";
        return before;
      }
      if (*d == sentinel) return before;
      before.push_back(*d);
    }
  }

  FakeClock clock_;
  MetricsRegistry metrics_;
  FakeFrontend fake_;
  std::unique_ptr<HandleUdpServer> server_;
  std::unique_ptr<TestSocket> client_;
};

TEST_F(UdpServerTest, AnswersARequest) {
  Start();
  std::string request = Request(1, 'P');
  ASSERT_TRUE(client_->Send(request));
  EXPECT_EQ(client_->RecvDatagram(), request);
  EXPECT_EQ(Count("qilian_handle_udp_packets_total", {{"direction", "in"}}), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_packets_total", {{"direction", "out"}}), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_bytes_total", {{"direction", "in"}}), request.size());
  EXPECT_EQ(Count("qilian_handle_udp_messages_total"), 1u);
}

TEST_F(UdpServerTest, ReassemblesAFragmentedRequestAndFragmentsTheReply) {
  Start();
  std::string body = MessageBody(1200);
  std::vector<std::string> packets;
  for (size_t off = 0, seq = 0; off < body.size(); off += 492, ++seq) {
    packets.push_back(Packet(9, static_cast<uint32_t>(seq), 1200, body.substr(off, 492)));
  }
  ASSERT_EQ(packets.size(), 3u);
  ASSERT_TRUE(client_->Send(packets[2]));
  ASSERT_TRUE(client_->Send(packets[0]));
  ASSERT_TRUE(client_->Send(packets[1]));

  // The echo of the 1220-octet message comes back in three fragments.
  UdpReassembler client_side(ReassemblyOptions{}, &clock_);
  std::string reply;
  FragmentOutcome outcome = FragmentOutcome::kPending;
  for (int i = 0; i < 3; ++i) {
    std::optional<std::string> d = client_->RecvDatagram();
    ASSERT_TRUE(d.has_value());
    EXPECT_LE(d->size(), 512u);
    wire::Envelope e = EnvelopeOf(*d);
    EXPECT_TRUE(e.truncated());
    EXPECT_EQ(e.message_length, 1200u);
    EXPECT_EQ(e.request_id, 9u);
    outcome = client_side.Add("server", 1, testing::Bytes(*d), &reply);
  }
  ASSERT_EQ(outcome, FragmentOutcome::kComplete);
  EXPECT_EQ(reply.substr(20), body);
  EXPECT_EQ(Count("qilian_handle_udp_reassembly_total", {{"outcome", "complete"}}), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_reassembly_total", {{"outcome", "pending"}}), 2u);
  EXPECT_EQ(Count("qilian_handle_udp_fragmented_total"), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_packets_total", {{"direction", "out"}}), 3u);
}

TEST_F(UdpServerTest, DuplicateFragmentIsIgnoredAndCounted) {
  Start();
  std::string body = MessageBody(300);
  std::string first = Packet(10, 0, 600, std::string(492, 'x'));
  std::string second = Packet(10, 1, 600, std::string(108, 'y'));
  ASSERT_TRUE(client_->Send(first));
  ASSERT_TRUE(client_->Send(first));
  ASSERT_TRUE(client_->Send(second));
  std::vector<std::string> got = DrainUntilSentinel();
  ASSERT_EQ(got.size(), 2u);  // one reply, in two fragments
  EXPECT_EQ(EnvelopeOf(got[0]).message_length, 600u);
  EXPECT_EQ(Count("qilian_handle_udp_reassembly_total", {{"outcome", "duplicate"}}), 1u);
  EXPECT_EQ(fake_.calls.load(), 2);  // the message and the sentinel
}

TEST_F(UdpServerTest, MissingFragmentTimesOutWithoutAnswer) {
  HandleUdpServerOptions o;
  o.reassembly.timeout = absl::Seconds(2);
  Start(o);
  std::string body = MessageBody(1200);
  ASSERT_TRUE(client_->Send(Packet(11, 0, 1200, body.substr(0, 492))));
  ASSERT_TRUE(client_->Send(Packet(11, 2, 1200, body.substr(984))));
  EXPECT_TRUE(DrainUntilSentinel(1).empty());  // both fragments are held now
  EXPECT_EQ(metrics_.GetGauge("qilian_handle_udp_reassembly_bytes", "").value(), 708);
  clock_.Advance(absl::Seconds(3));
  EXPECT_TRUE(DrainUntilSentinel(2).empty());
  EXPECT_EQ(Count("qilian_handle_udp_reassembly_total", {{"outcome", "timeout"}}), 1u);
  EXPECT_EQ(metrics_.GetGauge("qilian_handle_udp_reassembly_bytes", "").value(), 0);
  EXPECT_EQ(fake_.calls.load(), 2);  // the sentinels only
}

TEST_F(UdpServerTest, PerPeerReassemblyBoundRefusesOversizedMessages) {
  HandleUdpServerOptions o;
  o.reassembly.max_bytes_per_peer = 1000;
  Start(o);
  ASSERT_TRUE(client_->Send(Packet(12, 0, 5000, std::string(492, 'x'))));
  // Per-packet style, held fragments growing past the bound.
  ASSERT_TRUE(client_->Send(Packet(13, 0, 492, std::string(492, 'x'))));
  ASSERT_TRUE(client_->Send(Packet(13, 1, 492, std::string(492, 'x'))));
  ASSERT_TRUE(client_->Send(Packet(13, 2, 492, std::string(492, 'x'))));
  EXPECT_TRUE(DrainUntilSentinel().empty());
  EXPECT_EQ(Count("qilian_handle_udp_reassembly_total", {{"outcome", "too_large"}}), 2u);
  EXPECT_EQ(metrics_.GetGauge("qilian_handle_udp_reassembly_bytes", "").value(), 984);
}

TEST_F(UdpServerTest, TruncateModeReplacesEveryAnswerBeyondTheFactor) {
  HandleUdpServerOptions o;
  o.max_reply_factor = 10;
  o.budget.mode = LargeAnswerMode::kTruncate;
  Start(o);
  // 60-octet requests: up to 600 octets may go back.
  std::string small = BigRequest(20, 500);
  ASSERT_EQ(small.size(), 60u);
  ASSERT_TRUE(client_->Send(small));
  std::optional<std::string> d = client_->RecvDatagram();
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->size(), 512u);  // within the bound (540 octets): sent, in two fragments
  EXPECT_TRUE(EnvelopeOf(*d).truncated());
  ASSERT_TRUE(client_->RecvDatagram().has_value());

  ASSERT_TRUE(client_->Send(BigRequest(21, 3000)));
  d = client_->RecvDatagram();
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->size(), 20u);
  wire::Envelope e = EnvelopeOf(*d);
  EXPECT_TRUE(e.truncated());
  EXPECT_EQ(e.message_length, 0u);
  EXPECT_EQ(e.request_id, 21u);
  EXPECT_EQ(Count("qilian_handle_udp_truncated_total", {{"reason", "factor"}}), 1u);

  // A larger request earns a larger answer.
  ASSERT_TRUE(client_->Send(BigRequest(22, 3000, 400)));
  std::vector<std::string> got = DrainUntilSentinel();
  EXPECT_EQ(got.size(), 7u);  // 3000 octets in fragments of 492
  EXPECT_EQ(Count("qilian_handle_udp_truncated_total", {{"reason", "factor"}}), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_budget_answers_total", {{"outcome", "sent"}}), 0u);
  EXPECT_EQ(Count("qilian_handle_udp_budget_answers_total", {{"outcome", "refused"}}), 0u);
}

// What a client that ignores TC does (Handle.Net's hdllib): size the
// message from the first datagram's MessageLength, put each datagram's
// payload at SequenceNumber x 492, done when every slot is filled. Fails
// the test on what would make hdllib fail (MessageLength 0, a datagram
// over 512 octets, a payload past the end).
std::string ReassembleLikeHdllib(const std::vector<std::string>& datagrams) {
  if (datagrams.empty()) {
    ADD_FAILURE() << "no datagram";
    return {};
  }
  const uint32_t length = EnvelopeOf(datagrams[0]).message_length;
  const size_t slots = (length + 491) / 492;
  if (slots != datagrams.size()) {
    ADD_FAILURE() << "MessageLength " << length << " needs " << slots << " datagrams, got "
                  << datagrams.size();
    return {};
  }
  std::string message(length, '\0');
  for (const std::string& d : datagrams) {
    EXPECT_LE(d.size(), 512u);
    wire::Envelope e = EnvelopeOf(d);
    EXPECT_EQ(e.message_length, length);
    EXPECT_TRUE(e.truncated() || datagrams.size() == 1);
    size_t at = static_cast<size_t>(e.sequence_number) * 492;
    if (at + d.size() - 20 > length) {
      ADD_FAILURE() << "fragment " << e.sequence_number << " runs past the message";
      return {};
    }
    message.replace(at, d.size() - 20, d.substr(20));
  }
  return message;
}

TEST_F(UdpServerTest, LargeAnswersDrawOnTheNetworkBudgetThenGetTheTcEnvelope) {
  HandleUdpServerOptions o;
  o.max_reply_factor = 10;
  o.budget.bytes_per_second = 1000;
  o.budget.burst_bytes = 6000;
  Start(o);
  // 60-octet requests: 600 octets go out free. A 3000-octet answer is 7
  // datagrams, 3140 octets on the wire: 2540 are taken from the budget.
  auto expect_full = [&](uint32_t id) {
    ASSERT_TRUE(client_->Send(BigRequest(id, 3000)));
    std::vector<std::string> got = DrainUntilSentinel();
    ASSERT_EQ(got.size(), 7u) << id;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(EnvelopeOf(got[i]).request_id, id);
      EXPECT_EQ(EnvelopeOf(got[i]).sequence_number, i);
    }
    EXPECT_EQ(ReassembleLikeHdllib(got), std::string(3000, 'b'));
  };
  auto expect_tc = [&](uint32_t id) {
    ASSERT_TRUE(client_->Send(BigRequest(id, 3000)));
    std::vector<std::string> got = DrainUntilSentinel();
    ASSERT_EQ(got.size(), 1u) << id;
    ASSERT_EQ(got[0].size(), 20u);
    wire::Envelope e = EnvelopeOf(got[0]);
    EXPECT_TRUE(e.truncated());
    EXPECT_EQ(e.message_length, 0u);
    EXPECT_EQ(e.request_id, id);
  };
  expect_full(40);
  expect_full(41);
  expect_tc(42);  // 920 octets left
  EXPECT_EQ(Count("qilian_handle_udp_budget_answers_total", {{"outcome", "sent"}}), 2u);
  EXPECT_EQ(Count("qilian_handle_udp_budget_answers_total", {{"outcome", "refused"}}), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_budget_bytes_total"), 5080u);
  EXPECT_EQ(Count("qilian_handle_udp_truncated_total", {{"reason", "budget"}}), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_truncated_total", {{"reason", "factor"}}), 0u);

  clock_.Advance(absl::Seconds(2));  // 920 + 2000 octets
  expect_full(43);
  expect_tc(44);  // 380 left
  EXPECT_EQ(Count("qilian_handle_udp_budget_answers_total", {{"outcome", "sent"}}), 3u);
  EXPECT_EQ(Count("qilian_handle_udp_budget_answers_total", {{"outcome", "refused"}}), 2u);
  EXPECT_EQ(Count("qilian_handle_udp_budget_bytes_total"), 7620u);

  // Another /24 has a budget of its own.
  TestSocket other(SOCK_DGRAM, server_->port());
  ASSERT_TRUE(other.BindSource("127.0.1.1"));
  ASSERT_TRUE(other.Send(BigRequest(45, 3000)));
  std::vector<std::string> got;
  for (int i = 0; i < 7; ++i) {
    std::optional<std::string> d = other.RecvDatagram();
    ASSERT_TRUE(d.has_value());
    got.push_back(*d);
  }
  EXPECT_EQ(ReassembleLikeHdllib(got), std::string(3000, 'b'));
  EXPECT_EQ(Count("qilian_handle_udp_budget_answers_total", {{"outcome", "sent"}}), 4u);
}

TEST_F(UdpServerTest, AnswersOverTheMaximumGetTheTcEnvelopeWhateverTheBudget) {
  Start();  // the defaults: at most 16384 octets, a budget of 512 KiB
  // 15744 octets of message: 32 datagrams of 512, exactly the maximum.
  ASSERT_TRUE(client_->Send(BigRequest(50, 15744)));
  std::vector<std::string> got = DrainUntilSentinel();
  ASSERT_EQ(got.size(), 32u);
  EXPECT_EQ(ReassembleLikeHdllib(got), std::string(15744, 'b'));
  // One octet more needs a 33rd datagram.
  ASSERT_TRUE(client_->Send(BigRequest(51, 15745)));
  got = DrainUntilSentinel();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].size(), 20u);
  EXPECT_EQ(EnvelopeOf(got[0]).message_length, 0u);
  EXPECT_EQ(Count("qilian_handle_udp_truncated_total", {{"reason", "too_large"}}), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_budget_answers_total", {{"outcome", "sent"}}), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_budget_answers_total", {{"outcome", "refused"}}), 0u);
  EXPECT_EQ(Count("qilian_handle_udp_budget_bytes_total"), 16384u - 600u);
}

TEST_F(UdpServerTest, TheMaximumHoldsWithinTheFactorToo) {
  HandleUdpServerOptions o;
  o.max_reply_factor = 100;  // 6000 octets free for a 60-octet request
  o.max_answer_bytes = 1000;
  Start(o);
  ASSERT_TRUE(client_->Send(BigRequest(60, 950)));  // 990 octets, 2 datagrams: sent
  EXPECT_EQ(DrainUntilSentinel().size(), 2u);
  ASSERT_TRUE(client_->Send(BigRequest(61, 1500)));  // 1580 octets, 4 datagrams
  std::vector<std::string> got = DrainUntilSentinel();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].size(), 20u);
  EXPECT_EQ(Count("qilian_handle_udp_truncated_total", {{"reason", "too_large"}}), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_budget_answers_total", {{"outcome", "sent"}}), 0u);
}

TEST_F(UdpServerTest, ErrorRepliesAreRateLimitedPerSource) {
  HandleUdpServerOptions o;
  o.error_rate.rate_per_second = 1;
  o.error_rate.burst = 5;
  Start(o);
  for (uint32_t i = 0; i < 20; ++i) ASSERT_TRUE(client_->Send(Request(100 + i, 'E')));
  std::vector<std::string> got = DrainUntilSentinel();
  ASSERT_EQ(got.size(), 5u);
  for (uint32_t i = 0; i < 5; ++i) EXPECT_EQ(EnvelopeOf(got[i]).request_id, 100 + i);
  EXPECT_EQ(Count("qilian_handle_udp_rate_limited_total"), 15u);
  EXPECT_EQ(fake_.calls.load(), 21);

  clock_.Advance(absl::Seconds(2));
  for (uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(client_->Send(Request(200 + i, 'E')));
  EXPECT_EQ(DrainUntilSentinel().size(), 2u);
}

TEST_F(UdpServerTest, ResponseRateLimitDropsAndSlipsTruncatedReplies) {
  HandleUdpServerOptions o;
  o.rrl.enabled = true;
  o.rrl.responses_per_second = 1;
  o.rrl.burst = 3;
  o.rrl.slip = 2;
  Start(o);  // the fake clock never moves: no token comes back
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(client_->Send(Request(300 + i, 'P')));
  // The sentinel is an error answer: another kind, so its own bucket.
  std::vector<std::string> got = DrainUntilSentinel(0xabcdef, 'E');
  ASSERT_EQ(got.size(), 6u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got[i], Request(300 + i, 'P'));  // answered in full
  }
  // Then of the seven over the limit: dropped, TC, dropped, TC, ...
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_EQ(got[3 + i].size(), 20u);
    wire::Envelope e = EnvelopeOf(got[3 + i]);
    EXPECT_TRUE(e.truncated());
    EXPECT_EQ(e.message_length, 0u);
    EXPECT_EQ(e.request_id, 304 + 2 * i);
  }
  EXPECT_EQ(Count("qilian_udp_rrl_slipped_total"), 3u);
  EXPECT_EQ(Count("qilian_udp_rrl_dropped_total"), 4u);
  EXPECT_EQ(Count("qilian_handle_udp_truncated_total", {{"reason", "factor"}}), 0u);
  EXPECT_EQ(fake_.calls.load(), 11);

  // Not-found answers (ResponseCode 100 after the opcode) are a third kind
  // with a bucket of their own: three in full, the fourth the first over
  // the limit (dropped, with slip 2).
  std::string not_found_code("\0\0\0\x64", 4);
  for (uint32_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(client_->Send(Request(400 + i, 'E', 40, "..." + not_found_code)));
  }
  got = DrainUntilSentinel(0xabcdee, 'E');
  ASSERT_EQ(got.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(EnvelopeOf(got[i]).request_id, 400 + i);
  EXPECT_EQ(Count("qilian_udp_rrl_dropped_total"), 5u);
}

TEST_F(UdpServerTest, ResponseRateLimitOffByDefault) {
  Start();
  for (uint32_t i = 0; i < 50; ++i) ASSERT_TRUE(client_->Send(Request(500 + i, 'P')));
  EXPECT_EQ(DrainUntilSentinel().size(), 50u);
  EXPECT_EQ(Count("qilian_udp_rrl_dropped_total"), 0u);
  EXPECT_EQ(Count("qilian_udp_rrl_slipped_total"), 0u);
}

TEST_F(UdpServerTest, NonHandleBytesAndSilentAnswersSendNothing) {
  Start();
  ASSERT_TRUE(client_->Send("\x13\x37random!!"));  // shorter than an envelope
  ASSERT_TRUE(client_->Send(Request(30, 'S')));    // the front end says: silence
  EXPECT_TRUE(DrainUntilSentinel().empty());
  EXPECT_EQ(fake_.calls.load(), 2);  // 'S' and the sentinel
  EXPECT_EQ(Count("qilian_handle_udp_dropped_total", {{"reason", "short"}}), 1u);
  EXPECT_EQ(Count("qilian_handle_udp_dropped_total", {{"reason", "no_reply"}}), 1u);
}

TEST_F(UdpServerTest, OversizedDatagramIsDropped) {
  HandleUdpServerOptions o;
  o.max_datagram = 1024;
  Start(o);
  ASSERT_TRUE(client_->Send(Request(31, 'P', 2000)));
  EXPECT_TRUE(DrainUntilSentinel().empty());
  EXPECT_EQ(Count("qilian_handle_udp_dropped_total", {{"reason", "oversize"}}), 1u);
}

TEST_F(UdpServerTest, SeveralWorkersShareThePort) {
  HandleUdpServerOptions o;
  o.workers = 3;
  Start(o);
  std::vector<std::unique_ptr<TestSocket>> clients;
  for (uint32_t i = 0; i < 12; ++i) {
    clients.push_back(std::make_unique<TestSocket>(SOCK_DGRAM, server_->port()));
    ASSERT_TRUE(clients.back()->Send(Request(i, 'P')));
  }
  for (uint32_t i = 0; i < 12; ++i) {
    std::optional<std::string> d = clients[i]->RecvDatagram();
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(EnvelopeOf(*d).request_id, i);
  }
  server_->Stop();
  server_->Stop();  // idempotent
}

TEST(UdpServerStartTest, RefusesABadAddress) {
  MetricsRegistry metrics;
  FakeFrontend fake;
  HandleUdpServerOptions o;
  o.listen = "not-an-address";
  HandleUdpServer server(o, fake.Handler(), &metrics);
  absl::Status s = server.Start();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), "invalid listen address 'not-an-address'");
}

}  // namespace
}  // namespace qilian::net
