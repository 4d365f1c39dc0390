#include "platform/shadow/shadow_store.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/numbers.h"
#include "platform/ingest/topic.h"
#include "store/kv_store.h"

namespace qilian::platform {

namespace {

using nlohmann::json;

// Devices are keyed by (enterprise, device id): device ids are unique within
// an enterprise, and REST and ingestion both know the DeviceRef. Lookups use
// a view of the key, so that finding a device allocates nothing.
struct KeyView {
  uint64_t enterprise;
  std::string_view device_id;
};
struct Key {
  uint64_t enterprise;
  std::string device_id;
  KeyView view() const { return {enterprise, device_id}; }
};
struct KeyHash {
  using is_transparent = void;
  size_t operator()(const KeyView& k) const {
    return absl::HashOf(k.enterprise, absl::string_view(k.device_id.data(), k.device_id.size()));
  }
  size_t operator()(const Key& k) const { return (*this)(k.view()); }
};
struct KeyEq {
  using is_transparent = void;
  static KeyView V(const Key& k) { return k.view(); }
  static KeyView V(const KeyView& k) { return k; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    KeyView x = V(a), y = V(b);
    return x.enterprise == y.enterprise && x.device_id == y.device_id;
  }
};

KeyView KeyOf(const DeviceRef& d) { return {d.enterprise, d.device_id}; }

constexpr int64_t kNoTime = INT64_MIN;

struct Slot {
  int64_t time_ms = kNoTime;
  StoredValue value;
};

// Desired properties by identifier (rare: kept out of line).
struct Desired {
  uint64_t version = 0;
  absl::flat_hash_map<std::string, json> properties;
};

struct DeviceShadow {
  // The model whose property order `reported` follows.
  std::shared_ptr<const ModelIndex> model;
  std::unique_ptr<Slot[]> reported;
  uint32_t property_count = 0;
  bool online = false;
  // Send the delta with the device's next report: set when it comes online
  // and after a restart. Not at once on presence: a device that has just
  // connected may not have subscribed to its write topic yet, and the
  // broker would drop the write.
  bool push_delta = false;
  int64_t last_seen_ms = kNoTime;
  std::unique_ptr<Desired> desired;
};

struct Shard {
  mutable std::mutex mu;
  absl::flat_hash_map<Key, DeviceShadow, KeyHash, KeyEq> devices;
};

struct Pending {
  Key device;
  CallKind kind;
  std::string function;  // kInvoke
  std::shared_ptr<const ModelIndex> model;
  absl::Time deadline;
  CallCallback done;  // empty for the writes that carry desired changes
};

std::string_view ReplySuffix(CallKind kind) {
  switch (kind) {
    case CallKind::kRead:
      return "properties/read";
    case CallKind::kWrite:
      return "properties/write";
    case CallKind::kInvoke:
      break;
  }
  return "function/invoke";
}

// Makes `shadow` follow `model`'s property order, keeping the values of
// properties that are still there (by identifier).
void Relayout(DeviceShadow* shadow, const std::shared_ptr<const ModelIndex>& model) {
  const auto& properties = model->model().properties;
  auto slots = std::make_unique<Slot[]>(properties.size());
  if (shadow->model != nullptr) {
    const auto& old = shadow->model->model().properties;
    for (uint32_t i = 0; i < shadow->property_count; ++i) {
      if (shadow->reported[i].time_ms == kNoTime) continue;
      if (const Property* p = model->FindProperty(old[i].identifier)) {
        slots[p - properties.data()] = std::move(shadow->reported[i]);
      }
    }
  }
  shadow->model = model;
  shadow->reported = std::move(slots);
  shadow->property_count = static_cast<uint32_t>(properties.size());
}

json ReportedValue(const DeviceShadow& shadow, std::string_view identifier) {
  if (shadow.model == nullptr) return nullptr;
  const Property* p = shadow.model->FindProperty(identifier);
  if (p == nullptr) return nullptr;
  const Slot& slot = shadow.reported[p - shadow.model->model().properties.data()];
  return slot.time_ms == kNoTime ? json() : ToJson(slot.value.view());
}

json Delta(const DeviceShadow& shadow) {
  json delta = json::object();
  if (shadow.desired == nullptr) return delta;
  for (const auto& [id, value] : shadow.desired->properties) {
    if (ReportedValue(shadow, id) != value) delta[id] = value;
  }
  return delta;
}

std::string EncodeDesired(const Desired& desired) {
  json properties = json::object();
  for (const auto& [id, value] : desired.properties) properties[id] = value;
  return json{{"version", desired.version}, {"desired", std::move(properties)}}.dump();
}

}  // namespace

struct ShadowStore::Impl {
  const DeviceDirectory& directory;
  Publisher& publisher;
  store::KvStore* kv;
  const Clock& clock;
  ShadowOptions options;
  std::vector<Shard> shards;
  std::string id_prefix;
  std::atomic<uint64_t> next_id{1};

