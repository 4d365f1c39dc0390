// The native Handle protocol front door, transport-independent: takes one
// complete message (envelope + header + body + credential, already framed
// by TCP or reassembled from UDP packets), decodes it with wire/codec.h,
// calls the Processor, and encodes the reply. The UDP and TCP servers only
// move bytes; everything the protocol decides happens here or in the
// processor.
#ifndef QILIAN_IDENT_NATIVE_FRONTEND_H_
#define QILIAN_IDENT_NATIVE_FRONTEND_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <functional>

#include "absl/time/time.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "ident/auth/public_key.h"
#include "ident/authz/audit_log.h"
#include "ident/authz/auth_throttle.h"
#include "ident/caller.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "ident/wire/codec.h"

namespace qilian::ident {

struct NativeReply {
  std::string message;  // the whole reply: envelope + header + body (+ credential)
  bool is_error = false;  // an error reply (UDP rate-limits these)
};

// Authentication of native requests (docs/authentication.md, "Native
// challenge-response"). When the processor answers 402 (an anonymous write
// or listing, or a read of values without public read by a client that did
// not set PO), the front end answers with a challenge instead: a nonce, the
// request digest and a fresh session id. The client's opcode-200 answer (on
// any connection, carrying that session id) is verified against the key it
// names, its nonce recorded against replay, and the pending request is then
// performed by the processor on behalf of that identity (whose access policy
// decides). Failed authentications go to the audit log.
//
// Sessions, as the reference client makes them (docs/authentication.md,
// "Sessions"): a 400 (key exchange mode 4, finite-field DH or X25519; or
// 1/3, the node's key RSA-encrypted to the client's) is answered at once
// with the node's half of the exchange and a session id;
// the session belongs to no one yet. Each message in it carries an HS_MAC
// (HMAC-SHA256 with the session key over envelope fields, a per-message
// counter and the header and body). The first one that needs
// authentication is challenged inside the session; a correct answer by the
// identity the setup claimed makes the session that identity's, and its
// later messages are performed without a challenge. Messages may be
// encrypted with the session key (envelope EC). 401 ends a session. An
// IDIS login (2001) is challenged first and then bound to its connection.
//
// Certified answers: with a signing key, every reply to a request with CT
// is signed (reply_certifier.h), inside a session MACed instead.
struct NativeAuthOptions {
  // Where HS_SECKEY / HS_PUBKEY values are read. Null: no challenges (the
  // 402 goes back as it is).
  const Registry* registry = nullptr;
  // How long a challenge may be answered, and how many may be pending at
  // once (past it: 3 SERVER_BUSY).
  absl::Duration challenge_lifetime = absl::Seconds(30);
  size_t max_pending = 10000;
  // The role and tenancy of an authenticated identity (enterprise staff,
  // console user, operator), if it has one.
  std::function<std::optional<Principal>(const AdminIdentity&)> principal_of;
  // Verifies one opcode-200 answer; OK or the HandleError to answer
  // (403/404). Default: HS_SECKEY answers against `registry`.
  std::function<absl::Status(const wire::RequestBody& answer, std::string_view nonce,
                             std::string_view digest)>
      verify_answer;
  // Failed authentications are appended here; null: not recorded.
  authz::AuditLog* audit = nullptr;
  // Refuses answers (406) for an identity or address after repeated
  // failures; null: no throttling.
  authz::AuthThrottle* throttle = nullptr;
  // Sessions (opcode 400/401) and IDIS logins (2001), docs/authentication.md
  // "Sessions": a session ends when it has been idle this long (or the
  // shorter timeout the client asked for); at most max_sessions live at
  // once (past it: 3 SERVER_BUSY).
  absl::Duration session_max_idle = absl::Hours(24);
  size_t max_sessions = 10000;
  // The node's RSA signing key: certified answers (CT) and session setup
  // replies. Null: CT requests are answered unsigned.
  const auth::PrivateKey* signing_key = nullptr;
  // Tests only: the nonce and session id of each challenge (default: 20
  // random octets, a random non-zero session id).
  std::function<std::string()> make_nonce;
  std::function<uint32_t()> make_session_id;
};

class NativeFrontend {
 public:
  // `clock` decides whether a request's ExpirationTime has passed and
  // stamps the replies' own; it also expires pending challenges.
  NativeFrontend(Processor* processor, MetricsRegistry* metrics,
                 const Clock& clock = Clock::Real(), NativeAuthOptions auth = {});
  ~NativeFrontend();

  // Answers one message. nullopt means stay silent: the bytes are not a
  // Handle message at all (on UDP, answering garbage invites reflection).
  std::optional<NativeReply> Handle(std::span<const uint8_t> message, const Peer& peer);

  // Whether handling `message` may block on durable storage.
  bool MayBlock(std::span<const uint8_t> message) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_NATIVE_FRONTEND_H_
