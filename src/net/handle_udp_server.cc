#include "net/handle_udp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "core/metrics.h"
#include "ident/response_code.h"
#include "ident/wire/envelope.h"

namespace qilian::net {

namespace wire = ident::wire;

namespace {

// How often a worker looks for reassembly timeouts when no packet comes.
constexpr int kPollIntervalMs = 100;

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

absl::StatusOr<Address> ParseListen(const std::string& listen, uint16_t port) {
  Address a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
  if (inet_pton(AF_INET, listen.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.length = sizeof(sockaddr_in);
    return a;
  }
  if (inet_pton(AF_INET6, listen.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.length = sizeof(sockaddr_in6);
    return a;
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid listen address '", listen, "'"));
}

// The raw address octets, port, text and loopback-ness of a sender.
struct Source {
  std::string_view raw;  // 4 or 16 octets, aliasing the sockaddr
  uint16_t port = 0;
};

Source SourceOf(const sockaddr_storage& s) {
  if (s.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&s);
    return {std::string_view(reinterpret_cast<const char*>(&v4->sin_addr), 4),
            ntohs(v4->sin_port)};
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&s);
  return {std::string_view(reinterpret_cast<const char*>(&v6->sin6_addr), 16),
          ntohs(v6->sin6_port)};
}

ident::Peer PeerOf(const sockaddr_storage& s) {
  ident::Peer peer;
  peer.transport = ident::Transport::kUdp;
  char text[INET6_ADDRSTRLEN] = {};
  if (s.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&s);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof(text));
    peer.is_loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  } else {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&s);
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof(text));
    const uint8_t* b = v6->sin6_addr.s6_addr;
    static constexpr uint8_t kLoop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    peer.is_loopback = std::memcmp(b, kLoop, 16) == 0 ||
                       (std::memcmp(b, kMapped, 12) == 0 && b[12] == 127);
  }
  peer.address = text;
  return peer;
}

NetworkBucketOptions BudgetBuckets(const AmplificationBudgetOptions& o) {
  NetworkBucketOptions b;
  b.rate_per_second = o.bytes_per_second;
  b.burst = o.burst_bytes;
  b.table_size = o.table_size;
  b.ipv4_prefix_bits = o.ipv4_prefix_bits;
  b.ipv6_prefix_bits = o.ipv6_prefix_bits;
  return b;
}

// The kind of an answer, for response-rate limiting: from the
// ResponseCode of the message header that follows the envelope.
ResponseKind KindOf(const ident::NativeReply& reply) {
  if (!reply.is_error) return ResponseKind::kAnswer;
  const std::string& m = reply.message;
  constexpr size_t kCodeAt = wire::kEnvelopeSize + 4;
  if (m.size() >= kCodeAt + 4) {
    uint32_t code = 0;
    for (size_t i = 0; i < 4; ++i) code = code << 8 | static_cast<uint8_t>(m[kCodeAt + i]);
    if (code == static_cast<uint32_t>(ident::ResponseCode::kHandleNotFound) ||
        code == static_cast<uint32_t>(ident::ResponseCode::kValuesNotFound)) {
      return ResponseKind::kNotFound;
    }
  }
  return ResponseKind::kError;
}

}  // namespace

