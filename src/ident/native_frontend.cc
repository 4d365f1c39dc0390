#include "ident/native_frontend.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/status.h"
#include "ident/auth/challenge_answer.h"
#include "ident/auth/nonce.h"
#include "ident/auth/seckey_lookup.h"
#include "ident/auth/secret_key.h"
#include "ident/handle_name.h"
#include "ident/wire/codec.h"

namespace qilian::ident {
namespace {

using wire::Envelope;
using wire::MessageHeader;

constexpr std::string_view kPrefixOfPrefixes = "0.NA";

// Replies expire 12 hours after they are made, as deployed servers stamp them.
constexpr uint32_t kReplyLifetimeSeconds = 43200;

// Why the front end itself refused or ignored a message (the processor
// counts the response codes of the requests it handles).
enum class Reason : uint8_t {
  kNotHandle,           // silence: not a Handle message
  kUnexpectedResponse,  // silence: a reply sent to a server
  kUnsupportedVersion,
  kMalformed,
  kCompressed,
  kEncrypted,
  kUnknownOpCode,
  kExpired,
  kCount,
};

constexpr std::array<std::string_view, static_cast<size_t>(Reason::kCount)> kReasonNames = {
    "not_handle", "unexpected_response", "unsupported_version", "malformed",
    "compressed", "encrypted",           "unknown_opcode",      "expired"};

constexpr std::array<OpCode, 14> kOps = {
    OpCode::kResolution,        OpCode::kGetSiteInfo,      OpCode::kCreateHandle,
    OpCode::kDeleteHandle,      OpCode::kAddValue,         OpCode::kRemoveValue,
    OpCode::kModifyValue,       OpCode::kListHandles,      OpCode::kListDerivedPrefixes,
    OpCode::kChallengeResponse, OpCode::kVerifyResponse,   OpCode::kSessionSetup,
    OpCode::kSessionTerminate,  OpCode::kIdisLogin};

// A challenged request waiting for its answer, keyed by the session id
// the challenge carried. Deployed clients answer on a new TCP connection
// (HANDLE-INTEROP.md), so this state is the node's, not a connection's.
struct PendingChallenge {
  Request request;                 // decoded; performed once answered
  uint32_t op_code = 0;
  uint32_t op_flags = 0;           // the request's, for RD on the reply
  uint8_t recursion_count = 0;
  std::string header_and_body;     // what its digest covers
  std::string nonce;
  std::string digest;              // raw digest octets (the MAC input)
  absl::Time deadline;
  // A wrong answer closes the challenge: one guess per nonce.
  bool closed = false;
  // Answered correctly: a replay is refused before any MAC is recomputed
  // (the ReplayCache stays the guard against two answers racing).
  bool used = false;
};

// The default answer check: HS_SECKEY and HS_PUBKEY answers against the
// keys in `registry` (auth/challenge_answer.h).
auto RegistryVerifier(const Registry* registry) {
  return [registry](const wire::RequestBody& body, std::string_view nonce,
                    std::string_view digest) -> absl::Status {
    return auth::VerifyChallengeAnswer(*registry, body.auth_type, body.key_handle, body.key_index,
                                       nonce, digest, body.answer);
  };
}

}  // namespace

struct NativeFrontend::Impl {
  Processor* processor;
  const Clock& clock;
  NativeAuthOptions auth;
  std::array<Counter*, kOps.size() + 1> requests{};  // last: unknown opcodes
  std::array<Counter*, static_cast<size_t>(Reason::kCount)> errors{};

  // Pending challenges; `order` is insertion order, which with one fixed
  // lifetime is also expiry order. Entries stay until they expire (answered
  // ones too), so both are bounded by auth.max_pending.
  absl::Mutex mu;
  absl::flat_hash_map<uint32_t, PendingChallenge> pending ABSL_GUARDED_BY(mu);
  std::deque<std::pair<absl::Time, uint32_t>> order ABSL_GUARDED_BY(mu);
  std::unique_ptr<auth::ReplayCache> replay;
  bool challenges = false;

