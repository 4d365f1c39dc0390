#include "ident/authz/auth_throttle.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "ident/response_code.h"

namespace qilian::ident::authz {
namespace {

// Keys of the two kinds share one table; the tag keeps an identity named
// like an address apart from the address.
std::string IdentityKey(std::string_view actor) { return absl::StrCat("i|", std::string(actor)); }
std::string SourceKey(std::string_view source) { return absl::StrCat("s|", std::string(source)); }

int64_t CeilSeconds(int64_t nanos) { return (nanos + 999'999'999) / 1'000'000'000; }

}  // namespace

AuthThrottle::AuthThrottle(AuthThrottleOptions options, const Clock* clock)
    : options_(options),
      clock_(clock != nullptr ? clock : &Clock::Real()),
      max_per_shard_(std::max<size_t>(1, (options.max_entries + kShards - 1) / kShards)) {}

AuthThrottle::~AuthThrottle() = default;

AuthThrottle::Shard& AuthThrottle::ShardFor(const std::string& key) {
  return shards_[absl::HashOf(key) % kShards];
}

int64_t AuthThrottle::BlockedFor(const std::string& key, int64_t now) {
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end() || it->second.blocked_until_ns <= now) return 0;
  return it->second.blocked_until_ns - now;
}

void AuthThrottle::Fail(const std::string& key, int64_t now) {
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end()) {
    if (shard.entries.size() >= max_per_shard_) {
      auto oldest = shard.entries.begin();
      for (auto i = shard.entries.begin(); i != shard.entries.end(); ++i) {
        if (i->second.last_failure_ns < oldest->second.last_failure_ns) oldest = i;
      }
      shard.entries.erase(oldest);
    }
    it = shard.entries.emplace(key, Entry{}).first;
  }
  Entry& e = it->second;
  // Forgotten `window` after the last failure or the end of the block,
  // whichever is later: a long back-off does not also wipe the count.
  if (e.failures > 0 && now - std::max(e.last_failure_ns, e.blocked_until_ns) >=
                            absl::ToInt64Nanoseconds(options_.window)) {
    e = Entry{};
  }
  ++e.failures;
  e.last_failure_ns = now;
  if (e.failures >= options_.max_failures) {
    // initial_backoff, doubled for each failure past the threshold.
    uint32_t doublings = std::min<uint32_t>(e.failures - options_.max_failures, 40);
    absl::Duration backoff = std::min(options_.initial_backoff * (int64_t{1} << doublings),
                                      options_.max_backoff);
    e.blocked_until_ns = now + absl::ToInt64Nanoseconds(backoff);
  }
}

absl::Status AuthThrottle::Check(std::string_view actor, std::string_view source) {
  if (options_.max_failures == 0) return absl::OkStatus();
  const int64_t now = absl::ToUnixNanos(clock_->Now());
  if (!actor.empty()) {
    if (int64_t left = BlockedFor(IdentityKey(actor), now); left > 0) {
      return HandleError(ResponseCode::kAuthenticationError,
                         absl::StrCat("too many failed authentications for ", std::string(actor),
                                      "; retry in ", CeilSeconds(left), " s"));
    }
  }
  if (!source.empty()) {
    if (int64_t left = BlockedFor(SourceKey(source), now); left > 0) {
      return HandleError(ResponseCode::kAuthenticationError,
                         absl::StrCat("too many failed authentications from ",
                                      std::string(source), "; retry in ", CeilSeconds(left),
                                      " s"));
    }
  }
  return absl::OkStatus();
}

void AuthThrottle::Failed(std::string_view actor, std::string_view source) {
  if (options_.max_failures == 0) return;
  const int64_t now = absl::ToUnixNanos(clock_->Now());
  if (!actor.empty()) Fail(IdentityKey(actor), now);
  if (!source.empty()) Fail(SourceKey(source), now);
}

void AuthThrottle::Succeeded(std::string_view actor, std::string_view /*source*/) {
  if (actor.empty()) return;
  std::string key = IdentityKey(actor);
  Shard& shard = ShardFor(key);
  std::lock_guard<std::mutex> lock(shard.mu);
  shard.entries.erase(key);
}

size_t AuthThrottle::tracked() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.entries.size();
  }
  return n;
}

}  // namespace qilian::ident::authz
