#include "ident/native_frontend.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <vector>

#include <openssl/crypto.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/auth/challenge_answer.h"
#include "ident/auth/nonce.h"
#include "ident/auth/remote_verify.h"
#include "ident/auth/seckey_lookup.h"
#include "ident/auth/secret_key.h"
#include "ident/handle_name.h"
#include "ident/reply_certifier.h"
#include "ident/session_key_exchange.h"
#include "ident/wire/codec.h"
#include "ident/wire/session.h"

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
  kUnsigned,  // CT asked, the reply could not be signed (sent unsigned)
  kCount,
};

constexpr std::array<std::string_view, static_cast<size_t>(Reason::kCount)> kReasonNames = {
    "not_handle", "unexpected_response", "unsupported_version", "malformed",
    "compressed", "encrypted",           "unknown_opcode",      "expired",
    "unsigned"};

constexpr std::array<OpCode, 14> kOps = {
    OpCode::kResolution,        OpCode::kGetSiteInfo,      OpCode::kCreateHandle,
    OpCode::kDeleteHandle,      OpCode::kAddValue,         OpCode::kRemoveValue,
    OpCode::kModifyValue,       OpCode::kListHandles,      OpCode::kListDerivedPrefixes,
    OpCode::kChallengeResponse, OpCode::kVerifyResponse,   OpCode::kSessionSetup,
    OpCode::kSessionTerminate,  OpCode::kIdisLogin};

// A challenged request waiting for its answer, keyed by the session id
// the challenge carried. Deployed clients answer on a new TCP connection
// (HANDLE-INTEROP.md), so this state is the node's, not a connection's.
// What a challenge guards: a request or an IDIS login.
enum class ChallengeKind : uint8_t { kRequest, kLogin };

struct PendingChallenge {
  ChallengeKind kind = ChallengeKind::kRequest;
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
  // Login: who must answer, and the session's idle timeout.
  AdminIdentity identity;
  absl::Duration idle;
  // A challenge inside a session (keyed by the session's own id, as
  // Handle.Net does): a correct answer from the identity the setup claimed
  // authenticates the session.
  uint32_t session = 0;
};

// Answered challenges remembered at once (about 40 octets each).
constexpr size_t kMaxSpentChallenges = 1 << 18;

// How far behind the highest counter seen a session message may be (and
// be accepted once): pipelined clients send out of order.
constexpr uint32_t kCounterWindow = 1024;

// A live session: who it is, its key and what it has seen.
struct Session {
  // 400: the identity the setup claimed; it is the session's once a
  // challenge inside the session is answered by it (`authenticated`).
  // Until then the session's messages are performed anonymously.
  AdminIdentity claimed;
  bool authenticated = false;
  AdminIdentity identity;
  std::optional<Principal> principal;
  std::string method;   // how the identity authenticated: "seckey", "pubkey"
  // 32 octets (400); empty for an IDIS login, which is bound to the TCP
  // connection (and address) that answered its challenge instead.
  std::string key;
  uint32_t sent = 0;  // the node's own counter for MACed replies (1, 2, ...)
  std::string address;
  uint64_t connection = 0;
  absl::Duration idle;
  // 400: the idle timeout once authenticated (until then `idle` is the
  // challenge lifetime, so unproven sessions cannot fill the table).
  absl::Duration requested_idle;
  absl::Time last_used;
  uint32_t highest = 0;
  absl::flat_hash_set<uint32_t> seen;

  // Records `counter`; false if it is 0, already seen, or too old.
  bool UseCounter(uint32_t counter) {
    if (counter == 0) return false;
    if (highest >= kCounterWindow && counter <= highest - kCounterWindow) return false;
    if (!seen.insert(counter).second) return false;
    if (counter > highest) highest = counter;
    if (seen.size() > 2 * kCounterWindow) {
      const uint32_t floor = highest >= kCounterWindow ? highest - kCounterWindow : 0;
      absl::erase_if(seen, [floor](uint32_t c) { return c <= floor; });
    }
    return true;
  }
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

// How a reply in a session is sealed: it carries the session id, and an
// HS_MAC with `key` when `counter` is non-zero.
struct Seal {
  uint32_t session_id = 0;
  std::string key;
  uint32_t counter = 0;
};

struct NativeFrontend::Impl {
  Processor* processor;
  const Clock& clock;
  NativeAuthOptions auth;
  std::array<Counter*, kOps.size() + 1> requests{};  // last: unknown opcodes
  std::array<Counter*, static_cast<size_t>(Reason::kCount)> errors{};

