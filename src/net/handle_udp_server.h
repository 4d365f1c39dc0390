// The native Handle protocol over UDP (RFC 3652 section 2.3).
//
// N workers, each a thread that owns its own SO_REUSEPORT socket on the
// same address and port, so the kernel spreads sources over them and no
// state is shared on the hot path. A worker takes up to `batch` datagrams
// per recvmmsg call, answers them, and sends the answers with sendmmsg.
//
// For each datagram:
//   - shorter than an envelope: dropped (not a Handle message);
//   - TC flag set: a fragment, reassembled per (address, port, RequestId)
//     within the per-peer and total bounds of UdpReassembler;
//   - otherwise: one whole message.
// A whole message goes to the handler. No answer (nullopt): silence. An
// error answer passes a token bucket per source network first, since a
// forged source turns it into reflection. Then, when rrl.enabled, every
// answer passes response-rate limiting (ResponseRateLimiter: a bucket per
// source network and kind of answer); one over the limit is dropped, or,
// every rrl.slip-th, replaced by the TC-only envelope described next so
// that a real client retries over TCP. Every answer is then bounded by
// max_reply_factor times the request's size (no amplification): one that
// would exceed it on the wire, fragments and envelopes counted, is replaced
// by the reply's envelope alone with TC set and MessageLength 0, which tells
// the client to ask again over TCP. An answer over 512 octets that is
// within the bound is sent in fragments (FragmentReply).
//
// Metrics (qilian_handle_udp_*): packets_total and bytes_total by
// direction, messages_total, dropped_total by reason, rate_limited_total,
// truncated_total, fragmented_total, reassembly_total by outcome,
// reassembly_bytes; and qilian_udp_rrl_dropped_total and
// qilian_udp_rrl_slipped_total for response-rate limiting.
#ifndef QILIAN_NET_HANDLE_UDP_SERVER_H_
#define QILIAN_NET_HANDLE_UDP_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "core/clock.h"
#include "net/native_handler.h"
#include "net/rate_limit.h"
#include "net/udp_reassembly.h"

namespace qilian {
class MetricsRegistry;
}  // namespace qilian

namespace qilian::net {

struct HandleUdpServerOptions {
  std::string listen = "127.0.0.1";
  uint16_t port = 0;     // 0: an ephemeral port, see port()
  unsigned workers = 0;  // 0: one per core
  size_t batch = 32;     // datagrams per recvmmsg / sendmmsg
  // Largest datagram read; a longer one is dropped. Fragments hold at most
  // 512 octets, but a lone request may be longer.
  size_t max_datagram = 4096;
  uint32_t max_reply_factor = 10;
  SourceRateLimitOptions error_rate;
  ResponseRateLimitOptions rrl;  // off unless rrl.enabled
  // Bounds for all workers together: each worker gets an equal share of
  // max_peers; max_bytes_per_peer applies per address as given.
  ReassemblyOptions reassembly;
  const Clock* clock = nullptr;  // nullptr: Clock::Real()
};

class HandleUdpServer {
 public:
  // `handler` must be thread-safe and outlive the server. `metrics`
  // defaults to MetricsRegistry::Default().
  HandleUdpServer(HandleUdpServerOptions options, NativeHandler handler,
                  MetricsRegistry* metrics = nullptr);
  ~HandleUdpServer();  // calls Stop()
  HandleUdpServer(const HandleUdpServer&) = delete;
  HandleUdpServer& operator=(const HandleUdpServer&) = delete;

  // Opens and binds every worker's socket and starts the workers.
  // InvalidArgument if the address does not parse, Unavailable if it cannot
  // be bound.
  absl::Status Start();

  // The bound port; 0 before Start.
  uint16_t port() const;

  // Wakes and joins every worker; a batch in progress is finished first.
  // Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::net

#endif  // QILIAN_NET_HANDLE_UDP_SERVER_H_
