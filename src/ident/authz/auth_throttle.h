// Throttling of failed authentications (issue 5, "Abuse limits";
// docs/abuse-limits.md). Secrets can be guessed only as fast as the node
// checks them: after max_failures failed authentications for one identity,
// or from one source address, further attempts are refused without looking
// at the credential until a back-off has passed. Each further failure once
// the threshold is reached doubles the back-off, up to max_backoff.
//
// Identity and source are counted apart: a guesser spreading over many
// identities from one address is stopped by the address, one spreading over
// many addresses against one identity by the identity. Success clears the
// identity's count only; the address keeps its count, so that one valid
// credential cannot be used to wash away guesses against other identities.
// A count is forgotten `window` after the last failure or the end of the
// last back-off, whichever is later.
//
// Refusals use 406 AUTHENTICATION ERROR: the credential was not checked, so
// 403 AUTHENTICATION FAILED ("wrong credential") would mislead the client;
// 406 is the Handle protocol's code for "authentication could not be done"
// that every deployed client knows, and it maps to HTTP 401 on REST, whereas
// IDIS 604 RATE LIMITED is the write-quota code and maps to HTTP 500.
//
// Memory is bounded: at most max_entries identities and addresses together
// (evicting the least recently failed); the front doors call Failed() only
// after a real check, so an evicted entry costs an attacker as many
// failures as its threshold, again.
#ifndef QILIAN_IDENT_AUTHZ_AUTH_THROTTLE_H_
#define QILIAN_IDENT_AUTHZ_AUTH_THROTTLE_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/clock.h"

namespace qilian::ident::authz {

struct AuthThrottleOptions {
  uint32_t max_failures = 5;  // failures before the first refusal; 0: never throttle
  absl::Duration window = absl::Minutes(15);  // see the class comment
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(15);
  size_t max_entries = 100'000;
};

class AuthThrottle {
 public:
  // `clock` must outlive this object; nullptr means Clock::Real().
  explicit AuthThrottle(AuthThrottleOptions options = {}, const Clock* clock = nullptr);
  ~AuthThrottle();
  AuthThrottle(const AuthThrottle&) = delete;
  AuthThrottle& operator=(const AuthThrottle&) = delete;

  // Before checking a credential: OK, or 406 AUTHENTICATION ERROR with
  // "too many failed authentications for <actor>; retry in <n> s" (the
  // identity is throttled) or "... from <source>; retry in <n> s" (the
  // address is), n rounded up to whole seconds. `actor` is the identity as
  // the client names it ("300:88.999/ADMIN", "user:alice"); `source` the
  // peer's address as text. Either may be empty (not counted). Thread-safe.
  absl::Status Check(std::string_view actor, std::string_view source);

  // After a credential check that failed. Not for refusals by Check.
  void Failed(std::string_view actor, std::string_view source);

  // After a credential check that succeeded: the identity starts over.
  void Succeeded(std::string_view actor, std::string_view source);

  // Identities and addresses tracked now (for tests and /metrics).
  size_t tracked() const;

 private:
  struct Entry {
    uint32_t failures = 0;
    int64_t last_failure_ns = 0;
    int64_t blocked_until_ns = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> entries;
  };
  static constexpr size_t kShards = 16;

  Shard& ShardFor(const std::string& key);
  // Nanoseconds `key` is still blocked for at `now`; 0 when it is not.
  int64_t BlockedFor(const std::string& key, int64_t now);
  void Fail(const std::string& key, int64_t now);

  const AuthThrottleOptions options_;
  const Clock* const clock_;
  const size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace qilian::ident::authz

#endif  // QILIAN_IDENT_AUTHZ_AUTH_THROTTLE_H_
