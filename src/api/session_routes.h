// REST sessions with public-key (or secret-key) challenge authentication,
// as Handle.Net v9's HTTP JSON REST API has them (issue 5; docs/api.md
// "Sessions"; docs/authentication.md "REST"):
//   POST /api/sessions          -> 201 {"sessionId", "nonce"} (nonce base64)
//   Authorization: Handle version="0", sessionId="...", id="300:0.NA/X",
//       type="HS_PUBKEY", alg="SHA256", cnonce="<base64>",
//       signature="<base64 signature over nonce ‖ cnonce>"
//   Authorization: Handle sessionId="..."   (once authenticated)
//   GET|PUT|POST /api/sessions/this, DELETE /api/sessions/this
// RestSessions is the in-memory store; credentials.cc verifies the header
// against it; the handlers here serve the routes.
#ifndef QILIAN_API_SESSION_ROUTES_H_
#define QILIAN_API_SESSION_ROUTES_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "api/routes.h"
#include "core/clock.h"
#include "ident/caller.h"
#include "net/http_message.h"

namespace qilian::api {

struct RestSessionOptions {
  // A session is forgotten after this long without a request naming it.
  absl::Duration max_idle = absl::Minutes(30);
  // Live sessions at most; past it POST /api/sessions answers 503 (code 3).
  size_t max_sessions = 10000;
  // Tests only: the server nonce of each new session (default: 20 random
  // octets from OpenSSL).
  std::function<std::string()> make_nonce;
};

// One session as a request sees it.
struct RestSession {
  std::string id;     // 40 hex digits, random
  std::string nonce;  // raw octets; base64 on the wire
  // The identity the session acts as, once authenticated.
  std::optional<ident::AdminIdentity> identity;
  // Whether the nonce has authenticated the session (it may do so once).
  bool nonce_used = false;
  // The Authorization header that authenticated it, so that a client which
  // sends the same header again (Handle.Net accepts that: "seen before")
  // is not taken for a replay.
  std::string authorization;
};

// Thread-safe, bounded, idle-expiring; the clock is injectable.
class RestSessions {
 public:
  explicit RestSessions(const Clock& clock, RestSessionOptions options = {});
  RestSessions(const RestSessions&) = delete;
  RestSessions& operator=(const RestSessions&) = delete;

  // A new unauthenticated session with a fresh nonce, or one already bound
  // to `identity` (a POST /api/sessions with Basic credentials, as
  // Handle.Net allows). 503/code 3 "too many sessions" when full.
  absl::StatusOr<RestSession> Create(std::optional<ident::AdminIdentity> identity = std::nullopt);

  // The live session `id` (its idle timer restarts), or nullopt.
  std::optional<RestSession> Find(std::string_view id);

  // Binds session `id` to `identity` after its nonce was verified for it.
  // 405 "session is unknown or has expired"; 403 "the nonce of this session
  // has already been used" when another authentication got there first
  // (checked and set under one lock, so two racing answers cannot both win).
  absl::Status Bind(std::string_view id, const ident::AdminIdentity& identity,
                    std::string_view authorization);

  // Ends session `id`; false if it was not live.
  bool Remove(std::string_view id);

  size_t size();

 private:
  struct Entry {
    RestSession session;
    absl::Time last_used;
  };
  bool LiveLocked(const Entry& entry, absl::Time now) const;
  void SweepLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock& clock_;
  const RestSessionOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mu_);
};

// 405 AUTHENTICATION TIMEOUT, HTTP 401.
absl::Status UnknownSession();

// The sessionId of an `Authorization: Handle ...` header, or nullopt when
// the request has none (any other scheme, no header, a malformed one).
std::optional<std::string> HandleSessionIdOf(const net::HttpRequest& request);

// Internal to the api module: RestApi's router hands kSessions and kSession
// here once the route and method matched and the caller was established
// (a Handle header naming an unknown session has already been refused).
struct Call;
net::HttpResponse HandleSessionRoute(RestSessions* sessions, Call* call, RouteId route);

}  // namespace qilian::api

#endif  // QILIAN_API_SESSION_ROUTES_H_
