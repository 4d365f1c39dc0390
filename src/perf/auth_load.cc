#include "perf/auth_load.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/auth/secret_key.h"
#include "ident/handle_value.h"
#include "ident/operation.h"
#include "ident/wire/codec.h"
#include "ident/wire/session.h"

namespace qilian::perf {
namespace {

namespace wire = ident::wire;
using ident::OpCode;

uint64_t NowNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

// One blocking connection: whole messages out, whole messages in.
class Connection {
 public:
  ~Connection() {
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Open(const AuthLoadOptions& o) {
    fd_ = ::socket(o.server.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return absl::UnavailableError(std::string("socket: ") + std::strerror(errno));
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&o.server.addr), o.server.len) != 0) {
      return absl::UnavailableError(absl::StrCat("cannot connect to ", o.server.text, ": ",
                                                 std::strerror(errno)));
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(o.timeout_seconds);
    tv.tv_usec = static_cast<suseconds_t>((o.timeout_seconds - double(tv.tv_sec)) * 1e6);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return absl::OkStatus();
  }
  // Sends `message` and returns the reply.
  absl::StatusOr<std::string> Call(const std::string& message) {
    size_t off = 0;
    while (off < message.size()) {
      ssize_t n = ::send(fd_, message.data() + off, message.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return absl::UnavailableError(std::string("send: ") + std::strerror(errno));
      off += size_t(n);
    }
    std::string reply(wire::kEnvelopeSize, '\0');
    QL_RETURN_IF_ERROR(ReadFully(reply.data(), reply.size()));
    wire::Envelope env;
    wire::DecodeEnvelope({reinterpret_cast<const uint8_t*>(reply.data()), reply.size()}, &env);
    if (env.message_length > (1u << 22)) return absl::DataLossError("reply too long");
    reply.resize(wire::kEnvelopeSize + env.message_length);
    QL_RETURN_IF_ERROR(ReadFully(reply.data() + wire::kEnvelopeSize, env.message_length));
    return reply;
  }

 private:
  absl::Status ReadFully(char* p, size_t n) {
    while (n > 0) {
      ssize_t r = ::recv(fd_, p, n, 0);
      if (r <= 0) {
        return absl::UnavailableError(r == 0 ? std::string("connection closed")
                                             : std::string("recv: ") + std::strerror(errno));
      }
      p += r;
      n -= size_t(r);
    }
    return absl::OkStatus();
  }
  int fd_ = -1;
};

struct Reply {
  wire::RawMessage raw;
  std::string bytes;  // owns what raw points into
  wire::ResponseBody body;
};

absl::StatusOr<Reply> Parse(std::string bytes) {
  Reply r;
  r.bytes = std::move(bytes);
  QL_ASSIGN_OR_RETURN(r.raw, wire::DecodeMessage(std::string_view(r.bytes)));
  QL_ASSIGN_OR_RETURN(r.body, wire::DecodeResponseBody(OpCode(r.raw.header.op_code),
                                                       ident::ResponseCode(r.raw.header.response_code),
                                                       r.raw.header.op_flags, r.raw.body));
  return r;
}

std::string Request(OpCode op, const wire::RequestBody& body, uint32_t request_id,
                    uint32_t session_id = 0, uint32_t op_flags = 0,
                    std::string_view session_key = {}, uint32_t counter = 0) {
  wire::Envelope env;
  env.flags = wire::kOwnVersionFlag;
  env.session_id = session_id;
  env.request_id = request_id;
  wire::MessageHeader h;
  h.op_code = static_cast<uint32_t>(op);
  h.op_flags = op_flags;
  const std::string encoded = wire::EncodeRequestBody(op, body);
  if (session_key.empty()) return wire::EncodeMessage(env, h, encoded);
  std::string plain = wire::EncodeMessage(env, h, encoded);
  std::string_view header_and_body =
      std::string_view(plain).substr(wire::kEnvelopeSize, wire::kHeaderSize + encoded.size());
  std::string mac = wire::ComputeSessionMac(session_key, env, counter, header_and_body);
  return wire::EncodeMessage(env, h, encoded, wire::EncodeSessionCredential(counter, mac));
}

// Answers the 402 in `challenge` with HMAC-SHA256 over nonce ‖ digest.
absl::StatusOr<std::string> AnswerFor(const AuthLoadOptions& o, const Reply& challenge,
                                      uint32_t request_id) {
  QL_ASSIGN_OR_RETURN(std::string answer,
                      ident::auth::ComputeSecretKeyAnswer(
                          ident::auth::MacAlgorithm::kHmacSha256, o.secret, challenge.body.nonce,
                          challenge.body.digest.digest));
  wire::RequestBody body;
  body.auth_type = std::string(ident::kTypeSecKey);
  body.key_handle = o.identity_handle;
  body.key_index = o.identity_index;
  body.answer = std::move(answer);
  return Request(OpCode::kChallengeResponse, body, request_id, challenge.raw.envelope.session_id);
}

// The one value every created handle gets.
ident::HandleValue BenchValue() {
  ident::HandleValue value;
  value.index = 1;
  value.type = "URL";
  value.data = "https://example.org/bench";
  value.permissions = 0x0e;
  return value;
}

struct Worker {
  const AuthLoadOptions* options = nullptr;
  uint32_t index = 0;
  std::string tag;
  LoadStats stats;
  std::string error;
};

// Sets up the session as the reference client does: 400 (Qilian's X25519
// exchange), then the first write in it is challenged and answered, which
// proves the session's identity. Returns id and key; the session counter
// used so far is 1.
absl::Status OpenSession(const AuthLoadOptions& o, const Worker& w, Connection* c, uint32_t* id,
                         std::string* key) {
  QL_ASSIGN_OR_RETURN(wire::ExchangeKey ours, wire::ExchangeKey::NewX25519());
  wire::SessionSetup setup;
  setup.mode = wire::kKeyExchangeDh;
  setup.identity_handle = o.identity_handle;
  setup.identity_index = o.identity_index;
  setup.public_key = ours.Record();
  QL_ASSIGN_OR_RETURN(std::string bytes,
                      c->Call(Request(OpCode::kSessionSetup, wire::EncodeSessionSetup(setup), 1, 0,
                                      ident::op_flag::kReturnDigest)));
  QL_ASSIGN_OR_RETURN(Reply done, Parse(std::move(bytes)));
  if (done.raw.header.response_code != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "session setup refused: ", done.raw.header.response_code, " ", done.body.message));
  }
  QL_ASSIGN_OR_RETURN(wire::SessionSetupReply reply, wire::DecodeSessionSetupReply(done.body.raw));
  QL_ASSIGN_OR_RETURN(*key, ours.SessionKey(reply.key_record, /*we_are_client=*/true));
  *id = done.raw.envelope.session_id;

