#include "net/handle_tcp_server.h"

#include <memory>
#include <string>

#include "core/metrics.h"
#include "gtest/gtest.h"
#include "net/handle_test_util.h"

namespace qilian::net {
namespace {

using testing::EnvelopeOf;
using testing::FakeFrontend;
using testing::Packet;
using testing::Request;
using testing::TestSocket;

class TcpServerTest : public ::testing::Test {
 protected:
  void Start(HandleTcpServerOptions options = {}) {
    options.io_threads = 2;
    options.worker_threads = 2;
    server_ = std::make_unique<HandleTcpServer>(options, fake_.Handler(), &metrics_);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<TestSocket> Connect() {
    auto s = std::make_unique<TestSocket>(SOCK_STREAM, server_->port());
    EXPECT_TRUE(s->Connect());
    return s;
  }

  uint64_t Closed(const char* reason) {
    return metrics_.GetCounter("qilian_handle_tcp_closed_total", "", {{"reason", reason}})
        .value();
  }

  MetricsRegistry metrics_;
  FakeFrontend fake_;
  std::unique_ptr<HandleTcpServer> server_;
};

TEST_F(TcpServerTest, PersistentConnectionAnswersTwoRequests) {
  Start();
  auto c = Connect();
  std::string a = Request(1, 'P');
  std::string b = Request(2, 'P', 3000);  // larger than one read of some stacks
  ASSERT_TRUE(c->Send(a));
  EXPECT_EQ(c->ReadMessage(), a);
  ASSERT_TRUE(c->Send(b));
  EXPECT_EQ(c->ReadMessage(), b);
  EXPECT_EQ(metrics_.GetCounter("qilian_handle_tcp_messages_total", "").value(), 2u);
}

TEST_F(TcpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Start();
  auto c = Connect();
  // A blocking one first: it runs on the pool, and the others must wait.
  std::string all = Request(1, 'W') + Request(2, 'P') + Request(3, 'P', 500) + Request(4, 'W');
  ASSERT_TRUE(c->Send(all));
  for (uint32_t id = 1; id <= 4; ++id) {
    std::optional<std::string> m = c->ReadMessage();
    ASSERT_TRUE(m.has_value()) << id;
    EXPECT_EQ(EnvelopeOf(*m).request_id, id);
  }
  EXPECT_EQ(fake_.blocking_calls.load(), 2);
}

TEST_F(TcpServerTest, RequestSplitAcrossSegmentsIsFramed) {
  Start();
  auto c = Connect();
  std::string r = Request(5, 'P', 200);
  ASSERT_TRUE(c->Send(r.substr(0, 7)));
  ASSERT_TRUE(c->Send(r.substr(7, 20)));
  ASSERT_TRUE(c->Send(r.substr(27)));
  EXPECT_EQ(c->ReadMessage(), r);
}

TEST_F(TcpServerTest, OneRequestPerConnectionClientIsAnswered) {
  Start();
  for (uint32_t id = 1; id <= 3; ++id) {
    auto c = Connect();
    std::string r = Request(id, 'P');
    ASSERT_TRUE(c->Send(r));
    c->ShutdownWrite();  // deployed clients may half-close after the request
    EXPECT_EQ(c->ReadMessage(), r);
    EXPECT_TRUE(c->ClosedByPeer());
  }
}

TEST_F(TcpServerTest, IdleConnectionIsClosed) {
  HandleTcpServerOptions o;
  o.idle_timeout = std::chrono::milliseconds(50);
  Start(o);
  auto c = Connect();
  std::string r = Request(1, 'P');
  ASSERT_TRUE(c->Send(r));
  EXPECT_EQ(c->ReadMessage(), r);
  EXPECT_TRUE(c->ClosedByPeer());
  EXPECT_EQ(Closed("idle_timeout"), 1u);
}

TEST_F(TcpServerTest, PartialMessageHitsTheReadTimeout) {
  HandleTcpServerOptions o;
  o.read_timeout = std::chrono::milliseconds(50);
  Start(o);
  auto c = Connect();
  std::string r = Request(1, 'P', 100);
  ASSERT_TRUE(c->Send(r.substr(0, 30)));  // envelope and a bit: never finished
  EXPECT_TRUE(c->ClosedByPeer());
  EXPECT_EQ(Closed("read_timeout"), 1u);
  EXPECT_EQ(fake_.calls.load(), 0);
}

TEST_F(TcpServerTest, ConnectionsBeyondTheLimitAreRefused) {
  HandleTcpServerOptions o;
  o.max_connections = 1;
  Start(o);
  auto first = Connect();
  std::string r = Request(1, 'P');
  ASSERT_TRUE(first->Send(r));
  EXPECT_EQ(first->ReadMessage(), r);  // registered by now

  auto second = Connect();
  EXPECT_TRUE(second->ClosedByPeer());
  EXPECT_EQ(Closed("too_many_connections"), 1u);

  // The first is still served.
  ASSERT_TRUE(first->Send(r));
  EXPECT_EQ(first->ReadMessage(), r);
}

TEST_F(TcpServerTest, ConnectionsBeyondThePerSourceLimitAreRefused) {
  HandleTcpServerOptions o;
  o.max_connections_per_source = 2;
  Start(o);
  std::string r = Request(1, 'P');
  auto first = Connect();
  auto second = Connect();
  for (auto* s : {first.get(), second.get()}) {
    ASSERT_TRUE(s->Send(r));
    EXPECT_EQ(s->ReadMessage(), r);  // registered by now
  }
  auto third = Connect();
  EXPECT_TRUE(third->ClosedByPeer());
  EXPECT_EQ(Closed("too_many_from_source"), 1u);
  EXPECT_EQ(Closed("too_many_connections"), 0u);

  // Another address has its own allowance.
  auto other = std::make_unique<TestSocket>(SOCK_STREAM, server_->port());
  ASSERT_TRUE(other->BindSource("127.0.0.2"));
  ASSERT_TRUE(other->Connect());
  ASSERT_TRUE(other->Send(r));
  EXPECT_EQ(other->ReadMessage(), r);

  // A closed connection gives its slot back. The server learns of the
  // close asynchronously: wait for its connection count, not for a time.
  first.reset();
  Gauge& open = metrics_.GetGauge("qilian_handle_tcp_connections", "");
  for (int i = 0; i < 10000 && open.value() != 2; ++i) usleep(1000);
  ASSERT_EQ(open.value(), 2);
  auto again = Connect();
  ASSERT_TRUE(again->Send(r));
  EXPECT_EQ(again->ReadMessage(), r);
  EXPECT_EQ(Closed("too_many_from_source"), 1u);
}

TEST_F(TcpServerTest, OversizedMessageLengthClosesBeforeReadingIt) {
  Start();
  auto c = Connect();
  // Only the envelope is sent: the server must decide on it alone.
  ASSERT_TRUE(c->Send(Packet(1, 0, 0xfffffff0, "", false)));
  EXPECT_TRUE(c->ClosedByPeer());
  EXPECT_EQ(Closed("oversize"), 1u);
  EXPECT_EQ(fake_.calls.load(), 0);
}

TEST_F(TcpServerTest, MessageAtTheLimitIsAccepted) {
  HandleTcpServerOptions o;
  o.max_message_bytes = 1000;
  Start(o);
  auto c = Connect();
  std::string ok = Request(1, 'P', 1000);
  ASSERT_TRUE(c->Send(ok));
  EXPECT_EQ(c->ReadMessage(), ok);
  ASSERT_TRUE(c->Send(Request(2, 'P', 1001)));
  EXPECT_TRUE(c->ClosedByPeer());
  EXPECT_EQ(Closed("oversize"), 1u);
}

TEST_F(TcpServerTest, NoAnswerClosesTheConnection) {
  Start();
  auto c = Connect();
  ASSERT_TRUE(c->Send(Request(1, 'S')));
  EXPECT_TRUE(c->ClosedByPeer());
  EXPECT_EQ(Closed("no_reply"), 1u);
}

TEST_F(TcpServerTest, StopClosesIdleConnectionsAndIsIdempotent) {
  Start();
  auto c = Connect();
  std::string r = Request(1, 'P');
  ASSERT_TRUE(c->Send(r));
  EXPECT_EQ(c->ReadMessage(), r);
  server_->Stop();
  EXPECT_TRUE(c->ClosedByPeer());
  server_->Stop();
}

}  // namespace
}  // namespace qilian::net
