#include "security/events/event_store.h"

#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/log.h"
#include "core/status.h"
#include "ident/response_code.h"
#include "platform/thing_model/str_cat.h"

namespace qilian::security::events {

using platform::Append;
using platform::Cat;

using ident::HandleError;
using ident::ResponseCode;
using Json = nlohmann::ordered_json;

namespace {

constexpr uint8_t kRecordVersion = 1;
constexpr std::string_view kRecordPrefix = "ev/";
constexpr std::string_view kProtoIndex = "ep/";
constexpr std::string_view kSensorIndex = "es/";
constexpr std::string_view kTimeIndex = "gt/";
constexpr std::string_view kIdIndex = "id/";
constexpr size_t kTimeBytes = 8;
// Deletions per store batch in the retention sweep.
constexpr size_t kSweepBatch = 1000;

void AppendBe64(std::string* out, uint64_t v) { ByteWriter(out).WriteU64(v); }

uint64_t ReadBe64(std::string_view s) { return ByteReader(s.substr(0, 8)).ReadU64(); }

// Newest first in byte order.
uint64_t InvertedTime(int64_t ts_ns) {
  return ~(static_cast<uint64_t>(ts_ns) ^ (uint64_t{1} << 63));
}
int64_t TimeOfInverted(uint64_t inverted) {
  return static_cast<int64_t>(~inverted ^ (uint64_t{1} << 63));
}

std::string TimeBytes(int64_t ts_ns) {
  std::string out;
  AppendBe64(&out, InvertedTime(ts_ns));
  return out;
}

std::string Tail(int64_t ts_ns, std::string_view sensor, std::string_view id) {
  return Cat(TimeBytes(ts_ns), sensor, std::string_view("\0", 1), id);
}

std::string EnterpriseBytes(uint64_t enterprise) {
  std::string out;
  AppendBe64(&out, enterprise);
  return out;
}

std::string RecordPrefix(uint64_t e) { return Cat(kRecordPrefix, EnterpriseBytes(e)); }
std::string ProtoPrefix(uint64_t e, std::string_view proto) {
  return Cat(kProtoIndex, EnterpriseBytes(e), proto, std::string_view("\0", 1));
}
std::string SensorPrefix(uint64_t e, std::string_view sensor) {
  return Cat(kSensorIndex, EnterpriseBytes(e), sensor, std::string_view("\0", 1));
}
std::string IdKey(std::string_view sensor, std::string_view id) {
  return Cat(kIdIndex, sensor, std::string_view("\0", 1), id);
}

struct TailParts {
  int64_t ts_ns;
  std::string_view sensor;
  std::string_view id;
};

std::optional<TailParts> SplitTail(std::string_view tail) {
  if (tail.size() < kTimeBytes + 2) return std::nullopt;
  const size_t zero = tail.find('\0', kTimeBytes);
  if (zero == std::string_view::npos || zero == kTimeBytes || zero + 1 == tail.size()) {
    return std::nullopt;
  }
  return TailParts{TimeOfInverted(ReadBe64(tail)), tail.substr(kTimeBytes, zero - kTimeBytes),
                   tail.substr(zero + 1)};
}

struct Record {
  int64_t received_ns;
  std::string_view proto;
  std::string_view json;
};

std::string EncodeRecord(int64_t received_ns, std::string_view proto, std::string_view json) {
  std::string out;
  out.reserve(1 + 8 + 1 + proto.size() + json.size());
  out.push_back(static_cast<char>(kRecordVersion));
  AppendBe64(&out, static_cast<uint64_t>(received_ns));
  out.push_back(static_cast<char>(proto.size()));
  Append(&out, proto, json);
  return out;
}

std::optional<Record> DecodeRecord(std::string_view v) {
  if (v.size() < 10 || static_cast<uint8_t>(v[0]) != kRecordVersion) return std::nullopt;
  const size_t proto_len = static_cast<uint8_t>(v[9]);
  if (v.size() < 10 + proto_len) return std::nullopt;
  return Record{static_cast<int64_t>(ReadBe64(v.substr(1))), v.substr(10, proto_len),
                v.substr(10 + proto_len)};
}

absl::Status StorageError(const absl::Status& s) {
  return HandleError(ResponseCode::kError, Cat("security events: ", s.message()));
}

absl::Status CorruptAt(std::string_view key) {
  return HandleError(ResponseCode::kError,
                     Cat("security events: corrupt entry ",
                         absl::CHexEscape(absl::string_view(key.data(), key.size()))));
}

}  // namespace

EventStore::EventStore(store::KvStore* store, SensorRegistry* sensors, const Clock& clock,
                       EventStoreOptions options)
    : store_(store), sensors_(sensors), clock_(clock), options_(std::move(options)) {}

EventStore::~EventStore() {
  {
    std::lock_guard lock(sweep_mu_);
    stopping_ = true;
  }
  sweep_cv_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

absl::StatusOr<DeliveryResult> EventStore::Deliver(uint64_t enterprise, std::string_view sensor,
                                                   const std::vector<IncomingEvent>& events) {
  auto held = sensors_->LockSensor(sensor);
  const absl::Time now = clock_.Now();
  const int64_t received_ns = absl::ToUnixNanos(now);
  DeliveryResult result;
  store::WriteBatch batch;
  std::set<std::string_view> in_batch;
  std::optional<int64_t> newest;
  const std::string record_prefix = RecordPrefix(enterprise);
  for (const IncomingEvent& e : events) {
    const std::string id_key = IdKey(sensor, e.id);
    std::string ignored;
    bool stored = false;
    if (!in_batch.insert(e.id).second) {
      stored = true;  // the same id twice in one request
    } else {
      absl::Status got = store_->Get(kSecuritySpace, id_key, &ignored);
      if (got.ok()) {
        stored = true;
      } else if (!absl::IsNotFound(got)) {
        return StorageError(got);
      }
    }
    if (stored) {
      ++result.duplicates;
      continue;
    }
    const std::string tail = Tail(e.ts_ns, sensor, e.id);
    batch.PutOwned(kSecuritySpace, Cat(record_prefix, tail),
                   EncodeRecord(received_ns, e.proto, e.json));
    batch.Put(kSecuritySpace, Cat(ProtoPrefix(enterprise, e.proto), tail), "");
    batch.Put(kSecuritySpace, Cat(SensorPrefix(enterprise, sensor), tail), "");
    batch.Put(kSecuritySpace, Cat(kTimeIndex, tail), EnterpriseBytes(enterprise));
    batch.Put(kSecuritySpace, id_key, tail);
    ++result.accepted;
    if (!newest || e.ts_ns > *newest) newest = e.ts_ns;
  }
  Sensor after;
  QL_RETURN_IF_ERROR(sensors_->AddDelivery(sensor, result.accepted, newest, now, &batch, &after));
  if (absl::Status s = store_->Write(batch); !s.ok()) return StorageError(s);
  sensors_->Delivered(after);
  return result;
}

absl::StatusOr<EventPage> EventStore::Query(const EventQuery& q) const {
  std::optional<uint64_t> enterprise = q.enterprise;
  if (!enterprise && q.sensor) {
    // Sensor ids are unique on the node: its enterprise's index serves.
    std::optional<Sensor> s = sensors_->Find(*q.sensor);
    if (!s) return EventPage{};
    enterprise = s->enterprise;
  }
  // The index that fits; the other filters are checked on the records.
  std::string prefix;
  if (!enterprise) {
    prefix = std::string(kTimeIndex);
  } else if (q.sensor) {
    prefix = SensorPrefix(*enterprise, *q.sensor);
  } else if (q.protocol) {
    prefix = ProtoPrefix(*enterprise, *q.protocol);
  } else {
    prefix = RecordPrefix(*enterprise);
  }
  std::string start = prefix;
  if (q.to_ns) Append(&start, TimeBytes(*q.to_ns - 1));
  if (!q.cursor.empty()) {
    std::string tail;
    if (!absl::WebSafeBase64Unescape(q.cursor, &tail) || !SplitTail(tail)) {
      return HandleError(ResponseCode::kProtocolError, "cursor is not one this node gave");
    }
    // The smallest key after the cursor's.
    std::string after = Cat(prefix, tail, std::string_view("\0", 1));
    if (after > start) start = std::move(after);
  }
  const std::unique_ptr<store::KvSnapshot> snapshot = store_->Snapshot();
  EventPage page;
  uint64_t scanned = 0;
  absl::Status failed;
  std::string last_tail;
  bool more = false;
  const std::string record_prefix_all(kRecordPrefix);
  QL_RETURN_IF_ERROR(snapshot->Scan(
      kSecuritySpace, prefix, start, [&](std::string_view key, std::string_view value) {
        const std::string_view tail = key.substr(prefix.size());
        std::optional<TailParts> parts = SplitTail(tail);
        if (!parts) {
          failed = CorruptAt(key);
          return false;
        }
        if (q.from_ns && parts->ts_ns < *q.from_ns) return false;
        if (q.sensor && parts->sensor != *q.sensor) return true;
        uint64_t event_enterprise = enterprise.value_or(0);
        std::string record_value;
        if (!enterprise) {
          if (value.size() != 8) {
            failed = CorruptAt(key);
            return false;
          }
          event_enterprise = ReadBe64(value);
        }
        if (key.starts_with(kRecordPrefix)) {
          record_value = std::string(value);
        } else {
          absl::Status got = snapshot->Get(
              kSecuritySpace, Cat(RecordPrefix(event_enterprise), tail), &record_value);
          if (!got.ok()) {
            failed = absl::IsNotFound(got) ? CorruptAt(key) : StorageError(got);
            return false;
          }
        }
        if (++scanned > options_.max_scanned_per_query) {
          failed = absl::ResourceExhaustedError(
              Cat("the query reads more than ", options_.max_scanned_per_query,
                  " events, over the limit of ", options_.max_scanned_per_query,
                  " ([security] max_events_scanned_per_query): narrow it with enterprise, sensor, "
                  "protocol, from or to"));
          return false;
        }
        std::optional<Record> record = DecodeRecord(record_value);
        if (!record) {
          failed = CorruptAt(key);
          return false;
        }
        if (q.protocol && record->proto != *q.protocol) return true;
        Json event = Json::parse(record->json, nullptr, false);
        if (!event.is_object()) {
          failed = CorruptAt(key);
          return false;
        }
        auto matches = [&](const char* field, const std::optional<std::string>& want) {
          if (!want) return true;
          auto it = event.find(field);
          return it != event.end() && it->is_string() && it->get_ref<const std::string&>() == *want;
        };
        if (!matches("orig_h", q.orig_h) || !matches("resp_h", q.resp_h)) return true;
        if (page.events.size() == q.limit) {
          more = true;  // one more matches: there is a next page
          return false;
        }
        Json out = {{"id", event["id"]},
                    {"sensor", std::string(parts->sensor)},
                    {"enterprise", event_enterprise},
                    {"received", FormatRfc3339Utc(record->received_ns)}};
        for (auto it = event.begin(); it != event.end(); ++it) {
          if (it.key() != "id") out[it.key()] = std::move(it.value());
        }
        page.events.push_back(std::move(out));
        last_tail = std::string(tail);
        return true;
      }));
  QL_RETURN_IF_ERROR(failed);
  if (more) page.next_cursor = absl::WebSafeBase64Escape(last_tail);
  return page;
}

absl::StatusOr<uint64_t> EventStore::DeleteOlderThan(absl::Time cutoff) {
  // Time is inverted: the events with ts < cutoff are every key after
  // those of ts == cutoff, whose sensor ids (hex digits) sort before 0xff.
  const int64_t cutoff_ns = absl::ToUnixNanos(cutoff);
  std::string start = Cat(kTimeIndex, TimeBytes(cutoff_ns));
  start.push_back('\xff');
  uint64_t deleted = 0;
  while (true) {
    std::vector<std::pair<std::string, uint64_t>> found;  // tail, enterprise
    absl::Status bad;
    QL_RETURN_IF_ERROR(store_->Scan(kSecuritySpace, kTimeIndex, start,
                                    [&](std::string_view key, std::string_view value) {
                                      std::string_view tail = key.substr(kTimeIndex.size());
                                      std::optional<TailParts> parts = SplitTail(tail);
                                      if (!parts || value.size() != 8) {
                                        bad = CorruptAt(key);
                                        return false;
                                      }
                                      if (parts->ts_ns >= cutoff_ns) return true;
                                      found.emplace_back(std::string(tail), ReadBe64(value));
                                      return found.size() < kSweepBatch;
                                    }));
    QL_RETURN_IF_ERROR(bad);
    if (found.empty()) return deleted;
    store::WriteBatch batch;
    for (const auto& [tail, enterprise] : found) {
      const TailParts parts = *SplitTail(tail);
      const std::string record_key = Cat(RecordPrefix(enterprise), tail);
      std::string value;
      absl::Status got = store_->Get(kSecuritySpace, record_key, &value);
      if (got.ok()) {
        if (std::optional<Record> r = DecodeRecord(value)) {
          batch.Delete(kSecuritySpace, Cat(ProtoPrefix(enterprise, r->proto), tail));
        }
      } else if (!absl::IsNotFound(got)) {
        return StorageError(got);
      }
      batch.Delete(kSecuritySpace, record_key);
      batch.Delete(kSecuritySpace, Cat(SensorPrefix(enterprise, parts.sensor), tail));
      batch.Delete(kSecuritySpace, Cat(kTimeIndex, tail));
      // The id entry only if it still points here (a replay after the
      // sweep stores the event anew under the same id).
      const std::string id_key = IdKey(parts.sensor, parts.id);
      std::string points_at;
      if (store_->Get(kSecuritySpace, id_key, &points_at).ok() && points_at == tail) {
        batch.Delete(kSecuritySpace, id_key);
      }
    }
    if (absl::Status s = store_->Write(batch); !s.ok()) return StorageError(s);
    deleted += found.size();
  }
}

void EventStore::StartRetention() {
  if (options_.retention_days == 0 || sweeper_.joinable()) return;
  sweeper_ = std::thread([this] { RetentionLoop(); });
}

void EventStore::RetentionLoop() {
  std::unique_lock lock(sweep_mu_);
  while (!stopping_) {
    lock.unlock();
    const absl::Time cutoff =
        clock_.Now() - absl::Hours(24) * static_cast<int64_t>(options_.retention_days);
    // A failed sweep is logged and retried at the next interval.
    if (absl::StatusOr<uint64_t> n = DeleteOlderThan(cutoff); !n.ok()) {
      LogError("security.retention_failed", {{"error", std::string(n.status().message())}});
    } else if (*n > 0) {
      LogInfo("security.retention", {{"deleted", *n}});
    }
    lock.lock();
    sweep_cv_.wait_for(lock, absl::ToChronoSeconds(options_.retention_interval),
                       [this] { return stopping_; });
  }
}

}  // namespace qilian::security::events
