// The HTTP/1.1 front door (Boost.Beast): persistent connections, bounded
// reads, and a split between handlers that answer from memory (run inline on
// an I/O thread) and handlers that wait for a durable commit (run on a
// blocking worker pool so they never stall other connections).
//
// Hostile or broken clients are answered once and disconnected, each case
// with a fixed response and a count in qilian_http_rejected_total{reason}:
//   413 body over max_body_bytes (Content-Length checked up front, chunked
//       bodies as they grow); 431 header section over max_header_bytes;
//   400 malformed request line or fields, Content-Length together with
//       Transfer-Encoding, conflicting Content-Length values, a
//       Transfer-Encoding other than chunked;
//   408 header or body not received in time (slowloris);
//   503 over max_connections ("too_many_connections"), or over
//       max_connections_per_source from the connecting address
//       ("too_many_from_source"; exact address, IPv4-mapped IPv6 counted as
//       IPv4). Both are decided at accept; over TLS the connection is
//       closed at once, before any handshake, without an answer.
// An idle keep-alive connection is closed silently.
//
// With tls_cert set the listener speaks only TLS 1.3 (OpenSSL): every
// connection completes a handshake within tls_handshake_timeout before its
// first request; a failed one is closed without an answer and counted in
// qilian_http_tls_handshake_failures_total{reason}. Client certificates are
// requested when tls_client_ca is set, and the verified subject reaches the
// handler as HttpRequest::tls_client_subject. The plain listener shares the
// connection code, templated over the stream, so it pays nothing for this.
#ifndef QILIAN_NET_HTTP_SERVER_H_
#define QILIAN_NET_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "net/http_message.h"

namespace qilian {
class MetricsRegistry;
}  // namespace qilian

namespace qilian::net {

struct HttpServerOptions {
  std::string listen = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port, see HttpServer::port()
  unsigned io_threads = 0;  // 0: one per core
  unsigned worker_threads = 32;
  size_t max_body_bytes = 1048576;
  // A larger limit for some targets (bulk writes such as InfluxDB line
  // protocol): called with the request target once the header is read;
  // null, or a result of 0, keeps max_body_bytes. The header phase admits
  // the largest of the two, so it must not return more than
  // max_bulk_body_bytes.
  std::function<size_t(std::string_view target)> body_limit_for;
  size_t max_bulk_body_bytes = 0;
  size_t max_header_bytes = 16384;
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  size_t max_connections = 10000;
  // Open connections allowed from one address; 0: no limit per address.
  size_t max_connections_per_source = 0;
  // How long Stop() waits for in-flight requests before dropping them.
  std::chrono::milliseconds drain_timeout{5000};

  // TLS (docs/operations.md, "TLS"). Empty tls_cert: plain HTTP. The names
  // match the [http] configuration keys so start errors read the same.
  std::string tls_cert;  // PEM certificate chain file, leaf first
  std::string tls_key;   // PEM private key file for the leaf
  // PEM bundle of CAs trusted for client certificates. Empty: none requested.
  std::string tls_client_ca;
  // With tls_client_ca: refuse a handshake without a client certificate
  // (otherwise a certificate is optional, but verified when sent).
  bool tls_require_client_cert = false;
  std::chrono::milliseconds tls_handshake_timeout{10000};
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
using HttpMayBlock = std::function<bool(const HttpRequest&)>;

class HttpServer {
 public:
  // `handler` and `may_block` must be thread-safe and outlive the server.
  // `metrics` defaults to MetricsRegistry::Default().
  HttpServer(HttpServerOptions options, HttpHandler handler, HttpMayBlock may_block,
             MetricsRegistry* metrics = nullptr);
  ~HttpServer();  // calls Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds, listens and starts the threads. Unavailable if the address
  // cannot be bound, InvalidArgument if it does not parse or the TLS files
  // are missing, unreadable, malformed or do not belong together (the error
  // names the option and the file).
  absl::Status Start();

  // The bound port (the chosen one when options.port was 0); 0 before Start.
  uint16_t port() const;

  // Stops accepting, closes idle connections, lets in-flight requests
  // finish (up to drain_timeout), and joins every thread. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether a textual peer address is loopback: 127.0.0.0/8, ::1, or an
// IPv4-mapped 127.x address.
bool IsLoopbackAddress(const std::string& address);

}  // namespace qilian::net

#endif  // QILIAN_NET_HTTP_SERVER_H_