  mutable std::mutex pending_mu;
  absl::flat_hash_map<std::string, Pending> pending;

  Impl(const DeviceDirectory& d, Publisher& p, store::KvStore* k, const Clock& c, ShadowOptions o)
      : directory(d),
        publisher(p),
        kv(k),
        clock(c),
        options(o),
        shards(std::max<size_t>(1, o.shards)) {
    // Message ids differ between runs, so that a reply to a call of an
    // earlier process is never taken for one of this process.
    char prefix[24];
    std::snprintf(prefix, sizeof(prefix), "q%llx-",
                  static_cast<unsigned long long>(absl::ToUnixNanos(absl::Now()) & 0xFFFFFFFFFF));
    id_prefix = prefix;
  }

  Shard& ShardOf(KeyView key) { return shards[KeyHash()(key) % shards.size()]; }
  const Shard& ShardOf(KeyView key) const { return shards[KeyHash()(key) % shards.size()]; }

  int64_t NowMs() const { return absl::ToUnixMillis(clock.Now()); }

  std::string NextId() { return id_prefix + std::to_string(next_id.fetch_add(1)); }

  // The request topic of a device, through its gateway for a sub-device.
  absl::StatusOr<std::string> RequestTopic(const DeviceRef& device, CallKind kind) {
    if (device.gateway_id.empty()) {
      return DeviceTopic(device.product_key, device.device_id, "", ReplySuffix(kind));
    }
    auto gateway = directory.FindInEnterprise(device.enterprise, device.gateway_id);
    if (gateway == nullptr) {
      return absl::FailedPreconditionError("gateway '" + device.gateway_id + "' of device '" +
                                           device.device_id + "' does not exist");
    }
    return DeviceTopic(gateway->product_key, gateway->device_id, device.device_id,
                       ReplySuffix(kind));
  }

  absl::StatusOr<std::shared_ptr<const ModelIndex>> ModelOf(const DeviceRef& device) const {
    auto model = directory.Model(device.enterprise, device.product_id, device.model_version);
    if (model == nullptr) {
      return absl::NotFoundError("thing model version " + std::to_string(device.model_version) +
                                 " of product '" + device.product_id + "' does not exist");
    }
    return model;
  }

  // Registers a call, then publishes `body` (with its messageId) to the
  // device. If publishing fails the call is withdrawn.
  absl::Status Call(const DeviceRef& device, CallKind kind, std::string function,
                    std::shared_ptr<const ModelIndex> model, json body, absl::Duration timeout,
                    CallCallback done) {
    if (timeout <= absl::ZeroDuration() || timeout > kMaxCallTimeout) {
      return absl::InvalidArgumentError("timeout must be above 0 and at most 10 minutes");
    }
    auto topic = RequestTopic(device, kind);
    if (!topic.ok()) return topic.status();
    std::string id = NextId();
    body["messageId"] = id;
    {
      std::lock_guard lock(pending_mu);
      if (pending.size() >= kMaxPendingCalls) {
        return absl::ResourceExhaustedError("too many pending calls to devices (100000)");
      }
      pending.emplace(id,
                      Pending{Key{device.enterprise, device.device_id}, kind, std::move(function),
                              std::move(model), clock.Now() + timeout, std::move(done)});
    }
    absl::Status published = publisher.Publish(*topic, body.dump());
    if (!published.ok()) {
      std::lock_guard lock(pending_mu);
      pending.erase(id);
    }
    return published;
  }

