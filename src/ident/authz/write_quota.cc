#include "ident/authz/write_quota.h"

#include <algorithm>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "ident/response_code.h"

namespace qilian::ident::authz {

WriteQuota::WriteQuota(WriteQuotaOptions options, const Clock* clock, IdentifierCounter counter)
    : options_(std::move(options)),
      clock_(clock != nullptr ? clock : &Clock::Real()),
      counter_(std::move(counter)),
      max_per_shard_(std::max<size_t>(1, (options_.max_actors + kShards - 1) / kShards)) {}

WriteQuota::~WriteQuota() = default;

const WriteLimits& WriteQuota::LimitsFor(std::string_view actor) const {
  auto it = options_.per_actor.find(actor);
  return it != options_.per_actor.end() ? it->second : options_.defaults;
}

std::optional<uint64_t> WriteQuota::CapFor(std::string_view prefix) const {
  auto it = options_.identifier_caps.find(prefix);
  if (it != options_.identifier_caps.end()) return it->second;
  return options_.default_identifier_cap;
}

absl::Status WriteQuota::Charge(std::string_view actor, std::string_view prefix,
                                bool creates_handle, std::optional<uint64_t> identifiers) {
  if (creates_handle) {
    std::optional<uint64_t> cap = CapFor(prefix);
    if (cap.has_value() && !identifiers.has_value() && counter_) {
      absl::StatusOr<uint64_t> n = counter_(prefix);
      if (!n.ok()) return n.status();
      identifiers = *n;
    }
    if (cap.has_value() && identifiers.has_value() && *identifiers >= *cap) {
      return HandleError(ResponseCode::kIdisIdentifierLimit,
                         absl::StrCat("prefix ", std::string(prefix), " holds ", *identifiers,
                                      " identifiers; its limit is ", *cap));
    }
  }

  const WriteLimits& limits = LimitsFor(actor);
  const absl::Time now_time = clock_->Now();
  const int64_t now = absl::ToUnixNanos(now_time);
  const absl::CivilDay today = absl::ToCivilDay(now_time, absl::UTCTimeZone());
  const double burst = limits.burst != 0 ? limits.burst : limits.writes_per_second;
  std::string key(actor);
  Shard& shard = shards_[absl::HashOf(key) % kShards];
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.actors.find(key);
  if (it == shard.actors.end()) {
    if (shard.actors.size() >= max_per_shard_) {
      // Full: the actor seen least recently makes room.
      auto oldest = shard.actors.begin();
      for (auto i = shard.actors.begin(); i != shard.actors.end(); ++i) {
        if (i->second.last_ns < oldest->second.last_ns) oldest = i;
      }
      shard.actors.erase(oldest);
    }
    Actor fresh;
    fresh.tokens = burst;
    fresh.last_ns = now;
    fresh.day = today;
    it = shard.actors.emplace(std::move(key), fresh).first;
  }
  Actor& a = it->second;
  if (now > a.last_ns) {
    a.tokens = std::min(burst, a.tokens + static_cast<double>(now - a.last_ns) * 1e-9 *
                                              limits.writes_per_second);
  }
  a.last_ns = std::max(a.last_ns, now);
  if (a.day != today) {
    a.day = today;
    a.day_count = 0;
  }
  if (limits.writes_per_day != 0 && a.day_count >= limits.writes_per_day) {
    return HandleError(ResponseCode::kIdisQuotaExceeded,
                       absl::StrCat("daily write quota of ", limits.writes_per_day, " for ",
                                    std::string(actor), " is used up; it renews at 00:00 UTC"));
  }
  if (limits.writes_per_second != 0) {
    if (a.tokens < 1.0) {
      return HandleError(ResponseCode::kIdisRateLimited,
                         absl::StrCat("write rate for ", std::string(actor), " exceeds ",
                                      limits.writes_per_second, "/s"));
    }
    a.tokens -= 1.0;
  }
  ++a.day_count;
  return absl::OkStatus();
}

size_t WriteQuota::tracked_actors() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard<std::mutex> lock(s.mu);
    n += s.actors.size();
  }
  return n;
}

}  // namespace qilian::ident::authz
