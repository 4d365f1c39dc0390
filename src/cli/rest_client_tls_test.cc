// The REST client over https:// against qilian_net's TLS 1.3 server: a
// verified exchange with --cacert, and the refusals (unknown CA, wrong host
// name or address) with their exact messages. Keys and certificates are made
// here with OpenSSL, written to a temporary directory.
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cli/rest_client.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "net/http_server.h"
#include "net/test_certificates.h"

namespace qilian::cli {
namespace {

using net::testing::Credential;
using net::testing::TempPath;

Credential MakeCredential(const std::string& name, const std::string& cn, const char* san,
                          const Credential* issuer, bool is_ca) {
  return net::testing::MakeCredential(name, {{"CN", cn}}, issuer, is_ca, san);
}

net::HttpResponse Echo(const net::HttpRequest& r) {
  net::HttpResponse out;
  out.content_type = "text/plain";
  const std::string* auth = r.Header("authorization");
  out.body = r.method + " " + r.target + " tls=" + (r.tls ? "1" : "0") +
             " auth=" + (auth != nullptr ? *auth : "");
  return out;
}

class RestClientTlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // What `make run` makes: a self-signed certificate for localhost.
    localhost_ = new Credential(MakeCredential(
        "localhost", "localhost", "DNS:localhost,IP:127.0.0.1,IP:::1", nullptr, true));
    // A private CA and a leaf it signed for another host only.
    ca_ = new Credential(MakeCredential("ca", "Qilian Test CA", nullptr, nullptr, true));
    elsewhere_ = new Credential(MakeCredential(
        "elsewhere", "node.example", "DNS:node.example,IP:192.0.2.7", ca_, false));
    here_ = new Credential(MakeCredential("here", "here", "IP:127.0.0.1", ca_, false));
  }

  void Start(const Credential& cred) {
    net::HttpServerOptions options;
    options.port = 0;
    options.io_threads = 1;
    options.worker_threads = 1;
    options.tls_cert = cred.cert_file;
    options.tls_key = cred.key_file;
    server_ = std::make_unique<net::HttpServer>(options, Echo, nullptr, &metrics_);
    absl::Status s = server_->Start();
    ASSERT_TRUE(s.ok()) << s;
    port_ = std::to_string(server_->port());
  }

  absl::StatusOr<HttpReply> Get(const std::string& host, const std::string& ca_file,
                                const std::string& target = "/a") {
    absl::StatusOr<ServerUrl> url = ServerUrl::Parse("https://" + host + ":" + port_);
    EXPECT_TRUE(url.ok()) << url.status();
    if (!url.ok()) return url.status();
    RestClient client(*url, std::chrono::seconds(20), TlsClientOptions{ca_file});
    return client.Send("GET", target, "");
  }

  static Credential* localhost_;
  static Credential* ca_;
  static Credential* elsewhere_;
  static Credential* here_;
  MetricsRegistry metrics_;
  std::unique_ptr<net::HttpServer> server_;
  std::string port_;
};

Credential* RestClientTlsTest::localhost_ = nullptr;
Credential* RestClientTlsTest::ca_ = nullptr;
Credential* RestClientTlsTest::elsewhere_ = nullptr;
Credential* RestClientTlsTest::here_ = nullptr;

TEST_F(RestClientTlsTest, GetWithCaFileByAddressAndName) {
  Start(*localhost_);
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    absl::StatusOr<HttpReply> reply = Get(host, localhost_->cert_file, "/api/x?y=1");
    ASSERT_TRUE(reply.ok()) << host << ": " << reply.status();
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "GET /api/x?y=1 tls=1 auth=");
  }
}

