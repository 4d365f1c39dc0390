#include "ident/resolver/upstream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/sockaddr.h"
#include "core/status.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"
#include "ident/wire/codec.h"
#include "core/unique_fd.h"

namespace qilian::ident::resolver {
namespace {

using wire::ClientReply;
using wire::ClientRequest;
using wire::Envelope;

constexpr size_t kMaxDatagram = 65536;



bool SameSockaddr(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port &&
           std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof(x.sin6_addr)) == 0;
  }
  return false;
}

// Milliseconds left until `deadline`, at least 0, rounded up so that a
// sub-millisecond remainder still polls once.
int MillisLeft(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))));
}

std::string Errno(int err) { return std::string(std::strerror(err)); }

bool ReadFull(int fd, char* out, size_t n, absl::Time deadline) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::recv(fd, out + got, n - got, 0);
    if (r > 0) {
      got += static_cast<size_t>(r);
      continue;
    }
    if (r == 0) return false;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    int ms = MillisLeft(deadline);
    if (ms == 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) {
      if (MillisLeft(deadline) == 0) return false;
    }
  }
  return true;
}

bool WriteFull(int fd, std::string_view data, absl::Time deadline) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t r = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (r > 0) {
      sent += static_cast<size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    int ms = MillisLeft(deadline);
    if (ms == 0) return false;
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, ms);
  }
  return true;
}

std::span<const uint8_t> AsSpan(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

bool IsReferral(uint32_t code) {
  return code == static_cast<uint32_t>(ResponseCode::kServiceReferral) ||
         code == static_cast<uint32_t>(ResponseCode::kPrefixReferral);
}

}  // namespace

std::string_view UpstreamTransportName(UpstreamTransport transport) {
  return transport == UpstreamTransport::kUdp ? "udp" : "tcp";
}

std::string ServerEndpoint::ToString() const {
  return absl::StrCat(address, ":", udp_port, "/", tcp_port);
}

ServerEndpoint EndpointOf(const SiteServer& server) {
  ServerEndpoint endpoint;
  const auto& a = server.address;
  bool v4 = true;
  for (int i = 0; i < 10; ++i) v4 = v4 && a[i] == 0;
  // ::a.b.c.d (the deployed form) and ::ffff:a.b.c.d both mean IPv4. The
  // deployed form cannot tell ::1 from 0.0.0.1; since no host has an
  // address in 0.0.0.0/8, such an address is read as IPv6 (::1, ::).
  v4 = v4 && ((a[10] == 0 && a[11] == 0 && a[12] != 0) || (a[10] == 0xff && a[11] == 0xff));
  char text[INET6_ADDRSTRLEN] = {};
  if (v4) {
    inet_ntop(AF_INET, a.data() + 12, text, sizeof(text));
  } else {
    inet_ntop(AF_INET6, a.data(), text, sizeof(text));
  }
  endpoint.address = text;
  for (const SiteInterface& i : server.interfaces) {
    if ((i.service_type & 0x02) == 0 || i.port > 0xffff) continue;  // not for queries
    if (i.protocol == 0 && endpoint.udp_port == 0) endpoint.udp_port = static_cast<uint16_t>(i.port);
    if (i.protocol == 1 && endpoint.tcp_port == 0) endpoint.tcp_port = static_cast<uint16_t>(i.port);
  }
  return endpoint;
}

UpstreamMetrics::UpstreamMetrics(MetricsRegistry& r)
    : queries_udp(r.GetCounter("qilian_resolver_upstream_queries_total",
                               "Queries sent to upstream handle servers.",
                               {{"transport", "udp"}})),
      queries_tcp(r.GetCounter("qilian_resolver_upstream_queries_total",
                               "Queries sent to upstream handle servers.",
                               {{"transport", "tcp"}})),
      timeouts(r.GetCounter("qilian_resolver_upstream_timeouts_total",
                            "Upstream queries with no acceptable answer in time.")),
      unreachable(r.GetCounter("qilian_resolver_upstream_unreachable_total",
                               "Upstream queries that could not be sent or connected.")),
      truncated_retries(r.GetCounter("qilian_resolver_upstream_truncated_total",
                                     "Truncated UDP answers asked again over TCP.")),
      garbage(r.GetCounter("qilian_resolver_upstream_garbage_total",
                           "Upstream answers dropped because they did not decode.")),
      poison_source(r.GetCounter("qilian_resolver_poison_dropped_total",
                                 "Answers dropped as possible cache poisoning.",
                                 {{"reason", "source"}})),
      poison_request_id(r.GetCounter("qilian_resolver_poison_dropped_total",
                                     "Answers dropped as possible cache poisoning.",
                                     {{"reason", "request_id"}})),
      poison_handle(r.GetCounter("qilian_resolver_poison_dropped_total",
                                 "Answers dropped as possible cache poisoning.",
                                 {{"reason", "handle"}})),
      refused_in_flight(r.GetCounter("qilian_resolver_upstream_refused_total",
                                     "Upstream queries refused over the in-flight bound.")),
      in_flight(r.GetGauge("qilian_resolver_upstream_in_flight",
                           "Upstream queries waiting on the network.")) {}

