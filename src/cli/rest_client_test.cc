#include "cli/rest_client.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>

namespace qilian::cli {
namespace {

TEST(ServerUrlTest, Forms) {
  absl::StatusOr<ServerUrl> a = ServerUrl::Parse("http://127.0.0.1:8000");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "8000");
  EXPECT_EQ(a->base_path, "");
  EXPECT_EQ(a->text, "http://127.0.0.1:8000");

  absl::StatusOr<ServerUrl> b = ServerUrl::Parse("http://[::1]:9/qilian/");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, "9");
  EXPECT_EQ(b->base_path, "/qilian");
  EXPECT_EQ(b->text, "http://[::1]:9/qilian");

  absl::StatusOr<ServerUrl> c = ServerUrl::Parse("localhost");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->text, "http://localhost:80");
  EXPECT_FALSE(c->tls);
}

TEST(ServerUrlTest, Https) {
  absl::StatusOr<ServerUrl> a = ServerUrl::Parse("https://127.0.0.1:8443/base/");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "8443");
  EXPECT_EQ(a->base_path, "/base");
  EXPECT_EQ(a->text, "https://127.0.0.1:8443/base");

  absl::StatusOr<ServerUrl> b = ServerUrl::Parse("https://[::1]");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, "443");
  EXPECT_EQ(b->text, "https://[::1]:443");

  EXPECT_EQ(ServerUrl::Parse("https://h:0").status().message(),
            "bad server URL \"https://h:0\": bad port");
}

TEST(ServerUrlTest, Rejects) {
  EXPECT_EQ(ServerUrl::Parse("ftp://x:1").status().message(),
            "unsupported server URL \"ftp://x:1\": only http:// and https:// are supported");
  EXPECT_EQ(ServerUrl::Parse("http://:80").status().message(),
            "bad server URL \"http://:80\": no host");
  EXPECT_EQ(ServerUrl::Parse("http://h:0").status().message(),
            "bad server URL \"http://h:0\": bad port");
  EXPECT_EQ(ServerUrl::Parse("http://h:65536").status().message(),
            "bad server URL \"http://h:65536\": bad port");
  EXPECT_EQ(ServerUrl::Parse("http://h:8x").status().message(),
            "bad server URL \"http://h:8x\": bad port");
  EXPECT_EQ(ServerUrl::Parse("http://[::1").status().message(),
            "bad server URL \"http://[::1\"");
}

TEST(EncodeTest, PathKeepsSlashAndUnreserved) {
  EXPECT_EQ(EncodePathSegment("88.999/a-b_c~d"), "88.999/a-b_c~d");
  EXPECT_EQ(EncodePathSegment("88.999/a b?c#d%e"), "88.999/a%20b%3Fc%23d%25e");
  EXPECT_EQ(EncodePathSegment("88.999/祁"), "88.999/%E7%A5%81");
  EXPECT_EQ(EncodePathSegment("88.999/a+b&c=d;e:f"), "88.999/a%2Bb%26c%3Dd%3Be%3Af");
}

TEST(EncodeTest, QueryEncodesSlash) {
  EXPECT_EQ(BuildQuery({}), "");
  EXPECT_EQ(BuildQuery({{"type", "URL"}, {"index", "1"}}), "?type=URL&index=1");
  EXPECT_EQ(BuildQuery({{"prefix", "88.999/x y&z"}}), "?prefix=88.999%2Fx%20y%26z");
}

TEST(RestClientTest, ConnectionRefusedMessage) {
  // A port that was just free: bind, learn it, close, then connect there.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  std::string port = std::to_string(acceptor.local_endpoint().port());
  acceptor.close();

  absl::StatusOr<ServerUrl> url = ServerUrl::Parse("http://127.0.0.1:" + port);
  ASSERT_TRUE(url.ok());
  RestClient client(*url, std::chrono::seconds(5));
  absl::StatusOr<HttpReply> reply = client.Send("GET", "/healthz", "");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(reply.status().message(),
            "cannot connect to http://127.0.0.1:" + port + ": Connection refused");
}

}  // namespace
}  // namespace qilian::cli
