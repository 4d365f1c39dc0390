#include "security/events/sensor_registry.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <functional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/response_code.h"
#include "nlohmann/json.hpp"
#include "platform/thing_model/str_cat.h"
#include "tenant/field_error.h"

namespace qilian::security::events {

using platform::Append;
using platform::Cat;

using ident::HandleError;
using ident::ResponseCode;
using Json = nlohmann::json;

namespace {

constexpr size_t kSaltBytes = 16;
constexpr std::string_view kSensorPrefix = "sn/";
constexpr std::string_view kStatsPrefix = "st/";

std::string BigEndian64(uint64_t v) {
  std::string out;
  ByteWriter(&out).WriteU64(v);
  return out;
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    // OpenSSL's CSPRNG does not fail once seeded; a node without entropy
    // must not hand out guessable secrets.
    std::abort();
  }
  return out;
}

absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Hex(std::string_view bytes) { return absl::BytesToHexString(A(bytes)); }

std::string Sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(digest), n);
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// The token's sensor id and secret, if it has the token's shape.
std::optional<std::pair<std::string_view, std::string_view>> SplitToken(std::string_view token) {
  if (!token.starts_with(kSensorTokenPrefix)) return std::nullopt;
  token.remove_prefix(kSensorTokenPrefix.size());
  if (token.size() != kSensorIdChars + 1 + 2 * kSensorSecretBytes || token[kSensorIdChars] != '.') {
    return std::nullopt;
  }
  std::string_view id = token.substr(0, kSensorIdChars);
  std::string_view secret = token.substr(kSensorIdChars + 1);
  if (!IsLowerHex(id) || !IsLowerHex(secret)) return std::nullopt;
  return std::make_pair(id, secret);
}

// A fresh secret for `sensor`: sets its salt and hash, returns the token.
std::string NewToken(Sensor* sensor) {
  const std::string secret = Hex(RandomBytes(kSensorSecretBytes));
  const std::string salt = RandomBytes(kSaltBytes);
  sensor->salt_hex = Hex(salt);
  sensor->hash_hex = Hex(Sha256(Cat(salt, secret)));
  return Cat(kSensorTokenPrefix, sensor->id, ".", secret);
}

bool SecretMatches(const Sensor& sensor, std::string_view secret) {
  const std::string expected = Hex(Sha256(Cat(absl::HexStringToBytes(A(sensor.salt_hex)), secret)));
  return expected.size() == sensor.hash_hex.size() &&
         CRYPTO_memcmp(expected.data(), sensor.hash_hex.data(), expected.size()) == 0;
}

std::string EncodeSensor(const Sensor& s) {
  return Json{{"name", s.name},
              {"description", s.description},
              {"created", absl::ToUnixNanos(s.created)},
              {"salt", s.salt_hex},
              {"hash", s.hash_hex}}
      .dump();
}

std::string EncodeStats(const Sensor& s) {
  Json out = {{"events_received", s.events_received}};
  if (s.last_seen) out["last_seen"] = absl::ToUnixNanos(*s.last_seen);
  if (s.last_event_ts_ns) out["last_event_ts"] = *s.last_event_ts_ns;
  return out.dump();
}

absl::Status Corrupt(std::string_view key) {
  return HandleError(ResponseCode::kError,
                     Cat("security: corrupt sensor record ", absl::CHexEscape(A(key))));
}

absl::Status SensorNotFound(std::string_view id) {
  return HandleError(ResponseCode::kHandleNotFound,
                     Cat("sensor '", tenant::Excerpt(id), "' not found"));
}

absl::Status InvalidToken() {
  return HandleError(ResponseCode::kAuthenticationFailed, "sensor token is not valid");
}

}  // namespace

std::string SensorKey(uint64_t enterprise, std::string_view id) {
  return Cat(kSensorPrefix, BigEndian64(enterprise), id);
}

std::string SensorStatsKey(std::string_view id) { return Cat(kStatsPrefix, id); }

bool IsSensorCaller(const ident::Caller& caller) { return caller.method == kSensorMethod; }

std::optional<SensorCaller> SensorCallerOf(const ident::Caller& caller) {
  if (!IsSensorCaller(caller) || !caller.principal.has_value() ||
      !caller.actor.starts_with(kSensorActorPrefix)) {
    return std::nullopt;
  }
  uint64_t enterprise = 0;
  for (char c : caller.principal->enterprise) {
    if (c < '0' || c > '9') return std::nullopt;
    enterprise = enterprise * 10 + static_cast<uint64_t>(c - '0');
  }
  return SensorCaller{enterprise, caller.actor.substr(kSensorActorPrefix.size())};
}