class HandleUdpServer::Impl {
 public:
  Impl(HandleUdpServerOptions options, NativeHandler handler, MetricsRegistry* metrics)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        clock_(options_.clock != nullptr ? options_.clock : &Clock::Real()),
        limiter_(options_.error_rate, clock_),
        rrl_(options_.rrl, clock_) {
    if (options_.budget.mode == LargeAnswerMode::kBudget) {
      budget_ = std::make_unique<NetworkBuckets>(BudgetBuckets(options_.budget), clock_);
    }
    MetricsRegistry* m = metrics != nullptr ? metrics : &MetricsRegistry::Default();
    packets_in_ = &m->GetCounter("qilian_handle_udp_packets_total",
                                 "Handle protocol UDP datagrams, by direction.", {{"direction", "in"}});
    packets_out_ = &m->GetCounter("qilian_handle_udp_packets_total",
                                  "Handle protocol UDP datagrams, by direction.",
                                  {{"direction", "out"}});
    bytes_in_ = &m->GetCounter("qilian_handle_udp_bytes_total",
                               "Handle protocol UDP octets, by direction.", {{"direction", "in"}});
    bytes_out_ = &m->GetCounter("qilian_handle_udp_bytes_total",
                                "Handle protocol UDP octets, by direction.", {{"direction", "out"}});
    messages_ = &m->GetCounter("qilian_handle_udp_messages_total",
                               "Whole Handle messages received over UDP and handed to the "
                               "front end.");
    auto dropped = [m](const char* reason) {
      return &m->GetCounter("qilian_handle_udp_dropped_total",
                            "Handle UDP datagrams or answers dropped, by reason.",
                            {{"reason", reason}});
    };
    dropped_short_ = dropped("short");
    dropped_oversize_ = dropped("oversize");
    dropped_no_reply_ = dropped("no_reply");
    dropped_send_failed_ = dropped("send_failed");
    rate_limited_ = &m->GetCounter("qilian_handle_udp_rate_limited_total",
                                   "UDP error replies not sent because the source network's "
                                   "rate limit was reached.");
    rrl_dropped_ = &m->GetCounter("qilian_udp_rrl_dropped_total",
                                  "UDP answers not sent because response-rate limiting found "
                                  "their source network over the limit for their kind.");
    rrl_slipped_ = &m->GetCounter("qilian_udp_rrl_slipped_total",
                                  "UDP answers over the response-rate limit sent as a TC-only "
                                  "envelope (every slip-th), so that a real client retries over "
                                  "TCP.");
    auto truncated = [m](const char* reason) {
      return &m->GetCounter("qilian_handle_udp_truncated_total",
                            "UDP answers replaced by the TC envelope for their size: over "
                            "max_reply_factor times the request in truncate mode (factor), "
                            "refused by the amplification budget (budget), or over "
                            "max_answer_bytes (too_large).",
                            {{"reason", reason}});
    };
    truncated_factor_ = truncated("factor");
    truncated_budget_ = truncated("budget");
    truncated_too_large_ = truncated("too_large");
    auto budget = [m](const char* outcome) {
      return &m->GetCounter("qilian_handle_udp_budget_answers_total",
                            "UDP answers larger than max_reply_factor times the request, by "
                            "whether the source network's amplification budget paid for them.",
                            {{"outcome", outcome}});
    };
    budget_sent_ = budget("sent");
    budget_refused_ = budget("refused");
    budget_bytes_ = &m->GetCounter("qilian_handle_udp_budget_bytes_total",
                                   "Octets sent beyond max_reply_factor times the request, "
                                   "taken from the source networks' amplification budgets.");
    fragmented_ = &m->GetCounter("qilian_handle_udp_fragmented_total",
                                 "UDP replies sent in more than one datagram.");
    for (FragmentOutcome o : {FragmentOutcome::kComplete, FragmentOutcome::kPending,
                              FragmentOutcome::kDuplicate, FragmentOutcome::kMalformed,
                              FragmentOutcome::kTooLarge, FragmentOutcome::kPeerLimit,
                              FragmentOutcome::kPeersFull}) {
      reassembly_[static_cast<size_t>(o)] = &m->GetCounter(
          "qilian_handle_udp_reassembly_total",
          "UDP fragments by what reassembly made of them; timeout counts messages dropped "
          "incomplete.",
          {{"outcome", FragmentOutcomeName(o)}});
    }
    reassembly_timeout_ = &m->GetCounter(
        "qilian_handle_udp_reassembly_total",
        "UDP fragments by what reassembly made of them; timeout counts messages dropped "
        "incomplete.",
        {{"outcome", "timeout"}});
    reassembly_bytes_ = &m->GetGauge("qilian_handle_udp_reassembly_bytes",
                                     "Message octets held by UDP reassembly, all workers.");
  }

  ~Impl() { Stop(); }

  absl::Status Start();
  void Stop();
  uint16_t port() const { return port_; }

