// Sensor identities (docs/security/events-api.md): a qilian-sensor in an
// enterprise's plant network delivers its events to qiliand as one of
// these. A sensor belongs to one enterprise, has a name unique in it and
// one token (a 256-bit random secret, shown once at creation and at each
// rotation, stored only as salt + SHA-256(salt || secret), as device
// credentials are). The token names its sensor:
//   "qsn." + <sensor id: 16 hex digits> + "." + <secret: 64 hex digits>
// so it is told from a console user's token ("qsn." cannot start base64url)
// and checked without a search.
//
// Stored in the KvStore space "security" (docs/storage.md):
//   "sn/" + be64 enterprise + sensor id -> sensor record (JSON)
//   "st/" + sensor id                   -> delivery statistics (JSON)
// The statistics are written by each delivery, in the batch that stores
// its events (EventStore), under the sensor's lock (LockSensor), so a
// sensor deleted meanwhile leaves nothing behind.
//
// Every sensor is held in memory (Load at start): authentication is a hash
// probe. Errors are Handle error Statuses as the other registries': 202 a
// bad field (tenant::FieldError), 101 a name taken, 100 not found, 605 too
// many sensors, 403 a token that does not verify, 2 storage.
#ifndef QILIAN_SECURITY_EVENTS_SENSOR_REGISTRY_H_
#define QILIAN_SECURITY_EVENTS_SENSOR_REGISTRY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "ident/caller.h"
#include "store/kv_store.h"

namespace qilian::security::events {

inline constexpr std::string_view kSecuritySpace = "security";
inline constexpr std::string_view kSensorTokenPrefix = "qsn.";
inline constexpr size_t kSensorIdChars = 16;
inline constexpr size_t kSensorSecretBytes = 32;
inline constexpr size_t kMaxSensorNameBytes = 100;
inline constexpr size_t kMaxSensorDescriptionBytes = 1000;
inline constexpr size_t kDefaultMaxSensorsPerEnterprise = 1000;
// How the caller of a sensor token is named: "sensor:<id>".
inline constexpr std::string_view kSensorActorPrefix = "sensor:";
// ident::Caller::method of a sensor.
inline constexpr std::string_view kSensorMethod = "sensor";

struct SensorInput {
  std::string name;
  std::string description;
};

struct Sensor {
  uint64_t enterprise = 0;
  std::string id;
  std::string name;
  std::string description;
  absl::Time created;
  std::string salt_hex;
  std::string hash_hex;
  // Delivery statistics (absent before the first delivery).
  std::optional<absl::Time> last_seen;
  uint64_t events_received = 0;
  std::optional<int64_t> last_event_ts_ns;
};

struct SensorWithToken {
  Sensor sensor;
  std::string token;
};

// The sensor a caller authenticated as (IsSensorCaller), or nullopt.
struct SensorCaller {
  uint64_t enterprise;
  std::string sensor;
};
bool IsSensorCaller(const ident::Caller& caller);
std::optional<SensorCaller> SensorCallerOf(const ident::Caller& caller);
// "sensor:<id>" for a well-formed sensor token, else "sensor".
std::string SensorActorOf(std::string_view token);

class SensorRegistry {
 public:
  SensorRegistry(store::KvStore* store, const Clock& clock,
                 size_t max_sensors_per_enterprise = kDefaultMaxSensorsPerEnterprise);

  // Reads every sensor and its statistics.
  absl::Status Load();

  absl::StatusOr<SensorWithToken> Create(uint64_t enterprise, const SensorInput& input);
  // By name.
  std::vector<Sensor> List(uint64_t enterprise) const;
  absl::StatusOr<Sensor> Get(uint64_t enterprise, std::string_view id) const;
  // Any enterprise's (for queries that name a sensor only).
  std::optional<Sensor> Find(std::string_view id) const;
  absl::Status Delete(uint64_t enterprise, std::string_view id);
  absl::StatusOr<SensorWithToken> RotateToken(uint64_t enterprise, std::string_view id);

  // The caller a token stands for: actor "sensor:<id>", method "sensor", a
  // Principal without a role carrying the enterprise. 403 "sensor token is
  // not valid" for anything else (malformed, unknown, wrong secret,
  // deleted sensor).
  absl::StatusOr<ident::Caller> Authenticate(std::string_view token) const;

  // Serializes deliveries of one sensor with its deletion and rotation.
  std::unique_lock<std::mutex> LockSensor(std::string_view id);
  // Under LockSensor: whether the sensor still exists, and the statistics
  // record a delivery of `accepted` events (newest ts `newest_ts_ns`) at
  // `now` writes, added to `batch`; Delivered applies it in memory once the
  // batch is durable.
  absl::Status AddDelivery(std::string_view id, uint64_t accepted,
                           std::optional<int64_t> newest_ts_ns, absl::Time now,
                           store::WriteBatch* batch, Sensor* after) const;
  void Delivered(const Sensor& after);

  size_t size() const;

 private:
  absl::Status Validate(uint64_t enterprise, const SensorInput& input) const;

  store::KvStore* store_;
  const Clock& clock_;
  size_t max_per_enterprise_;
  std::mutex create_mu_;  // one creation at a time
  mutable std::shared_mutex mu_;
  std::map<std::string, Sensor> by_id_;
  std::array<std::mutex, 64> sensor_locks_;
};

// Storage helpers shared with the event store.
std::string SensorKey(uint64_t enterprise, std::string_view id);
std::string SensorStatsKey(std::string_view id);

}  // namespace qilian::security::events

#endif  // QILIAN_SECURITY_EVENTS_SENSOR_REGISTRY_H_
