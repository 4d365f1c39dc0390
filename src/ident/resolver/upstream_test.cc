#include "ident/resolver/upstream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "gtest/gtest.h"
#include "ident/resolver/fake_upstream.h"
#include "ident/resolver/recursive_resolver.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"
#include "ident/wire/codec.h"

namespace qilian::ident::resolver {
namespace {

using wire::ClientReply;
using wire::ClientRequest;

int BoundSocket(int type, uint16_t* port) {
  int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

struct Received {
  uint32_t request_id = 0;
  std::string handle;
};

Received Parse(std::string_view message) {
  Received r;
  auto raw = wire::DecodeMessage(message);
  if (!raw.ok()) return r;
  r.request_id = raw->envelope.request_id;
  auto body = wire::DecodeRequestBody(static_cast<OpCode>(raw->header.op_code), raw->body);
  if (body.ok()) r.handle = body->handle;
  return r;
}

// One datagram to send back, from the server's socket or from another one
// (a spoofer on another port).
struct Send {
  std::string bytes;
  bool from_other_port = false;
};

// A UDP server on 127.0.0.1:0 that answers each of `requests` requests
// with what `script` returns, then stops.
class UdpScriptServer {
 public:
  using Script = std::function<std::vector<Send>(const Received&)>;
  UdpScriptServer(Script script, int requests = 1) : script_(std::move(script)) {
    fd_ = BoundSocket(SOCK_DGRAM, &port_);
    other_fd_ = BoundSocket(SOCK_DGRAM, &other_port_);
    thread_ = std::thread([this, requests] {
      for (int i = 0; i < requests; ++i) {
        std::string buf(65536, '\0');
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n <= 0) return;
        buf.resize(n);
        for (const Send& s : script_(Parse(buf))) {
          ::sendto(s.from_other_port ? other_fd_ : fd_, s.bytes.data(), s.bytes.size(), 0,
                   reinterpret_cast<sockaddr*>(&from), len);
        }
      }
    });
  }
  ~UdpScriptServer() {
    thread_.join();
    ::close(fd_);
    ::close(other_fd_);
  }
  uint16_t port() const { return port_; }

 private:
  Script script_;
  int fd_ = -1;
  int other_fd_ = -1;
  uint16_t port_ = 0;
  uint16_t other_port_ = 0;
  std::thread thread_;
};

// A TCP server on 127.0.0.1:0 answering one request on one connection.
class TcpScriptServer {
 public:
  using Script = std::function<std::string(const Received&)>;
  explicit TcpScriptServer(Script script) : script_(std::move(script)) {
    fd_ = BoundSocket(SOCK_STREAM, &port_);
    ::listen(fd_, 4);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string head(wire::kEnvelopeSize, '\0');
      if (::recv(c, head.data(), head.size(), MSG_WAITALL) == static_cast<ssize_t>(head.size())) {
        wire::Envelope env;
        wire::DecodeEnvelope(std::span<const uint8_t>(
                                 reinterpret_cast<const uint8_t*>(head.data()), head.size()),
                             &env);
        std::string rest(env.message_length, '\0');
        ::recv(c, rest.data(), rest.size(), MSG_WAITALL);
        std::string reply = script_(Parse(head + rest));
        ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
      ::close(c);
    });
  }
  ~TcpScriptServer() {
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  Script script_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

HandleValue Blob(uint32_t index, size_t size) {
  HandleValue v;
  v.index = index;
  v.type = "X-BLOB";
  v.data.assign(size, static_cast<char>('a' + index));
  return v;
}

// Splits a whole message the way deployed servers do: 492 octets of
// message per datagram, each with TC, its sequence number and the total
// MessageLength.
std::vector<std::string> Fragment(const std::string& message) {
  wire::Envelope env;
  wire::DecodeEnvelope(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(message.data()),
                                                message.size()),
                       &env);
  std::string_view rest = std::string_view(message).substr(wire::kEnvelopeSize);
  std::vector<std::string> out;
  for (uint32_t seq = 0; seq * wire::kMaxUdpFragmentPayload < rest.size(); ++seq) {
    wire::Envelope e = env;
    e.flags |= wire::kFlagTruncated;
    e.sequence_number = seq;
    e.message_length = static_cast<uint32_t>(rest.size());
    std::string d;
    ByteWriter w(&d);
    wire::EncodeEnvelope(e, &w);
    d.append(rest.substr(seq * wire::kMaxUdpFragmentPayload, wire::kMaxUdpFragmentPayload));
    out.push_back(std::move(d));
  }
  return out;
}

std::string GarbageWithId(uint32_t request_id) {
  wire::Envelope e;
  e.request_id = request_id;
  e.message_length = 10;
  std::string d;
  ByteWriter w(&d);
  wire::EncodeEnvelope(e, &w);
  d.append("0123456789");
  return d;
}

ClientRequest Resolution(std::string handle) {
  ClientRequest r;
  r.op = OpCode::kResolution;
  r.handle = std::move(handle);
  return r;
}

class NetworkUpstreamTest : public ::testing::Test {
 protected:
  NetworkUpstream Upstream(absl::Duration timeout = absl::Seconds(5), size_t max_in_flight = 16) {
    NetworkUpstreamOptions o;
    o.query_timeout = timeout;
    o.max_in_flight = max_in_flight;
    return NetworkUpstream(o, metrics_);
  }
  MetricsRegistry metrics_;
};

TEST_F(NetworkUpstreamTest, ResolvesOverUdpWithRandomRequestIds) {
  std::set<uint32_t> ids;
  UdpScriptServer server(
      [&](const Received& r) {
        ids.insert(r.request_id);
        HandleValue url;
        url.index = 1;
        url.type = "URL";
        url.data = "https://example.org/vec";
        return std::vector<Send>{{EncodeUpstreamReply(SuccessReply(r.handle, {url}), r.request_id)}};
      },
      2);
  NetworkUpstream upstream = Upstream();
  ServerEndpoint endpoint{"127.0.0.1", server.port(), 0};
  for (int i = 0; i < 2; ++i) {
    auto reply = upstream.Query(endpoint, UpstreamTransport::kUdp, Resolution("88.999/VEC-RES"));
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(reply->code, ResponseCode::kSuccess);
    EXPECT_EQ(reply->handle, "88.999/VEC-RES");
    ASSERT_EQ(reply->values.size(), 1u);
    EXPECT_EQ(reply->values[0].data, "https://example.org/vec");
  }
  EXPECT_EQ(ids.size(), 2u);  // a fresh id per query
  EXPECT_EQ(ids.count(0), 0u);
  EXPECT_EQ(upstream.metrics().queries_udp.value(), 2u);
}

TEST_F(NetworkUpstreamTest, DropsAndCountsPoisoningAttempts) {
  UdpScriptServer server([](const Received& r) {
    HandleValue bad;
    bad.index = 1;
    bad.type = "URL";
    bad.data = "https://evil.example/";
    HandleValue good = bad;
    good.data = "https://example.org/real";
    return std::vector<Send>{
        // Right id and handle, but from another port.
        {EncodeUpstreamReply(SuccessReply(r.handle, {bad}), r.request_id), true},
        // Right source and handle, wrong id.
        {EncodeUpstreamReply(SuccessReply(r.handle, {bad}), r.request_id + 1)},
        // Right source and id, another handle.
        {EncodeUpstreamReply(SuccessReply("88.999/OTHER", {bad}), r.request_id)},
        // Right source and id, but not a message.
        {GarbageWithId(r.request_id)},
        // The real answer.
        {EncodeUpstreamReply(SuccessReply(r.handle, {good}), r.request_id)},
    };
  });
  NetworkUpstream upstream = Upstream();
  auto reply = upstream.Query(ServerEndpoint{"127.0.0.1", server.port(), 0},
                              UpstreamTransport::kUdp, Resolution("88.999/VEC-RES"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  ASSERT_EQ(reply->values.size(), 1u);
  EXPECT_EQ(reply->values[0].data, "https://example.org/real");
  EXPECT_EQ(upstream.metrics().poison_source.value(), 1u);
  EXPECT_EQ(upstream.metrics().poison_request_id.value(), 1u);
  EXPECT_EQ(upstream.metrics().poison_handle.value(), 1u);
  EXPECT_EQ(upstream.metrics().garbage.value(), 1u);
  std::string text = metrics_.RenderPrometheus();
  EXPECT_NE(text.find("qilian_resolver_poison_dropped_total{reason=\"request_id\"} 1"),
            std::string::npos);
}

TEST_F(NetworkUpstreamTest, ReassemblesFragmentsInAnyOrder) {
  std::vector<HandleValue> values = {Blob(1, 400), Blob(2, 400), Blob(3, 400)};
  UdpScriptServer server([&](const Received& r) {
    std::vector<std::string> parts =
        Fragment(EncodeUpstreamReply(SuccessReply(r.handle, values), r.request_id));
    EXPECT_EQ(parts.size(), 3u);
    std::vector<Send> out;
    out.push_back({parts[2]});
    out.push_back({parts[0]});
    out.push_back({parts[0]});  // a duplicate
    out.push_back({parts[1]});
    return out;
  });
  NetworkUpstream upstream = Upstream();
  auto reply = upstream.Query(ServerEndpoint{"127.0.0.1", server.port(), 0},
                              UpstreamTransport::kUdp, Resolution("88.999/VEC-BIG"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->values, values);
}

TEST_F(NetworkUpstreamTest, TruncatedAnswerIsAskedAgainOverTcp) {
  UdpScriptServer udp([](const Received& r) {
    wire::Envelope e;
    e.flags = wire::kFlagTruncated;
    e.request_id = r.request_id;
    std::string d;
    ByteWriter w(&d);
    wire::EncodeEnvelope(e, &w);
    return std::vector<Send>{{d}};
  });
  std::vector<HandleValue> values = {Blob(1, 3000)};
  TcpScriptServer tcp([&](const Received& r) {
    return EncodeUpstreamReply(SuccessReply(r.handle, values), r.request_id);
  });
  NetworkUpstream upstream = Upstream();
  auto reply = upstream.Query(ServerEndpoint{"127.0.0.1", udp.port(), tcp.port()},
                              UpstreamTransport::kUdp, Resolution("88.999/VEC-BIG"));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->values, values);
  EXPECT_EQ(upstream.metrics().truncated_retries.value(), 1u);
  EXPECT_EQ(upstream.metrics().queries_tcp.value(), 1u);
}

TEST_F(NetworkUpstreamTest, TcpAnswerWithWrongRequestIdIsRefused) {
  TcpScriptServer tcp([&](const Received& r) {
    return EncodeUpstreamReply(SuccessReply(r.handle, {Blob(1, 10)}), r.request_id ^ 1);
  });
  NetworkUpstream upstream = Upstream();
  auto reply = upstream.Query(ServerEndpoint{"127.0.0.1", 0, tcp.port()}, UpstreamTransport::kTcp,
                              Resolution("88.999/VEC-RES"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(upstream.metrics().poison_request_id.value(), 1u);
}

TEST_F(NetworkUpstreamTest, SilenceAndGarbageEndInDeadlineExceeded) {
  UdpScriptServer server([](const Received&) {
    return std::vector<Send>{{std::string(40, '\x01')}};
  });
  NetworkUpstream upstream = Upstream(absl::Milliseconds(200));
  ServerEndpoint endpoint{"127.0.0.1", server.port(), 0};
  auto reply = upstream.Query(endpoint, UpstreamTransport::kUdp, Resolution("88.999/VEC-RES"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(reply.status().message(),
            absl::StrCat("no answer from ", endpoint.ToString(), " over udp within 200ms"));
  EXPECT_EQ(upstream.metrics().timeouts.value(), 1u);
  EXPECT_EQ(upstream.metrics().poison_request_id.value() + upstream.metrics().garbage.value(), 1u);
}

TEST_F(NetworkUpstreamTest, RefusesOverTheInFlightBound) {
  NetworkUpstream upstream = Upstream(absl::Seconds(1), 0);
  auto reply = upstream.Query(ServerEndpoint{"127.0.0.1", 9, 0}, UpstreamTransport::kUdp,
                              Resolution("88.999/x"));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(ResponseCodeOf(reply.status()), ResponseCode::kServerBusy);
  EXPECT_EQ(upstream.metrics().refused_in_flight.value(), 1u);
  EXPECT_EQ(upstream.metrics().queries_udp.value(), 0u);
}

TEST_F(NetworkUpstreamTest, ConnectionRefusedOverTcpIsUnavailable) {
  uint16_t port = 0;
  int fd = BoundSocket(SOCK_STREAM, &port);  // bound, never listening
  NetworkUpstream upstream = Upstream();
  auto reply = upstream.Query(ServerEndpoint{"127.0.0.1", 0, port}, UpstreamTransport::kTcp,
                              Resolution("88.999/x"));
  ::close(fd);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(upstream.metrics().unreachable.value(), 1u);
}

// The resolver over real UDP: a root on 127.0.0.1 that homes prefix 88.999
// on itself, then answers the handle.
TEST_F(NetworkUpstreamTest, RecursiveResolverOverRealUdp) {
  uint16_t port = 0;
  std::atomic<UdpScriptServer*> self{nullptr};
  UdpScriptServer server(
      [&](const Received& r) {
        if (r.handle == "0.NA/88.999") {
          ServerEndpoint me{"127.0.0.1", self.load()->port(), 0};
          return std::vector<Send>{
              {EncodeUpstreamReply(SuccessReply(r.handle, {SiteValue({me})}), r.request_id)}};
        }
        return std::vector<Send>{{EncodeUpstreamReply(SuccessReply(r.handle, {Blob(1, 20)}),
                                                      r.request_id)}};
      },
      2);
  self = &server;
  port = server.port();
  NetworkUpstream upstream = Upstream();
  ResolverOptions options;
  auto roots = ParseRootSites({absl::StrCat("127.0.0.1:", port)});
  ASSERT_TRUE(roots.ok());
  options.roots = *roots;
  options.background = [](std::function<void()>) {};
  FakeClock clock;
  RecursiveResolver resolver(options, upstream, clock, metrics_);
  auto r = resolver.Resolve("88.999/VEC-RES");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->values, std::vector<HandleValue>{Blob(1, 20)});
  EXPECT_EQ(upstream.metrics().queries_udp.value(), 2u);
}

TEST(ReferralCodecTest, RoundTripsAReferralWithSiteValues) {
  ServerEndpoint e{"192.0.2.7", 2641, 2641};
  ClientReply referral = ReferralReply("0.NA/88", {SiteValue({e}, 1, 86400, "HS_SITE.PREFIX")});
  std::string message = EncodeUpstreamReply(referral, 77);
  auto decoded = DecodeUpstreamReply(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(message.data()), message.size()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->code, ResponseCode::kPrefixReferral);
  EXPECT_EQ(decoded->envelope.request_id, 77u);
  EXPECT_EQ(decoded->handle, "0.NA/88");
  ASSERT_EQ(decoded->values.size(), 1u);
  EXPECT_EQ(decoded->values[0].type, "HS_SITE.PREFIX");
  ByteReader in(decoded->values[0].data);
  SiteInfo site;
  ASSERT_TRUE(DecodeSite(&in, &site));
  ASSERT_EQ(site.servers.size(), 1u);
  EXPECT_EQ(EndpointOf(site.servers[0]), e);
}

TEST(ReferralCodecTest, RfcStyleReferralWithOnlyAMessageStillDecodes) {
  ClientReply err = ErrorReply(ResponseCode::kPrefixReferral, "go elsewhere");
  wire::Envelope env;
  wire::MessageHeader header;
  header.op_code = 1;
  header.response_code = 303;
  wire::ResponseBody body;
  body.message = "go elsewhere";
  std::string message = wire::EncodeMessage(
      env, header, wire::EncodeResponseBody(OpCode::kResolution, ResponseCode::kPrefixReferral, 0, body));
  auto decoded = DecodeUpstreamReply(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(message.data()), message.size()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->code, ResponseCode::kPrefixReferral);
  EXPECT_EQ(decoded->error_message, "go elsewhere");
  EXPECT_TRUE(decoded->values.empty());
}

TEST(EndpointOfTest, ReadsDeployedIpv4FormAndQueryInterfaces) {
  SiteServer s;
  s.address = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1};
  s.interfaces = {{1, 1, 3000}, {2, 0, 2641}, {3, 1, 2642}};  // admin-only TCP first
  EXPECT_EQ(EndpointOf(s), (ServerEndpoint{"192.0.2.1", 2641, 2642}));
  s.address = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(EndpointOf(s).address, "2001:db8::1");
}

}  // namespace
}  // namespace qilian::ident::resolver