 private:
  struct Worker {
    int fd = -1;
    std::unique_ptr<UdpReassembler> reassembler;
    size_t reported_bytes = 0;  // reassembly bytes last added to the gauge
    std::thread thread;
  };
  struct Outgoing {
    std::string bytes;
    size_t source;  // index into the batch's addresses
  };

  void Run(Worker* w);
  void HandleDatagram(Worker* w, const sockaddr_storage& from, std::span<const uint8_t> data,
                      size_t source, std::vector<Outgoing>* out);
  void Send(Worker* w, std::vector<Outgoing>* out, const std::vector<sockaddr_storage>& addrs,
            const std::vector<socklen_t>& addr_lens);

  const HandleUdpServerOptions options_;
  const NativeHandler handler_;
  const Clock* const clock_;
  SourceRateLimiter limiter_;
  ResponseRateLimiter rrl_;
  std::unique_ptr<NetworkBuckets> budget_;  // budget mode only
  std::vector<std::unique_ptr<Worker>> workers_;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<uint16_t> port_{0};
  bool started_ = false;
  bool stopped_ = false;

  Counter* packets_in_;
  Counter* packets_out_;
  Counter* bytes_in_;
  Counter* bytes_out_;
  Counter* messages_;
  Counter* dropped_short_;
  Counter* dropped_oversize_;
  Counter* dropped_no_reply_;
  Counter* dropped_send_failed_;
  Counter* rate_limited_;
  Counter* rrl_dropped_;
  Counter* rrl_slipped_;
  Counter* truncated_factor_;
  Counter* truncated_budget_;
  Counter* truncated_too_large_;
  Counter* budget_sent_;
  Counter* budget_refused_;
  Counter* budget_bytes_;
  Counter* fragmented_;
  Counter* reassembly_[7] = {};
  Counter* reassembly_timeout_;
  Gauge* reassembly_bytes_;
};

absl::Status HandleUdpServer::Impl::Start() {
  absl::StatusOr<Address> parsed = ParseListen(options_.listen, options_.port);
  if (!parsed.ok()) return parsed.status();
  Address address = *parsed;
  unsigned n = options_.workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  ReassemblyOptions reassembly = options_.reassembly;
  reassembly.max_peers = std::max<size_t>(1, reassembly.max_peers / n);

  auto fail = [&](const char* what) {
    absl::Status s = absl::UnavailableError(absl::StrCat(
        "cannot ", what, " UDP ", options_.listen, ":", port_ != 0 ? port_.load() : options_.port,
        ": ", std::strerror(errno)));
    for (auto& w : workers_) close(w->fd);
    workers_.clear();
    return s;
  };
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->fd = socket(address.storage.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (w->fd < 0) return fail("open socket for");
    workers_.push_back(std::move(w));
    int fd = workers_.back()->fd;
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      return fail("set SO_REUSEPORT on");
    }
    int rcvbuf = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));  // best effort
    if (bind(fd, reinterpret_cast<sockaddr*>(&address.storage), address.length) != 0) {
      return fail("bind");
    }
    if (i == 0) {
      // With port 0 the first socket picks the port; the others join it.
      sockaddr_storage bound{};
      socklen_t len = sizeof(bound);
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
      uint16_t p = bound.ss_family == AF_INET
                       ? ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port)
                       : ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
      port_ = p;
      if (address.storage.ss_family == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&address.storage)->sin_port = htons(p);
      } else {
        reinterpret_cast<sockaddr_in6*>(&address.storage)->sin6_port = htons(p);
      }
    }
    workers_.back()->reassembler = std::make_unique<UdpReassembler>(reassembly, clock_);
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return fail("create wake-up descriptor for");
  for (auto& w : workers_) {
    Worker* wp = w.get();
    w->thread = std::thread([this, wp] { Run(wp); });
  }
  started_ = true;
  LogInfo("handle.udp.listen", {{"address", options_.listen},
                                {"port", static_cast<int>(port_)},
                                {"workers", static_cast<int>(n)}});
  return absl::OkStatus();
}

