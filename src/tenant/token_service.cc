#include "tenant/token_service.h"

#include <openssl/sha.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "ident/auth/nonce.h"
#include "ident/auth/secret_store.h"
#include "ident/response_code.h"
#include "tenant/field_error.h"

namespace qilian::tenant {

using ident::HandleError;
using ident::ResponseCode;

namespace {

constexpr std::string_view kWrongCredentials = "wrong user name or password";
constexpr std::string_view kNotValid = "bearer token is not valid";
constexpr std::string_view kExpired = "bearer token expired";

bool WellFormed(std::string_view token) {
  if (token.size() != kTokenChars) return false;
  for (char c : token) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Digest(std::string_view token) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof(out));
}

absl::Status Disabled(std::string_view name) {
  return HandleError(ResponseCode::kAuthenticationFailed,
                     absl::StrCat("user '", std::string(name), "' is disabled"));
}

}  // namespace

TokenService::TokenService(UserStore* users, const Clock& clock, TokenServiceOptions options)
    : users_(users), clock_(clock), options_(std::move(options)) {
  if (options_.max_tokens == 0) options_.max_tokens = 1;
  // A hash of a random password: no password matches it.
  absl::StatusOr<std::string> random = ident::auth::GenerateNonce(kTokenBytes);
  absl::StatusOr<std::string> hash =
      ident::auth::HashPassword(random.ok() ? absl::BytesToHexString(*random) : "unused-password",
                                users_->scrypt());
  if (hash.ok()) dummy_hash_ = *std::move(hash);
}

void TokenService::Audit(std::string_view user, std::string_view action, std::string_view source,
                         ResponseCode result, std::string_view detail) {
  if (options_.audit == nullptr) return;
  ident::authz::AuditEvent event;
  event.time = clock_.Now();
  event.actor = UserActor(user);
  event.action = std::string(action);
  event.peer = std::string(source);
  event.transport = "http";
  event.result = static_cast<uint32_t>(result);
  event.detail = std::string(detail);
  // An audit write failure must not turn a login into a different answer;
  // the store reports its own failures.
  (void)options_.audit->Append(std::move(event));
}

absl::StatusOr<LoginResult> TokenService::Login(std::string_view name, std::string_view password,
                                                std::string_view source) {
  const std::string actor = UserActor(Excerpt(name));
  if (options_.throttle != nullptr) {
    if (absl::Status s = options_.throttle->Check(actor, source); !s.ok()) {
      Audit(std::string(Excerpt(name)), "login failed", source,
            ResponseCode::kAuthenticationError, std::string(s.message()));
      return s;
    }
  }
  absl::StatusOr<LoginResult> result = LoginChecked(name, password, source);
  if (options_.throttle != nullptr) {
    if (result.ok()) {
      options_.throttle->Succeeded(actor, source);
    } else if (ident::ResponseCodeOf(result.status()) == ResponseCode::kAuthenticationFailed) {
      options_.throttle->Failed(actor, source);
    }
  }
  return result;
}

absl::StatusOr<LoginResult> TokenService::LoginChecked(std::string_view name,
                                                       std::string_view password,
                                                       std::string_view source) {
  absl::StatusOr<User> user = users_->Get(name);
  if (!user.ok() && ident::ResponseCodeOf(user.status()) != ResponseCode::kHandleNotFound) {
    return user.status();
  }
  // Same work either way: the unknown user is checked against the dummy.
  absl::Status verified = ident::auth::VerifyPassword(
      password, user.ok() ? std::string_view(user->password_hash) : std::string_view(dummy_hash_));
  // The name is client input; keep what the audit log stores short.
  const std::string who = std::string(Excerpt(name));
  if (!user.ok() || !verified.ok()) {
    if (user.ok() && !verified.ok() &&
        ident::ResponseCodeOf(verified) != ResponseCode::kAuthenticationFailed) {
      Audit(who, "login failed", source, ResponseCode::kError, std::string(verified.message()));
      return HandleError(ResponseCode::kError,
                         absl::StrCat("stored password of user '", who, "' is unusable"));
    }
    Audit(who, "login failed", source, ResponseCode::kAuthenticationFailed,
          user.ok() ? "wrong password" : "unknown user");
    return HandleError(ResponseCode::kAuthenticationFailed, kWrongCredentials);
  }
  if (user->disabled) {
    Audit(who, "login failed", source, ResponseCode::kAuthenticationFailed, "user is disabled");
    return Disabled(user->name);
  }
  absl::StatusOr<std::string> random = ident::auth::GenerateNonce(kTokenBytes);
  if (!random.ok()) return HandleError(ResponseCode::kError, std::string(random.status().message()));
  LoginResult result;
  result.token = absl::WebSafeBase64Escape(*random);
  const absl::Time now = clock_.Now();
  result.expires_at = now + options_.lifetime;
  result.user = *std::move(user);
  {
    std::lock_guard<std::mutex> lock(mu_);
    SweepLocked(now);
    while (live_.size() >= options_.max_tokens && !live_by_expiry_.empty()) {
      ForgetLocked(live_by_expiry_.begin()->second);
    }
    std::string digest = Digest(result.token);
    live_by_expiry_.emplace(result.expires_at, digest);
    live_[digest] = Entry{result.user.name, result.expires_at};
  }
  Audit(result.user.name, "login", source, ResponseCode::kSuccess, "");
  return result;
}

