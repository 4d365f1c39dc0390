// The recursive resolver's way out: one question to one handle server,
// answered with one decoded reply. `Upstream` is the seam the resolver is
// written against; `NetworkUpstream` speaks the native protocol over UDP
// (with TCP when the answer is truncated) and TCP, and `FakeUpstream`
// (fake_upstream.h) scripts answers for tests.
//
// NetworkUpstream treats every datagram as hostile until proven otherwise:
// an answer is accepted only from the address and port that was asked,
// with the random RequestId of this query, and (for a successful
// resolution) naming the handle that was asked. Anything else is dropped,
// counted as a poisoning attempt, and the query keeps waiting for the real
// answer until its deadline.
#ifndef QILIAN_IDENT_RESOLVER_UPSTREAM_H_
#define QILIAN_IDENT_RESOLVER_UPSTREAM_H_

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/metrics.h"
#include "ident/handle_value.h"
#include "ident/wire/client.h"

namespace qilian::ident::resolver {

enum class UpstreamTransport : uint8_t { kUdp, kTcp };

std::string_view UpstreamTransportName(UpstreamTransport transport);

// One handle server: an IP literal and the ports of its interfaces. A port
// of 0 means the server has no such interface.
struct ServerEndpoint {
  std::string address;  // "127.0.0.1", "::1"
  uint16_t udp_port = 0;
  uint16_t tcp_port = 0;

  // "address:udp/tcp", for messages, metrics-free logs and cache keys.
  std::string ToString() const;
  bool operator==(const ServerEndpoint&) const = default;
};

// The query endpoint of an HS_SITE server: its address as text (IPv4 for
// the ::a.b.c.d form) and the ports of its query-capable UDP and TCP
// interfaces.
ServerEndpoint EndpointOf(const SiteServer& server);

class Upstream {
 public:
  virtual ~Upstream() = default;

  // Asks `server` over `transport`. The request's request_id is the
  // implementation's to choose. Errors: DeadlineExceeded when no acceptable
  // answer came in time (silence, garbage, poisoning attempts),
  // Unavailable when the server cannot be reached (connection refused, no
  // interface for the transport), ResourceExhausted (with
  // ResponseCode::kServerBusy) when too many queries are in flight.
  // A reply with an error response code is a successful Query.
  virtual absl::StatusOr<wire::ClientReply> Query(const ServerEndpoint& server,
                                                  UpstreamTransport transport,
                                                  const wire::ClientRequest& request) = 0;
};

// Counters shared by the network upstream and the resolver, registered in
// the given registry (tests pass their own).
struct UpstreamMetrics {
  explicit UpstreamMetrics(MetricsRegistry& registry);

  Counter& queries_udp;
  Counter& queries_tcp;
  Counter& timeouts;
  Counter& unreachable;
  Counter& truncated_retries;  // TC answers asked again over TCP
  Counter& garbage;            // datagrams or messages that did not decode
  Counter& poison_source;      // from another address or port
  Counter& poison_request_id;  // another RequestId
  Counter& poison_handle;      // a resolution answer for another handle
  Counter& refused_in_flight;  // over the in-flight bound
  Gauge& in_flight;
};

struct NetworkUpstreamOptions {
  absl::Duration query_timeout = absl::Seconds(2);
  // Queries waiting on the network at once; more are refused at once.
  size_t max_in_flight = 256;
  // The largest reassembled UDP or TCP answer accepted.
  size_t max_message_bytes = wire::kMaxMessageBytes;
};

class NetworkUpstream final : public Upstream {
 public:
  NetworkUpstream(NetworkUpstreamOptions options, MetricsRegistry& metrics);

  absl::StatusOr<wire::ClientReply> Query(const ServerEndpoint& server,
                                          UpstreamTransport transport,
                                          const wire::ClientRequest& request) override;

  const UpstreamMetrics& metrics() const { return metrics_; }

 private:
  absl::StatusOr<wire::ClientReply> QueryUdp(const ServerEndpoint& server,
                                             const wire::ClientRequest& request,
                                             absl::Time deadline);
  absl::StatusOr<wire::ClientReply> QueryTcp(const ServerEndpoint& server,
                                             const wire::ClientRequest& request,
                                             absl::Time deadline);
  // Decodes a whole answer and applies the checks that need the decoded
  // reply (the handle). False: drop it (already counted).
  bool Accept(std::span<const uint8_t> message, const wire::ClientRequest& request,
              wire::ClientReply* reply);

  NetworkUpstreamOptions options_;
  UpstreamMetrics metrics_;
  std::atomic<size_t> in_flight_{0};
};

// A RequestId for one query: random (so that an off-path sender cannot
// guess it), never 0 and never 0xFFFFFFFF (what deployed servers answer
// unknown opcodes with).
uint32_t RandomRequestId();

// Referral answers (302 service referral, 303 prefix referral) carry, as
// Handle.Net sends them, the resolution-response layout that may be empty:
// (request digest when RD is set,) the referral handle, then the values
// (HS_SITE, HS_SITE.PREFIX, HS_SERV, ...) that say where to go. The
// codec's DecodeClientReply reads every non-success body as an error
// message; DecodeUpstreamReply reads referrals this way first and falls
// back to DecodeClientReply for everything else.
absl::StatusOr<wire::ClientReply> DecodeUpstreamReply(std::span<const uint8_t> message);

// The referral body above, for servers and tests: handle, then values.
std::string EncodeReferralBody(std::string_view handle, const std::vector<HandleValue>& values);

// A whole reply message (envelope, header, body, empty credential) for
// tests and fake servers: success resolutions, referrals and errors.
std::string EncodeUpstreamReply(const wire::ClientReply& reply, uint32_t request_id);

}  // namespace qilian::ident::resolver

#endif  // QILIAN_IDENT_RESOLVER_UPSTREAM_H_
