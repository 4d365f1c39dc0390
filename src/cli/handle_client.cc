#include "cli/handle_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "cli/udp_reassembler.h"
#include "ident/wire/envelope.h"
#include "core/unique_fd.h"

namespace qilian::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string FormatSeconds(std::chrono::milliseconds d) {
  std::string text = std::to_string(d.count() / 1000);
  if (int64_t ms = d.count() % 1000; ms != 0) {
    std::string frac = std::to_string(ms + 1000).substr(1);
    while (frac.back() == '0') frac.pop_back();
    text += "." + frac;
  }
  return text + "s";
}


absl::Status ConnectError(const HandleServerAddress& server, std::string_view how, int err) {
  return absl::UnavailableError("cannot connect to " + server.text + " over " + std::string(how) +
                                ": " + std::strerror(err));
}

absl::Status Timeout(const HandleServerAddress& server, std::chrono::milliseconds timeout) {
  return absl::DeadlineExceededError("no answer from " + server.text + " within " +
                                     FormatSeconds(timeout));
}

// A connected socket of `type` to the first address that takes it.
absl::StatusOr<int> Connect(const HandleServerAddress& server, int type, std::string_view how,
                            Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = type;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(server.host.c_str(), server.port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError("cannot resolve " + server.host + ": " + gai_strerror(rc));
  }
  int last_error = ECONNREFUSED;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      rc = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
      if (rc == 0) {
        ::close(fd);
        ::freeaddrinfo(found);
        return absl::DeadlineExceededError("cannot connect to " + server.text + " over " +
                                           std::string(how) + ": timed out");
      }
      int err = 0;
      socklen_t len = sizeof(err);
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        errno = err;
        rc = -1;
      } else {
        rc = 0;
      }
    }
    if (rc == 0) {
      ::freeaddrinfo(found);
      return fd;
    }
    last_error = errno;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return ConnectError(server, how, last_error);
}

int MillisLeft(Clock::time_point until) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

}  // namespace

absl::StatusOr<HandleServerAddress> HandleServerAddress::Parse(std::string_view text) {
  HandleServerAddress a;
  a.text = std::string(text);
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError("malformed --server \"" + std::string(text) +
                                      "\": " + std::string(why));
  };
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    a.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (rest.empty() || rest.front() != ':') return bad("expected HOST:PORT");
    rest.remove_prefix(1);
  } else {
    size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) return bad("expected HOST:PORT");
    a.host = std::string(rest.substr(0, colon));
    if (a.host.find(':') != std::string::npos) return bad("write an IPv6 address as [ADDR]:PORT");
    rest.remove_prefix(colon + 1);
  }
  if (a.host.empty()) return bad("empty host");
  if (rest.empty() || rest.size() > 5) return bad("port must be 1-65535");
  uint32_t port = 0;
  for (char c : rest) {
    if (c < '0' || c > '9') return bad("port must be 1-65535");
    port = port * 10 + (c - '0');
  }
  if (port == 0 || port > 65535) return bad("port must be 1-65535");
  a.port = std::string(rest);
  return a;
}

absl::StatusOr<UdpExchange> ExchangeUdp(const HandleServerAddress& server,
                                        std::string_view request, uint32_t request_id,
                                        std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  absl::StatusOr<int> fd_or = Connect(server, SOCK_DGRAM, "UDP", deadline);
  if (!fd_or.ok()) return fd_or.status();
  UniqueFd fd(*fd_or);
  UdpReassembler reassembler(request_id);
  std::vector<uint8_t> buffer(65536);
  // Retries cover a lost request or reply; a partial reassembly survives
  // them because the server answers a repeat with the same request id.
  const auto retry_every = std::max(timeout / 3, std::chrono::milliseconds(1));
  Clock::time_point next_send = Clock::now();
  while (true) {
    Clock::time_point now = Clock::now();
    if (now >= deadline) return Timeout(server, timeout);
    if (now >= next_send) {
      if (::send(fd.get(), request.data(), request.size(), 0) < 0 && errno != EAGAIN) {
        return ConnectError(server, "UDP", errno);
      }
      next_send = now + retry_every;
    }
    pollfd p{fd.get(), POLLIN, 0};
    int wait = std::min(MillisLeft(deadline), MillisLeft(next_send));
    if (::poll(&p, 1, std::max(wait, 1)) <= 0) continue;
    ssize_t n = ::recv(fd.get(), buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return ConnectError(server, "UDP", errno);
    }
    switch (reassembler.Add(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)))) {
      case UdpReassembler::Result::kIgnored:
      case UdpReassembler::Result::kIncomplete:
        break;
      case UdpReassembler::Result::kTooLarge:
        return UdpExchange{"", reassembler.fragments(), true};
      case UdpReassembler::Result::kComplete:
        return UdpExchange{reassembler.message(), reassembler.fragments(),
                           reassembler.single_truncated()};
    }
  }
}

