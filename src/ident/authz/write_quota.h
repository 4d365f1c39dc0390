// Write quotas per authenticated identity (issue 5, "Abuse limits";
// docs/abuse-limits.md). Authentication says who is writing; this bounds how
// much any one of them may write, so that a leaked credential or a runaway
// enterprise script cannot fill the node. Three limits, each an IDIS code:
//   - writes per second, a token bucket per actor     -> 604 RATE LIMITED
//   - writes per UTC day, a count per actor           -> 603 QUOTA EXCEEDED
//   - identifiers a prefix may hold (creates only)    -> 605 IDENTIFIER LIMIT REACHED
// A refused write consumes nothing. The authorizer calls Charge() once per
// authenticated write, before performing it.
//
// Memory is bounded: at most max_actors actors are tracked. A new actor
// arriving at a full table evicts the one seen least recently (within its
// shard); an evicted actor starts again with a full bucket and a zero day
// count. Actors are authenticated identities, so cycling through enough of
// them to evict someone requires that many credentials.
#ifndef QILIAN_IDENT_AUTHZ_WRITE_QUOTA_H_
#define QILIAN_IDENT_AUTHZ_WRITE_QUOTA_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "core/clock.h"

namespace qilian::ident::authz {

struct WriteLimits {
  uint32_t writes_per_second = 1000;  // 0: no rate limit
  uint32_t burst = 0;                 // bucket size; 0: writes_per_second
  uint64_t writes_per_day = 10'000'000;  // per UTC day; 0: no daily quota
};

struct WriteQuotaOptions {
  WriteLimits defaults;
  // Limits for particular actors (exact actor string), instead of defaults.
  std::map<std::string, WriteLimits, std::less<>> per_actor;
  // Identifiers a prefix may hold: per prefix (exact), else the default;
  // nullopt: no cap.
  std::map<std::string, uint64_t, std::less<>> identifier_caps;
  std::optional<uint64_t> default_identifier_cap;
  size_t max_actors = 100'000;
};

// The number of identifiers `prefix` holds now. Called only for creates
// under a prefix that has a cap. An error is returned by Charge as is.
using IdentifierCounter = std::function<absl::StatusOr<uint64_t>(std::string_view prefix)>;

class WriteQuota {
 public:
  // `clock` must outlive this object; nullptr means Clock::Real(). Without
  // a counter, identifier caps are not enforced (Charge's `identifiers`
  // argument can still supply the count).
  explicit WriteQuota(WriteQuotaOptions options, const Clock* clock = nullptr,
                      IdentifierCounter counter = nullptr);
  ~WriteQuota();
  WriteQuota(const WriteQuota&) = delete;
  WriteQuota& operator=(const WriteQuota&) = delete;

  // Charges one write by `actor` (e.g. "300:88.999.1/ADMIN", "user:alice")
  // under `prefix` (e.g. "88.999.1"); `creates_handle` when it creates an
  // identifier. OK, or HandleError with 605, 603 or 604 (checked in that
  // order: the longest-lasting condition is reported). `identifiers`, when
  // given, is the prefix's current count and the counter is not called.
  // Thread-safe.
  absl::Status Charge(std::string_view actor, std::string_view prefix, bool creates_handle,
                      std::optional<uint64_t> identifiers = std::nullopt);

  // Actors tracked now (for tests and /metrics).
  size_t tracked_actors() const;

 private:
  struct Actor {
    double tokens = 0;
    int64_t last_ns = 0;
    absl::CivilDay day;
    uint64_t day_count = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Actor> actors;
  };
  static constexpr size_t kShards = 16;

  const WriteLimits& LimitsFor(std::string_view actor) const;
  std::optional<uint64_t> CapFor(std::string_view prefix) const;

  const WriteQuotaOptions options_;
  const Clock* const clock_;
  const IdentifierCounter counter_;
  const size_t max_per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace qilian::ident::authz

#endif  // QILIAN_IDENT_AUTHZ_WRITE_QUOTA_H_
