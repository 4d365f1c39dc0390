// The native Handle protocol over TCP (RFC 3652 section 2.3), on Asio.
//
// Framing: each message is the 20-octet envelope followed by MessageLength
// octets. A connection may carry any number of messages; they are answered
// one at a time, in the order received, so pipelined requests come back in
// order. Clients that open one connection per request (deployed clients),
// including those that half-close after sending, are answered before the
// connection closes.
//
// Limits, each closing the connection and counted in
// qilian_handle_tcp_closed_total{reason}:
//   oversize      MessageLength above max_message_bytes: closed as soon as
//                 the envelope is read, before anything is allocated for it;
//   read_timeout  a message begun but not complete within read_timeout (the
//                 deadline does not move as bytes trickle in);
//   idle_timeout  no new message within idle_timeout;
//   no_reply      the handler found no Handle message to answer;
//   too_many_connections  over max_connections: accepted and closed at once;
//   too_many_from_source  over max_connections_per_source open from the
//                 connecting address (exact address, IPv4-mapped IPv6
//                 counted as IPv4): accepted and closed at once, so that
//                 one host cannot take every connection slot.
// Messages whose handling may block on durable storage run on a worker pool
// so that they never stall the I/O threads.
#ifndef QILIAN_NET_HANDLE_TCP_SERVER_H_
#define QILIAN_NET_HANDLE_TCP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "ident/wire/envelope.h"
#include "net/native_handler.h"

namespace qilian {
class MetricsRegistry;
}  // namespace qilian

namespace qilian::net {

struct HandleTcpServerOptions {
  std::string listen = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port, see port()
  unsigned io_threads = 0;  // 0: one per core
  unsigned worker_threads = 32;
  size_t max_connections = 1000;
  size_t max_connections_per_source = 0;  // 0: no limit per address
  size_t max_message_bytes = ident::wire::kMaxMessageBytes;
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds read_timeout{10000};
  // How long Stop() waits for in-flight requests before dropping them.
  std::chrono::milliseconds drain_timeout{5000};
};

class HandleTcpServer {
 public:
  // `handler` must be thread-safe and outlive the server. `metrics`
  // defaults to MetricsRegistry::Default().
  HandleTcpServer(HandleTcpServerOptions options, NativeHandler handler,
                  MetricsRegistry* metrics = nullptr);
  ~HandleTcpServer();  // calls Stop()
  HandleTcpServer(const HandleTcpServer&) = delete;
  HandleTcpServer& operator=(const HandleTcpServer&) = delete;

  // Binds, listens and starts the threads. InvalidArgument if the address
  // does not parse, Unavailable if it cannot be bound.
  absl::Status Start();

  // The bound port (the chosen one when options.port was 0); 0 before Start.
  uint16_t port() const;

  // Stops accepting, closes connections waiting between messages, lets
  // in-flight messages be answered (up to drain_timeout), joins every
  // thread. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::net

#endif  // QILIAN_NET_HANDLE_TCP_SERVER_H_
