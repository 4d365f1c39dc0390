// How long each enterprise keeps its telemetry (docs/tsdb.md, "Retention"):
// the node's default ([tsdb] retention_days), an enterprise's own, and a
// product's own within the enterprise, the most specific winning. Kept in
// the store (space "telemetry"), read from memory.
#ifndef QILIAN_PLATFORM_TELEMETRY_RETENTION_POLICY_H_
#define QILIAN_PLATFORM_TELEMETRY_RETENTION_POLICY_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "store/kv_store.h"

namespace qilian::platform::telemetry {

inline constexpr std::string_view kTelemetrySpace = "telemetry";
// Days: 1 to 36,600 (100 years); 0 means "keep forever".
inline constexpr uint64_t kMaxRetentionDays = 36'600;

struct Retention {
  std::optional<uint64_t> days;                 // the enterprise's; nullopt: the node's
  std::map<std::string, uint64_t> product_days;  // product id -> days
  bool operator==(const Retention&) const = default;
};

// {"days": 30 | null, "products": {"pump": 7}}. InvalidArgument naming the
// member: unknown members, days not an integer 0..36600, a product id
// empty or over 64 bytes, more than 1,000 products.
absl::StatusOr<Retention> ParseRetention(const nlohmann::json& body);
nlohmann::json RetentionJson(const Retention& r);

class RetentionPolicies {
 public:
  // `kv` must have kTelemetrySpace and outlive this; `default_days` 0 =
  // forever.
  RetentionPolicies(store::KvStore* kv, uint64_t default_days);
  absl::Status Load();

  uint64_t default_days() const { return default_days_; }
  Retention Get(uint64_t enterprise) const;
  absl::Status Set(uint64_t enterprise, const Retention& retention);

  // Days for a series of `enterprise` whose product is `product` (empty:
  // none known); 0 = forever.
  uint64_t DaysFor(uint64_t enterprise, std::string_view product) const;

 private:
  store::KvStore* kv_;
  uint64_t default_days_;
  mutable std::mutex mu_;
  absl::flat_hash_map<uint64_t, Retention> by_enterprise_;
};

}  // namespace qilian::platform::telemetry

#endif  // QILIAN_PLATFORM_TELEMETRY_RETENTION_POLICY_H_