TEST_F(RestClientTlsTest, KeepAliveAndWriteAuthorizationOverTls) {
  Start(*localhost_);
  absl::StatusOr<ServerUrl> url = ServerUrl::Parse("https://127.0.0.1:" + port_ + "/base");
  ASSERT_TRUE(url.ok());
  RestClient client(*url, std::chrono::seconds(20), TlsClientOptions{localhost_->cert_file});
  client.set_authorization("Basic eDp5");
  absl::StatusOr<HttpReply> a = client.Send("GET", "/1", "");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->body, "GET /base/1 tls=1 auth=Basic eDp5");
  absl::StatusOr<HttpReply> b = client.Send("PUT", "/2", "{}");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->body, "PUT /base/2 tls=1 auth=Basic eDp5");
}

TEST_F(RestClientTlsTest, UnknownCaIsRefused) {
  Start(*localhost_);
  // Trusting only the private CA, which did not sign the server's certificate.
  absl::StatusOr<HttpReply> reply = Get("127.0.0.1", ca_->cert_file);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(reply.status().message(), "cannot verify the certificate of https://127.0.0.1:" +
                                          port_ + ": self-signed certificate");
}

TEST_F(RestClientTlsTest, SystemStoreDoesNotTrustTestCertificate) {
  Start(*localhost_);
  absl::StatusOr<HttpReply> reply = Get("127.0.0.1", "");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(reply.status().message(), "cannot verify the certificate of https://127.0.0.1:" +
                                          port_ + ": self-signed certificate");
}

TEST_F(RestClientTlsTest, SystemStoreHonoursSslCertFile) {
  // What the statistics reporter relies on for an https:// parent with a
  // private CA: OpenSSL's default paths follow $SSL_CERT_FILE.
  Start(*localhost_);
  ASSERT_EQ(setenv("SSL_CERT_FILE", localhost_->cert_file.c_str(), 1), 0);
  absl::StatusOr<HttpReply> reply = Get("127.0.0.1", "");
  unsetenv("SSL_CERT_FILE");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->body, "GET /a tls=1 auth=");
}

TEST_F(RestClientTlsTest, LeafSignedByCaFileIsAccepted) {
  Start(*here_);
  absl::StatusOr<HttpReply> reply = Get("127.0.0.1", ca_->cert_file);
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->body, "GET /a tls=1 auth=");
}

TEST_F(RestClientTlsTest, AddressMismatchIsRefused) {
  Start(*elsewhere_);
  absl::StatusOr<HttpReply> reply = Get("127.0.0.1", ca_->cert_file);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(reply.status().message(), "cannot verify the certificate of https://127.0.0.1:" +
                                          port_ + ": IP address mismatch");
}

TEST_F(RestClientTlsTest, HostNameMismatchIsRefused) {
  Start(*elsewhere_);
  absl::StatusOr<HttpReply> reply = Get("localhost", ca_->cert_file);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(reply.status().message(), "cannot verify the certificate of https://localhost:" +
                                          port_ + ": hostname mismatch");
}

TEST_F(RestClientTlsTest, MissingCaFileIsNamed) {
  Start(*localhost_);
  const std::string missing = TempPath("missing.pem");
  absl::StatusOr<HttpReply> reply = Get("127.0.0.1", missing);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(reply.status().message(),
            "cannot read CA file '" + missing + "': No such file or directory");
}

TEST_F(RestClientTlsTest, PlainHttpServerFailsTheHandshake) {
  // An https:// URL pointing at a plain HTTP port: no certificate to judge,
  // a handshake failure instead.
  net::HttpServerOptions options;
  options.port = 0;
  options.io_threads = 1;
  options.worker_threads = 1;
  server_ = std::make_unique<net::HttpServer>(options, Echo, nullptr, &metrics_);
  ASSERT_TRUE(server_->Start().ok());
  port_ = std::to_string(server_->port());
  absl::StatusOr<HttpReply> reply = Get("127.0.0.1", localhost_->cert_file);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  const std::string message(reply.status().message());
  const std::string prefix = "TLS handshake with https://127.0.0.1:" + port_ + " failed: ";
  EXPECT_EQ(message.substr(0, prefix.size()), prefix);
  EXPECT_GT(message.size(), prefix.size());
}

}  // namespace
}  // namespace qilian::cli