  wire::RequestBody first;
  first.handle = absl::StrCat(o.prefix, "/", w.tag, "-", w.index, "-session");
  first.values = {BenchValue()};
  QL_ASSIGN_OR_RETURN(bytes, c->Call(Request(OpCode::kCreateHandle, first, 2, *id, 0, *key, 1)));
  QL_ASSIGN_OR_RETURN(Reply challenge, Parse(std::move(bytes)));
  if (challenge.raw.header.response_code != 402) {
    return absl::FailedPreconditionError(absl::StrCat(
        "session's first write: expected 402, got ", challenge.raw.header.response_code, " ",
        challenge.body.message));
  }
  QL_ASSIGN_OR_RETURN(std::string answer, AnswerFor(o, challenge, 3));
  QL_ASSIGN_OR_RETURN(bytes, c->Call(answer));
  QL_ASSIGN_OR_RETURN(Reply proven, Parse(std::move(bytes)));
  if (proven.raw.header.response_code != 1) {
    return absl::PermissionDeniedError(absl::StrCat("session not proven: ",
                                                    proven.raw.header.response_code, " ",
                                                    proven.body.message));
  }
  return absl::OkStatus();
}

void Run(Worker* w, uint64_t deadline) {
  const AuthLoadOptions& o = *w->options;
  Connection c;
  if (absl::Status s = c.Open(o); !s.ok()) {
    w->error = std::string(s.message());
    return;
  }
  uint32_t session_id = 0;
  std::string key;
  if (o.session) {
    if (absl::Status s = OpenSession(o, *w, &c, &session_id, &key); !s.ok()) {
      w->error = std::string(s.message());
      return;
    }
  }
  const uint64_t start = NowNanos();
  uint32_t counter = o.session ? 1 : 0;  // 1: the session's first write
  uint32_t request_id = 10;
  for (uint64_t n = 0;; ++n) {
    const uint64_t now = NowNanos();
    if (now >= deadline || (o.stop != nullptr && o.stop->load())) break;
    wire::RequestBody body;
    body.handle = absl::StrCat(o.prefix, "/", w->tag, "-", w->index, "-", n);
    body.values = {BenchValue()};
    ++w->stats.sent;
    absl::StatusOr<std::string> bytes;
    if (o.session) {
      bytes = c.Call(Request(OpCode::kCreateHandle, body, ++request_id, session_id, 0, key,
                             ++counter));
    } else {
      bytes = c.Call(Request(OpCode::kCreateHandle, body, ++request_id));
      if (bytes.ok()) {
        absl::StatusOr<Reply> challenge = Parse(*std::move(bytes));
        if (!challenge.ok() || challenge->raw.header.response_code != 402) {
          ++w->stats.malformed;
          w->error = "expected a 402 challenge";
          break;
        }
        absl::StatusOr<std::string> answer = AnswerFor(o, *challenge, ++request_id);
        if (!answer.ok()) {
          w->error = std::string(answer.status().message());
          break;
        }
        bytes = c.Call(*answer);
      }
    }
    if (!bytes.ok()) {
      ++w->stats.lost;
      w->error = std::string(bytes.status().message());
      break;
    }
    absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(std::string_view(*bytes));
    if (!raw.ok()) {
      ++w->stats.malformed;
      continue;
    }
    ++w->stats.answered;
    const uint32_t code = raw->header.response_code;
    if (code < kCodeSlots) {
      ++w->stats.codes[code];
    } else {
      ++w->stats.codes_other;
    }
    w->stats.latency.Record(NowNanos() - now);
  }
  const uint64_t finish = NowNanos();
  w->stats.send_seconds = double(finish - start) * 1e-9;
  w->stats.elapsed_seconds = w->stats.send_seconds;
}

}  // namespace

absl::StatusOr<LoadStats> RunAuthLoad(const AuthLoadOptions& options) {
  // A tag per run keeps handles of repeated runs apart.
  std::random_device rd;
  const std::string tag = absl::StrCat("perf", rd() % 1000000);
  std::vector<Worker> workers(options.connections);
  const uint64_t deadline = NowNanos() + static_cast<uint64_t>(options.duration_seconds * 1e9);
  std::vector<std::thread> threads;
  for (uint32_t i = 0; i < options.connections; ++i) {
    workers[i].options = &options;
    workers[i].index = i;
    workers[i].tag = tag;
    threads.emplace_back(Run, &workers[i], deadline);
  }
  for (std::thread& t : threads) t.join();
  LoadStats total;
  size_t failed = 0;
  for (Worker& w : workers) {
    if (!w.error.empty()) {
      ++failed;
      if (total.error.empty()) total.error = w.error;
    }
    const double send = w.stats.send_seconds;
    total.Merge(w.stats);
    total.send_seconds = std::max(total.send_seconds, send);
  }
  if (failed == workers.size() && total.answered == 0) {
    return absl::UnavailableError(total.error);
  }
  return total;
}

}  // namespace qilian::perf