uint32_t RandomRequestId() {
  uint32_t id = 0;
  while (id == 0 || id == 0xffffffffu) {
    if (getrandom(&id, sizeof(id), 0) != sizeof(id)) {
      // getrandom does not fail for 4 octets once the pool is initialised;
      // this only keeps the loop finite if it ever does.
      id = static_cast<uint32_t>(absl::ToUnixNanos(absl::Now())) | 1u;
    }
  }
  return id;
}

NetworkUpstream::NetworkUpstream(NetworkUpstreamOptions options, MetricsRegistry& metrics)
    : options_(options), metrics_(metrics) {}

absl::StatusOr<ClientReply> NetworkUpstream::Query(const ServerEndpoint& server,
                                                   UpstreamTransport transport,
                                                   const ClientRequest& request) {
  if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1);
    metrics_.refused_in_flight.Inc();
    return absl::ResourceExhaustedError("too many upstream queries in flight");
  }
  metrics_.in_flight.Add(1);
  ClientRequest req = request;
  req.request_id = RandomRequestId();
  absl::Time deadline = absl::Now() + options_.query_timeout;
  absl::StatusOr<ClientReply> reply = transport == UpstreamTransport::kUdp
                                          ? QueryUdp(server, req, deadline)
                                          : QueryTcp(server, req, deadline);
  metrics_.in_flight.Add(-1);
  in_flight_.fetch_sub(1);
  return reply;
}

bool NetworkUpstream::Accept(std::span<const uint8_t> message, const ClientRequest& request,
                             ClientReply* reply) {
  absl::StatusOr<ClientReply> decoded = DecodeUpstreamReply(message);
  if (!decoded.ok()) {
    metrics_.garbage.Inc();
    return false;
  }
  if (decoded->envelope.request_id != request.request_id) {
    metrics_.poison_request_id.Inc();
    return false;
  }
  // An answer for another handle would be cached under ours.
  if (request.op == OpCode::kResolution && decoded->code == ResponseCode::kSuccess &&
      !absl::EqualsIgnoreCase(decoded->handle, request.handle)) {
    metrics_.poison_handle.Inc();
    return false;
  }
  *reply = std::move(*decoded);
  return true;
}

