#include "ident/auth/nonce.h"

#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {

absl::StatusOr<std::string> GenerateNonce(size_t bytes) {
  if (bytes < kMinNonceBytes || bytes > kMaxNonceBytes) {
    return absl::InvalidArgumentError(absl::StrCat("nonce length ", bytes, " outside ",
                                                   kMinNonceBytes, "..", kMaxNonceBytes));
  }
  std::string nonce(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), static_cast<int>(bytes)) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed");
  }
  return nonce;
}

ReplayCache::ReplayCache(const Clock& clock, absl::Duration ttl, size_t capacity)
    : clock_(clock), ttl_(ttl), capacity_(capacity) {}

void ReplayCache::ExpireLocked(absl::Time now) {
  while (!order_.empty() && order_.front().first <= now) {
    auto it = expiry_.find(order_.front().second);
    // A key re-recorded after expiring has a later expiry; keep that one.
    if (it != expiry_.end() && it->second <= now) expiry_.erase(it);
    order_.pop_front();
  }
}

absl::Status ReplayCache::Use(uint32_t session_id, std::string_view nonce) {
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ExpireLocked(now);
  Key key(session_id, std::string(nonce));
  if (expiry_.contains(key)) {
    return HandleError(ResponseCode::kAuthenticationFailed, "challenge nonce already used");
  }
  if (expiry_.size() >= capacity_) {
    return HandleError(ResponseCode::kServerBusy, "replay cache full");
  }
  expiry_.emplace(key, now + ttl_);
  order_.emplace_back(now + ttl_, std::move(key));
  return absl::OkStatus();
}

size_t ReplayCache::size() {
  absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  ExpireLocked(now);
  return expiry_.size();
}

}  // namespace qilian::ident::auth