  void PublishDelta(const DeviceRef& device, json delta) {
    if (delta.empty()) return;
    // Best effort: the delta stays and goes again with the device's first
    // report after it next comes online; a caller that needs the outcome
    // uses WriteProperties.
    (void)Call(device, CallKind::kWrite, "", nullptr, json{{"properties", std::move(delta)}},
               options.desired_write_timeout, nullptr);
  }
};

ShadowStore::ShadowStore(const DeviceDirectory& directory, Publisher& publisher, store::KvStore* kv,
                         const Clock& clock, ShadowOptions options)
    : impl_(std::make_unique<Impl>(directory, publisher, kv, clock, options)) {}

ShadowStore::~ShadowStore() = default;

std::string ShadowStore::DesiredKey(uint64_t enterprise, std::string_view device_id) {
  char digits[21];
  std::snprintf(digits, sizeof(digits), "%020llu", static_cast<unsigned long long>(enterprise));
  std::string key(kShadowKeyPrefix);
  key.append(digits);
  key.push_back('/');
  key.append(device_id);
  return key;
}

absl::Status ShadowStore::Load() {
  if (impl_->kv == nullptr) return absl::OkStatus();
  absl::Status bad;
  absl::Status scan = impl_->kv->Scan(
      kShadowSpace, kShadowKeyPrefix, "", [&](std::string_view key, std::string_view value) {
        std::string_view rest = key.substr(kShadowKeyPrefix.size());
        uint64_t enterprise = 0;
        json record = json::parse(value, nullptr, false);
        if (rest.size() < 22 || rest[20] != '/' ||
            !absl::SimpleAtoi(absl::string_view(rest.data(), 20), &enterprise) ||
            !record.is_object() || !record.contains("version") ||
            !record["version"].is_number_unsigned() || !record.contains("desired") ||
            !record["desired"].is_object()) {
          bad = absl::DataLossError("stored shadow '" + std::string(key) + "' is corrupt");
          return false;
        }
        auto desired = std::make_unique<Desired>();
        desired->version = record["version"].get<uint64_t>();
        for (auto& [id, v] : record["desired"].items()) desired->properties.emplace(id, v);
        Key k{enterprise, std::string(rest.substr(21))};
        Shard& shard = impl_->ShardOf(k.view());
        std::lock_guard lock(shard.mu);
        DeviceShadow& loaded = shard.devices[std::move(k)];
        loaded.desired = std::move(desired);
        loaded.push_delta = true;
        return true;
      });
  return scan.ok() ? bad : scan;
}

void ShadowStore::ApplyReported(const DeviceRef& device,
                                const std::shared_ptr<const ModelIndex>& model,
                                std::span<const ReportedPoint> points) {
  const int64_t now = impl_->NowMs();
  KeyView key = KeyOf(device);
  Shard& shard = impl_->ShardOf(key);
  json delta;
  {
    std::lock_guard lock(shard.mu);
    auto it = shard.devices.find(key);
    if (it == shard.devices.end()) {
      it = shard.devices.try_emplace(Key{device.enterprise, device.device_id}).first;
    }
    DeviceShadow& shadow = it->second;
    if (shadow.model != model) Relayout(&shadow, model);
    for (const ReportedPoint& p : points) {
      if (p.property >= shadow.property_count) continue;
      Slot& slot = shadow.reported[p.property];
      if (p.time_ms >= slot.time_ms) {
        slot.time_ms = p.time_ms;
        slot.value.Set(p.value);
      }
    }
    shadow.last_seen_ms = std::max(shadow.last_seen_ms, now);
    if (shadow.push_delta) {
      shadow.push_delta = false;
      delta = Delta(shadow);
    }
  }
  if (!delta.is_null()) impl_->PublishDelta(device, std::move(delta));
}

bool ShadowStore::SetPresence(std::string_view username, bool online, absl::Time time) {
  size_t slash = username.find('/');
  if (slash == std::string_view::npos) return false;
  auto device = impl_->directory.Find(username.substr(0, slash), username.substr(slash + 1));
  if (device == nullptr) return false;
  KeyView key = KeyOf(*device);
  Shard& shard = impl_->ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.devices.find(key);
  if (it == shard.devices.end()) {
    it = shard.devices.try_emplace(Key{device->enterprise, device->device_id}).first;
  }
  it->second.online = online;
  it->second.last_seen_ms = std::max(it->second.last_seen_ms, absl::ToUnixMillis(time));
  if (online) it->second.push_delta = true;
  return true;
}

absl::Status ShadowStore::CompleteCall(const DeviceRef& device, CallKind kind, const json& reply) {
  auto id = reply.find("messageId");
  if (id == reply.end() || !id->is_string()) {
    return absl::InvalidArgumentError("messageId: expected a string");
  }
  const std::string& message_id = id->get_ref<const std::string&>();
  Pending call;
  {
    std::lock_guard lock(impl_->pending_mu);
    auto it = impl_->pending.find(message_id);
    if (it == impl_->pending.end() || it->second.kind != kind ||
        !KeyEq()(it->second.device, KeyOf(device))) {
      return absl::NotFoundError("no pending call with messageId '" + message_id + "'");
    }
    call = std::move(it->second);
    impl_->pending.erase(it);
  }
  absl::StatusOr<CallReply> result = [&]() -> absl::StatusOr<CallReply> {
    CallReply out;
    auto success = reply.find("success");
    if (success == reply.end() || !success->is_boolean()) {
      return absl::InvalidArgumentError("success: expected true or false");
    }
    out.success = success->get<bool>();
    if (!out.success) {
      auto code = reply.find("code");
      auto message = reply.find("message");
      if (code != reply.end() && code->is_string()) out.code = code->get<std::string>();
      if (message != reply.end() && message->is_string()) {
        out.message = message->get<std::string>();
      }
      return out;
    }
    if (kind == CallKind::kWrite) return out;
    const char* field = kind == CallKind::kRead ? "properties" : "output";
    auto data = reply.find(field);
    if (data == reply.end() || !data->is_object()) {
      return absl::InvalidArgumentError(std::string(field) + ": expected an object");
    }
    if (kind == CallKind::kInvoke) {
      if (auto s = call.model->CheckServiceOutput(call.function, *data); !s.ok()) return s;
    } else {
      for (const auto& [identifier, value] : data->items()) {
        if (auto s = call.model->CheckProperty(identifier, value); !s.ok()) return s;
      }
    }
    out.data = *data;
    return out;
  }();
  absl::Status status = result.ok() ? absl::OkStatus() : result.status();
  if (result.ok() && kind == CallKind::kRead && result->success) {
    // What a read returns is the device's current state.
    std::vector<std::string> texts;
    std::vector<ReportedPoint> points;
    const int64_t now = impl_->NowMs();
    const Property* first = call.model->model().properties.data();
    texts.reserve(result->data.size());
    for (const auto& [identifier, value] : result->data.items()) {
      ReportedPoint p{static_cast<uint32_t>(call.model->FindProperty(identifier) - first), now, {}};
      if (value.is_boolean()) {
        p.value = ValueView::Bool(value.get<bool>());
      } else if (value.is_number_integer()) {
        p.value = value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX
                      ? ValueView::Double(value.get<double>())
                      : ValueView::Int(value.get<int64_t>());
      } else if (value.is_number()) {
        p.value = ValueView::Double(value.get<double>());
      } else if (value.is_string()) {
        p.value = ValueView::Text(value.get_ref<const std::string&>());
      } else {
        texts.push_back(value.dump());
        p.value = ValueView::Json(texts.back());
      }
      points.push_back(p);
    }
    ApplyReported(device, call.model, points);
  }
  if (call.done) call.done(std::move(result));
  return status;
}

ShadowDocument ShadowStore::Get(const DeviceRef& device) const {
  ShadowDocument doc;
  KeyView key = KeyOf(device);
  const Shard& shard = impl_->ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.devices.find(key);
  if (it == shard.devices.end()) return doc;
  const DeviceShadow& shadow = it->second;
  doc.online = shadow.online;
  if (shadow.last_seen_ms != kNoTime) doc.last_seen_ms = shadow.last_seen_ms;
  for (uint32_t i = 0; i < shadow.property_count; ++i) {
    const Slot& slot = shadow.reported[i];
    if (slot.time_ms == kNoTime) continue;
    doc.reported[shadow.model->model().properties[i].identifier] = {
        {"value", ToJson(slot.value.view())}, {"time", slot.time_ms}};
  }
  if (shadow.desired != nullptr) {
    doc.desired_version = shadow.desired->version;
    for (const auto& [id, value] : shadow.desired->properties) doc.desired[id] = value;
    doc.delta = Delta(shadow);
  }
  return doc;
}

absl::StatusOr<uint64_t> ShadowStore::SetDesired(const DeviceRef& device, const json& properties,
                                                 std::optional<uint64_t> expected_version) {
  if (!properties.is_object()) return absl::InvalidArgumentError("expected an object");
  auto model = impl_->ModelOf(device);
  if (!model.ok()) return model.status();
  for (const auto& [identifier, value] : properties.items()) {
    // null removes; removing what is not there (a property a newer model
    // version dropped, say) is allowed.
    if (value.is_null()) continue;
    if (auto s = (*model)->CheckPropertyWrite(identifier, value); !s.ok()) return s;
  }
  KeyView key = KeyOf(device);
  Shard& shard = impl_->ShardOf(key);
  json delta;
  uint64_t version;
  {
    // Held across the store write so that two changes to one device are
    // stored in the order they are applied.
    std::lock_guard lock(shard.mu);
    auto it = shard.devices.find(key);
    if (it == shard.devices.end()) {
      it = shard.devices.try_emplace(Key{device.enterprise, device.device_id}).first;
    }
    DeviceShadow& shadow = it->second;
    const uint64_t current = shadow.desired ? shadow.desired->version : 0;
    if (expected_version && *expected_version != current) {
      return absl::FailedPreconditionError("desired version is " + std::to_string(current) +
                                           ", not " + std::to_string(*expected_version));
    }
    Desired next;
    if (shadow.desired) next.properties = shadow.desired->properties;
    for (const auto& [identifier, value] : properties.items()) {
      if (value.is_null()) {
        next.properties.erase(identifier);
      } else {
        next.properties.insert_or_assign(identifier, value);
      }
    }
    next.version = current + 1;
    const std::string record_key = DesiredKey(device.enterprise, device.device_id);
    if (impl_->kv != nullptr) {
      absl::Status stored = impl_->kv->Put(kShadowSpace, record_key, EncodeDesired(next));
      if (!stored.ok()) return stored;
    }
    shadow.desired = std::make_unique<Desired>(std::move(next));
    version = shadow.desired->version;
    if (shadow.model != *model) Relayout(&shadow, *model);
    delta = Delta(shadow);
  }
  impl_->PublishDelta(device, std::move(delta));
  return version;
}

absl::Status ShadowStore::WriteProperties(const DeviceRef& device, const json& values,
                                          absl::Duration timeout, CallCallback done) {
  if (!values.is_object() || values.empty()) {
    return absl::InvalidArgumentError("expected a non-empty object of property values");
  }
  auto model = impl_->ModelOf(device);
  if (!model.ok()) return model.status();
  for (const auto& [identifier, value] : values.items()) {
    if (auto s = (*model)->CheckPropertyWrite(identifier, value); !s.ok()) return s;
  }
  return impl_->Call(device, CallKind::kWrite, "", *std::move(model), json{{"properties", values}},
                     timeout, std::move(done));
}

absl::Status ShadowStore::ReadProperties(const DeviceRef& device,
                                         const std::vector<std::string>& properties,
                                         absl::Duration timeout, CallCallback done) {
  if (properties.empty()) return absl::InvalidArgumentError("expected at least one property");
  auto model = impl_->ModelOf(device);
  if (!model.ok()) return model.status();
  for (const std::string& identifier : properties) {
    if ((*model)->FindProperty(identifier) == nullptr) {
      return absl::NotFoundError(identifier + ": no such property");
    }
  }
  return impl_->Call(device, CallKind::kRead, "", *std::move(model),
                     json{{"properties", properties}}, timeout, std::move(done));
}

absl::Status ShadowStore::InvokeFunction(const DeviceRef& device, std::string_view function,
                                         const json& inputs, absl::Duration timeout,
                                         CallCallback done) {
  auto model = impl_->ModelOf(device);
  if (!model.ok()) return model.status();
  if (auto s = (*model)->CheckServiceInput(function, inputs); !s.ok()) return s;
  return impl_->Call(device, CallKind::kInvoke, std::string(function), *std::move(model),
                     json{{"function", function}, {"inputs", inputs}}, timeout, std::move(done));
}

size_t ShadowStore::ExpireCalls() {
  const absl::Time now = impl_->clock.Now();
  std::vector<CallCallback> expired;
  size_t count = 0;
  {
    std::lock_guard lock(impl_->pending_mu);
    for (auto it = impl_->pending.begin(); it != impl_->pending.end();) {
      if (it->second.deadline <= now) {
        if (it->second.done) expired.push_back(std::move(it->second.done));
        impl_->pending.erase(it++);
        ++count;
      } else {
        ++it;
      }
    }
  }
  for (CallCallback& done : expired) {
    done(absl::DeadlineExceededError("the device did not reply in time"));
  }
  return count;
}

size_t ShadowStore::pending_calls() const {
  std::lock_guard lock(impl_->pending_mu);
  return impl_->pending.size();
}

absl::Status ShadowStore::Remove(const DeviceRef& device) {
  if (impl_->kv != nullptr) {
    absl::Status s =
        impl_->kv->Delete(kShadowSpace, DesiredKey(device.enterprise, device.device_id));
    if (!s.ok()) return s;
  }
  KeyView key = KeyOf(device);
  Shard& shard = impl_->ShardOf(key);
  std::lock_guard lock(shard.mu);
  auto it = shard.devices.find(key);
  if (it != shard.devices.end()) shard.devices.erase(it);
  return absl::OkStatus();
}

size_t ShadowStore::device_count() const {
  size_t n = 0;
  for (const Shard& shard : impl_->shards) {
    std::lock_guard lock(shard.mu);
    n += shard.devices.size();
  }
  return n;
}

size_t ShadowStore::ApproximateBytes() const {
  // Map slots (key and shadow inline, one control byte each), then what
  // each device holds out of line: its reported slots, the heap text of
  // its values, a device id too long for the string's inline buffer, and
  // its desired state.
  using Entry = std::pair<const Key, DeviceShadow>;
  size_t bytes = sizeof(ShadowStore) + sizeof(Impl) + impl_->shards.size() * sizeof(Shard);
  for (const Shard& shard : impl_->shards) {
    std::lock_guard lock(shard.mu);
    bytes += shard.devices.capacity() * (sizeof(Entry) + 1);
    for (const auto& [key, shadow] : shard.devices) {
      if (key.device_id.capacity() > 15) bytes += key.device_id.capacity() + 1;
      bytes += shadow.property_count * sizeof(Slot);
      for (uint32_t i = 0; i < shadow.property_count; ++i) {
        bytes += shadow.reported[i].value.heap_bytes();
      }
      if (shadow.desired) {
        bytes += sizeof(Desired) + shadow.desired->properties.capacity() *
                                       (sizeof(std::pair<const std::string, json>) + 1);
      }
    }
  }
  return bytes;
}

}  // namespace qilian::platform
