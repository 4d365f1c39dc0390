#include "perf/load_generator.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <thread>

#include "absl/status/status.h"
#include "ident/wire/client.h"
#include "ident/wire/envelope.h"

namespace qilian::perf {
namespace {

namespace wire = ident::wire;

constexpr size_t kBatch = 64;
constexpr size_t kRequestIdOffset = 8;        // in the envelope
constexpr size_t kResponseCodeOffset = 4;     // in the message header
constexpr size_t kMaxRequestBytes = wire::kMaxUdpPacket;

uint64_t NowNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

uint32_t ReadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void WriteBe32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}

// The in-flight table of one client: a slot per outstanding request,
// request id = generation << slot_bits | slot, so a reply finds its slot
// in O(1) and a late reply to a reused slot is recognised by its id.
class InFlight {
 public:
  InFlight(uint32_t limit, uint64_t timeout_ns) : limit_(limit), timeout_ns_(timeout_ns) {
    while ((uint32_t{1} << bits_) < limit) ++bits_;
    slots_.resize(size_t{1} << bits_);
    for (uint32_t i = 0; i < limit; ++i) free_.push_back(limit - 1 - i);
  }

  uint32_t in_flight() const { return limit_ - static_cast<uint32_t>(free_.size()); }
  bool full() const { return free_.empty(); }

  // Takes a slot and returns the request id to send.
  uint32_t Acquire() {
    uint32_t slot = free_.back();
    free_.pop_back();
    ++generation_;
    uint32_t id = (generation_ << bits_) | slot;
    if (id == 0) id = (++generation_ << bits_) | slot;
    Slot& s = slots_[slot];
    s = Slot{};
    s.id = id;
    s.busy = true;
    return id;
  }
  // A send that did not happen.
  void Cancel(uint32_t id) { Release(&slots_[id & Mask()]); }
  void Sent(uint32_t id, uint64_t now) {
    slots_[id & Mask()].sent_ns = now;
    fifo_.push_back(id);
  }

  struct Slot {
    uint32_t id = 0;
    bool busy = false;
    uint64_t sent_ns = 0;
    uint32_t code = 0;
    bool have_code = false;
    uint64_t bytes = 0;  // of a fragmented reply so far
  };

  // The slot waiting for `id`, or nullptr (late or unknown).
  Slot* Find(uint32_t id) {
    Slot& s = slots_[id & Mask()];
    return s.busy && s.id == id ? &s : nullptr;
  }

  void Complete(Slot* slot, uint64_t now, LoadStats* stats) {
    stats->latency.Record(now - slot->sent_ns);
    ++stats->answered;
    if (slot->code < kCodeSlots) {
      ++stats->codes[slot->code];
    } else {
      ++stats->codes_other;
    }
    Release(slot);
  }

  // Counts requests older than the timeout as lost; returns the time the
  // next one will expire (UINT64_MAX when none is outstanding).
  uint64_t Expire(uint64_t now, LoadStats* stats, bool all = false) {
    while (!fifo_.empty()) {
      Slot* s = Find(fifo_.front());
      if (s == nullptr) {
        fifo_.pop_front();
        continue;
      }
      if (!all && now - s->sent_ns < timeout_ns_) return s->sent_ns + timeout_ns_;
      ++stats->lost;
      Release(s);
      fifo_.pop_front();
    }
    return UINT64_MAX;
  }

  // Everything outstanding is lost (a TCP connection went away).
  void LoseAll(LoadStats* stats) { Expire(0, stats, /*all=*/true); }

 private:
  uint32_t Mask() const { return (uint32_t{1} << bits_) - 1; }
  void Release(Slot* s) {
    s->busy = false;
    free_.push_back(static_cast<uint32_t>(s - slots_.data()));
  }

  uint32_t limit_;
  uint64_t timeout_ns_;
  uint32_t bits_ = 0;
  uint32_t generation_ = 0;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
  std::deque<uint32_t> fifo_;  // ids in send order
};

// What one client thread needs besides its socket.
struct Client {
  const LoadOptions* options;
  uint32_t in_flight_limit;
  double qps;  // this client's share, 0 for unlimited
  uint64_t rng;
  LoadStats stats;
  std::string error;

