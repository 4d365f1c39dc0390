// Challenge nonces and the replay cache for challenge answers.
//
// A 402 challenge carries a fresh random nonce; the answer is bound to it,
// so a server that remembers which (session, nonce) pairs it has already
// accepted refuses a recorded answer sent again. The cache is bounded in
// entries and in time (an injectable Clock): entries expire after `ttl`,
// which must be at least the challenge lifetime, and when the cache is full
// of live entries it refuses new ones instead of forgetting live ones (a
// forgotten nonce could be replayed).
#ifndef QILIAN_IDENT_AUTH_NONCE_H_
#define QILIAN_IDENT_AUTH_NONCE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"

namespace qilian::ident::auth {

// RFC 3652 asks for at least 20 octets (deployed servers send 16; clients
// read the length).
inline constexpr size_t kNonceBytes = 20;
inline constexpr size_t kMinNonceBytes = 20;
inline constexpr size_t kMaxNonceBytes = 256;

// `bytes` octets from OpenSSL's CSPRNG (RAND_bytes). InvalidArgument when
// `bytes` is outside kMinNonceBytes..kMaxNonceBytes.
absl::StatusOr<std::string> GenerateNonce(size_t bytes = kNonceBytes);

class ReplayCache {
 public:
  static constexpr size_t kDefaultCapacity = 1 << 16;

  ReplayCache(const Clock& clock, absl::Duration ttl, size_t capacity = kDefaultCapacity);
  ReplayCache(const ReplayCache&) = delete;
  ReplayCache& operator=(const ReplayCache&) = delete;

  // Records that the answer to (session_id, nonce) was accepted. Fails with
  // HandleError(kAuthenticationFailed, "challenge nonce already used") if
  // the pair was recorded less than `ttl` ago, and with
  // HandleError(kServerBusy, "replay cache full") when `capacity` live
  // entries are held. Thread-safe.
  absl::Status Use(uint32_t session_id, std::string_view nonce);

  // Live entries (after dropping the expired ones).
  size_t size();

 private:
  using Key = std::pair<uint32_t, std::string>;

  void ExpireLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock& clock_;
  const absl::Duration ttl_;
  const size_t capacity_;
  absl::Mutex mu_;
  absl::flat_hash_map<Key, absl::Time> expiry_ ABSL_GUARDED_BY(mu_);
  // Insertion order; with a fixed ttl also expiry order.
  std::deque<std::pair<absl::Time, Key>> order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_NONCE_H_