void TokenService::SweepLocked(absl::Time now) {
  // Live tokens past expiry move to the expired table.
  while (!live_by_expiry_.empty() && live_by_expiry_.begin()->first <= now) {
    auto [expiry, digest] = *live_by_expiry_.begin();
    live_by_expiry_.erase(live_by_expiry_.begin());
    auto live = live_.find(digest);
    std::string user = live != live_.end() ? std::move(live->second.user) : std::string();
    if (live != live_.end()) live_.erase(live);
    expired_[digest] = Expired{expiry, std::move(user)};
    expired_by_expiry_.emplace(expiry, std::move(digest));
  }
  // Expired ones are forgotten after expired_memory, or oldest first when
  // there are too many.
  while (!expired_by_expiry_.empty() &&
         (expired_by_expiry_.begin()->first + options_.expired_memory <= now ||
          expired_.size() > options_.max_expired)) {
    expired_.erase(expired_by_expiry_.begin()->second);
    expired_by_expiry_.erase(expired_by_expiry_.begin());
  }
}

void TokenService::ForgetLocked(const std::string& digest) {
  auto it = live_.find(digest);
  if (it == live_.end()) return;
  live_by_expiry_.erase({it->second.expires_at, digest});
  live_.erase(it);
}

absl::StatusOr<std::string> TokenService::UserOf(std::string_view token, absl::Time now) {
  if (!WellFormed(token)) return HandleError(ResponseCode::kAuthenticationFailed, kNotValid);
  std::string digest = Digest(token);
  std::lock_guard<std::mutex> lock(mu_);
  SweepLocked(now);
  auto it = live_.find(digest);
  if (it != live_.end()) return it->second.user;
  if (expired_.contains(digest)) return HandleError(ResponseCode::kAuthenticationTimeout, kExpired);
  return HandleError(ResponseCode::kAuthenticationFailed, kNotValid);
}

std::string TokenService::ActorOf(std::string_view token) {
  if (!WellFormed(token)) return "bearer";
  const std::string digest = Digest(token);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = live_.find(digest); it != live_.end()) return UserActor(it->second.user);
  if (auto it = expired_.find(digest); it != expired_.end() && !it->second.user.empty()) {
    return UserActor(it->second.user);
  }
  return "bearer";
}

absl::StatusOr<ident::Caller> TokenService::Authenticate(std::string_view token, absl::Time now) {
  absl::StatusOr<std::string> name = UserOf(token, now);
  if (!name.ok()) return name.status();
  absl::StatusOr<User> user = users_->Get(*name);
  if (!user.ok()) {
    if (ident::ResponseCodeOf(user.status()) == ResponseCode::kHandleNotFound) {
      RevokeUser(*name);
      return HandleError(ResponseCode::kAuthenticationFailed, kNotValid);
    }
    return user.status();
  }
  if (user->disabled) return Disabled(user->name);
  return users_->CallerFor(*user, "bearer");
}

void TokenService::Logout(std::string_view token, std::string_view source) {
  if (!WellFormed(token)) return;
  std::string digest = Digest(token);
  std::string user;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(digest);
    if (it == live_.end()) return;
    user = it->second.user;
    ForgetLocked(digest);
  }
  Audit(user, "logout", source, ResponseCode::kSuccess, "");
}

void TokenService::RevokeUser(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = live_.begin(); it != live_.end();) {
    if (it->second.user == name) {
      live_by_expiry_.erase({it->second.expires_at, it->first});
      live_.erase(it++);
    } else {
      ++it;
    }
  }
}

size_t TokenService::live_tokens() {
  std::lock_guard<std::mutex> lock(mu_);
  SweepLocked(clock_.Now());
  return live_.size();
}

}  // namespace qilian::tenant
