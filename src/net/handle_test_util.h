// Helpers shared by the native server tests: hex, envelopes, test messages.
#ifndef QILIAN_NET_HANDLE_TEST_UTIL_H_
#define QILIAN_NET_HANDLE_TEST_UTIL_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "ident/wire/envelope.h"
#include "net/native_handler.h"

namespace qilian::net::testing {

inline std::string FromHex(std::string_view hex) {
  std::string out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
  };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

inline std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

inline ident::wire::Envelope EnvelopeOf(std::string_view message) {
  ident::wire::Envelope e;
  ident::wire::DecodeEnvelope(Bytes(message), &e);
  return e;
}

inline std::string EnvelopeBytes(const ident::wire::Envelope& e) {
  std::string out;
  ByteWriter w(&out);
  ident::wire::EncodeEnvelope(e, &w);
  return out;
}

// One datagram: an envelope with the given fields and `payload`.
inline std::string Packet(uint32_t request_id, uint32_t seq, uint32_t message_length,
                          std::string_view payload, bool truncated = true) {
  ident::wire::Envelope e;
  e.flags = 0x020b | (truncated ? ident::wire::kFlagTruncated : 0);
  e.request_id = request_id;
  e.sequence_number = seq;
  e.message_length = message_length;
  return EnvelopeBytes(e) + std::string(payload);
}

// A message body of `size` octets (>= 28) whose RFC 3652 header says so:
// BodyLength = size - 28, then a zero CredentialLength. Filled with `fill`.
inline std::string MessageBody(size_t size, char fill = 'x') {
  std::string body(size, fill);
  std::string len;
  ByteWriter w(&len);
  w.WriteU32(static_cast<uint32_t>(size - 28));
  body.replace(20, 4, len);
  body.replace(size - 4, 4, std::string(4, '\0'));
  return body;
}

// A whole message: envelope (not truncated) + body.
inline std::string Message(uint32_t request_id, std::string_view body) {
  return Packet(request_id, 0, static_cast<uint32_t>(body.size()), body, false);
}

// A fake front end for the server tests. The first octet after the
// envelope says what to do:
//   'E' answer an error reply (is_error) echoing the message;
//   'B' answer a reply whose body has the size in the next four octets;
//   'S' stay silent; 'W' echo, and report that it may block;
//   anything else: echo the message.
// Replies keep the request's envelope (RequestId), with MessageLength fixed.
struct FakeFrontend {
  std::atomic<int> calls{0};
  std::atomic<int> blocking_calls{0};

  static char Kind(std::span<const uint8_t> m) {
    return m.size() > ident::wire::kEnvelopeSize ? static_cast<char>(m[20]) : 0;
  }

  NativeHandler Handler() {
    NativeHandler h;
    h.handle = [this](std::span<const uint8_t> m,
                      const ident::Peer& peer) -> std::optional<ident::NativeReply> {
      ++calls;
      std::string in(reinterpret_cast<const char*>(m.data()), m.size());
      ident::NativeReply r;
      switch (Kind(m)) {
        case 'S':
          return std::nullopt;
        case 'E':
          r.is_error = true;
          r.message = in;
          return r;
        case 'B': {
          ByteReader br(m.subspan(21, 4));
          uint32_t size = br.ReadU32();
          ident::wire::Envelope e = EnvelopeOf(in);
          e.message_length = size;
          r.message = EnvelopeBytes(e) + std::string(size, 'b');
          return r;
        }
        case 'W':
          ++blocking_calls;
          [[fallthrough]];
        default:
          r.message = in;
          return r;
      }
    };
    h.may_block = [](std::span<const uint8_t> m) { return Kind(m) == 'W'; };
    return h;
  }
};

// A request message: envelope + kind octet + `extra` (+ padding to `size`).
inline std::string Request(uint32_t request_id, char kind, size_t size = 40,
                           std::string_view extra = {}) {
  std::string body(1, kind);
  body.append(extra);
  if (body.size() < size) body.append(size - body.size(), '.');
  return Message(request_id, body);
}

inline std::string BigRequest(uint32_t request_id, uint32_t reply_size, size_t size = 40) {
  std::string n;
  ByteWriter w(&n);
  w.WriteU32(reply_size);
  return Request(request_id, 'B', size, n);
}

// Blocking loopback sockets for the tests. Reads wait up to 10 s, which
// only bounds a broken test; no assertion depends on timing.
class TestSocket {
 public:
  TestSocket(int type, uint16_t port) : fd_(socket(AF_INET, type, 0)) {
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(port);
    addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  }
  ~TestSocket() { close(fd_); }
  TestSocket(const TestSocket&) = delete;
  TestSocket& operator=(const TestSocket&) = delete;

  bool Connect() {
    return connect(fd_, reinterpret_cast<sockaddr*>(&addr_), sizeof(addr_)) == 0;
  }
  // UDP: one datagram to the server. TCP: all of `bytes`.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = sendto(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL,
                         reinterpret_cast<sockaddr*>(&addr_), sizeof(addr_));
      if (n < 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // UDP: the next datagram; nullopt on timeout.
  std::optional<std::string> RecvDatagram() {
    std::string buf(65536, '\0');
    ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<size_t>(n));
    return buf;
  }
  // TCP: exactly n octets; nullopt if the stream ends (or times out) first.
  std::optional<std::string> ReadExact(size_t n) {
    std::string buf(n, '\0');
    size_t got = 0;
    while (got < n) {
      ssize_t r = recv(fd_, buf.data() + got, n - got, 0);
      if (r <= 0) return std::nullopt;
      got += static_cast<size_t>(r);
    }
    return buf;
  }
  // TCP: one framed message.
  std::optional<std::string> ReadMessage() {
    std::optional<std::string> env = ReadExact(ident::wire::kEnvelopeSize);
    if (!env) return std::nullopt;
    std::optional<std::string> rest = ReadExact(EnvelopeOf(*env).message_length);
    if (!rest) return std::nullopt;
    return *env + *rest;
  }
  // TCP: whether the server closed the connection (EOF or reset).
  bool ClosedByPeer() {
    char c;
    ssize_t r = recv(fd_, &c, 1, 0);
    return r == 0 || (r < 0 && errno == ECONNRESET);
  }
  void ShutdownWrite() { shutdown(fd_, SHUT_WR); }
  // Sends from `ipv4` (another 127/8 address: another source) instead of
  // the kernel's choice; call before Connect or the first Send.
  bool BindSource(const char* ipv4) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    if (inet_pton(AF_INET, ipv4, &a.sin_addr) != 1) return false;
    return bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
  }

 private:
  int fd_;
  sockaddr_in addr_{};
};

}  // namespace qilian::net::testing

#endif  // QILIAN_NET_HANDLE_TEST_UTIL_H_
