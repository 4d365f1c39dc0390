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
// that a real client retries over TCP. Then the answer's size on the wire
// (every fragment and its envelope counted) decides how it goes out:
//   - over max_answer_bytes: replaced by the "TC envelope", the reply's
//     envelope alone with TC set and MessageLength 0, which tells a client
//     that follows TC to ask again over TCP;
//   - within max_reply_factor times the request's size: sent in full;
//   - larger (budget mode, the default): the octets beyond that bound are
//     taken from the source network's amplification budget, a token bucket
//     of octets (NetworkBuckets). With enough budget the answer is sent in
//     full, otherwise the TC envelope goes instead;
//   - larger, truncate mode: the TC envelope (no amplification beyond the
//     factor at all).
// An answer over 512 octets is sent as deployed servers send it, in
// fragments (FragmentReply), so that a client that ignores TC and sizes its
// reassembly from MessageLength (Handle.Net's hdllib) gets it over UDP.
//
// Metrics (qilian_handle_udp_*): packets_total and bytes_total by
// direction, messages_total, dropped_total by reason, rate_limited_total,
// truncated_total by reason (factor, budget, too_large),
// budget_answers_total by outcome (sent, refused), budget_bytes_total,
// fragmented_total, reassembly_total by outcome, reassembly_bytes; and
// qilian_udp_rrl_dropped_total and qilian_udp_rrl_slipped_total for
// response-rate limiting.
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

// The largest answer sent over UDP by default, on the wire: 32 datagrams of
// 512 octets (15,744 octets of message). docs/handle_wire.md says why.
inline constexpr size_t kDefaultUdpMaxAnswerBytes = 16384;

// What happens to an answer larger than max_reply_factor times its request.
enum class LargeAnswerMode {
  kBudget,    // sent in full while the source network's budget lasts
  kTruncate,  // always the TC envelope
};

// The per-source-network budget of octets beyond the amplification bound.
struct AmplificationBudgetOptions {
  LargeAnswerMode mode = LargeAnswerMode::kBudget;
  uint32_t bytes_per_second = 131072;  // refill; 0: a network's burst is all it ever gets
  uint32_t burst_bytes = 524288;       // bucket size; a network seen anew starts full
  size_t table_size = 65536;           // networks tracked at most (NetworkBuckets)
  int ipv4_prefix_bits = 24;
  int ipv6_prefix_bits = 56;
};

struct HandleUdpServerOptions {
  std::string listen = "127.0.0.1";
  uint16_t port = 0;     // 0: an ephemeral port, see port()
  unsigned workers = 0;  // 0: one per core
  size_t batch = 32;     // datagrams per recvmmsg / sendmmsg
  // Largest datagram read; a longer one is dropped. Fragments hold at most
  // 512 octets, but a lone request may be longer.
  size_t max_datagram = 4096;
  // Answers within this many times the request's size are always sent in
  // full; beyond it, see `budget`.
  uint32_t max_reply_factor = 10;
  // Larger answers are never sent over UDP (the TC envelope instead).
  size_t max_answer_bytes = kDefaultUdpMaxAnswerBytes;
  AmplificationBudgetOptions budget;
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