std::string SensorActorOf(std::string_view token) {
  auto parts = SplitToken(token);
  if (!parts) return "sensor";
  return Cat(kSensorActorPrefix, parts->first);
}

SensorRegistry::SensorRegistry(store::KvStore* store, const Clock& clock,
                               size_t max_sensors_per_enterprise)
    : store_(store), clock_(clock), max_per_enterprise_(max_sensors_per_enterprise) {}

absl::Status SensorRegistry::Load() {
  std::map<std::string, Sensor> loaded;
  absl::Status bad;
  QL_RETURN_IF_ERROR(store_->Scan(
      kSecuritySpace, kSensorPrefix, "", [&](std::string_view key, std::string_view value) {
        if (key.size() != kSensorPrefix.size() + 8 + kSensorIdChars) {
          bad = Corrupt(key);
          return false;
        }
        Sensor s;
        s.enterprise = ByteReader(key.substr(kSensorPrefix.size(), 8)).ReadU64();
        s.id = std::string(key.substr(kSensorPrefix.size() + 8));
        Json doc = Json::parse(value, nullptr, false);
        if (!doc.is_object() || !doc["name"].is_string() || !doc["description"].is_string() ||
            !doc["created"].is_number_integer() || !doc["salt"].is_string() ||
            !doc["hash"].is_string()) {
          bad = Corrupt(key);
          return false;
        }
        s.name = doc["name"].get<std::string>();
        s.description = doc["description"].get<std::string>();
        s.created = absl::FromUnixNanos(doc["created"].get<int64_t>());
        s.salt_hex = doc["salt"].get<std::string>();
        s.hash_hex = doc["hash"].get<std::string>();
        loaded[s.id] = std::move(s);
        return true;
      }));
  QL_RETURN_IF_ERROR(bad);
  QL_RETURN_IF_ERROR(store_->Scan(
      kSecuritySpace, kStatsPrefix, "", [&](std::string_view key, std::string_view value) {
        auto it = loaded.find(std::string(key.substr(kStatsPrefix.size())));
        if (it == loaded.end()) return true;
        Json doc = Json::parse(value, nullptr, false);
        if (!doc.is_object() || !doc["events_received"].is_number_unsigned()) {
          bad = Corrupt(key);
          return false;
        }
        it->second.events_received = doc["events_received"].get<uint64_t>();
        if (doc.contains("last_seen")) {
          it->second.last_seen = absl::FromUnixNanos(doc["last_seen"].get<int64_t>());
        }
        if (doc.contains("last_event_ts")) {
          it->second.last_event_ts_ns = doc["last_event_ts"].get<int64_t>();
        }
        return true;
      }));
  QL_RETURN_IF_ERROR(bad);
  std::unique_lock lock(mu_);
  by_id_ = std::move(loaded);
  return absl::OkStatus();
}

