#include "net/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/metrics.h"
#include "gtest/gtest.h"

namespace qilian::net {
namespace {

// A blocking client socket with a generous receive deadline, so a broken
// server fails the test instead of hanging it.
class Client {
 public:
  // `source`: another 127/8 address to connect from (another source, for
  // the per-address limit); null: the kernel's choice.
  explicit Client(uint16_t port, const char* source = nullptr) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (source != nullptr) {
      sockaddr_in from{};
      from.sin_family = AF_INET;
      if (inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
          bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
        return;  // not connected
      }
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { close(fd_); }

  bool connected() const { return connected_; }

  void Send(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  // One response (head and Content-Length body); empty on EOF or timeout.
  std::string ReadResponse() {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return "";
    }
    size_t length = 0;
    size_t cl = buf_.find("Content-Length: ");
    if (cl != std::string::npos && cl < end) {
      size_t eol = buf_.find("\r\n", cl);
      EXPECT_TRUE(absl::SimpleAtoi(buf_.substr(cl + 16, eol - cl - 16), &length));
    }
    while (buf_.size() < end + 4 + length) {
      if (!Fill()) return "";
    }
    std::string out = buf_.substr(0, end + 4 + length);
    buf_.erase(0, end + 4 + length);
    return out;
  }

  // True if the server closed the connection with nothing more to read.
  bool ReadsEof() {
    if (!buf_.empty()) return false;
    char c;
    return recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool Fill() {
    char tmp[4096];
    ssize_t n = recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_;
  bool connected_ = false;
  std::string buf_;
};

std::string Body(const std::string& response) {
  size_t p = response.find("\r\n\r\n");
  return p == std::string::npos ? "" : response.substr(p + 4);
}

std::string StatusLine(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

HttpResponse Echo(const HttpRequest& r) {
  HttpResponse out;
  out.content_type = "text/plain";
  out.body = absl::StrCat(r.method, " ", r.target, " ", r.body);
  return out;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpHandler handler = Echo, HttpMayBlock may_block = nullptr) {
    options_.port = 0;
    options_.io_threads = 1;
    options_.worker_threads = 2;
    server_ = std::make_unique<HttpServer>(options_, std::move(handler), std::move(may_block),
                                           &metrics_);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
  }

  uint64_t Rejected(const std::string& reason) {
    return metrics_
        .GetCounter("qilian_http_rejected_total", "", {{"reason", reason}})
        .value();
  }

  // Sends `request` on a fresh connection and expects one error answer and
  // then the connection closed.
  void ExpectRejected(std::string_view request, std::string_view status_line,
                      std::string_view body) {
    Client c(server_->port());
    ASSERT_TRUE(c.connected());
    c.Send(request);
    std::string r = c.ReadResponse();
    EXPECT_EQ(StatusLine(r), status_line) << request;
    EXPECT_EQ(Body(r), body) << request;
    EXPECT_TRUE(absl::StrContains(r, "Connection: close\r\n")) << r;
    EXPECT_TRUE(c.ReadsEof());
  }

  HttpServerOptions options_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  Client c(server_->port());
  ASSERT_TRUE(c.connected());
  c.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r1 = c.ReadResponse();
  EXPECT_EQ(r1,
            "HTTP/1.1 200 OK\r\nServer: qiliand\r\nContent-Type: text/plain\r\n"
            "Content-Length: 7\r\n\r\nGET /a ");
  c.Send("PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(Body(c.ReadResponse()), "PUT /b hello");
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  StartServer();
  Client c(server_->port());
  c.Send(
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
      "PUT /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
      "GET /3 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(Body(c.ReadResponse()), "GET /1 ");
  EXPECT_EQ(Body(c.ReadResponse()), "PUT /2 abc");
  EXPECT_EQ(Body(c.ReadResponse()), "GET /3 ");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  Client c(server_->port());
  c.Send("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::string r = c.ReadResponse();
  EXPECT_EQ(Body(r), "GET /a ");
  EXPECT_TRUE(absl::StrContains(r, "Connection: close\r\n"));
  EXPECT_TRUE(c.ReadsEof());
}

TEST_F(HttpServerTest, ChunkedBodyIsAssembled) {
  StartServer();
  Client c(server_->port());
  c.Send("PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(Body(c.ReadResponse()), "PUT /c abcde");
}

TEST_F(HttpServerTest, ExpectContinueGetsInterimResponse) {
  StartServer();
  Client c(server_->port());
  c.Send("PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.ReadResponse(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.Send("ok");
  EXPECT_EQ(Body(c.ReadResponse()), "PUT /e ok");
}

TEST_F(HttpServerTest, FillsRemoteAddress) {
  StartServer([](const HttpRequest& r) {
    HttpResponse out;
    out.body = absl::StrCat(r.remote_address, " ", r.remote_is_loopback, " ",
                            r.Header("x-test") ? *r.Header("x-test") : "none");
    out.headers.push_back({"X-Extra", "1"});
    return out;
  });
  Client c(server_->port());
  c.Send("GET / HTTP/1.1\r\nHost: x\r\nX-Test: v\r\n\r\n");
  std::string r = c.ReadResponse();
  EXPECT_EQ(Body(r), "127.0.0.1 1 v");
  EXPECT_TRUE(absl::StrContains(r, "X-Extra: 1\r\n"));
  EXPECT_TRUE(absl::StrContains(r, "Content-Type: application/json\r\n"));
}

TEST_F(HttpServerTest, BodyOverLimitByContentLengthIs413) {
  options_.max_body_bytes = 16;
  StartServer();
  ExpectRejected("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n",
                 "HTTP/1.1 413 Payload Too Large",
                 R"({"responseCode":2,"message":"request body exceeds 16 bytes"})");
  EXPECT_EQ(Rejected("body_too_large"), 1u);
}

TEST_F(HttpServerTest, DefaultBodyLimitMessage) {
  StartServer();
  ExpectRejected("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n",
                 "HTTP/1.1 413 Payload Too Large",
                 R"({"responseCode":2,"message":"request body exceeds 1048576 bytes"})");
}

TEST_F(HttpServerTest, ChunkedBodyOverLimitIs413) {
  options_.max_body_bytes = 16;
  StartServer();
  ExpectRejected(
      "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n",
      "HTTP/1.1 413 Payload Too Large",
      R"({"responseCode":2,"message":"request body exceeds 16 bytes"})");
  EXPECT_EQ(Rejected("body_too_large"), 1u);
}

// Bulk-write targets (line protocol) take larger bodies than the rest.
TEST_F(HttpServerTest, BodyLimitPerTarget) {
  options_.max_body_bytes = 16;
  options_.max_bulk_body_bytes = 32;
  options_.body_limit_for = [](std::string_view target) -> size_t {
    return target.starts_with("/write") ? 32 : 0;
  };
  StartServer();
  ExpectRejected("PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n",
                 "HTTP/1.1 413 Payload Too Large",
                 R"({"responseCode":2,"message":"request body exceeds 16 bytes"})");
  ExpectRejected("POST /write?db=x HTTP/1.1\r\nHost: x\r\nContent-Length: 33\r\n\r\n",
                 "HTTP/1.1 413 Payload Too Large",
                 R"({"responseCode":2,"message":"request body exceeds 32 bytes"})");
  ExpectRejected(
      "POST /write HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "14\r\n01234567890123456789\r\n14\r\n01234567890123456789\r\n0\r\n\r\n",
      "HTTP/1.1 413 Payload Too Large",
      R"({"responseCode":2,"message":"request body exceeds 32 bytes"})");
  EXPECT_EQ(Rejected("body_too_large"), 3u);
  Client c(server_->port());
  c.Send("POST /write HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n\r\n"
         "012345678901234567890123456789");
  EXPECT_TRUE(absl::StartsWith(c.ReadResponse(), "HTTP/1.1 200"));
}

TEST_F(HttpServerTest, ContentLengthWithTransferEncodingIs400) {
  StartServer();
  const char* kBody =
      R"({"responseCode":4,"message":"malformed HTTP request: both Content-Length and Transfer-Encoding present"})";
  ExpectRejected(
      "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 400 Bad Request", kBody);
  ExpectRejected(
      "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
      "HTTP/1.1 400 Bad Request", kBody);
  // Beast itself accepts this order; the server must not.
  ExpectRejected(
      "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\n",
      "HTTP/1.1 400 Bad Request", kBody);
  EXPECT_EQ(Rejected("length_conflict"), 3u);
}

TEST_F(HttpServerTest, ConflictingContentLengthsAre400) {
  StartServer();
  ExpectRejected(
      "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
      "HTTP/1.1 400 Bad Request",
      R"({"responseCode":4,"message":"malformed HTTP request: conflicting Content-Length values"})");
  EXPECT_EQ(Rejected("length_conflict"), 1u);
}

TEST_F(HttpServerTest, TransferEncodingOtherThanChunkedIs400) {
  StartServer();
  ExpectRejected(
      "PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
      "HTTP/1.1 400 Bad Request",
      R"({"responseCode":4,"message":"malformed HTTP request: unsupported Transfer-Encoding"})");
}

TEST_F(HttpServerTest, MalformedRequestIs400WithBeastMessage) {
  StartServer();
  ExpectRejected("GET / HTTP/1.1\r\nBad Header\r\n\r\n", "HTTP/1.1 400 Bad Request",
                 R"({"responseCode":4,"message":"malformed HTTP request: bad field"})");
  ExpectRejected("GET / HTTP/7.1\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request",
                 R"({"responseCode":4,"message":"malformed HTTP request: bad version"})");
  ExpectRejected("PUT /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n", "HTTP/1.1 400 Bad Request",
                 R"({"responseCode":4,"message":"malformed HTTP request: bad Content-Length"})");
  EXPECT_EQ(Rejected("malformed"), 3u);
}

TEST_F(HttpServerTest, HeaderSectionOverLimitIs431) {
  options_.max_header_bytes = 1024;
  StartServer();
  ExpectRejected(
      absl::StrCat("GET / HTTP/1.1\r\nHost: x\r\nX-Big: ", std::string(2000, 'a'), "\r\n\r\n"),
      "HTTP/1.1 431 Request Header Fields Too Large",
      R"({"responseCode":4,"message":"request header section exceeds 1024 bytes"})");
  EXPECT_EQ(Rejected("header_too_large"), 1u);
}

TEST_F(HttpServerTest, SlowHeaderIs408) {
  options_.header_timeout = std::chrono::milliseconds(200);
  StartServer();
  ExpectRejected("GET / HTTP/1.1\r\nHost: x\r\n", "HTTP/1.1 408 Request Timeout",
                 R"({"responseCode":4,"message":"request header not received within 200 ms"})");
  EXPECT_EQ(Rejected("header_timeout"), 1u);
}

TEST_F(HttpServerTest, SlowBodyIs408) {
  options_.body_timeout = std::chrono::milliseconds(200);
  StartServer();
  ExpectRejected("PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
                 "HTTP/1.1 408 Request Timeout",
                 R"({"responseCode":4,"message":"request body not received within 200 ms"})");
  EXPECT_EQ(Rejected("body_timeout"), 1u);
}

TEST_F(HttpServerTest, IdleKeepAliveIsClosedSilently) {
  options_.idle_timeout = std::chrono::milliseconds(200);
  StartServer();
  Client c(server_->port());
  c.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(Body(c.ReadResponse()), "GET /a ");
  EXPECT_TRUE(c.ReadsEof());
  EXPECT_EQ(Rejected("header_timeout"), 0u);
}

TEST_F(HttpServerTest, ConnectionsOverLimitGet503) {
  options_.max_connections = 1;
  StartServer();
  Client first(server_->port());
  first.Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(Body(first.ReadResponse()), "GET /a ");  // first is now registered and kept
  ExpectRejected("GET /b HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 503 Service Unavailable",
                 R"({"responseCode":3,"message":"too many connections"})");
  EXPECT_EQ(Rejected("too_many_connections"), 1u);
}

TEST_F(HttpServerTest, ConnectionsBeyondThePerSourceLimitGet503) {
  options_.max_connections_per_source = 2;
  StartServer();
  auto first = std::make_unique<Client>(server_->port());
  Client second(server_->port());
  for (Client* c : {first.get(), &second}) {
    ASSERT_TRUE(c->connected());
    c->Send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(Body(c->ReadResponse()), "GET /a ");  // registered and kept by now
  }
  ExpectRejected("GET /b HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 503 Service Unavailable",
                 R"({"responseCode":3,"message":"too many connections from this address"})");
  EXPECT_EQ(Rejected("too_many_from_source"), 1u);
  EXPECT_EQ(Rejected("too_many_connections"), 0u);

  // Another address has its own allowance.
  Client other(server_->port(), "127.0.0.2");
  ASSERT_TRUE(other.connected());
  other.Send("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(Body(other.ReadResponse()), "GET /c ");

  // A closed connection gives its slot back. The server learns of the
  // close asynchronously: wait for its connection count (second and other
  // left, the refused one gone too), not for a time.
  first.reset();
  Gauge& open = metrics_.GetGauge("qilian_http_connections", "");
  for (int i = 0; i < 10000 && open.value() != 2; ++i) usleep(1000);
  ASSERT_EQ(open.value(), 2);
  Client again(server_->port());
  ASSERT_TRUE(again.connected());
  again.Send("GET /d HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(Body(again.ReadResponse()), "GET /d ");
  EXPECT_EQ(Rejected("too_many_from_source"), 1u);
  // The kept connections are still served.
  second.Send("GET /e HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(Body(second.ReadResponse()), "GET /e ");
}

TEST_F(HttpServerTest, MayBlockRunsOffTheIoThread) {
  std::mutex mu;
  std::thread::id inline_id, block_id;
  StartServer(
      [&](const HttpRequest& r) {
        std::lock_guard<std::mutex> lock(mu);
        if (r.target == "/block") {
          block_id = std::this_thread::get_id();
          // Slow enough that a server answering out of order would show it.
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        } else {
          inline_id = std::this_thread::get_id();
        }
        return Echo(r);
      },
      [](const HttpRequest& r) { return r.target == "/block"; });
  Client c(server_->port());
  c.Send(
      "PUT /block HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /inline HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(Body(c.ReadResponse()), "PUT /block ");
  EXPECT_EQ(Body(c.ReadResponse()), "GET /inline ");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_NE(block_id, std::thread::id());
  EXPECT_NE(inline_id, std::thread::id());
  EXPECT_NE(block_id, inline_id);
}

TEST_F(HttpServerTest, HandlerExceptionIs500) {
  StartServer([](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
  Client c(server_->port());
  c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string r = c.ReadResponse();
  EXPECT_EQ(StatusLine(r), "HTTP/1.1 500 Internal Server Error");
  EXPECT_EQ(Body(r), R"({"responseCode":2,"message":"internal error"})");
}

TEST_F(HttpServerTest, StopLetsInFlightRequestFinish) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  StartServer(
      [&](const HttpRequest& r) {
        std::unique_lock<std::mutex> lock(mu);
        entered = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
        return Echo(r);
      },
      [](const HttpRequest&) { return true; });
  Client idle(server_->port());
  ASSERT_TRUE(idle.connected());
  Client c(server_->port());
  c.Send("PUT /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  const uint16_t port = server_->port();
  std::thread stopper([&] { server_->Stop(); });
  // Release the handler only once Stop() is under way (it marks the server
  // stopping before it closes the acceptor), so the reply must say close.
  for (int i = 0; i < 5000 && Client(port).connected(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
    cv.notify_all();
  }
  std::string r = c.ReadResponse();
  EXPECT_EQ(Body(r), "PUT /slow ");
  EXPECT_TRUE(absl::StrContains(r, "Connection: close\r\n"));
  EXPECT_TRUE(idle.ReadsEof());
  stopper.join();
  Client after(server_->port());
  EXPECT_FALSE(after.connected());
}

TEST(HttpServerStartTest, BadListenAddress) {
  HttpServerOptions o;
  o.listen = "not-an-ip";
  HttpServer s(o, Echo, nullptr);
  absl::Status st = s.Start();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(st.message(), "invalid listen address 'not-an-ip'"));
}

TEST(HttpServerStartTest, PortInUseIsUnavailable) {
  HttpServerOptions o;
  o.io_threads = 1;
  HttpServer a(o, Echo, nullptr);
  ASSERT_TRUE(a.Start().ok());
  o.port = a.port();
  HttpServer b(o, Echo, nullptr);
  absl::Status st = b.Start();
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(st.message(), absl::StrCat("cannot bind 127.0.0.1:", o.port)))
      << st.message();
}

TEST(LoopbackTest, RecognisesLoopbackForms) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackAddress("127.255.0.9"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_TRUE(IsLoopbackAddress("::ffff:127.0.0.2"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("::ffff:10.0.0.1"));
  EXPECT_FALSE(IsLoopbackAddress("::2"));
  EXPECT_FALSE(IsLoopbackAddress("garbage"));
}

}  // namespace
}  // namespace qilian::net