  Impl(Processor* p, MetricsRegistry* metrics, const Clock& c, NativeAuthOptions a)
      : processor(p), clock(c), auth(std::move(a)) {
    // Without a registry no answer could be verified: 402s go back as
    // they are.
    challenges = auth.registry != nullptr;
    if (challenges) {
      replay = std::make_unique<auth::ReplayCache>(clock, auth.challenge_lifetime,
                                                   auth.max_pending == 0 ? 1 : auth.max_pending);
      if (!auth.verify_answer) auth.verify_answer = RegistryVerifier(auth.registry);
    }
    for (size_t i = 0; i <= kOps.size(); ++i) {
      std::string op = i < kOps.size() ? std::string(OpCodeName(kOps[i])) : "unknown";
      requests[i] = &metrics->GetCounter("qilian_native_requests_total",
                                         "Native Handle protocol requests by opcode",
                                         {{"op", op}});
    }
    for (size_t i = 0; i < errors.size(); ++i) {
      errors[i] = &metrics->GetCounter("qilian_native_errors_total",
                                       "Native Handle messages refused or ignored by the front end",
                                       {{"reason", std::string(kReasonNames[i])}});
    }
  }

  void CountRequest(uint32_t op) {
    for (size_t i = 0; i < kOps.size(); ++i) {
      if (static_cast<uint32_t>(kOps[i]) == op) {
        requests[i]->Inc();
        return;
      }
    }
    requests[kOps.size()]->Inc();
  }

  void CountError(Reason reason) { errors[static_cast<size_t>(reason)]->Inc(); }

  uint32_t NowSeconds() const {
    int64_t now = absl::ToUnixSeconds(clock.Now());
    return now < 0 ? 0 : static_cast<uint32_t>(now);
  }

  // The reply envelope: the request's version when we speak it (else our
  // own), our highest version in MessageFlag, the request's id.
  static Envelope ReplyEnvelope(const Envelope& request) {
    Envelope env;
    if (wire::IsSupportedVersion(request.major_version, request.minor_version)) {
      env.major_version = request.major_version;
      env.minor_version = request.minor_version;
    } else {
      env.major_version = wire::kMajorVersion;
      env.minor_version = wire::kMaxMinorVersion;
    }
    env.flags = wire::kOwnVersionFlag;
    env.request_id = request.request_id;
    return env;
  }

  MessageHeader ReplyHeader(uint32_t op, ResponseCode code, uint32_t op_flags,
                            uint8_t recursion_count) const {
    MessageHeader h;
    h.op_code = op;
    h.response_code = static_cast<uint32_t>(code);
    h.op_flags = op_flags;
    h.site_info_serial = processor->options().site.serial_number;
    h.recursion_count = recursion_count;
    h.expiration_time = NowSeconds() + kReplyLifetimeSeconds;
    return h;
  }

  // An error reply made by the front end itself (no request digest: the
  // request may not have been readable).
  NativeReply Error(Reason reason, const Envelope& request, uint32_t op, ResponseCode code,
                    std::string_view message) {
    CountError(reason);
    wire::ResponseBody body;
    body.message = std::string(message);
    MessageHeader h = ReplyHeader(op, code, 0, 0);
    NativeReply reply;
    reply.message = wire::EncodeMessage(ReplyEnvelope(request), h,
                                        wire::EncodeResponseBody(OpCode(op), code, 0, body));
    reply.is_error = true;
    return reply;
  }

  std::optional<NativeReply> Handle(std::span<const uint8_t> message, const Peer& peer);