namespace {

// Sends `request` on `fd` and reads one message framed by its envelope.
// `*closed_early` is set when the peer closed the connection before a
// single reply octet arrived (a kept connection the server has let go).
absl::StatusOr<std::string> SendAndReceive(int fd, const HandleServerAddress& server,
                                           std::string_view request,
                                           std::chrono::milliseconds timeout,
                                           bool* closed_early) {
  const Clock::time_point deadline = Clock::now() + timeout;
  *closed_early = false;
  size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
      *closed_early = true;
      return absl::UnavailableError("connection to " + server.text + " closed before the reply");
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return ConnectError(server, "TCP", errno);
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, MillisLeft(deadline)) == 0) return Timeout(server, timeout);
  }
  std::string reply;
  size_t want = ident::wire::kEnvelopeSize;
  char buffer[65536];
  while (reply.size() < want) {
    ssize_t n = ::recv(fd, buffer, std::min(sizeof(buffer), want - reply.size()), 0);
    if (n > 0) {
      reply.append(buffer, static_cast<size_t>(n));
      if (want == ident::wire::kEnvelopeSize && reply.size() == want) {
        ident::wire::Envelope e;
        ident::wire::DecodeEnvelope(
            std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reply.data()), want), &e);
        if (e.message_length > ident::wire::kMaxMessageBytes) {
          return absl::UnavailableError("reply from " + server.text + " claims " +
                                        std::to_string(e.message_length) +
                                        " octets, more than this client accepts");
        }
        want += e.message_length;
      }
      continue;
    }
    if (n == 0 || (n < 0 && errno == ECONNRESET)) {
      *closed_early = reply.empty();
      return absl::UnavailableError("connection to " + server.text + " closed before the reply");
    }
    if (errno != EAGAIN && errno != EINTR) return ConnectError(server, "TCP", errno);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, MillisLeft(deadline)) == 0) return Timeout(server, timeout);
  }
  return reply;
}

}  // namespace

absl::StatusOr<std::string> ExchangeTcp(const HandleServerAddress& server,
                                        std::string_view request,
                                        std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  absl::StatusOr<int> fd_or = Connect(server, SOCK_STREAM, "TCP", deadline);
  if (!fd_or.ok()) return fd_or.status();
  UniqueFd fd(*fd_or);
  bool closed_early = false;
  return SendAndReceive(fd.get(), server, request, timeout, &closed_early);
}

struct HandleTcpConnection::Impl {
  HandleServerAddress server;
  std::chrono::milliseconds timeout;
  std::optional<UniqueFd> fd;
};

HandleTcpConnection::HandleTcpConnection(HandleServerAddress server,
                                         std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->server = std::move(server);
  impl_->timeout = timeout;
}

HandleTcpConnection::~HandleTcpConnection() = default;

absl::StatusOr<std::string> HandleTcpConnection::Exchange(std::string_view request) {
  Impl& s = *impl_;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool reused = s.fd.has_value();
    if (!reused) {
      absl::StatusOr<int> fd_or =
          Connect(s.server, SOCK_STREAM, "TCP", Clock::now() + s.timeout);
      if (!fd_or.ok()) return fd_or.status();
      s.fd.emplace(*fd_or);
    }
    bool closed_early = false;
    absl::StatusOr<std::string> reply =
        SendAndReceive(s.fd->get(), s.server, request, s.timeout, &closed_early);
    if (reply.ok()) return reply;
    s.fd.reset();
    // A server that handles one request per connection has closed it; the
    // request never reached it, so it goes again on a fresh connection.
    if (!(reused && closed_early)) return reply.status();
  }
  return absl::UnavailableError("connection to " + s.server.text + " failed");
}

}  // namespace qilian::cli
