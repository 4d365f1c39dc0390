// The native servers in front of the real front end, processor and
// registry (memory store): what a Handle client sees on the wire.
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/native_frontend.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "ident/wire/client.h"
#include "net/handle_tcp_server.h"
#include "net/handle_test_util.h"
#include "net/handle_udp_server.h"
#include "store/memory_store.h"

namespace qilian::net {
namespace {

using testing::Bytes;
using testing::EnvelopeOf;
using testing::TestSocket;
namespace wire = ident::wire;

class FrontendServersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    kv_ = store::NewMemoryStore(store::StoreOptions{{std::string(ident::Registry::kSpace)}});
    ident::RegistryOptions ro;
    ro.authoritative_prefixes = {"88.999"};
    registry_ = std::make_unique<ident::Registry>(kv_.get(), clock_, ro);
    processor_ =
        std::make_unique<ident::Processor>(registry_.get(), &metrics_, ident::ProcessorOptions{});
    frontend_ = std::make_unique<ident::NativeFrontend>(processor_.get(), &metrics_, clock_);

    std::vector<ident::HandleValue> small = {{.index = 1, .type = "URL", .data = "https://a.example"}};
    ASSERT_TRUE(registry_->Create("88.999/SMALL", small).ok());
    std::vector<ident::HandleValue> big;
    for (uint32_t i = 1; i <= 6; ++i) {
      big.push_back({.index = i, .type = "X-BLOB", .data = std::string(250, 'a' + i)});
    }
    ASSERT_TRUE(registry_->Create("88.999/BIG", big).ok());

    handler_.handle = [this](std::span<const uint8_t> m, const ident::Peer& p) {
      return frontend_->Handle(m, p);
    };
    handler_.may_block = [this](std::span<const uint8_t> m) { return frontend_->MayBlock(m); };
    udp_ = std::make_unique<HandleUdpServer>(UdpOptions(), handler_, &metrics_);
    ASSERT_TRUE(udp_->Start().ok());
    HandleTcpServerOptions to;
    to.io_threads = 1;
    to.worker_threads = 1;
    tcp_ = std::make_unique<HandleTcpServer>(to, handler_, &metrics_);
    ASSERT_TRUE(tcp_->Start().ok());
  }

  void TearDown() override {
    if (udp_) udp_->Stop();
    if (tcp_) tcp_->Stop();
  }

  HandleUdpServerOptions UdpOptions() {
    HandleUdpServerOptions uo;
    uo.workers = 1;
    uo.clock = &clock_;
    uo.error_rate.rate_per_second = 1;
    uo.error_rate.burst = 3;
    return uo;
  }

  static std::string Resolve(const std::string& handle, uint32_t id) {
    wire::ClientRequest r;
    r.handle = handle;
    r.request_id = id;
    return wire::EncodeClientRequest(r);
  }

  FakeClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<store::KvStore> kv_;
  std::unique_ptr<ident::Registry> registry_;
  std::unique_ptr<ident::Processor> processor_;
  std::unique_ptr<ident::NativeFrontend> frontend_;
  NativeHandler handler_;
  std::unique_ptr<HandleUdpServer> udp_;
  std::unique_ptr<HandleTcpServer> tcp_;
};

TEST_F(FrontendServersTest, ResolvesOverUdpAndTcp) {
  TestSocket u(SOCK_DGRAM, udp_->port());
  ASSERT_TRUE(u.Send(Resolve("88.999/SMALL", 41)));
  std::optional<std::string> d = u.RecvDatagram();
  ASSERT_TRUE(d.has_value());
  absl::StatusOr<wire::ClientReply> reply = wire::DecodeClientReply(Bytes(*d));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->code, ident::ResponseCode::kSuccess);
  EXPECT_EQ(reply->envelope.request_id, 41u);
  ASSERT_EQ(reply->values.size(), 1u);
  EXPECT_EQ(reply->values[0].data, "https://a.example");

  TestSocket t(SOCK_STREAM, tcp_->port());
  ASSERT_TRUE(t.Connect());
  ASSERT_TRUE(t.Send(Resolve("88.999/BIG", 42)));
  std::optional<std::string> m = t.ReadMessage();
  ASSERT_TRUE(m.has_value());
  reply = wire::DecodeClientReply(Bytes(*m));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->values.size(), 6u);
}