  // Encodes the processor's `response` to `request`: the envelope
  // answers `env`, the header carries `op_code`, and RD (when `op_flags`
  // asks for it) is the digest of `header_and_body`.
  NativeReply Encode(const Envelope& env, uint32_t op_code, uint32_t op_flags,
                     uint8_t recursion_count, std::string_view header_and_body,
                     const Request& request, Response response);
  // A reply with only a code and message (and RD when asked), for requests
  // that decoded but were refused before reaching the processor.
  NativeReply Refuse(const Envelope& env, uint32_t op_code, uint32_t op_flags,
                     uint8_t recursion_count, std::string_view header_and_body,
                     const absl::Status& status);
  // Answers a request that needs authentication with a 402 challenge.
  NativeReply Challenge(const Envelope& env, const MessageHeader& header,
                        std::string_view header_and_body, Request request);
  // Handles an opcode-200 answer; on success performs the pending request.
  NativeReply Answer(const Envelope& env, const MessageHeader& header,
                     std::string_view header_and_body, const wire::RequestBody& body,
                     const Peer& peer);
  // Records a failed authentication in the audit log.
  void AuditFailure(std::string_view actor, const Peer& peer, const absl::Status& status);
};

std::optional<NativeReply> NativeFrontend::Impl::Handle(std::span<const uint8_t> message,
                                                        const Peer& peer) {
  Envelope env;
  // Anything that does not even claim to be Handle protocol 2.x gets no
  // answer: replying to noise would make us a reflector.
  if (!wire::DecodeEnvelope(message, &env) || env.major_version != wire::kMajorVersion) {
    CountError(Reason::kNotHandle);
    return std::nullopt;
  }
  // The opcode, if the header is there, so that errors echo it.
  uint32_t op = 0;
  if (message.size() >= wire::kEnvelopeSize + 8) {
    ByteReader peek(message.subspan(wire::kEnvelopeSize, 8));
    op = peek.ReadU32();
    if (peek.ReadU32() != 0) {
      // A response sent to a server: answering could start an error loop
      // between two servers.
      CountError(Reason::kUnexpectedResponse);
      return std::nullopt;
    }
  }
  if (!wire::IsSupportedVersion(env.major_version, env.minor_version)) {
    return Error(Reason::kUnsupportedVersion, env, op, ResponseCode::kProtocolError,
                 absl::StrCat("unsupported protocol version ", int{env.major_version}, ".",
                              int{env.minor_version}, "; this server speaks 2.1 to 2.11"));
  }
  if (env.flags & wire::kFlagEncrypted) {
    return Error(Reason::kEncrypted, env, op, ResponseCode::kSessionTimeout,
                 "no session: encrypted messages cannot be read");
  }
  if (env.flags & wire::kFlagCompressed) {
    return Error(Reason::kCompressed, env, op, ResponseCode::kProtocolError,
                 "compressed messages are not supported");
  }
  absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(message);
  if (!raw.ok()) {
    return Error(Reason::kMalformed, env, op, ResponseCode::kProtocolError, std::string(raw.status().message()));
  }
  const MessageHeader& header = raw->header;
  CountRequest(header.op_code);
  if (!wire::IsKnownOpCode(header.op_code)) {
    return Error(Reason::kUnknownOpCode, env, op, ResponseCode::kOperationNotSupported,
                 absl::StrCat("operation ", header.op_code, " is not supported"));
  }
  if (header.expiration_time != 0 && header.expiration_time < NowSeconds()) {
    return Error(Reason::kExpired, env, op, ResponseCode::kProtocolError,
                 "the request's expiration time has passed");
  }
  const OpCode opcode = static_cast<OpCode>(header.op_code);
  absl::StatusOr<wire::RequestBody> body = wire::DecodeRequestBody(opcode, raw->body);
  if (!body.ok()) {
    return Error(Reason::kMalformed, env, op, ResponseCode::kProtocolError,
                 std::string(body.status().message()));
  }
  // The credential is read so that a malformed one is refused; checking
  // signatures comes with authentication (issue 5).
  if (!raw->credential.empty()) {
    absl::StatusOr<wire::Credential> credential = wire::DecodeCredential(raw->credential);
    if (!credential.ok()) {
      return Error(Reason::kMalformed, env, op, ResponseCode::kProtocolError,
                   std::string(credential.status().message()));
    }
  }

  Request request;
  request.op = opcode;
  request.op_flags = header.op_flags;
  request.handle = std::move(body->handle);
  request.indexes = std::move(body->indexes);
  request.types = std::move(body->types);
  request.values = std::move(body->values);
  request.peer = peer;
  if (challenges && opcode == OpCode::kChallengeResponse) {
    return Answer(env, header, raw->header_and_body, *body, peer);
  }
  Response response = processor->Process(request);
  // The processor asks for authentication (an anonymous write or listing,
  // a read of restricted values without PO): challenge the client. The
  // processor has already checked everything a challenge cannot change
  // (syntax, authority, UDP writes).
  if (challenges && response.code == ResponseCode::kAuthenticationNeeded) {
    return Challenge(env, header, raw->header_and_body, std::move(request));
  }
  return Encode(env, header.op_code, header.op_flags, header.recursion_count,
                raw->header_and_body, request, std::move(response));
}

NativeReply NativeFrontend::Impl::Encode(const Envelope& env, uint32_t op_code,
                                         uint32_t op_flags, uint8_t recursion_count,
                                         std::string_view header_and_body,
                                         const Request& request, Response response) {
  const OpCode opcode = static_cast<OpCode>(op_code);

  uint32_t reply_flags = response.op_flags;
  wire::ResponseBody out;
  if (op_flags & op_flag::kReturnDigest) {
    reply_flags |= op_flag::kReturnDigest;
    out.digest.algorithm = wire::DigestAlgorithmForVersion(env.major_version, env.minor_version);
    out.digest.digest = wire::ComputeDigest(out.digest.algorithm, header_and_body);
  }
  if (response.ok()) {
    out.handle = opcode == OpCode::kCreateHandle || opcode == OpCode::kResolution
                     ? (response.handle.empty() ? request.handle : response.handle)
                     : std::string();
    out.values = std::move(response.values);
    out.site = std::move(response.site);
    out.handles = std::move(response.handles);
  } else if (response.code == ResponseCode::kPrefixReferral) {
    // Where to go instead, in Handle.Net's referral layout (codec.h).
    out.handle = std::move(response.referral_handle);
    out.values = std::move(response.referral_values);
  } else {
    out.message = std::move(response.message);
  }
  MessageHeader h = ReplyHeader(op_code, response.code, reply_flags, recursion_count);
  NativeReply reply;
  reply.message = wire::EncodeMessage(ReplyEnvelope(env), h,
                                      wire::EncodeResponseBody(opcode, response.code, reply_flags, out));
  reply.is_error = !response.ok();
  return reply;
}

NativeReply NativeFrontend::Impl::Refuse(const Envelope& env, uint32_t op_code,
                                         uint32_t op_flags, uint8_t recursion_count,
                                         std::string_view header_and_body,
                                         const absl::Status& status) {
  const ResponseCode code = ResponseCodeOf(status);
  uint32_t reply_flags = 0;
  wire::ResponseBody out;
  if (op_flags & op_flag::kReturnDigest) {
    reply_flags |= op_flag::kReturnDigest;
    out.digest.algorithm = wire::DigestAlgorithmForVersion(env.major_version, env.minor_version);
    out.digest.digest = wire::ComputeDigest(out.digest.algorithm, header_and_body);
  }
  out.message = std::string(status.message());
  MessageHeader h = ReplyHeader(op_code, code, reply_flags, recursion_count);
  NativeReply reply;
  reply.message = wire::EncodeMessage(
      ReplyEnvelope(env), h, wire::EncodeResponseBody(OpCode(op_code), code, reply_flags, out));
  reply.is_error = true;
  return reply;
}

NativeReply NativeFrontend::Impl::Challenge(const Envelope& env, const MessageHeader& header,
                                            std::string_view header_and_body, Request request) {
  PendingChallenge p;
  p.op_code = header.op_code;
  p.op_flags = header.op_flags;
  p.recursion_count = header.recursion_count;
  p.header_and_body = std::string(header_and_body);
  // The challenge's digest is the one the reply's RD would carry: SHA-1
  // below 2.7, SHA-256 from 2.7, as deployed clients expect.
  wire::RequestDigest digest;
  digest.algorithm = wire::DigestAlgorithmForVersion(env.major_version, env.minor_version);
  digest.digest = wire::ComputeDigest(digest.algorithm, header_and_body);
  p.digest = digest.digest;
  if (auth.make_nonce) {
    p.nonce = auth.make_nonce();
  } else {
    absl::StatusOr<std::string> nonce = auth::GenerateNonce();
    if (!nonce.ok()) {
      return Refuse(env, header.op_code, header.op_flags, header.recursion_count, header_and_body,
                    HandleError(ResponseCode::kError, "cannot make a challenge nonce"));
    }
    p.nonce = *std::move(nonce);
  }
  const absl::Time now = clock.Now();
  p.deadline = now + auth.challenge_lifetime;
  request.peer = Peer{};  // the answer's peer performs it
  p.request = std::move(request);
  std::string nonce = p.nonce;
  uint32_t session_id = 0;
  {
    absl::MutexLock lock(&mu);
    while (!order.empty() && order.front().first <= now) {
      auto it = pending.find(order.front().second);
      if (it != pending.end() && it->second.deadline <= now) pending.erase(it);
      order.pop_front();
    }
    if (pending.size() >= auth.max_pending) {
      return Refuse(env, header.op_code, header.op_flags, header.recursion_count,
                    header_and_body,
                    HandleError(ResponseCode::kServerBusy, "too many pending challenges"));
    }
    for (int attempt = 0; attempt < 16 && session_id == 0; ++attempt) {
      uint32_t candidate = 0;
      if (auth.make_session_id) {
        candidate = auth.make_session_id();
      } else if (absl::StatusOr<std::string> r = auth::GenerateNonce(auth::kMinNonceBytes);
                 r.ok()) {
        std::memcpy(&candidate, r->data(), sizeof(candidate));
      }
      if (candidate != 0 && !pending.contains(candidate)) session_id = candidate;
    }
    if (session_id == 0) {
      return Refuse(env, header.op_code, header.op_flags, header.recursion_count,
                    header_and_body,
                    HandleError(ResponseCode::kServerBusy, "no free challenge session id"));
    }
    order.emplace_back(p.deadline, session_id);
    pending.emplace(session_id, std::move(p));
  }

  const uint32_t reply_flags = op_flag::kAuthoritative | op_flag::kReturnDigest |
                               (processor->options().recursive ? op_flag::kRecursive : 0);
  wire::ResponseBody out;
  out.digest = std::move(digest);
  out.nonce = std::move(nonce);
  Envelope reply_env = ReplyEnvelope(env);
  reply_env.session_id = session_id;
  MessageHeader h = ReplyHeader(header.op_code, ResponseCode::kAuthenticationNeeded, reply_flags,
                                header.recursion_count);
  NativeReply reply;
  reply.message = wire::EncodeMessage(
      reply_env, h,
      wire::EncodeResponseBody(OpCode(header.op_code), ResponseCode::kAuthenticationNeeded,
                               reply_flags, out));
  reply.is_error = true;
  return reply;
}

NativeReply NativeFrontend::Impl::Answer(const Envelope& env, const MessageHeader& header,
                                         std::string_view header_and_body,
                                         const wire::RequestBody& body, const Peer& peer) {
  auto refuse = [&](const absl::Status& status) {
    return Refuse(env, header.op_code, header.op_flags, header.recursion_count, header_and_body,
                  status);
  };
  const absl::Time now = clock.Now();
  PendingChallenge p;
  {
    absl::MutexLock lock(&mu);
    auto it = pending.find(env.session_id);
    if (it == pending.end() || it->second.deadline <= now) {
      return refuse(HandleError(
          ResponseCode::kAuthenticationTimeout,
          absl::StrCat("no pending challenge for session ", env.session_id)));
    }
    if (it->second.used) {
      return refuse(
          HandleError(ResponseCode::kAuthenticationFailed, "challenge nonce already used"));
    }
    if (it->second.closed) {
      return refuse(HandleError(
          ResponseCode::kAuthenticationFailed,
          absl::StrCat("challenge for session ", env.session_id, " was already answered wrongly")));
    }
    p = it->second;
  }
  auto close = [&]() {
    absl::MutexLock lock(&mu);
    auto it = pending.find(env.session_id);
    if (it != pending.end()) it->second.closed = true;
  };
  const AdminIdentity who{body.key_handle, body.key_index};
  const std::string identity = IdentityText(who);
  if (auth.throttle != nullptr) {
    if (absl::Status s = auth.throttle->Check(identity, peer.address); !s.ok()) {
      AuditFailure(identity, peer, s);
      return refuse(s);
    }
  }
  if (absl::Status s = auth.verify_answer(body, p.nonce, p.digest); !s.ok()) {
    // A wrong answer uses up the challenge (one guess per nonce); a
    // malformed one (404) guessed nothing.
    if (ResponseCodeOf(s) == ResponseCode::kAuthenticationFailed) close();
    if (auth.throttle != nullptr && ResponseCodeOf(s) != ResponseCode::kError) {
      auth.throttle->Failed(identity, peer.address);
    }
    AuditFailure(identity, peer, s);
    return refuse(s);
  }
  if (auth.throttle != nullptr) auth.throttle->Succeeded(identity, peer.address);
  if (absl::Status s = replay->Use(env.session_id, p.nonce); !s.ok()) return refuse(s);
  {
    absl::MutexLock lock(&mu);
    auto it = pending.find(env.session_id);
    if (it != pending.end()) it->second.used = true;
  }
  Request request = std::move(p.request);
  request.peer = peer;
  request.caller.actor = identity;
  request.caller.identity = who;
  if (auth.principal_of) request.caller.principal = auth.principal_of(who);
  request.caller.method = body.auth_type == kTypeSecKey ? "seckey" : "pubkey";
  // The reply answers the answer's envelope (its RequestId; session 0, as
  // recorded) with the original request's opcode.
  Response response = processor->Process(request);
  return Encode(env, p.op_code, p.op_flags, p.recursion_count, p.header_and_body, request,
                std::move(response));
}

void NativeFrontend::Impl::AuditFailure(std::string_view actor, const Peer& peer,
                                        const absl::Status& status) {
  if (auth.audit == nullptr) return;
  authz::AuditEvent event;
  event.time = clock.Now();
  event.actor = std::string(actor);
  event.action = "authentication failed";
  event.peer = peer.address;
  event.transport = std::string(TransportName(peer.transport));
  event.result = static_cast<uint32_t>(ResponseCodeOf(status));
  event.detail = std::string(status.message());
  (void)auth.audit->Append(std::move(event));
}

NativeFrontend::NativeFrontend(Processor* processor, MetricsRegistry* metrics, const Clock& clock,
                               NativeAuthOptions auth)
    : impl_(std::make_unique<Impl>(processor, metrics, clock, std::move(auth))) {}

NativeFrontend::~NativeFrontend() = default;

std::optional<NativeReply> NativeFrontend::Handle(std::span<const uint8_t> message,
                                                  const Peer& peer) {
  return impl_->Handle(message, peer);
}

bool NativeFrontend::MayBlock(std::span<const uint8_t> message) const {
  if (message.size() < wire::kEnvelopeSize + 4) return false;
  ByteReader in(message.subspan(wire::kEnvelopeSize, 4));
  return Processor::MayBlock(static_cast<OpCode>(in.ReadU32()));
}

}  // namespace qilian::ident
