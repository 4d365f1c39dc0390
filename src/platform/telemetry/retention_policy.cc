#include "platform/telemetry/retention_policy.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace qilian::platform::telemetry {
namespace {

constexpr std::string_view kKeyPrefix = "retention/";
constexpr size_t kMaxProducts = 1000;
constexpr size_t kMaxProductIdBytes = 64;

std::string KeyOf(uint64_t enterprise) {
  std::string key(kKeyPrefix);
  for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(enterprise >> shift));
  return key;
}

absl::StatusOr<uint64_t> Days(const nlohmann::json& v, std::string_view field) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 ||
      v.get<int64_t>() > static_cast<int64_t>(kMaxRetentionDays)) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), " must be an integer number of days, 0 (forever) to ",
                     kMaxRetentionDays));
  }
  return v.get<uint64_t>();
}

}  // namespace

absl::StatusOr<Retention> ParseRetention(const nlohmann::json& body) {
  if (!body.is_object()) return absl::InvalidArgumentError("retention must be a JSON object");
  Retention r;
  for (const auto& [key, value] : body.items()) {
    if (key == "days") {
      if (value.is_null()) continue;
      absl::StatusOr<uint64_t> days = Days(value, "days");
      if (!days.ok()) return days.status();
      r.days = *days;
    } else if (key == "products") {
      if (!value.is_object()) return absl::InvalidArgumentError("products must be an object");
      if (value.size() > kMaxProducts) {
        return absl::InvalidArgumentError(
            absl::StrCat("products has ", value.size(), " members, over the limit of ",
                         kMaxProducts));
      }
      for (const auto& [product, days_json] : value.items()) {
        if (product.empty() || product.size() > kMaxProductIdBytes) {
          return absl::InvalidArgumentError(absl::StrCat(
              "products: a product id must be 1 to ", kMaxProductIdBytes, " bytes"));
        }
        absl::StatusOr<uint64_t> days = Days(days_json, absl::StrCat("products.", product));
        if (!days.ok()) return days.status();
        r.product_days[product] = *days;
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown member '", key, "'"));
    }
  }
  return r;
}

nlohmann::json RetentionJson(const Retention& r) {
  nlohmann::json j = nlohmann::json::object();
  j["days"] = r.days.has_value() ? nlohmann::json(*r.days) : nlohmann::json(nullptr);
  j["products"] = nlohmann::json::object();
  for (const auto& [product, days] : r.product_days) j["products"][product] = days;
  return j;
}

RetentionPolicies::RetentionPolicies(store::KvStore* kv, uint64_t default_days)
    : kv_(kv), default_days_(default_days) {}

absl::Status RetentionPolicies::Load() {
  absl::flat_hash_map<uint64_t, Retention> loaded;
  absl::Status parse_error;
  absl::Status s = kv_->Scan(kTelemetrySpace, kKeyPrefix, {},
                             [&](std::string_view key, std::string_view value) {
                               if (key.size() != kKeyPrefix.size() + 8) return true;
                               uint64_t enterprise = 0;
                               for (size_t i = kKeyPrefix.size(); i < key.size(); ++i) {
                                 enterprise = enterprise << 8 | static_cast<uint8_t>(key[i]);
                               }
                               nlohmann::json j = nlohmann::json::parse(value, nullptr, false);
                               absl::StatusOr<Retention> r = ParseRetention(j);
                               if (!r.ok()) {
                                 parse_error = absl::DataLossError(absl::StrCat(
                                     "retention of enterprise ", enterprise, ": ",
                                     r.status().message()));
                                 return false;
                               }
                               loaded[enterprise] = *std::move(r);
                               return true;
                             });
  if (!s.ok()) return s;
  if (!parse_error.ok()) return parse_error;
  std::lock_guard lock(mu_);
  by_enterprise_ = std::move(loaded);
  return absl::OkStatus();
}

Retention RetentionPolicies::Get(uint64_t enterprise) const {
  std::lock_guard lock(mu_);
  auto it = by_enterprise_.find(enterprise);
  return it == by_enterprise_.end() ? Retention{} : it->second;
}

absl::Status RetentionPolicies::Set(uint64_t enterprise, const Retention& retention) {
  std::lock_guard lock(mu_);  // store and memory change together
  if (absl::Status s = kv_->Put(kTelemetrySpace, KeyOf(enterprise), RetentionJson(retention).dump());
      !s.ok()) {
    return s;
  }
  by_enterprise_[enterprise] = retention;
  return absl::OkStatus();
}

uint64_t RetentionPolicies::DaysFor(uint64_t enterprise, std::string_view product) const {
  std::lock_guard lock(mu_);
  auto it = by_enterprise_.find(enterprise);
  if (it == by_enterprise_.end()) return default_days_;
  if (!product.empty()) {
    auto p = it->second.product_days.find(std::string(product));
    if (p != it->second.product_days.end()) return p->second;
  }
  return it->second.days.value_or(default_days_);
}

}  // namespace qilian::platform::telemetry