absl::StatusOr<ClientReply> NetworkUpstream::QueryUdp(const ServerEndpoint& server,
                                                      const ClientRequest& request,
                                                      absl::Time deadline) {
  if (server.udp_port == 0) {
    metrics_.unreachable.Inc();
    return absl::UnavailableError(absl::StrCat(server.ToString(), " has no UDP interface"));
  }
  std::string message = wire::EncodeClientRequest(request);
  if (message.size() > wire::kMaxUdpPacket && server.tcp_port != 0) {
    return QueryTcp(server, request, deadline);
  }
  sockaddr_storage to{};
  socklen_t to_len = 0;
  if (!ParseSockaddr(server.address, server.udp_port, &to, &to_len)) {
    metrics_.unreachable.Inc();
    return absl::UnavailableError(absl::StrCat("not an IP address: ", server.address));
  }
  UniqueFd fd(::socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    metrics_.unreachable.Inc();
    return absl::UnavailableError(absl::StrCat("socket: ", Errno(errno)));
  }
  metrics_.queries_udp.Inc();
  if (::sendto(fd.get(), message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&to),
               to_len) < 0) {
    metrics_.unreachable.Inc();
    return absl::UnavailableError(
        absl::StrCat("cannot send to ", server.ToString(), ": ", Errno(errno)));
  }

  // Reassembly of one fragmented answer: deployed servers put the whole
  // MessageLength in every fragment and cut at 492 octets of message, so
  // fragment n sits at n * 492.
  Envelope first;
  size_t total = 0;
  size_t have = 0;
  std::map<uint32_t, std::string> fragments;
  std::string buffer(kMaxDatagram, '\0');
  for (;;) {
    int ms = MillisLeft(deadline);
    if (ms == 0) break;
    pollfd p{fd.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, ms);
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = ::recvfrom(fd.get(), buffer.data(), buffer.size(), 0,
                           reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) continue;
    if (!SameSockaddr(from, to)) {
      metrics_.poison_source.Inc();
      continue;
    }
    std::span<const uint8_t> datagram = AsSpan(std::string_view(buffer.data(), n));
    Envelope env;
    if (!wire::DecodeEnvelope(datagram, &env)) {
      metrics_.garbage.Inc();
      continue;
    }
    if (env.request_id != request.request_id) {
      metrics_.poison_request_id.Inc();
      continue;
    }
    std::span<const uint8_t> payload = datagram.subspan(wire::kEnvelopeSize);
    if (env.truncated() && env.message_length == 0) {
      // The server's "ask me over TCP".
      if (server.tcp_port == 0) {
        metrics_.unreachable.Inc();
        return absl::UnavailableError(
            absl::StrCat(server.ToString(), " truncated its answer and has no TCP interface"));
      }
      metrics_.truncated_retries.Inc();
      return QueryTcp(server, request, deadline);
    }
    if (!env.truncated() || (env.sequence_number == 0 && payload.size() == env.message_length &&
                             fragments.empty())) {
      ClientReply reply;
      if (Accept(datagram, request, &reply)) return reply;
      continue;
    }
    // A fragment.
    if (env.message_length == 0 || env.message_length > options_.max_message_bytes ||
        payload.empty() || payload.size() > wire::kMaxUdpFragmentPayload ||
        (total != 0 && env.message_length != total)) {
      metrics_.garbage.Inc();
      continue;
    }
    uint64_t offset = uint64_t{env.sequence_number} * wire::kMaxUdpFragmentPayload;
    if (offset + payload.size() > env.message_length) {
      metrics_.garbage.Inc();
      continue;
    }
    if (total == 0) {
      total = env.message_length;
      first = env;
    }
    if (fragments.count(env.sequence_number)) continue;  // a duplicate
    fragments.emplace(env.sequence_number,
                      std::string(reinterpret_cast<const char*>(payload.data()), payload.size()));
    have += payload.size();
    if (have < total) continue;
    // Fragments sit at fixed offsets and never overlap, so `have == total`
    // means every octet is there.
    std::string whole;
    ByteWriter out(&whole);
    Envelope head = first;
    head.flags &= ~wire::kFlagTruncated;
    head.sequence_number = 0;
    head.message_length = static_cast<uint32_t>(total);
    wire::EncodeEnvelope(head, &out);
    whole.resize(wire::kEnvelopeSize + total);
    for (const auto& [seq, part] : fragments) {
      std::memcpy(whole.data() + wire::kEnvelopeSize + seq * wire::kMaxUdpFragmentPayload,
                  part.data(), part.size());
    }
    ClientReply reply;
    if (Accept(AsSpan(whole), request, &reply)) return reply;
    fragments.clear();
    total = have = 0;
  }
  metrics_.timeouts.Inc();
  return absl::DeadlineExceededError(absl::StrCat("no answer from ", server.ToString(),
                                                  " over udp within ",
                                                  absl::FormatDuration(options_.query_timeout)));
}

