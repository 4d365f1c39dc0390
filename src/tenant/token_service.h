// Short-lived Bearer tokens for console users (issue 5,
// docs/console-users.md): a user logs in with name and password and gets a
// random token that authenticates REST requests until it expires.
//
// A token is 32 random octets, base64url without padding (43 characters).
// Only its SHA-256 is held, in memory: a restart logs everybody out, and a
// memory dump does not reveal usable tokens. The table is bounded; an
// expired token is remembered for a while (bounded too) so that its holder
// is told "expired" (405) rather than "not valid" (403).
//
// Login does the scrypt work even for a name that does not exist, against
// a dummy hash of the same cost, so that the answer time does not tell
// whether a user exists; both failures read "wrong user name or password".
#ifndef QILIAN_TENANT_TOKEN_SERVICE_H_
#define QILIAN_TENANT_TOKEN_SERVICE_H_

#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "ident/authz/audit_log.h"
#include "ident/authz/auth_throttle.h"
#include "ident/caller.h"
#include "ident/response_code.h"
#include "tenant/user_store.h"

namespace qilian::tenant {

inline constexpr size_t kTokenBytes = 32;
inline constexpr size_t kTokenChars = 43;  // base64url of 32 octets, no padding

struct TokenServiceOptions {
  absl::Duration lifetime = absl::Minutes(15);
  // Live tokens held at most; a login beyond it evicts the token closest
  // to expiry.
  size_t max_tokens = 10000;
  // How long, and how many, expired tokens are remembered to answer 405.
  absl::Duration expired_memory = absl::Hours(1);
  size_t max_expired = 10000;
  // Logins, failed logins and logouts are appended here when set (actor
  // "user:<name>", peer = Login's `source`, transport "http").
  ident::authz::AuditLog* audit = nullptr;
  // Refuses logins (406) of a user or from an address after repeated
  // failures; null: no throttling.
  ident::authz::AuthThrottle* throttle = nullptr;
};

struct LoginResult {
  std::string token;
  absl::Time expires_at;
  User user;
};

class TokenService {
 public:
  // `users` and `clock` must outlive this object.
  TokenService(UserStore* users, const Clock& clock, TokenServiceOptions options = {});

  // 403 "wrong user name or password" for an unknown user or a wrong
  // password; 403 "user '<name>' is disabled" for a disabled user who gave
  // the right password. `source` is the peer address, for the audit log.
  absl::StatusOr<LoginResult> Login(std::string_view name, std::string_view password,
                                    std::string_view source);

  // The Caller a Bearer token stands for (method "bearer"):
  //   unknown or malformed token      403 "bearer token is not valid"
  //   expired token                   405 "bearer token expired"
  //   user deleted since login        403 "bearer token is not valid"
  //   user disabled since login       403 "user '<name>' is disabled"
  absl::StatusOr<ident::Caller> Authenticate(std::string_view token, absl::Time now);
  absl::StatusOr<ident::Caller> Authenticate(std::string_view token) {
    return Authenticate(token, clock_.Now());
  }
  // The user name a live token belongs to (same errors as Authenticate,
  // without reading the user).
  absl::StatusOr<std::string> UserOf(std::string_view token, absl::Time now);

  // For the audit trail of a refused token: "user:<name>" of a live or
  // recently expired token, else "bearer" (unknown or malformed).
  std::string ActorOf(std::string_view token);

  // Forgets the token (OK also when it was unknown or expired). `source`
  // is for the audit log.
  void Logout(std::string_view token, std::string_view source = "");

  // Drops every token of `name` (after a password change or deletion).
  void RevokeUser(std::string_view name);

  size_t live_tokens();

  const TokenServiceOptions& options() const { return options_; }

 private:
  // Login without the throttle around it.
  absl::StatusOr<LoginResult> LoginChecked(std::string_view name, std::string_view password,
                                           std::string_view source);

  struct Entry {
    std::string user;
    absl::Time expires_at;
  };
  // Ordered by expiry, for eviction and sweeping.
  using ExpiryIndex = std::set<std::pair<absl::Time, std::string>>;

  void SweepLocked(absl::Time now);
  void ForgetLocked(const std::string& digest);
  void Audit(std::string_view user, std::string_view action, std::string_view source,
             ident::ResponseCode result, std::string_view detail);

  UserStore* users_;
  const Clock& clock_;
  TokenServiceOptions options_;
  std::string dummy_hash_;  // for unknown users: same scrypt cost

  std::mutex mu_;
  absl::flat_hash_map<std::string, Entry> live_;     // SHA-256 -> entry
  ExpiryIndex live_by_expiry_;
  struct Expired {
    absl::Time expiry;
    std::string user;  // so that a refused token still names its user
  };
  absl::flat_hash_map<std::string, Expired> expired_;  // SHA-256 -> expiry, user
  ExpiryIndex expired_by_expiry_;
};

}  // namespace qilian::tenant

#endif  // QILIAN_TENANT_TOKEN_SERVICE_H_
