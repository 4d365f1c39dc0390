// HTTPS on the HTTP server: TLS 1.3 only, client certificates, and the
// errors a bad certificate/key configuration gives at Start(). Every key and
// certificate is made here with OpenSSL, written to a temporary directory.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "net/http_server.h"
#include "net/test_certificates.h"

namespace qilian::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using testing::Credential;
using testing::MakeCredential;
using testing::TempPath;

// The handler every test uses: says what the server knew about the request.
HttpResponse Describe(const HttpRequest& r) {
  HttpResponse out;
  out.content_type = "text/plain";
  out.body = absl::StrCat(r.method, " ", r.target, " tls=", r.tls ? 1 : 0, " subject=",
                          r.tls_client_subject);
  return out;
}

// A TLS client over Asio. Every operation is bounded by a deadline so a
// broken server fails the test instead of hanging it.
class TlsClient {
 public:
  // `source`: another 127/8 address to connect from; null: the kernel's.
  TlsClient(uint16_t port, asio::ssl::context& ctx, const char* source = nullptr)
      : stream_(ioc_, ctx) {
    error_code ec;
    if (source != nullptr) {
      stream_.next_layer().open(tcp::v4(), ec);
      if (!ec) stream_.next_layer().bind(tcp::endpoint(asio::ip::make_address(source), 0), ec);
      if (ec) return;
    }
    stream_.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
    connected_ = !ec;
  }

  bool connected() const { return connected_; }
  SSL* ssl() { return stream_.native_handle(); }

  error_code Handshake() {
    SSL_set_tlsext_host_name(stream_.native_handle(), "localhost");
    error_code result = asio::error::timed_out;
    stream_.async_handshake(asio::ssl::stream_base::client,
                            [&](error_code ec) { result = ec; });
    RunWithDeadline();
    return result;
  }

  // Sends `request`; returns the first response (head and Content-Length
  // body), or "" when the connection failed or closed first.
  std::string Exchange(const std::string& request) {
    error_code result = asio::error::timed_out;
    asio::async_write(stream_, asio::buffer(request),
                      [&](error_code ec, size_t) { result = ec; });
    RunWithDeadline();
    if (result) return "";
    for (;;) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        size_t cl = buf_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) {
          size_t eol = buf_.find("\r\n", cl);
          EXPECT_TRUE(absl::SimpleAtoi(buf_.substr(cl + 16, eol - cl - 16), &length));
        }
        if (buf_.size() >= end + 4 + length) {
          std::string out = buf_.substr(0, end + 4 + length);
          buf_.erase(0, end + 4 + length);
          return out;
        }
      }
      char tmp[4096];
      size_t got = 0;
      result = asio::error::timed_out;
      stream_.async_read_some(asio::buffer(tmp), [&](error_code ec, size_t n) {
        result = ec;
        got = n;
      });
      RunWithDeadline();
      if (result) return "";
      buf_.append(tmp, got);
    }
  }

 private:
  void RunWithDeadline() {
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(20));
    if (!ioc_.stopped()) {
      error_code ignored;
      stream_.next_layer().close(ignored);
      ioc_.run();
    }
  }

  asio::io_context ioc_;
  asio::ssl::stream<tcp::socket> stream_;
  bool connected_ = false;
  std::string buf_;
};

asio::ssl::context ClientContext(int max_version = TLS1_3_VERSION,
                                 const Credential* client = nullptr,
                                 const Credential* trust = nullptr) {
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.native_handle(), max_version);
  // Lets a TLS 1.2-only client offer what OpenSSL's default level allows.
  SSL_CTX_set_security_level(ctx.native_handle(), 0);
  if (client != nullptr) {
    EXPECT_EQ(SSL_CTX_use_certificate(ctx.native_handle(), client->cert.get()), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.native_handle(), client->key.get()), 1);
  }
  if (trust != nullptr) {
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.native_handle()), trust->cert.get());
    SSL_CTX_set_verify(ctx.native_handle(), SSL_VERIFY_PEER, nullptr);
  }
  return ctx;
}