void HandleUdpServer::Impl::Stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_ = true;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  for (auto& w : workers_) {
    w->thread.join();
    close(w->fd);
    reassembly_bytes_->Add(-static_cast<int64_t>(w->reported_bytes));
  }
  workers_.clear();
  close(wake_fd_);
}

void HandleUdpServer::Impl::Run(Worker* w) {
  const size_t batch = std::max<size_t>(1, options_.batch);
  const size_t buffer_size = std::max(options_.max_datagram, wire::kMaxUdpPacket);
  std::vector<char> buffers(batch * buffer_size);
  std::vector<iovec> iovs(batch);
  std::vector<mmsghdr> msgs(batch);
  std::vector<sockaddr_storage> addrs(batch);
  std::vector<socklen_t> addr_lens(batch);
  std::vector<Outgoing> out;
  absl::Time last_sweep = clock_->Now();

  while (!stopping_) {
    pollfd fds[2] = {{w->fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int ready = poll(fds, 2, kPollIntervalMs);
    if (stopping_) break;
    if (w->reassembler->peers() > 0 &&
        clock_->Now() - last_sweep >= absl::Milliseconds(kPollIntervalMs)) {
      last_sweep = clock_->Now();
      reassembly_timeout_->Inc(w->reassembler->Expire());
    }
    if (ready <= 0 || !(fds[0].revents & POLLIN)) continue;

    for (;;) {
      for (size_t i = 0; i < batch; ++i) {
        iovs[i] = {buffers.data() + i * buffer_size, buffer_size};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_name = &addrs[i];
        msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      }
      int n = recvmmsg(w->fd, msgs.data(), static_cast<unsigned>(batch), MSG_DONTWAIT, nullptr);
      if (n <= 0) break;  // EAGAIN: drained
      out.clear();
      for (int i = 0; i < n; ++i) {
        size_t len = msgs[i].msg_len;
        packets_in_->Inc();
        bytes_in_->Inc(len);
        addr_lens[i] = msgs[i].msg_hdr.msg_namelen;
        if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
          dropped_oversize_->Inc();
          continue;
        }
        HandleDatagram(w, addrs[i],
                       std::span<const uint8_t>(
                           reinterpret_cast<const uint8_t*>(buffers.data() + i * buffer_size), len),
                       static_cast<size_t>(i), &out);
      }
      // Metrics first, so that whoever sees an answer also sees them.
      size_t held = w->reassembler->buffered_bytes();
      if (held != w->reported_bytes) {
        reassembly_bytes_->Add(static_cast<int64_t>(held) - static_cast<int64_t>(w->reported_bytes));
        w->reported_bytes = held;
      }
      Send(w, &out, addrs, addr_lens);
      if (static_cast<size_t>(n) < batch || stopping_) break;
    }
  }
}

void HandleUdpServer::Impl::HandleDatagram(Worker* w, const sockaddr_storage& from,
                                           std::span<const uint8_t> data, size_t source,
                                           std::vector<Outgoing>* out) {
  wire::Envelope env;
  if (!wire::DecodeEnvelope(data, &env)) {
    dropped_short_->Inc();
    return;
  }
  std::string assembled;
  std::span<const uint8_t> message = data;
  if (env.truncated()) {
    Source src = SourceOf(from);
    FragmentOutcome outcome = w->reassembler->Add(src.raw, src.port, data, &assembled);
    reassembly_[static_cast<size_t>(outcome)]->Inc();
    if (outcome != FragmentOutcome::kComplete) return;
    message = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(assembled.data()),
                                       assembled.size());
  }
  messages_->Inc();

  ident::Peer peer = PeerOf(from);
  std::optional<ident::NativeReply> reply;
  // The boundary where a handler's exception becomes silence instead of
  // killing the worker.
  try {
    reply = handler_.handle(message, peer);
  } catch (const std::exception& e) {
    LogError("handle.udp.handler_exception", {{"what", e.what()}, {"peer", peer.address}});
  } catch (...) {
    LogError("handle.udp.handler_exception", {{"peer", peer.address}});
  }
  if (!reply) {
    dropped_no_reply_->Inc();
    return;
  }
  Source src = SourceOf(from);
  std::span<const uint8_t> address(reinterpret_cast<const uint8_t*>(src.raw.data()),
                                   src.raw.size());
  if (reply->is_error && !limiter_.Allow(address)) {
    rate_limited_->Inc();
    return;
  }
  switch (rrl_.Check(address, KindOf(*reply))) {
    case RrlAction::kSend:
      break;
    case RrlAction::kDrop:
      rrl_dropped_->Inc();
      return;
    case RrlAction::kSlip:
      // The same 20-octet TC envelope as the amplification bound sends: it
      // cannot amplify, and it tells a real client to ask over TCP.
      rrl_slipped_->Inc();
      out->push_back({TruncatedReply(reply->message), source});
      return;
  }
  std::vector<std::string> packets = FragmentReply(reply->message);
  size_t wire_bytes = 0;
  for (const auto& p : packets) wire_bytes += p.size();
  Counter* truncated = nullptr;
  const size_t free_bytes = static_cast<size_t>(options_.max_reply_factor) * message.size();
  if (wire_bytes > options_.max_answer_bytes) {
    truncated = truncated_too_large_;
  } else if (wire_bytes > free_bytes) {
    if (budget_ == nullptr) {
      truncated = truncated_factor_;
    } else if (budget_->TryTake(address, 0, static_cast<double>(wire_bytes - free_bytes))
                   .taken) {
      budget_sent_->Inc();
      budget_bytes_->Inc(wire_bytes - free_bytes);
    } else {
      budget_refused_->Inc();
      truncated = truncated_budget_;
    }
  }
  if (truncated != nullptr) {
    truncated->Inc();
    out->push_back({TruncatedReply(reply->message), source});
    return;
  }
  if (packets.size() > 1) fragmented_->Inc();
  for (auto& p : packets) out->push_back({std::move(p), source});
}