absl::Status SensorRegistry::Validate(uint64_t enterprise, const SensorInput& input) const {
  QL_RETURN_IF_ERROR(tenant::CheckDisplayText("name", input.name, kMaxSensorNameBytes));
  if (input.name.size() > kMaxSensorNameBytes) {
    return tenant::FieldError("name", Cat("is longer than ", kMaxSensorNameBytes, " bytes"));
  }
  if (!input.description.empty()) {
    QL_RETURN_IF_ERROR(
        tenant::CheckDisplayText("description", input.description, kMaxSensorDescriptionBytes));
  }
  size_t count = 0;
  for (const auto& [id, s] : by_id_) {
    if (s.enterprise != enterprise) continue;
    ++count;
    if (s.name == input.name) {
      return HandleError(ResponseCode::kHandleAlreadyExists,
                         Cat("enterprise ", enterprise, " already has a sensor named '",
                             tenant::Excerpt(input.name), "'"));
    }
  }
  if (count >= max_per_enterprise_) {
    return HandleError(
        ResponseCode::kIdisIdentifierLimit,
        Cat("enterprise ", enterprise, " has ", count, " sensors, the most it may have"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SensorWithToken> SensorRegistry::Create(uint64_t enterprise,
                                                       const SensorInput& input) {
  // Creations are rare; one at a time keeps the name check and the cap exact.
  std::lock_guard create_lock(create_mu_);
  {
    std::shared_lock lock(mu_);
    QL_RETURN_IF_ERROR(Validate(enterprise, input));
  }
  Sensor s;
  s.enterprise = enterprise;
  s.name = input.name;
  s.description = input.description;
  s.created = clock_.Now();
  do {
    s.id = Hex(RandomBytes(kSensorIdChars / 2));
  } while (Find(s.id).has_value());
  std::string token = NewToken(&s);
  if (absl::Status st = store_->Put(kSecuritySpace, SensorKey(enterprise, s.id), EncodeSensor(s));
      !st.ok()) {
    return HandleError(ResponseCode::kError, Cat("security: ", st.message()));
  }
  std::unique_lock lock(mu_);
  by_id_[s.id] = s;
  return SensorWithToken{std::move(s), std::move(token)};
}

std::vector<Sensor> SensorRegistry::List(uint64_t enterprise) const {
  std::vector<Sensor> out;
  std::shared_lock lock(mu_);
  for (const auto& [id, s] : by_id_) {
    if (s.enterprise == enterprise) out.push_back(s);
  }
  std::sort(out.begin(), out.end(), [](const Sensor& a, const Sensor& b) {
    return std::tie(a.name, a.id) < std::tie(b.name, b.id);
  });
  return out;
}

absl::StatusOr<Sensor> SensorRegistry::Get(uint64_t enterprise, std::string_view id) const {
  std::optional<Sensor> s = Find(id);
  // Another enterprise's sensor answers as a missing one.
  if (!s.has_value() || s->enterprise != enterprise) return SensorNotFound(id);
  return *std::move(s);
}

std::optional<Sensor> SensorRegistry::Find(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

absl::Status SensorRegistry::Delete(uint64_t enterprise, std::string_view id) {
  auto held = LockSensor(id);
  QL_RETURN_IF_ERROR(Get(enterprise, id).status());
  store::WriteBatch batch;
  batch.Delete(kSecuritySpace, SensorKey(enterprise, id));
  batch.Delete(kSecuritySpace, SensorStatsKey(id));
  if (absl::Status st = store_->Write(batch); !st.ok()) {
    return HandleError(ResponseCode::kError, Cat("security: ", st.message()));
  }
  std::unique_lock lock(mu_);
  by_id_.erase(std::string(id));
  return absl::OkStatus();
}

absl::StatusOr<SensorWithToken> SensorRegistry::RotateToken(uint64_t enterprise,
                                                            std::string_view id) {
  auto held = LockSensor(id);
  QL_ASSIGN_OR_RETURN(Sensor s, Get(enterprise, id));
  std::string token = NewToken(&s);
  if (absl::Status st = store_->Put(kSecuritySpace, SensorKey(enterprise, id), EncodeSensor(s));
      !st.ok()) {
    return HandleError(ResponseCode::kError, Cat("security: ", st.message()));
  }
  std::unique_lock lock(mu_);
  Sensor& live = by_id_[s.id];
  live.salt_hex = s.salt_hex;
  live.hash_hex = s.hash_hex;
  return SensorWithToken{live, std::move(token)};
}

absl::StatusOr<ident::Caller> SensorRegistry::Authenticate(std::string_view token) const {
  auto parts = SplitToken(token);
  if (!parts) return InvalidToken();
  std::optional<Sensor> s = Find(parts->first);
  if (!s.has_value() || !SecretMatches(*s, parts->second)) return InvalidToken();
  ident::Caller caller;
  caller.actor = Cat(kSensorActorPrefix, s->id);
  caller.method = std::string(kSensorMethod);
  ident::Principal principal;  // no role: a sensor is nobody's staff
  principal.enterprise = Cat(s->enterprise);
  caller.principal = std::move(principal);
  return caller;
}

std::unique_lock<std::mutex> SensorRegistry::LockSensor(std::string_view id) {
  return std::unique_lock(sensor_locks_[std::hash<std::string_view>()(id) % sensor_locks_.size()]);
}

absl::Status SensorRegistry::AddDelivery(std::string_view id, uint64_t accepted,
                                         std::optional<int64_t> newest_ts_ns, absl::Time now,
                                         store::WriteBatch* batch, Sensor* after) const {
  std::optional<Sensor> s = Find(id);
  if (!s.has_value()) return InvalidToken();  // deleted since the request authenticated
  s->last_seen = now;
  s->events_received += accepted;
  if (newest_ts_ns && (!s->last_event_ts_ns || *newest_ts_ns > *s->last_event_ts_ns)) {
    s->last_event_ts_ns = newest_ts_ns;
  }
  batch->Put(kSecuritySpace, SensorStatsKey(id), EncodeStats(*s));
  *after = *std::move(s);
  return absl::OkStatus();
}

void SensorRegistry::Delivered(const Sensor& after) {
  std::unique_lock lock(mu_);
  auto it = by_id_.find(after.id);
  if (it == by_id_.end()) return;
  it->second.last_seen = after.last_seen;
  it->second.events_received = after.events_received;
  it->second.last_event_ts_ns = after.last_event_ts_ns;
}

size_t SensorRegistry::size() const {
  std::shared_lock lock(mu_);
  return by_id_.size();
}

}  // namespace qilian::security::events
