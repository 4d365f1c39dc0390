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
#include "ident/authz/admin_check.h"
#include "ident/processor.h"
#include "ident/registry.h"

namespace qilian::ident {

struct NativeReply {
  std::string message;  // the whole reply: envelope + header + body (+ credential)
  bool is_error = false;  // an error reply (UDP rate-limits these)
};

// Secret-key authentication of native writes ([auth] native;
// docs/authentication.md, "Wiring"). When enabled, every administrative
// request (opcodes 100-105; writes over UDP still get the processor's 4) is
// answered 402 with a nonce, the request digest and a fresh session id;
// the client's opcode-200 answer (on any connection, carrying that session
// id) is verified against the HS_SECKEY value it names, its nonce recorded
// against replay, and the identity's HS_ADMIN permission checked, before
// the pending request is performed.
struct NativeAuthOptions {
  bool enabled = false;
  // Where HS_SECKEY and HS_ADMIN values are read (the processor's
  // registry). Required when enabled.
  const Registry* registry = nullptr;
  // How long a challenge may be answered, and how many may be pending at
  // once (past it: 3 SERVER_BUSY).
  absl::Duration challenge_lifetime = absl::Seconds(30);
  size_t max_pending = 10000;
  authz::AdminCheckOptions admin_check;
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