  size_t NextRequest() {
    // xorshift64: cheap, and the same sequence for the same seed.
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return static_cast<size_t>(rng % options->requests.size());
  }
  bool Stopped() const {
    return options->stop != nullptr && options->stop->load(std::memory_order_relaxed);
  }
  // How many sends the rate allows at `now` (UINT64_MAX when unlimited).
  uint64_t RateAllows(uint64_t start, uint64_t now) const {
    if (qps <= 0) return UINT64_MAX;
    uint64_t due = static_cast<uint64_t>(double(now - start) * 1e-9 * qps) + 1;
    return due > stats.sent ? due - stats.sent : 0;
  }
  uint64_t NextSendTime(uint64_t start) const {
    if (qps <= 0) return 0;
    return start + static_cast<uint64_t>(double(stats.sent) / qps * 1e9);
  }
  // The reply's response code, and with --decode whether it decodes.
  void Classify(const uint8_t* message, size_t size, InFlight::Slot* slot) {
    if (options->decode) {
      auto reply = wire::DecodeClientReply(std::span<const uint8_t>(message, size));
      if (!reply.ok()) {
        ++stats.malformed;
        slot->code = 0;
        slot->have_code = true;
        return;
      }
      slot->code = static_cast<uint32_t>(reply->code);
      slot->have_code = true;
      return;
    }
    if (size >= wire::kEnvelopeSize + kResponseCodeOffset + 4) {
      slot->code = ReadBe32(message + wire::kEnvelopeSize + kResponseCodeOffset);
    } else {
      ++stats.malformed;
    }
    slot->have_code = true;
  }
};

timespec WaitSpec(uint64_t now, uint64_t until) {
  uint64_t ns = until <= now ? 0 : std::min<uint64_t>(until - now, 50'000'000);
  return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

void RunUdp(Client* c, int fd) {
  const LoadOptions& o = *c->options;
  const uint64_t timeout_ns = static_cast<uint64_t>(o.timeout_seconds * 1e9);
  InFlight table(c->in_flight_limit, timeout_ns);
  std::vector<std::array<uint8_t, kMaxRequestBytes>> out(kBatch);
  std::vector<uint32_t> out_ids(kBatch);
  std::vector<iovec> out_iov(kBatch);
  std::vector<mmsghdr> out_msgs(kBatch);
  constexpr size_t kRecvSize = 65536;
  std::vector<uint8_t> in(kBatch * kRecvSize);
  std::vector<iovec> in_iov(kBatch);
  std::vector<mmsghdr> in_msgs(kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    in_iov[i] = {in.data() + i * kRecvSize, kRecvSize};
    in_msgs[i] = {};
    in_msgs[i].msg_hdr.msg_iov = &in_iov[i];
    in_msgs[i].msg_hdr.msg_iovlen = 1;
  }

  const uint64_t start = NowNanos();
  const uint64_t end = start + static_cast<uint64_t>(o.duration_seconds * 1e9);
  uint64_t send_end = 0;
  while (true) {
    uint64_t now = NowNanos();
    bool sending = now < end && !c->Stopped();
    if (!sending && send_end == 0) send_end = now;
    uint64_t next_expiry = table.Expire(now, &c->stats);
    if (!sending && (table.in_flight() == 0 || c->Stopped())) break;

    if (sending && !table.full()) {
      uint64_t n = std::min<uint64_t>({kBatch, c->in_flight_limit - table.in_flight(),
                                       c->RateAllows(start, now)});
      for (uint64_t i = 0; i < n; ++i) {
        const std::string& req = o.requests[c->NextRequest()];
        uint32_t id = table.Acquire();
        std::memcpy(out[i].data(), req.data(), req.size());
        WriteBe32(out[i].data() + kRequestIdOffset, id);
        out_ids[i] = id;
        out_iov[i] = {out[i].data(), req.size()};
        out_msgs[i] = {};
        out_msgs[i].msg_hdr.msg_iov = &out_iov[i];
        out_msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int done = n == 0 ? 0 : ::sendmmsg(fd, out_msgs.data(), static_cast<unsigned>(n), 0);
      if (done < 0) {
        if (errno != EAGAIN && errno != EINTR) ++c->stats.send_errors;
        done = 0;
      }
      for (uint64_t i = 0; i < n; ++i) {
        if (i < static_cast<uint64_t>(done)) {
          table.Sent(out_ids[i], now);
          ++c->stats.sent;
        } else {
          table.Cancel(out_ids[i]);
        }
      }
    }

    // Wait for replies, or until the next send or expiry is due.
    uint64_t wake = next_expiry;
    if (sending && !table.full()) wake = std::min(wake, c->NextSendTime(start));
    if (!sending) wake = std::min(wake, now + 50'000'000);
    else wake = std::min(wake, end);
    pollfd p{fd, POLLIN, 0};
    timespec ts = WaitSpec(now, wake);
    if (::ppoll(&p, 1, &ts, nullptr) <= 0) continue;
    int got = ::recvmmsg(fd, in_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (got < 0) {
      if (errno == ECONNREFUSED) ++c->stats.send_errors;
      continue;
    }
    now = NowNanos();
    for (int i = 0; i < got; ++i) {
      const uint8_t* d = in.data() + size_t(i) * kRecvSize;
      size_t size = in_msgs[i].msg_len;
      wire::Envelope e;
      if (!wire::DecodeEnvelope(std::span<const uint8_t>(d, size), &e)) {
        ++c->stats.malformed;
        continue;
      }
      InFlight::Slot* slot = table.Find(e.request_id);
      if (slot == nullptr) {
        ++c->stats.late;
        continue;
      }
      size_t payload = size - wire::kEnvelopeSize;
      if (!e.truncated() && e.message_length == payload) {
        c->Classify(d, size, slot);
        table.Complete(slot, now, &c->stats);
        continue;
      }
      // A fragment: the code is in fragment 0; the reply counts once all
      // its octets are in (deployed style), or at a short packet (RFC
      // style, or a lone truncated reply).
      if (e.sequence_number == 0 && payload >= kResponseCodeOffset + 4) {
        slot->code = ReadBe32(d + wire::kEnvelopeSize + kResponseCodeOffset);
        slot->have_code = true;
      }
      slot->bytes += payload;
      bool done = e.message_length > payload ? slot->bytes >= e.message_length
                                             : payload < wire::kMaxUdpFragmentPayload;
      if (done) table.Complete(slot, now, &c->stats);
    }
  }
  table.LoseAll(&c->stats);
  uint64_t finish = NowNanos();
  c->stats.send_seconds = double((send_end ? send_end : finish) - start) * 1e-9;
  c->stats.elapsed_seconds = double(finish - start) * 1e-9;
}

absl::StatusOr<int> ConnectTcp(const LoadOptions& o) {
  int fd = ::socket(o.server.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&o.server.addr), o.server.len) != 0) {
    int err = errno;
    ::close(fd);
    return absl::UnavailableError("cannot connect to " + o.server.text + " over TCP: " +
                                  std::strerror(err));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  int flags = 1;
  ::ioctl(fd, FIONBIO, &flags);
  return fd;
}

void RunTcp(Client* c, int fd) {
  const LoadOptions& o = *c->options;
  const uint64_t timeout_ns = static_cast<uint64_t>(o.timeout_seconds * 1e9);
  InFlight table(c->in_flight_limit, timeout_ns);
  std::string outbuf;
  size_t out_pos = 0;
  std::vector<uint8_t> inbuf;
  size_t in_len = 0;
  inbuf.resize(1 << 20);

  const uint64_t start = NowNanos();
  const uint64_t end = start + static_cast<uint64_t>(o.duration_seconds * 1e9);
  uint64_t send_end = 0;
  while (fd >= 0) {
    uint64_t now = NowNanos();
    bool sending = now < end && !c->Stopped();
    if (!sending && send_end == 0) send_end = now;
    uint64_t next_expiry = table.Expire(now, &c->stats);
    if (!sending && (table.in_flight() == 0 || c->Stopped())) break;

    if (sending && !table.full()) {
      uint64_t n = std::min<uint64_t>(c->in_flight_limit - table.in_flight(),
                                      c->RateAllows(start, now));
      for (uint64_t i = 0; i < n; ++i) {
        const std::string& req = o.requests[c->NextRequest()];
        uint32_t id = table.Acquire();
        size_t at = outbuf.size();
        outbuf += req;
        WriteBe32(reinterpret_cast<uint8_t*>(outbuf.data()) + at + kRequestIdOffset, id);
        table.Sent(id, now);
        ++c->stats.sent;
      }
    }
    if (out_pos < outbuf.size()) {
      ssize_t w = ::send(fd, outbuf.data() + out_pos, outbuf.size() - out_pos, MSG_NOSIGNAL);
      if (w > 0) out_pos += size_t(w);
      if (out_pos == outbuf.size()) {
        outbuf.clear();
        out_pos = 0;
      }
    }

    uint64_t wake = next_expiry;
    if (sending && !table.full()) wake = std::min(wake, c->NextSendTime(start));
    wake = std::min(wake, sending ? end : now + 50'000'000);
    pollfd p{fd, static_cast<short>(POLLIN | (out_pos < outbuf.size() ? POLLOUT : 0)), 0};
    timespec ts = WaitSpec(now, wake);
    if (::ppoll(&p, 1, &ts, nullptr) <= 0) continue;
    if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
    if (in_len == inbuf.size()) inbuf.resize(inbuf.size() * 2);
    ssize_t r = ::recv(fd, inbuf.data() + in_len, inbuf.size() - in_len, 0);
    if (r <= 0) {
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      // The server closed the connection: what was outstanding on it is
      // lost; carry on over a new one.
      ::close(fd);
      fd = -1;
      table.LoseAll(&c->stats);
      outbuf.clear();
      out_pos = 0;
      in_len = 0;
      if (!sending) break;
      ++c->stats.reconnects;
      absl::StatusOr<int> again = ConnectTcp(o);
      if (!again.ok()) {
        c->error = std::string(again.status().message());
        break;
      }
      fd = *again;
      continue;
    }
    in_len += size_t(r);
    now = NowNanos();
    size_t pos = 0;
    while (in_len - pos >= wire::kEnvelopeSize) {
      const uint8_t* d = inbuf.data() + pos;
      uint32_t length = ReadBe32(d + 16);
      if (length > wire::kMaxMessageBytes) {
        c->error = "reply framing lost: MessageLength " + std::to_string(length);
        ::close(fd);
        fd = -1;
        break;
      }
      size_t whole = wire::kEnvelopeSize + length;
      if (in_len - pos < whole) {
        if (whole > inbuf.size()) inbuf.resize(whole * 2);
        break;
      }
      InFlight::Slot* slot = table.Find(ReadBe32(d + kRequestIdOffset));
      if (slot == nullptr) {
        ++c->stats.late;
      } else {
        c->Classify(d, whole, slot);
        table.Complete(slot, now, &c->stats);
      }
      pos += whole;
    }
    if (pos > 0) {
      std::memmove(inbuf.data(), inbuf.data() + pos, in_len - pos);
      in_len -= pos;
    }
  }
  if (fd >= 0) ::close(fd);
  table.LoseAll(&c->stats);
  uint64_t finish = NowNanos();
  c->stats.send_seconds = double((send_end ? send_end : finish) - start) * 1e-9;
  c->stats.elapsed_seconds = double(finish - start) * 1e-9;
}

}  // namespace

void LoadStats::Merge(const LoadStats& o) {
  sent += o.sent;
  answered += o.answered;
  lost += o.lost;
  late += o.late;
  malformed += o.malformed;
  send_errors += o.send_errors;
  reconnects += o.reconnects;
  for (size_t i = 0; i < kCodeSlots; ++i) codes[i] += o.codes[i];
  codes_other += o.codes_other;
  latency.Merge(o.latency);
  send_seconds = std::max(send_seconds, o.send_seconds);
  elapsed_seconds = std::max(elapsed_seconds, o.elapsed_seconds);
}

absl::StatusOr<LoadStats> RunLoad(const LoadOptions& o) {
  if (o.requests.empty()) return absl::InvalidArgumentError("no requests to send");
  for (const std::string& r : o.requests) {
    if (r.size() > kMaxRequestBytes) {
      return absl::InvalidArgumentError("a request is larger than one UDP packet");
    }
  }
  if (!(o.duration_seconds > 0 && o.duration_seconds <= kMaxDurationSeconds)) {
    return absl::InvalidArgumentError("duration must be above 0 and at most 300 seconds");
  }
  if (o.clients == 0 || o.max_in_flight == 0) {
    return absl::InvalidArgumentError("clients and in-flight limit must be at least 1");
  }
  std::vector<int> fds;
  auto close_all = [&] {
    for (int fd : fds) ::close(fd);
  };
  for (uint32_t i = 0; i < o.clients; ++i) {
    if (o.tcp) {
      absl::StatusOr<int> fd = ConnectTcp(o);
      if (!fd.ok()) {
        close_all();
        return fd.status();
      }
      fds.push_back(*fd);
      continue;
    }
    int fd = ::socket(o.server.addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 ||
        ::connect(fd, reinterpret_cast<const sockaddr*>(&o.server.addr), o.server.len) != 0) {
      std::string why = std::strerror(errno);
      if (fd >= 0) ::close(fd);
      close_all();
      return absl::UnavailableError("cannot open a UDP socket to " + o.server.text + ": " + why);
    }
    int buffer = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
    fds.push_back(fd);
  }

  std::vector<Client> clients(o.clients);
  for (uint32_t i = 0; i < o.clients; ++i) {
    Client& c = clients[i];
    c.options = &o;
    // Shares rounded up, so the total is never below what was asked.
    c.in_flight_limit = std::max<uint32_t>(1, (o.max_in_flight + o.clients - 1) / o.clients);
    c.qps = o.max_qps > 0 ? o.max_qps / o.clients : 0;
    c.rng = (o.seed + i) * 0x9E3779B97F4A7C15ull | 1;
  }
  std::vector<std::thread> threads;
  for (uint32_t i = 0; i < o.clients; ++i) {
    threads.emplace_back([&, i] {
      if (o.tcp) {
        RunTcp(&clients[i], fds[i]);
      } else {
        RunUdp(&clients[i], fds[i]);
        ::close(fds[i]);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  LoadStats total;
  for (const Client& c : clients) total.Merge(c.stats);
  for (const Client& c : clients) {
    if (!c.error.empty() && total.error.empty()) total.error = c.error;
  }
  return total;
}

}  // namespace qilian::perf