TEST_F(FrontendServersTest, BigAnswerToASmallUdpRequestComesWholeInFragments) {
  TestSocket u(SOCK_DGRAM, udp_->port());
  std::string request = Resolve("88.999/BIG", 44);
  ASSERT_LT(request.size() * 10, 1500u + 20u);  // the answer is over 1500 octets
  ASSERT_TRUE(u.Send(request));
  // Paid by the source network's amplification budget: 4 datagrams.
  UdpReassembler client_side(ReassemblyOptions{}, &clock_);
  std::string whole;
  FragmentOutcome outcome = FragmentOutcome::kPending;
  for (int i = 0; i < 4; ++i) {
    std::optional<std::string> d = u.RecvDatagram();
    ASSERT_TRUE(d.has_value());
    EXPECT_LE(d->size(), 512u);
    outcome = client_side.Add("server", 1, Bytes(*d), &whole);
  }
  ASSERT_EQ(outcome, FragmentOutcome::kComplete);
  absl::StatusOr<wire::ClientReply> reply = wire::DecodeClientReply(Bytes(whole));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->envelope.request_id, 44u);
  ASSERT_EQ(reply->values.size(), 6u);
  EXPECT_EQ(reply->values[5].data, std::string(250, 'g'));
}

TEST_F(FrontendServersTest, InTruncateModeABigAnswerIsTheTcEnvelopeSoTheClientUsesTcp) {
  HandleUdpServerOptions uo = UdpOptions();
  uo.budget.mode = LargeAnswerMode::kTruncate;
  HandleUdpServer strict(uo, handler_, &metrics_);
  ASSERT_TRUE(strict.Start().ok());
  TestSocket u(SOCK_DGRAM, strict.port());
  std::string request = Resolve("88.999/BIG", 43);
  ASSERT_TRUE(u.Send(request));
  std::optional<std::string> d = u.RecvDatagram();
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->size(), 20u);
  wire::Envelope e = EnvelopeOf(*d);
  EXPECT_TRUE(e.truncated());
  EXPECT_EQ(e.message_length, 0u);
  EXPECT_EQ(e.request_id, 43u);
}

TEST_F(FrontendServersTest, RandomBytesGetNoAnswerAndErrorsAreRateLimited) {
  TestSocket u(SOCK_DGRAM, udp_->port());
  ASSERT_TRUE(u.Send(std::string(40, '\xee')));  // not a Handle message
  // A handle-shaped request with an unknown opcode gets an error reply,
  // until the source's bucket (burst 3) is empty.
  std::string bad = Resolve("88.999/SMALL", 50);
  bad[20 + 3] = static_cast<char>(0x77);  // header OpCode 0x00000077
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(u.Send(bad));
  std::string sentinel = Resolve("88.999/SMALL", 51);
  ASSERT_TRUE(u.Send(sentinel));
  int errors = 0;
  for (;;) {
    std::optional<std::string> d = u.RecvDatagram();
    ASSERT_TRUE(d.has_value());
    if (EnvelopeOf(*d).request_id == 51) break;
    absl::StatusOr<wire::ClientReply> r = wire::DecodeClientReply(Bytes(*d));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_NE(r->code, ident::ResponseCode::kSuccess);
    ++errors;
  }
  EXPECT_EQ(errors, 3);
  EXPECT_EQ(metrics_.GetCounter("qilian_handle_udp_rate_limited_total", "").value(), 3u);
}

}  // namespace
}  // namespace qilian::net