void HandleUdpServer::Impl::Send(Worker* w, std::vector<Outgoing>* out,
                                 const std::vector<sockaddr_storage>& addrs,
                                 const std::vector<socklen_t>& addr_lens) {
  const size_t batch = std::max<size_t>(1, options_.batch);
  std::vector<iovec> iovs(std::min(batch, out->size()));
  std::vector<mmsghdr> msgs(iovs.size());
  // Counted as handed to the kernel, before it is sent (so that a test
  // that sees the answer sees the count); refusals count as send_failed.
  for (const Outgoing& o : *out) {
    packets_out_->Inc();
    bytes_out_->Inc(o.bytes.size());
  }
  bool retried = false;
  for (size_t start = 0; start < out->size();) {
    size_t k = std::min(batch, out->size() - start);
    for (size_t i = 0; i < k; ++i) {
      Outgoing& o = (*out)[start + i];
      iovs[i] = {o.bytes.data(), o.bytes.size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_name = const_cast<sockaddr_storage*>(&addrs[o.source]);
      msgs[i].msg_hdr.msg_namelen = addr_lens[o.source];
    }
    int sent = sendmmsg(w->fd, msgs.data(), static_cast<unsigned>(k), 0);
    if (sent < 0) {
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && !retried) {
        // Send buffer full: wait briefly once rather than drop at once.
        retried = true;
        pollfd pfd = {w->fd, POLLOUT, 0};
        if (poll(&pfd, 1, 10) > 0) continue;
      }
      // Skip the datagram that failed (e.g. an unreachable destination).
      dropped_send_failed_->Inc();
      start += 1;
      continue;
    }
    start += static_cast<size_t>(sent);
  }
}

HandleUdpServer::HandleUdpServer(HandleUdpServerOptions options, NativeHandler handler,
                                 MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), metrics)) {}

HandleUdpServer::~HandleUdpServer() { Stop(); }

absl::Status HandleUdpServer::Start() { return impl_->Start(); }

uint16_t HandleUdpServer::port() const { return impl_->port(); }

void HandleUdpServer::Stop() { impl_->Stop(); }

}  // namespace qilian::net