  // Pending challenges; `order` is insertion order, which with one fixed
  // lifetime is also expiry order. Unanswered and wrongly answered ones stay
  // until they expire, bounded by auth.max_pending; a correctly answered one
  // moves to `spent` at once, which only remembers that its id was used (so
  // that a replay is named as one) until its deadline, bounded by
  // kMaxSpentChallenges (past it the oldest is forgotten: its replay then
  // finds no pending challenge, refused all the same).
  absl::Mutex mu;
  absl::flat_hash_map<uint32_t, PendingChallenge> pending ABSL_GUARDED_BY(mu);
  std::deque<std::pair<absl::Time, uint32_t>> order ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<uint32_t, absl::Time> spent ABSL_GUARDED_BY(mu);
  std::deque<std::pair<absl::Time, uint32_t>> spent_order ABSL_GUARDED_BY(mu);
  // Live sessions by session id (ids are unique across both tables).
  absl::flat_hash_map<uint32_t, Session> sessions ABSL_GUARDED_BY(mu);
  bool challenges = false;
  std::optional<ReplyCertifier> certifier;  // with a signing key

  Impl(Processor* p, MetricsRegistry* metrics, const Clock& c, NativeAuthOptions a)
      : processor(p), clock(c), auth(std::move(a)) {
    // Without a registry no answer could be verified: 402s go back as
    // they are.
    challenges = auth.registry != nullptr;
    if (auth.signing_key != nullptr) certifier.emplace(auth.signing_key);
    if (challenges && !auth.verify_answer) auth.verify_answer = RegistryVerifier(auth.registry);
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

  // Opens an encrypted message, answers it (Respond), then certifies the
  // reply when CT asks for it and encrypts it when the request was.
  std::optional<NativeReply> Handle(std::span<const uint8_t> message, const Peer& peer);
  std::optional<NativeReply> Respond(std::span<const uint8_t> message, const Peer& peer);
  // The key of live session `id` (empty if none, or one without a key).
  std::string SessionKeyOf(uint32_t id);

  // Encodes the processor's `response` to `request`: the envelope
  // answers `env`, the header carries `op_code`, and RD (when `op_flags`
  // asks for it) is the digest of `header_and_body`.
  // In a session the reply carries the session id and, when the session
  // has a key, its own HS_MAC credential with the request's counter.
  NativeReply Encode(const Envelope& env, uint32_t op_code, uint32_t op_flags,
                     uint8_t recursion_count, std::string_view header_and_body,
                     const Request& request, Response response, const Seal& seal = {});
  // Adds the session id and (with a key and counter) the HS_MAC credential
  // to `reply`.
  void SealReply(NativeReply* reply, const Seal& seal);
  // The seal of a reply to a message of session `id` whose request had
  // `op_flags`: a MAC with the node's next counter when CT asks for a
  // certified answer (Handle.Net HandleServer.sendResponse).
  Seal SealFor(uint32_t id, uint32_t op_flags) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // A reply with only a code and message (and RD when asked), for requests
  // that decoded but were refused before reaching the processor.
  NativeReply Refuse(const Envelope& env, uint32_t op_code, uint32_t op_flags,
                     uint8_t recursion_count, std::string_view header_and_body,
                     const absl::Status& status);
  // Answers a request that needs authentication with a 402 challenge.
  NativeReply Challenge(const Envelope& env, const MessageHeader& header,
                        std::string_view header_and_body, PendingChallenge p);
  // Opcode 400: agrees a session key with the client and opens an
  // unauthenticated session for the identity it claims.
  NativeReply SetupSession(const Envelope& env, const MessageHeader& header,
                           std::string_view header_and_body, const wire::RequestBody& body);
  // Opcode 2001: challenges the identity it names.
  NativeReply Login(const Envelope& env, const MessageHeader& header,
                    std::string_view header_and_body, const wire::RequestBody& body,
                    const Peer& peer);
  // A message in a live session: verifies and performs it (401 ends it).
  NativeReply InSession(const Envelope& env, const MessageHeader& header,
                        std::string_view header_and_body, const std::optional<wire::Credential>& credential,
                        Request request, const Peer& peer);
  // After a correct answer to a login challenge: makes the session.
  NativeReply OpenLoginSession(const Envelope& env, PendingChallenge p, const AdminIdentity& who,
                               std::string method, const Peer& peer);
  // Remembers that challenge `id` was answered, until `deadline`.
  void Spend(uint32_t id, absl::Time deadline, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // A fresh random id, neither a pending challenge's nor a session's (ids
  // are unpredictable, unlike Handle.Net's counter); 0 if none was found.
  uint32_t NewId() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Drops sessions idle past their timeout.
  void ExpireSessions(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Handles an opcode-200 answer; on success performs the pending request.
  NativeReply Answer(const Envelope& env, const MessageHeader& header,
                     std::string_view header_and_body, const wire::RequestBody& body,
                     const Peer& peer);
  // Answers another node's opcode-201 question: does this answer verify
  // against the HS_SECKEY of an identity homed here (auth/remote_verify.h)?
  // A verification is a guess at a secret: throttled and audited like one.
  NativeReply Verify(const Envelope& env, const MessageHeader& header,
                     std::string_view header_and_body, const wire::RequestBody& body,
                     const Peer& peer);
  // Records a failed authentication in the audit log.
  void AuditFailure(std::string_view actor, const Peer& peer, const absl::Status& status);
};

std::string NativeFrontend::Impl::SessionKeyOf(uint32_t id) {
  absl::MutexLock lock(&mu);
  auto it = sessions.find(id);
  return it == sessions.end() ? std::string() : it->second.key;
}

std::optional<NativeReply> NativeFrontend::Impl::Handle(std::span<const uint8_t> message,
                                                        const Peer& peer) {
  Envelope env;
  if (!wire::DecodeEnvelope(message, &env)) return Respond(message, peer);
  // EC: everything after the envelope is encrypted with the key of the
  // session the envelope names (docs/authentication.md, "Encryption").
  std::string opened;
  std::string reply_key;
  if ((env.flags & wire::kFlagEncrypted) && challenges &&
      wire::IsSupportedVersion(env.major_version, env.minor_version)) {
    reply_key = SessionKeyOf(env.session_id);
    if (reply_key.empty()) {
      return Error(Reason::kEncrypted, env, 0, ResponseCode::kSessionTimeout,
                   absl::StrCat("no session ", env.session_id,
                                ": encrypted messages cannot be read"));
    }
    absl::StatusOr<std::string> plain = wire::OpenEncryptedMessage(
        std::string_view(reinterpret_cast<const char*>(message.data()), message.size()),
        reply_key);
    if (!plain.ok()) {
      return Error(Reason::kEncrypted, env, 0, ResponseCode::kSessionFailed,
                   std::string(plain.status().message()));
    }
    opened = *std::move(plain);
    message = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(opened.data()),
                                       opened.size());
  } else if (message.size() >= wire::kEnvelopeSize + 12 && env.session_id != 0 && challenges) {
    // ENC without EC: a plain request that asks for an encrypted answer.
    ByteReader flags(message.subspan(wire::kEnvelopeSize + 8, 4));
    if (flags.ReadU32() & op_flag::kEncrypted) reply_key = SessionKeyOf(env.session_id);
  }
  std::optional<NativeReply> reply = Respond(message, peer);
  if (!reply) return reply;
  if (certifier && ReplyCertifier::WantsCertified(message)) {
    absl::StatusOr<std::string> certified = certifier->Certify(reply->message);
    // As deployed servers do, a reply that cannot be signed goes unsigned
    // (the client refuses it); it is logged by the counter.
    if (certified.ok()) {
      reply->message = *std::move(certified);
    } else {
      CountError(Reason::kUnsigned);
    }
  }
  if (!reply_key.empty()) {
    absl::StatusOr<std::string> sealed = wire::SealEncryptedMessage(reply->message, reply_key);
    if (!sealed.ok()) {
      // Never the plain answer to a client that asked for secrecy.
      return Error(Reason::kEncrypted, env, 0, ResponseCode::kSessionFailed,
                   "the reply cannot be encrypted");
    }
    reply->message = *std::move(sealed);
  }
  OPENSSL_cleanse(opened.data(), opened.size());
  OPENSSL_cleanse(reply_key.data(), reply_key.size());
  return reply;
}

std::optional<NativeReply> NativeFrontend::Impl::Respond(std::span<const uint8_t> message,
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
  // The credential is read so that a malformed one is refused; in a
  // session it carries the message's MAC.
  std::optional<wire::Credential> credential;
  if (!raw->credential.empty()) {
    absl::StatusOr<wire::Credential> decoded = wire::DecodeCredential(raw->credential);
    if (!decoded.ok()) {
      return Error(Reason::kMalformed, env, op, ResponseCode::kProtocolError,
                   std::string(decoded.status().message()));
    }
    credential = *std::move(decoded);
  }
  if (challenges && opcode == OpCode::kSessionSetup) {
    return SetupSession(env, header, raw->header_and_body, *body);
  }
  if (challenges && opcode == OpCode::kIdisLogin) {
    return Login(env, header, raw->header_and_body, *body, peer);
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
  if (challenges && opcode == OpCode::kVerifyResponse) {
    return Verify(env, header, raw->header_and_body, *body, peer);
  }
  // A message in a session: one whose session id is live, one that says it
  // is (an HS_MAC credential), and a terminate, which means nothing
  // outside a session. Other session ids are ignored as before (clients
  // echo the id of the last challenge).
  if (challenges && env.session_id != 0) {
    bool live = false;
    {
      absl::MutexLock lock(&mu);
      live = sessions.contains(env.session_id);
    }
    if (live || opcode == OpCode::kSessionTerminate ||
        (credential.has_value() && credential->type == wire::kMacCredentialType)) {
      return InSession(env, header, raw->header_and_body, credential, std::move(request), peer);
    }
  }
  Response response = processor->Process(request);
  // The processor asks for authentication (an anonymous write or listing,
  // a read of restricted values without PO): challenge the client. The
  // processor has already checked everything a challenge cannot change
  // (syntax, authority, UDP writes).
  if (challenges && response.code == ResponseCode::kAuthenticationNeeded) {
    PendingChallenge p;
    p.request = std::move(request);
    return Challenge(env, header, raw->header_and_body, std::move(p));
  }
  return Encode(env, header.op_code, header.op_flags, header.recursion_count,
                raw->header_and_body, request, std::move(response));
}

NativeReply NativeFrontend::Impl::Encode(const Envelope& env, uint32_t op_code,
                                         uint32_t op_flags, uint8_t recursion_count,
                                         std::string_view header_and_body,
                                         const Request& request, Response response,
                                         const Seal& seal) {
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
  if (seal.session_id != 0) SealReply(&reply, seal);
  return reply;
}

void NativeFrontend::Impl::SealReply(NativeReply* reply, const Seal& seal) {
  absl::StatusOr<wire::RawMessage> raw = wire::DecodeMessage(reply->message);
  if (!raw.ok()) return;
  Envelope env = raw->envelope;
  env.session_id = seal.session_id;
  const std::string body(raw->body);
  MessageHeader header = raw->header;
  std::string credential;
  if (!seal.key.empty() && seal.counter != 0) {
    // A certified answer in a session: CT as for a signed one, then the MAC.
    header.op_flags |= op_flag::kCertified;
    const std::string unsealed = wire::EncodeMessage(env, header, body);
    const std::string_view header_and_body =
        std::string_view(unsealed).substr(wire::kEnvelopeSize, wire::kHeaderSize + body.size());
    std::string mac = wire::ComputeSessionMac(seal.key, env, seal.counter, header_and_body);
    credential = wire::EncodeSessionCredential(seal.counter, mac);
  }
  reply->message = wire::EncodeMessage(env, header, body, credential);
}

Seal NativeFrontend::Impl::SealFor(uint32_t id, uint32_t op_flags) {
  Seal seal;
  seal.session_id = id;
  auto it = sessions.find(id);
  if (it != sessions.end() && !it->second.key.empty() && (op_flags & op_flag::kCertified)) {
    seal.key = it->second.key;
    seal.counter = ++it->second.sent;
  }
  return seal;
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
                                            std::string_view header_and_body, PendingChallenge p) {
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
  p.request.peer = Peer{};  // the answer's peer performs it
  std::string nonce = p.nonce;
  const uint32_t in_session = p.session;
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
    if (p.session != 0) {
      // Inside a session the challenge takes the session's id (Handle.Net
      // does the same); a challenge the client abandoned is replaced.
      session_id = p.session;
      pending.erase(session_id);
    }
    if (session_id == 0) session_id = NewId();
    if (session_id == 0) {
      return Refuse(env, header.op_code, header.op_flags, header.recursion_count,
                    header_and_body,
                    HandleError(ResponseCode::kServerBusy, "no free challenge session id"));
    }
    order.emplace_back(p.deadline, session_id);
    pending.emplace(session_id, std::move(p));
  }
  Seal seal;
  if (in_session != 0) {
    absl::MutexLock lock(&mu);
    seal = SealFor(in_session, header.op_flags);
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
  if (seal.session_id != 0) SealReply(&reply, seal);
  return reply;
}

NativeReply NativeFrontend::Impl::Answer(const Envelope& env, const MessageHeader& header,
                                         std::string_view header_and_body,
                                         const wire::RequestBody& body, const Peer& peer) {
  const AdminIdentity who{body.key_handle, body.key_index};
  const std::string identity = IdentityText(who);
  // Every refused answer is a failed authentication, and audited as one.
  auto refuse = [&](const absl::Status& status) {
    AuditFailure(identity, peer, status);
    return Refuse(env, header.op_code, header.op_flags, header.recursion_count, header_and_body,
                  status);
  };
  const absl::Time now = clock.Now();
  PendingChallenge p;
  {
    absl::MutexLock lock(&mu);
    auto it = pending.find(env.session_id);
    if (it == pending.end() || it->second.deadline <= now) {
      if (auto used = spent.find(env.session_id); used != spent.end() && used->second > now) {
        return refuse(
            HandleError(ResponseCode::kAuthenticationFailed, "challenge nonce already used"));
      }
      return refuse(HandleError(
          ResponseCode::kAuthenticationTimeout,
          absl::StrCat("no pending challenge for session ", env.session_id)));
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
  // A login is for the identity it named: another identity's answer, even
  // a correct one, does not open it.
  if (p.kind == ChallengeKind::kLogin &&
      (who.handle != p.identity.handle || who.index != p.identity.index)) {
    close();
    absl::Status s = HandleError(ResponseCode::kAuthenticationFailed,
                                 absl::StrCat("the answer is from ", identity, ", not ",
                                              IdentityText(p.identity), " named by the login"));
    return refuse(s);
  }
  if (auth.throttle != nullptr) {
    if (absl::Status s = auth.throttle->Check(identity, peer.address); !s.ok()) {
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
    return refuse(s);
  }
  if (auth.throttle != nullptr) auth.throttle->Succeeded(identity, peer.address);
  // Claim it: of two correct answers racing, only the first is performed.
  {
    absl::MutexLock lock(&mu);
    auto it = pending.find(env.session_id);
    if (it == pending.end() || it->second.nonce != p.nonce) {
      return refuse(
          HandleError(ResponseCode::kAuthenticationFailed, "challenge nonce already used"));
    }
    pending.erase(it);
    Spend(env.session_id, p.deadline, now);
  }
  std::string method = body.auth_type == kTypeSecKey ? "seckey" : "pubkey";
  if (p.kind == ChallengeKind::kLogin) {
    return OpenLoginSession(env, std::move(p), who, std::move(method), peer);
  }
  Request request = std::move(p.request);
  request.peer = peer;
  request.caller.actor = identity;
  request.caller.identity = who;
  if (auth.principal_of) request.caller.principal = auth.principal_of(who);
  request.caller.method = method;
  // Inside a session, the identity the setup claimed, proven now, becomes
  // the session's: its later messages need no challenge. Another identity's
  // answer performs this one request only (as Handle.Net does).
  Seal seal;
  if (p.session != 0) {
    absl::MutexLock lock(&mu);
    auto it = sessions.find(p.session);
    if (it != sessions.end()) {
      Session& session = it->second;
      if (!session.authenticated && session.claimed.handle == who.handle &&
          session.claimed.index == who.index) {
        session.authenticated = true;
        session.identity = who;
        session.principal = request.caller.principal;
        session.method = std::move(method);
        session.idle = session.requested_idle;
      }
      session.last_used = clock.Now();
      seal = SealFor(p.session, p.op_flags);
    }
  }
  // The reply answers the answer's envelope (its RequestId; session 0, as
  // recorded, or the session's) with the original request's opcode.
  Response response = processor->Process(request);
  return Encode(env, p.op_code, p.op_flags, p.recursion_count, p.header_and_body, request,
                std::move(response), seal);
}

void NativeFrontend::Impl::Spend(uint32_t id, absl::Time deadline, absl::Time now) {
  while (!spent_order.empty() &&
         (spent_order.front().first <= now || spent.size() >= kMaxSpentChallenges)) {
    auto it = spent.find(spent_order.front().second);
    if (it != spent.end() && it->second == spent_order.front().first) spent.erase(it);
    spent_order.pop_front();
  }
  spent[id] = deadline;
  spent_order.emplace_back(deadline, id);
}

uint32_t NativeFrontend::Impl::NewId() {
  for (int attempt = 0; attempt < 16; ++attempt) {
    uint32_t candidate = 0;
    if (auth.make_session_id) {
      candidate = auth.make_session_id();
    } else if (absl::StatusOr<std::string> r = auth::GenerateNonce(auth::kMinNonceBytes); r.ok()) {
      std::memcpy(&candidate, r->data(), sizeof(candidate));
    }
    // Positive as a Java int: hdllib treats ids <= 0 as no session.
    candidate &= 0x7fffffff;
    if (candidate != 0 && !pending.contains(candidate) && !sessions.contains(candidate)) {
      return candidate;
    }
  }
  return 0;
}

void NativeFrontend::Impl::ExpireSessions(absl::Time now) {
  absl::erase_if(sessions, [now](const auto& entry) {
    return entry.second.last_used + entry.second.idle <= now;
  });
}


NativeReply NativeFrontend::Impl::SetupSession(const Envelope& env, const MessageHeader& header,
                                               std::string_view header_and_body,
                                               const wire::RequestBody& body) {
  auto refuse = [&](ResponseCode code, std::string_view message) {
    return Refuse(env, header.op_code, header.op_flags, header.recursion_count, header_and_body,
                  HandleError(code, std::string(message)));
  };
  // The session MAC covers envelope fields only from 2.7 on; older forms
  // MAC less (2.5, 2.6 overwrite their own fields), so they get no session.
  if (env.minor_version < 7) {
    return refuse(ResponseCode::kSessionNoSupport, "sessions need protocol 2.7 or later");
  }
  absl::StatusOr<wire::SessionSetup> setup = wire::DecodeSessionSetup(body);
  if (!setup.ok()) {
    return refuse(ResponseCode::kProtocolError, std::string(setup.status().message()));
  }
  absl::StatusOr<SessionKeyAgreement> agreed = AgreeSessionKey(*setup, auth.registry);
  if (!agreed.ok()) {
    return refuse(ResponseCodeOf(agreed.status()), std::string(agreed.status().message()));
  }
  Session session;
  session.claimed = AdminIdentity{setup->identity_handle, setup->identity_index};
  session.key = std::move(agreed->key);
  session.requested_idle = auth.session_max_idle;
  if (setup->timeout > 0) {
    session.requested_idle = std::min(session.requested_idle, absl::Seconds(setup->timeout));
  }
  // Unproven, a session lives no longer than a challenge: an anonymous
  // client can hold a slot for that long only.
  session.idle = std::min(session.requested_idle, auth.challenge_lifetime);
  session.last_used = clock.Now();
  uint32_t session_id = 0;
  {
    absl::MutexLock lock(&mu);
    ExpireSessions(session.last_used);
    if (sessions.size() >= auth.max_sessions) {
      return refuse(ResponseCode::kServerBusy, "too many sessions");
    }
    session_id = NewId();
    if (session_id == 0) return refuse(ResponseCode::kServerBusy, "no free session id");
    sessions.emplace(session_id, std::move(session));
  }
  wire::ResponseBody out;
  uint32_t reply_flags = op_flag::kAuthoritative;
  if (header.op_flags & op_flag::kReturnDigest) {
    reply_flags |= op_flag::kReturnDigest;
    out.digest.algorithm = wire::DigestAlgorithmForVersion(env.major_version, env.minor_version);
    out.digest.digest = wire::ComputeDigest(out.digest.algorithm, header_and_body);
  }
  out.key_exchange_mode = setup->mode;
  out.raw = wire::EncodeSetupReplyData(agreed->reply_data, setup->padded);  // mirror the client
  Envelope reply_env = ReplyEnvelope(env);
  reply_env.session_id = session_id;
  NativeReply reply;
  reply.message = wire::EncodeMessage(
      reply_env, ReplyHeader(header.op_code, ResponseCode::kSuccess, reply_flags,
                             header.recursion_count),
      wire::EncodeResponseBody(OpCode::kSessionSetup, ResponseCode::kSuccess, reply_flags, out));
  return reply;
}

NativeReply NativeFrontend::Impl::Login(const Envelope& env, const MessageHeader& header,
                                        std::string_view header_and_body,
                                        const wire::RequestBody& body, const Peer& peer) {
  auto refuse = [&](ResponseCode code, std::string_view message) {
    return Refuse(env, header.op_code, header.op_flags, header.recursion_count, header_and_body,
                  HandleError(code, std::string(message)));
  };
  // A login session has no key: it is bound to the address that logged
  // in, which only means something on a connection.
  if (peer.transport != Transport::kTcp) {
    return refuse(ResponseCode::kSessionFailed, "IDIS login needs TCP");
  }
  if (body.key_handle.empty()) {
    return refuse(ResponseCode::kSessionFailed, "IDIS login needs an identity handle");
  }
  {
    absl::MutexLock lock(&mu);
    ExpireSessions(clock.Now());
    if (sessions.size() >= auth.max_sessions) {
      return refuse(ResponseCode::kServerBusy, "too many sessions");
    }
  }
  PendingChallenge p;
  p.kind = ChallengeKind::kLogin;
  p.identity = AdminIdentity{body.key_handle, body.key_index};
  p.idle = auth.session_max_idle;
  return Challenge(env, header, header_and_body, std::move(p));
}

NativeReply NativeFrontend::Impl::OpenLoginSession(const Envelope& env, PendingChallenge p,
                                                   const AdminIdentity& who, std::string method,
                                                   const Peer& peer) {
  auto refuse = [&](const absl::Status& status) {
    return Refuse(env, p.op_code, p.op_flags, p.recursion_count, p.header_and_body, status);
  };
  Session session;
  session.authenticated = true;
  session.claimed = who;
  session.identity = who;
  if (auth.principal_of) session.principal = auth.principal_of(who);
  session.method = std::move(method);
  session.idle = p.idle;
  session.last_used = clock.Now();
  session.address = peer.address;
  session.connection = peer.connection;
  // The session takes the challenge's id: the client already knows it.
  const uint32_t session_id = env.session_id;
  {
    absl::MutexLock lock(&mu);
    ExpireSessions(session.last_used);
    if (sessions.size() >= auth.max_sessions) {
      return refuse(HandleError(ResponseCode::kServerBusy, "too many sessions"));
    }
    sessions[session_id] = std::move(session);
  }
  uint32_t reply_flags = 0;
  wire::ResponseBody out;
  if (p.op_flags & op_flag::kReturnDigest) {
    reply_flags |= op_flag::kReturnDigest;
    out.digest.algorithm = wire::DigestAlgorithmForVersion(env.major_version, env.minor_version);
    out.digest.digest = wire::ComputeDigest(out.digest.algorithm, p.header_and_body);
  }
  Envelope reply_env = ReplyEnvelope(env);
  reply_env.session_id = session_id;
  MessageHeader h = ReplyHeader(p.op_code, ResponseCode::kSuccess, reply_flags, p.recursion_count);
  NativeReply reply;
  reply.message = wire::EncodeMessage(
      reply_env, h, wire::EncodeResponseBody(OpCode(p.op_code), ResponseCode::kSuccess, reply_flags, out));
  return reply;
}

NativeReply NativeFrontend::Impl::InSession(const Envelope& env, const MessageHeader& header,
                                            std::string_view header_and_body,
                                            const std::optional<wire::Credential>& credential,
                                            Request request, const Peer& peer) {
  const uint32_t id = env.session_id;
  auto refuse = [&](ResponseCode code, std::string message) {
    return Refuse(env, header.op_code, header.op_flags, header.recursion_count, header_and_body,
                  HandleError(code, std::move(message)));
  };
  // A refusal that is a failed authentication: audited under `actor`.
  auto reject = [&](std::string_view actor, ResponseCode code, std::string message) {
    absl::Status s = HandleError(code, std::move(message));
    AuditFailure(actor, peer, s);
    return refuse(code, std::string(s.message()));
  };
  const bool terminate = header.op_code == static_cast<uint32_t>(OpCode::kSessionTerminate);
  const absl::Time now = clock.Now();
  Caller caller;
  Seal seal;
  bool authenticated = false;
  {
    absl::MutexLock lock(&mu);
    auto it = sessions.find(id);
    if (it != sessions.end() && it->second.last_used + it->second.idle <= now) {
      sessions.erase(it);
      it = sessions.end();
    }
    if (it == sessions.end()) {
      return refuse(ResponseCode::kSessionTimeout,
                    absl::StrCat("no session ", id, " (timed out, ended or never set up)"));
    }
    Session& session = it->second;
    const std::string actor =
        IdentityText(session.authenticated ? session.identity : session.claimed);
    if (session.key.empty()) {
      // An IDIS login session: bound to the connection that logged in.
      if (peer.transport != Transport::kTcp || peer.address != session.address ||
          peer.connection != session.connection) {
        return reject(actor, ResponseCode::kSessionFailed,
                      absl::StrCat("session ", id, " belongs to another client"));
      }
    } else {
      if (!credential.has_value() || credential->type != wire::kMacCredentialType) {
        return refuse(ResponseCode::kSessionMessageRejected,
                      absl::StrCat("session ", id, ": messages must carry an HS_MAC credential"));
      }
      if (credential->digest_algorithm != wire::kHmacSha256Name) {
        return refuse(ResponseCode::kSessionMessageRejected,
                      absl::StrCat("session ", id, ": MAC algorithm '",
                                   credential->digest_algorithm,
                                   "' is not accepted, only HMAC-SHA256"));
      }
      const uint32_t counter = credential->signer_index;
      // 502 as Handle.Net answers a MAC that does not verify.
      if (!wire::VerifySessionMac(session.key, env, counter, header_and_body,
                                  credential->signed_data)) {
        return reject(actor, ResponseCode::kNoSessionKey,
                      absl::StrCat("session ", id, ": the message MAC does not verify"));
      }
      // Only a message whose MAC checks out moves the window, so a forger
      // cannot burn counters.
      if (!session.UseCounter(counter)) {
        return reject(actor, ResponseCode::kSessionMessageRejected,
                      absl::StrCat("session ", id, ": message counter ", counter,
                                   " already used or too old"));
      }
    }
    session.last_used = now;
    authenticated = session.authenticated;
    if (authenticated) {
      caller.actor = actor;
      caller.identity = session.identity;
      caller.principal = session.principal;
      caller.method = "session";
    }
    if (terminate) {
      seal = SealFor(id, header.op_flags);
      sessions.erase(it);
    }
  }
  if (terminate) {
    Response done;
    done.code = ResponseCode::kSuccess;
    return Encode(env, header.op_code, header.op_flags, header.recursion_count, header_and_body,
                  request, std::move(done), seal);
  }
  request.caller = std::move(caller);
  Response response = processor->Process(request);
  // Not proven yet: the processor's 402 becomes a challenge inside the
  // session, which the identity the setup claimed answers once.
  if (!authenticated && response.code == ResponseCode::kAuthenticationNeeded) {
    PendingChallenge p;
    p.request = std::move(request);
    p.session = id;
    return Challenge(env, header, header_and_body, std::move(p));
  }
  {
    absl::MutexLock lock(&mu);
    seal = SealFor(id, header.op_flags);
  }
  return Encode(env, header.op_code, header.op_flags, header.recursion_count, header_and_body,
                request, std::move(response), seal);
}

NativeReply NativeFrontend::Impl::Verify(const Envelope& env, const MessageHeader& header,
                                         std::string_view header_and_body,
                                         const wire::RequestBody& body, const Peer& peer) {
  const std::string identity = IdentityText(AdminIdentity{body.key_handle, body.key_index});
  auto refuse = [&](const absl::Status& status) {
    AuditFailure(identity, peer, status);
    return Refuse(env, header.op_code, header.op_flags, header.recursion_count, header_and_body,
                  status);
  };
  if (auth.throttle != nullptr) {
    if (absl::Status s = auth.throttle->Check(identity, peer.address); !s.ok()) return refuse(s);
  }
  absl::StatusOr<bool> verified = auth::AnswerVerification(*auth.registry, body);
  if (!verified.ok()) return refuse(verified.status());
  if (auth.throttle != nullptr) {
    if (*verified) {
      auth.throttle->Succeeded(identity, peer.address);
    } else {
      auth.throttle->Failed(identity, peer.address);
    }
  }
  if (!*verified) {
    AuditFailure(identity, peer,
                 HandleError(ResponseCode::kAuthenticationFailed,
                             absl::StrCat("verification for ", peer.address, " did not match")));
  }
  uint32_t flags = op_flag::kAuthoritative;
  wire::ResponseBody out;
  out.verified = *verified;
  if (header.op_flags & op_flag::kReturnDigest) {
    flags |= op_flag::kReturnDigest;
    out.digest.algorithm = wire::DigestAlgorithmForVersion(env.major_version, env.minor_version);
    out.digest.digest = wire::ComputeDigest(out.digest.algorithm, header_and_body);
  }
  NativeReply reply;
  reply.message = wire::EncodeMessage(
      ReplyEnvelope(env), ReplyHeader(header.op_code, ResponseCode::kSuccess, flags,
                                      header.recursion_count),
      wire::EncodeResponseBody(OpCode::kVerifyResponse, ResponseCode::kSuccess, flags, out));
  return reply;
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
  const OpCode op = static_cast<OpCode>(in.ReadU32());
  // A challenge answer performs the write it was asked for, may derive a
  // PBKDF2 key, or may ask the identity's home node (opcode 201).
  return Processor::MayBlock(op) || op == OpCode::kChallengeResponse;
}

}  // namespace qilian::ident