std::string Body(const std::string& response) {
  size_t p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

class HttpServerTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_cred_ = new Credential(MakeCredential(
        "server", {{"CN", "localhost"}}, nullptr, /*is_ca=*/true,
        "DNS:localhost,IP:127.0.0.1,IP:::1"));
    client_ca_ = new Credential(
        MakeCredential("client-ca", {{"CN", "Qilian Test Client CA"}}, nullptr, true));
    client_cred_ = new Credential(MakeCredential(
        "client", {{"CN", "client-1"}, {"O", "Acme Pumps"}}, client_ca_, false));
    stranger_ca_ =
        new Credential(MakeCredential("stranger-ca", {{"CN", "Stranger CA"}}, nullptr, true));
    stranger_cred_ = new Credential(
        MakeCredential("stranger", {{"CN", "intruder"}}, stranger_ca_, false));
  }

  void SetUp() override {
    options_.port = 0;
    options_.io_threads = 1;
    options_.worker_threads = 2;
    options_.tls_cert = server_cred_->cert_file;
    options_.tls_key = server_cred_->key_file;
  }

  void StartServer() {
    server_ = std::make_unique<HttpServer>(options_, Describe, nullptr, &metrics_);
    absl::Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s;
    ASSERT_NE(server_->port(), 0);
  }

  absl::Status StartStatus() {
    server_ = std::make_unique<HttpServer>(options_, Describe, nullptr, &metrics_);
    return server_->Start();
  }

  Counter& Failures(const std::string& reason) {
    return metrics_.GetCounter("qilian_http_tls_handshake_failures_total", "",
                               {{"reason", reason}});
  }

  // The server counts a failure on its own thread, possibly after the
  // client has seen the alert; waits for it (bounded) instead of racing.
  uint64_t AwaitFailures(const std::string& reason) {
    Counter& c = Failures(reason);
    for (int i = 0; i < 2000 && c.value() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return c.value();
  }

  // Handshake and one request on a fresh connection; "" if refused.
  std::string Get(asio::ssl::context& ctx, const std::string& target = "/a") {
    TlsClient c(server_->port(), ctx);
    EXPECT_TRUE(c.connected());
    if (c.Handshake()) return "";
    return c.Exchange(absl::StrCat("GET ", target,
                                   " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  }

  static Credential* server_cred_;
  static Credential* client_ca_;
  static Credential* client_cred_;
  static Credential* stranger_ca_;
  static Credential* stranger_cred_;
  HttpServerOptions options_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
};

Credential* HttpServerTlsTest::server_cred_ = nullptr;
Credential* HttpServerTlsTest::client_ca_ = nullptr;
Credential* HttpServerTlsTest::client_cred_ = nullptr;
Credential* HttpServerTlsTest::stranger_ca_ = nullptr;
Credential* HttpServerTlsTest::stranger_cred_ = nullptr;

TEST_F(HttpServerTlsTest, Tls13HandshakeAndRequest) {
  StartServer();
  asio::ssl::context ctx = ClientContext(TLS1_3_VERSION, nullptr, server_cred_);
  TlsClient c(server_->port(), ctx);
  ASSERT_TRUE(c.connected());
  error_code ec = c.Handshake();
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(SSL_version(c.ssl()), TLS1_3_VERSION);
  std::string r = c.Exchange("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(r, "HTTP/1.1 200 OK\r\n")) << r;
  EXPECT_EQ(Body(r), "GET /a tls=1 subject=");
  // Keep-alive: the second request waits on the TLS stream, not the socket.
  r = c.Exchange("PUT /b HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(Body(r), "PUT /b tls=1 subject=");
}

TEST_F(HttpServerTlsTest, PipelinedRequestsOverTls) {
  StartServer();
  asio::ssl::context ctx = ClientContext();
  TlsClient c(server_->port(), ctx);
  ASSERT_FALSE(c.Handshake());
  std::string r = c.Exchange(
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(Body(r), "GET /1 tls=1 subject=");
  EXPECT_EQ(Body(c.Exchange("GET /3 HTTP/1.1\r\nHost: x\r\n\r\n")), "GET /2 tls=1 subject=");
}

TEST_F(HttpServerTlsTest, LimitsStillApplyOverTls) {
  options_.max_body_bytes = 4;
  StartServer();
  asio::ssl::context ctx = ClientContext();
  TlsClient c(server_->port(), ctx);
  ASSERT_FALSE(c.Handshake());
  std::string r = c.Exchange("PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(r, "HTTP/1.1 413 ")) << r;
  EXPECT_EQ(metrics_.GetCounter("qilian_http_rejected_total", "", {{"reason", "body_too_large"}})
                .value(),
            1u);
}

TEST_F(HttpServerTlsTest, PerSourceLimitClosesBeforeTheHandshake) {
  options_.max_connections_per_source = 1;
  StartServer();
  asio::ssl::context ctx = ClientContext();
  TlsClient first(server_->port(), ctx);
  ASSERT_FALSE(first.Handshake());  // registered by now

  TlsClient refused(server_->port(), ctx);
  ASSERT_TRUE(refused.connected());
  EXPECT_TRUE(refused.Handshake());
  Counter& from_source =
      metrics_.GetCounter("qilian_http_rejected_total", "", {{"reason", "too_many_from_source"}});
  for (int i = 0; i < 2000 && from_source.value() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(from_source.value(), 1u);
  // Refused without starting a handshake, so none failed.
  for (const char* reason : {"timeout", "peer_closed", "other", "protocol_version"}) {
    EXPECT_EQ(Failures(reason).value(), 0u) << reason;
  }

  TlsClient other(server_->port(), ctx, "127.0.0.2");
  ASSERT_TRUE(other.connected());
  ASSERT_FALSE(other.Handshake());
  EXPECT_EQ(Body(other.Exchange("GET /o HTTP/1.1\r\nHost: x\r\n\r\n")), "GET /o tls=1 subject=");
  EXPECT_EQ(Body(first.Exchange("GET /f HTTP/1.1\r\nHost: x\r\n\r\n")), "GET /f tls=1 subject=");
}

TEST_F(HttpServerTlsTest, Tls12ClientIsRefused) {
  StartServer();
  asio::ssl::context ctx = ClientContext(TLS1_2_VERSION);
  TlsClient c(server_->port(), ctx);
  ASSERT_TRUE(c.connected());
  EXPECT_TRUE(c.Handshake());
  EXPECT_EQ(AwaitFailures("protocol_version"), 1u);
}

TEST_F(HttpServerTlsTest, PlainHttpClientIsClosedWithoutAnswer) {
  StartServer();
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  asio::write(s, asio::buffer(std::string("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")));
  std::string got;
  char tmp[1024];
  error_code ec;
  for (;;) {
    size_t n = s.read_some(asio::buffer(tmp), ec);
    if (ec) break;
    got.append(tmp, n);
  }
  EXPECT_FALSE(absl::StrContains(got, "HTTP/1.1")) << got;
  EXPECT_EQ(AwaitFailures("plain_http"), 1u);
}

TEST_F(HttpServerTlsTest, RequiredClientCertificateMissingFailsHandshake) {
  options_.tls_client_ca = client_ca_->cert_file;
  options_.tls_require_client_cert = true;
  StartServer();
  asio::ssl::context ctx = ClientContext();
  // In TLS 1.3 the client may finish its side before the server has judged
  // its (absent) certificate; either way no request is answered.
  EXPECT_EQ(Get(ctx), "");
  EXPECT_EQ(AwaitFailures("client_certificate"), 1u);
}

TEST_F(HttpServerTlsTest, VerifiedClientSubjectReachesHandler) {
  options_.tls_client_ca = client_ca_->cert_file;
  options_.tls_require_client_cert = true;
  StartServer();
  asio::ssl::context ctx = ClientContext(TLS1_3_VERSION, client_cred_);
  EXPECT_EQ(Body(Get(ctx)), "GET /a tls=1 subject=O=Acme Pumps,CN=client-1");
}

TEST_F(HttpServerTlsTest, OptionalClientCertificateMayBeAbsent) {
  options_.tls_client_ca = client_ca_->cert_file;
  StartServer();
  asio::ssl::context anonymous = ClientContext();
  EXPECT_EQ(Body(Get(anonymous)), "GET /a tls=1 subject=");
  asio::ssl::context with_cert = ClientContext(TLS1_3_VERSION, client_cred_);
  EXPECT_EQ(Body(Get(with_cert)), "GET /a tls=1 subject=O=Acme Pumps,CN=client-1");
}

TEST_F(HttpServerTlsTest, ClientCertificateFromUnknownCaIsRefused) {
  options_.tls_client_ca = client_ca_->cert_file;
  StartServer();
  asio::ssl::context ctx = ClientContext(TLS1_3_VERSION, stranger_cred_);
  EXPECT_EQ(Get(ctx), "");
  EXPECT_EQ(AwaitFailures("client_certificate"), 1u);
}

TEST_F(HttpServerTlsTest, HandshakeTimeoutClosesSilentClient) {
  options_.tls_handshake_timeout = std::chrono::milliseconds(50);
  StartServer();
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  char c;
  error_code ec;
  s.read_some(asio::buffer(&c, 1), ec);  // returns once the server closes
  EXPECT_TRUE(ec);
  EXPECT_EQ(AwaitFailures("timeout"), 1u);
}

TEST_F(HttpServerTlsTest, CertWithoutKeyIsRefusedAtStart) {
  options_.tls_key.clear();
  absl::Status s = StartStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "tls_cert is set but tls_key is not: both are needed");
}

TEST_F(HttpServerTlsTest, UnreadableKeyFileIsNamed) {
  options_.tls_key = TempPath("missing.key");
  absl::Status s = StartStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), absl::StrCat("tls_key '", options_.tls_key,
                                      "': cannot read file: No such file or directory"))
      << s;
}

TEST_F(HttpServerTlsTest, KeyNotMatchingCertIsRefused) {
  options_.tls_key = client_cred_->key_file;
  absl::Status s = StartStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), absl::StrCat("tls_key '", client_cred_->key_file,
                                      "' does not match the certificate in tls_cert '",
                                      server_cred_->cert_file, "'"))
      << s;
}

TEST_F(HttpServerTlsTest, GarbageCertificateIsRefused) {
  std::string path = TempPath("garbage.crt");
  std::ofstream(path) << "not a certificate\n";
  options_.tls_cert = path;
  absl::Status s = StartStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(s.message(),
                               absl::StrCat("tls_cert '", path, "': not a PEM certificate chain")))
      << s;
}

TEST_F(HttpServerTlsTest, RequiredClientCertWithoutCaIsRefused) {
  options_.tls_require_client_cert = true;
  absl::Status s = StartStatus();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "tls_client_cert is \"required\" but tls_client_ca is not set");
}

TEST(HttpServerPlainTest, PlainRequestsSayNotTls) {
  MetricsRegistry metrics;
  HttpServerOptions options;
  options.io_threads = 1;
  HttpServer server(options, Describe, nullptr, &metrics);
  ASSERT_TRUE(server.Start().ok());
  asio::io_context ioc;
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server.port()));
  asio::write(s, asio::buffer(std::string("GET /p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
  std::string got;
  char tmp[1024];
  error_code ec;
  for (;;) {
    size_t n = s.read_some(asio::buffer(tmp), ec);
    if (ec) break;
    got.append(tmp, n);
  }
  EXPECT_EQ(Body(got), "GET /p tls=0 subject=");
}

}  // namespace
}  // namespace qilian::net
