// The events sensors deliver (docs/security/events-api.md), kept per
// enterprise in the KvStore space "security" (docs/storage.md) and answered
// newest first. Every event has one record and four index entries, all
// sharing one ordered tail, so a query walks the index that fits it and a
// cursor is a position in any of them:
//   tail = be64 ~(ts_ns ^ 2^63) + sensor id + 0x00 + event id
//   "ev/" + be64 enterprise + tail                       -> record
//   "ep/" + be64 enterprise + proto + 0x00 + tail         -> ""
//   "es/" + be64 enterprise + sensor id + 0x00 + tail     -> ""
//   "gt/" + tail                                          -> be64 enterprise
//   "id/" + sensor id + 0x00 + event id                   -> tail
// The inverted time makes an ascending scan newest first, and the events
// older than a time one contiguous range at the end of "gt/" (retention).
// The record is: u8 version (1), be64 received_ns, u8 proto length, proto,
// the event's JSON line as the sensor sent it.
//
// A delivery is all or nothing and idempotent: under the sensor's lock
// (SensorRegistry::LockSensor) each event id is looked up in "id/"; those
// not yet stored, with the sensor's statistics, go in ONE store batch, and
// the call returns once it is durable.
#ifndef QILIAN_SECURITY_EVENTS_EVENT_STORE_H_
#define QILIAN_SECURITY_EVENTS_EVENT_STORE_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "nlohmann/json.hpp"
#include "security/events/event_batch.h"
#include "security/events/sensor_registry.h"
#include "store/kv_store.h"

namespace qilian::security::events {

inline constexpr size_t kDefaultQueryLimit = 100;
inline constexpr size_t kMaxQueryLimit = 1000;

struct EventStoreOptions {
  // Events whose ts is older than this are deleted by the sweep; 0 keeps
  // them ([security] events_retention_days).
  uint64_t retention_days = 90;
  // How often the sweep runs ([security] events_retention_interval_s).
  absl::Duration retention_interval = absl::Hours(1);
  // Records a query may read before it is refused (422), naming
  // [security] max_events_scanned_per_query.
  uint64_t max_scanned_per_query = 100'000;
};

struct DeliveryResult {
  uint64_t accepted = 0;
  uint64_t duplicates = 0;
};

struct EventQuery {
  std::optional<uint64_t> enterprise{};  // nullopt: every enterprise
  std::optional<std::string> sensor{};
  std::optional<std::string> protocol{};
  std::optional<int64_t> from_ns{};  // ts >= from
  std::optional<int64_t> to_ns{};    // ts < to
  std::optional<std::string> orig_h{};
  std::optional<std::string> resp_h{};
  size_t limit = kDefaultQueryLimit;
  std::string cursor{};  // "" or a next_cursor of the same query
};

struct EventPage {
  // {"id", "sensor", "enterprise", "received", then the event's own fields
  // in the order the sensor wrote them}.
  std::vector<nlohmann::ordered_json> events;
  std::optional<std::string> next_cursor;
};

class EventStore {
 public:
  // `store` declares kSecuritySpace; `store`, `sensors` and `clock` must
  // outlive this object.
  EventStore(store::KvStore* store, SensorRegistry* sensors, const Clock& clock,
             EventStoreOptions options = {});
  ~EventStore();  // stops the sweep

  // Stores the events of a checked batch for `sensor` of `enterprise`
  // (from its token, never the body). 403 when the sensor was deleted
  // meanwhile; 2 on a storage failure (then nothing was stored).
  absl::StatusOr<DeliveryResult> Deliver(uint64_t enterprise, std::string_view sensor,
                                         const std::vector<IncomingEvent>& events);

  // 400 a cursor that is not one; 422 over max_scanned_per_query.
  absl::StatusOr<EventPage> Query(const EventQuery& query) const;

  // Deletes the events whose ts is before `cutoff`; returns how many.
  absl::StatusOr<uint64_t> DeleteOlderThan(absl::Time cutoff);
  // Starts the periodic sweep (retention_days > 0), which deletes events
  // older than retention_days before now.
  void StartRetention();

  const EventStoreOptions& options() const { return options_; }

 private:
  void RetentionLoop();

  store::KvStore* store_;
  SensorRegistry* sensors_;
  const Clock& clock_;
  EventStoreOptions options_;
  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool stopping_ = false;
  std::thread sweeper_;
};

}  // namespace qilian::security::events

#endif  // QILIAN_SECURITY_EVENTS_EVENT_STORE_H_