absl::StatusOr<ClientReply> NetworkUpstream::QueryTcp(const ServerEndpoint& server,
                                                      const ClientRequest& request,
                                                      absl::Time deadline) {
  if (server.tcp_port == 0) {
    metrics_.unreachable.Inc();
    return absl::UnavailableError(absl::StrCat(server.ToString(), " has no TCP interface"));
  }
  sockaddr_storage to{};
  socklen_t to_len = 0;
  if (!ParseSockaddr(server.address, server.tcp_port, &to, &to_len)) {
    metrics_.unreachable.Inc();
    return absl::UnavailableError(absl::StrCat("not an IP address: ", server.address));
  }
  UniqueFd fd(::socket(to.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    metrics_.unreachable.Inc();
    return absl::UnavailableError(absl::StrCat("socket: ", Errno(errno)));
  }
  metrics_.queries_tcp.Inc();
  auto timed_out = [&]() {
    metrics_.timeouts.Inc();
    return absl::DeadlineExceededError(absl::StrCat("no answer from ", server.ToString(),
                                                    " over tcp within ",
                                                    absl::FormatDuration(options_.query_timeout)));
  };
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), to_len) < 0) {
    if (errno != EINPROGRESS) {
      metrics_.unreachable.Inc();
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", server.ToString(), ": ", Errno(errno)));
    }
    pollfd p{fd.get(), POLLOUT, 0};
    int ms = MillisLeft(deadline);
    if (ms == 0 || ::poll(&p, 1, ms) <= 0) return timed_out();
    int err = 0;
    socklen_t err_len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len);
    if (err != 0) {
      metrics_.unreachable.Inc();
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", server.ToString(), ": ", Errno(err)));
    }
  }
  if (!WriteFull(fd.get(), wire::EncodeClientRequest(request), deadline)) return timed_out();
  std::string message(wire::kEnvelopeSize, '\0');
  if (!ReadFull(fd.get(), message.data(), wire::kEnvelopeSize, deadline)) return timed_out();
  Envelope env;
  wire::DecodeEnvelope(AsSpan(message), &env);
  if (env.request_id != request.request_id) {
    metrics_.poison_request_id.Inc();
    return absl::UnavailableError(
        absl::StrCat(server.ToString(), " answered another request id over tcp"));
  }
  if (env.message_length > options_.max_message_bytes) {
    metrics_.garbage.Inc();
    return absl::UnavailableError(
        absl::StrCat(server.ToString(), " announced a ", env.message_length,
                     "-octet answer, over the limit"));
  }
  message.resize(wire::kEnvelopeSize + env.message_length);
  if (!ReadFull(fd.get(), message.data() + wire::kEnvelopeSize, env.message_length, deadline)) {
    return timed_out();
  }
  ClientReply reply;
  if (!Accept(AsSpan(message), request, &reply)) {
    return absl::UnavailableError(
        absl::StrCat(server.ToString(), " sent an unacceptable answer over tcp"));
  }
  return reply;
}

absl::StatusOr<ClientReply> DecodeUpstreamReply(std::span<const uint8_t> message) {
  QL_ASSIGN_OR_RETURN(wire::RawMessage raw, wire::DecodeMessage(message));
  if (!IsReferral(raw.header.response_code)) return wire::DecodeClientReply(message);
  ClientReply reply;
  reply.envelope = raw.envelope;
  reply.op = static_cast<OpCode>(raw.header.op_code);
  reply.code = static_cast<ResponseCode>(raw.header.response_code);
  reply.op_flags = raw.header.op_flags;
  ByteReader in(raw.body);
  if (reply.op_flags & op_flag::kReturnDigest) {
    size_t size = wire::DigestSize(static_cast<wire::DigestAlgorithm>(in.ReadU8()));
    if (!in.ok() || size == 0) return absl::InvalidArgumentError("malformed request digest");
    in.Skip(size);
  }
  std::string_view handle = in.ReadLengthPrefixed(kMaxHandleBytes);
  uint32_t count = in.ReadU32();
  // A value takes at least 4+4+1+4+1+4+4+4 octets: no count can ask for
  // more than what is there.
  if (!in.ok() || count > kMaxValuesPerHandle || count > in.remaining() / 26) {
    // RFC-era servers send only an error message with a referral code.
    return wire::DecodeClientReply(message);
  }
  reply.handle.assign(handle.data(), handle.size());
  reply.values.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    HandleValue value;
    if (!DecodeValue(&in, &value)) return absl::InvalidArgumentError("malformed referral value");
    reply.values.push_back(std::move(value));
  }
  if (!in.at_end()) return absl::InvalidArgumentError("trailing octets after referral values");
  return reply;
}

std::string EncodeReferralBody(std::string_view handle, const std::vector<HandleValue>& values) {
  std::string body;
  ByteWriter out(&body);
  out.WriteLengthPrefixed(handle);
  out.WriteU32(static_cast<uint32_t>(values.size()));
  for (const HandleValue& v : values) EncodeValue(v, &out);
  return body;
}

std::string EncodeUpstreamReply(const ClientReply& reply, uint32_t request_id) {
  Envelope envelope = reply.envelope;
  envelope.request_id = request_id;
  envelope.flags = wire::kOwnVersionFlag;
  wire::MessageHeader header;
  header.op_code = static_cast<uint32_t>(reply.op);
  header.response_code = static_cast<uint32_t>(reply.code);
  header.op_flags = reply.op_flags & ~op_flag::kReturnDigest;
  std::string body;
  if (IsReferral(header.response_code)) {
    body = EncodeReferralBody(reply.handle, reply.values);
  } else {
    wire::ResponseBody b;
    b.handle = reply.handle;
    b.values = reply.values;
    b.site = reply.site;
    b.handles = reply.handles;
    b.message = reply.error_message;
    body = wire::EncodeResponseBody(reply.op, reply.code, header.op_flags, b);
  }
  return wire::EncodeMessage(envelope, header, body);
}

}  // namespace qilian::ident::resolver
