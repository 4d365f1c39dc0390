#include "platform/ingest/ingestor.h"

#include <cmath>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/json_text.h"
#include "platform/ingest/batch_payload.h"
#include "platform/thing_model/value_check.h"

namespace qilian::platform {

namespace {

using nlohmann::json;

constexpr int64_t kMinTimestampMs = 946684800000;  // 2000-01-01T00:00:00Z
constexpr size_t kMaxMessageIdLength = 64;

constexpr std::string_view kRefusalCodes[kRefusalCount] = {
    "bad_json",     "bad_batch",     "too_large",     "unknown_property", "unknown_event",
    "wrong_type",   "out_of_range",  "bad_timestamp", "unknown_device",   "unknown_child",
    "rate_limited", "unknown_topic", "unknown_call",
};

// Per-thread scratch reused from message to message, so that an accepted
// message allocates only what its JSON DOM needs.
struct Scratch {
  std::vector<ReportedPoint> points;
  std::deque<std::string> texts;  // JSON text of struct/array/geo values
  Batch batch;
  std::vector<const Property*> table;  // the batch's property names, resolved
  std::string reply;
  std::string reply_topic;
  void Clear() {
    points.clear();
    texts.clear();
  }
};
thread_local Scratch scratch;

// A model check's error as a refusal code: a missing identifier, a value of
// the wrong JSON type or shape, or a value of the right type outside its
// rules. The reason follows the path and ": ".
Refusal Classify(const absl::Status& status, Refusal not_found) {
  if (status.code() == absl::StatusCode::kNotFound) return not_found;
  std::string_view message(status.message().data(), status.message().size());
  size_t colon = message.find(": ");
  std::string_view reason = colon == std::string_view::npos ? message : message.substr(colon + 2);
  for (std::string_view shape : {"expected ", "missing field ", "unknown field "}) {
    if (reason.starts_with(shape)) return Refusal::kWrongType;
  }
  if (reason.find("is not an ISO 8601 date-time") != std::string_view::npos) {
    return Refusal::kWrongType;
  }
  return Refusal::kOutOfRange;
}

std::string Message(const absl::Status& status) {
  return std::string(status.message().data(), status.message().size());
}

// The value the shadow and the sink keep for `v`, which passed the check of
// `type`: numbers as the property's kind (an int 5 for a double property is
// 5.0), dates as epoch milliseconds, structured values as compact JSON.
// `text` is a view of v's string that lives as long as the message.
ValueView Keep(const DataType& type, const json& v, std::string_view text,
               std::deque<std::string>* texts) {
  switch (type.kind) {
    case TypeKind::kBool:
      return ValueView::Bool(v.is_boolean() ? v.get<bool>() : v.get<uint64_t>() == 1);
    case TypeKind::kInt:
    case TypeKind::kLong:
    case TypeKind::kEnum:
      return ValueView::Int(v.get<int64_t>());
    case TypeKind::kFloat:
    case TypeKind::kDouble:
      return ValueView::Double(v.get<double>());
    case TypeKind::kText:
      return ValueView::Text(text);
    case TypeKind::kDate: {
      if (v.is_number_integer()) return ValueView::Int(v.get<int64_t>());
      if (auto millis = ParseIsoDateTime(text)) return ValueView::Int(*millis);
      int64_t millis = 0;  // a string of digits, checked to be in range
      for (char c : text) millis = millis * 10 + (c - '0');
      return ValueView::Int(millis);
    }
    default:
      texts->push_back(v.dump());
      return ValueView::Json(texts->back());
  }
}

// A batch sample's value as the JSON a device would have sent, for the
// model check: a non-negative integer is unsigned, as the JSON parser reads it.
json SampleJson(const BatchValue& value) {
  switch (value.index()) {
    case 0:
      return std::get<bool>(value);
    case 1: {
      int64_t i = std::get<int64_t>(value);
      return i >= 0 ? json(static_cast<uint64_t>(i)) : json(i);
    }
    case 2:
      return std::get<double>(value);
    case 3:
      return static_cast<double>(std::get<float>(value));
    default:
      return std::get<std::string>(value);
  }
}

std::string SamplePath(size_t i, std::string_view property) {
  std::string path = "samples[" + std::to_string(i) + "] (";
  path.append(property);
  path.push_back(')');
  return path;
}

}  // namespace

std::string_view RefusalCode(Refusal refusal) {
  return kRefusalCodes[static_cast<size_t>(refusal)];
}

struct Ingestor::Context {
  std::string_view topic;
  std::string_view payload;
  ParsedTopic t;
  std::shared_ptr<const DeviceRef> device;  // the sub-device for child/ topics
  std::shared_ptr<const ModelIndex> model;
  std::string_view message_id;
  int64_t now_ms = 0;
  // Reports, batches and events are answered when refused (or acknowledged
  // on request); replies from devices and unknown topics are only counted.
  bool replies = false;
};

Ingestor::Ingestor(const DeviceDirectory& directory, ShadowStore& shadow, Publisher& publisher,
                   PointSink& sink, const Clock& clock, MetricsRegistry& metrics,
                   IngestOptions options)
    : directory_(directory),
      shadow_(shadow),
      publisher_(publisher),
      sink_(sink),
      clock_(clock),
      options_(options),
      limiter_(options.device_messages_per_second, options.device_burst) {
  for (size_t i = 0; i < kTopicKinds; ++i) {
    messages_[i] =
        &metrics.GetCounter("qilian_mqtt_messages_total", "Device MQTT messages accepted, by kind",
                            {{"kind", std::string(TopicKindName(static_cast<TopicKind>(i)))}});
  }
  for (size_t i = 0; i < kRefusalCount; ++i) {
    refused_[i] =
        &metrics.GetCounter("qilian_mqtt_refused_total", "Device MQTT messages refused, by reason",
                            {{"reason", std::string(kRefusalCodes[i])}});
  }
  values_ = &metrics.GetCounter("qilian_mqtt_values_total",
                                "Property values accepted from devices over MQTT");
  received_ = &metrics.GetCounter("qilian_mqtt_received_total",
                                  "Device MQTT messages received (accepted plus refused)");
}

Ingestor::~Ingestor() = default;

IngestResult Ingestor::Process(std::string_view topic, std::string_view payload) {
  received_->Inc();
  Context c;
  c.topic = topic;
  c.payload = payload;
  c.t = ParseTopic(topic);
  c.replies = c.t.kind == TopicKind::kReport || c.t.kind == TopicKind::kBatch ||
              c.t.kind == TopicKind::kEvent;
  if (c.t.kind == TopicKind::kMalformed) {
    return Refuse(c, Refusal::kUnknownTopic, "the topic is not under /{productKey}/{deviceId}/");
  }
  if (c.t.kind == TopicKind::kUnknown) {
    return Refuse(c, Refusal::kUnknownTopic, "the topic is not a device topic of docs/mqtt.md");
  }
  if (payload.size() > options_.max_payload_bytes) {
    return Refuse(c, Refusal::kTooLarge,
                  "payload of " + std::to_string(payload.size()) + " bytes is over the limit of " +
                      std::to_string(options_.max_payload_bytes));
  }
  c.device = directory_.Find(c.t.product_key, c.t.device_id);
  if (c.device == nullptr || !c.device->enabled) {
    return Refuse(c, Refusal::kUnknownDevice,
                  "no device '" + std::string(c.t.device_id) + "' with product key '" +
                      std::string(c.t.product_key) + "'");
  }
  if (!c.t.child.empty()) {
    auto child = directory_.FindInEnterprise(c.device->enterprise, c.t.child);
    if (child == nullptr || child->gateway_id != c.device->device_id || !child->enabled) {
      return Refuse(c, Refusal::kUnknownChild,
                    "'" + std::string(c.t.child) + "' is not a sub-device of gateway '" +
                        c.device->device_id + "'");
    }
    c.device = std::move(child);
  }
  const absl::Time now = clock_.Now();
  c.now_ms = absl::ToUnixMillis(now);
  // A gateway's sub-devices are limited one by one, like devices.
  if (!limiter_.Admit(c.device->enterprise, c.device->device_id, now)) {
    return Refuse(c, Refusal::kRateLimited,
                  "more than " +
                      std::to_string(static_cast<int64_t>(options_.device_messages_per_second)) +
                      " messages per second");
  }
  c.model = directory_.Model(c.device->enterprise, c.device->product_id, c.device->model_version);
  if (c.model == nullptr) {
    return Refuse(c, Refusal::kUnknownDevice,
                  "thing model version " + std::to_string(c.device->model_version) +
                      " of the device's product does not exist");
  }
  scratch.Clear();
  return Dispatch(c);
}

IngestResult Ingestor::Dispatch(Context& c) {
  switch (c.t.kind) {
    case TopicKind::kReport:
      return Report(c);
    case TopicKind::kBatch:
      return Batch(c);
    case TopicKind::kEvent:
      return Event(c);
    case TopicKind::kReadReply:
      return Reply(c, CallKind::kRead);
    case TopicKind::kWriteReply:
      return Reply(c, CallKind::kWrite);
    case TopicKind::kInvokeReply:
      return Reply(c, CallKind::kInvoke);
    default:
      break;
  }
  return Refuse(c, Refusal::kUnknownTopic, "the topic is not a device topic of docs/mqtt.md");
}

namespace {

// Reads messageId, timestamp and ack of `doc`; an error message for bad_json
// or (with *timestamp_error) bad_timestamp.
std::string ReadEnvelope(const json& doc, int64_t now_ms, absl::Duration skew,
                         Ingestor::Envelope* e, bool* timestamp_error) {
  e->time_ms = now_ms;
  if (auto it = doc.find("messageId"); it != doc.end()) {
    if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxMessageIdLength) {
      return "messageId: expected a string of at most 64 characters";
    }
    e->message_id = it->get_ref<const std::string&>();
  }
  if (auto it = doc.find("ack"); it != doc.end()) {
    if (!it->is_boolean()) return "ack: expected true or false";
    e->ack = it->get<bool>();
  }
  if (auto it = doc.find("timestamp"); it != doc.end()) {
    if (!it->is_number_integer() ||
        (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t{INT64_MAX})) {
      return "timestamp: expected an integer (epoch milliseconds)";
    }
    e->time_ms = it->get<int64_t>();
    *timestamp_error = true;
    if (e->time_ms < kMinTimestampMs) {
      return "timestamp " + std::to_string(e->time_ms) + " is before 2000-01-01T00:00:00Z";
    }
    if (e->time_ms > now_ms + absl::ToInt64Milliseconds(skew)) {
      return "timestamp " + std::to_string(e->time_ms) + " is more than " +
             std::to_string(absl::ToInt64Seconds(skew)) + " s ahead of the platform's clock";
    }
    *timestamp_error = false;
  }
  return {};
}

}  // namespace

std::optional<IngestResult> Ingestor::ParseMessage(Context& c, json* doc, Envelope* e) {
  *doc = json::parse(c.payload, nullptr, false);
  if (doc->is_discarded() || !doc->is_object()) {
    return Refuse(c, Refusal::kBadJson, "the payload is not a JSON object");
  }
  bool timestamp_error = false;
  std::string error = ReadEnvelope(*doc, c.now_ms, options_.max_clock_skew, e, &timestamp_error);
  c.message_id = e->message_id;
  if (error.empty()) return std::nullopt;
  return Refuse(c, timestamp_error ? Refusal::kBadTimestamp : Refusal::kBadJson, std::move(error));
}

IngestResult Ingestor::Report(Context& c) {
  json doc;
  Envelope e;
  if (auto refused = ParseMessage(c, &doc, &e)) return *std::move(refused);
  auto properties = doc.find("properties");
  if (properties == doc.end() || !properties->is_object() || properties->empty()) {
    return Refuse(c, Refusal::kBadJson, "properties: expected an object of property values");
  }
  const Property* first = c.model->model().properties.data();
  for (const auto& [identifier, value] : properties->items()) {
    const Property* property = c.model->FindProperty(identifier);
    if (property == nullptr) {
      return Refuse(c, Refusal::kUnknownProperty, identifier + ": no such property");
    }
    if (absl::Status s = CheckValue(property->type, value, identifier); !s.ok()) {
      return Refuse(c, Classify(s, Refusal::kUnknownProperty), Message(s));
    }
    std::string_view text;
    if (value.is_string()) text = value.get_ref<const std::string&>();
    scratch.points.push_back({static_cast<uint32_t>(property - first), e.time_ms,
                              Keep(property->type, value, text, &scratch.texts)});
  }
  shadow_.ApplyReported(*c.device, c.model, scratch.points);
  sink_.WritePoints(*c.device, *c.model, scratch.points);
  return Accept(c, scratch.points.size(), e.ack);
}

IngestResult Ingestor::Batch(Context& c) {
  platform::Batch& batch = scratch.batch;
  if (absl::Status s = DecodeBatch(c.payload, &batch); !s.ok()) {
    return Refuse(c, Refusal::kBadBatch, Message(s));
  }
  scratch.table.resize(batch.properties.size());
  for (size_t i = 0; i < batch.properties.size(); ++i) {
    scratch.table[i] = c.model->FindProperty(batch.properties[i]);
  }
  const Property* first = c.model->model().properties.data();
  const int64_t latest = c.now_ms + absl::ToInt64Milliseconds(options_.max_clock_skew);
  for (size_t i = 0; i < batch.samples.size(); ++i) {
    const BatchSample& sample = batch.samples[i];
    const std::string& name = batch.properties[sample.property];
    const Property* property = scratch.table[sample.property];
    if (property == nullptr) {
      return Refuse(c, Refusal::kUnknownProperty, SamplePath(i, name) + ": no such property");
    }
    if (sample.time_ms < kMinTimestampMs || sample.time_ms > latest) {
      return Refuse(c, Refusal::kBadTimestamp,
                    SamplePath(i, name) + ": time " + std::to_string(sample.time_ms) +
                        (sample.time_ms < kMinTimestampMs
                             ? " is before 2000-01-01T00:00:00Z"
                             : " is more than " +
                                   std::to_string(absl::ToInt64Seconds(options_.max_clock_skew)) +
                                   " s ahead of the platform's clock"));
    }
    json value = SampleJson(sample.value);
    if (value.is_number_float() && !std::isfinite(value.get<double>())) {
      return Refuse(c, Refusal::kOutOfRange,
                    SamplePath(i, name) + ": " + std::to_string(value.get<double>()) +
                        " is not a finite number");
    }
    if (absl::Status s = CheckValue(property->type, value, name); !s.ok()) {
      // Again with the sample's path: only now is it worth building.
      s = CheckValue(property->type, value, SamplePath(i, name));
      return Refuse(c, Classify(s, Refusal::kUnknownProperty), Message(s));
    }
    const std::string* text = std::get_if<std::string>(&sample.value);
    scratch.points.push_back(
        {static_cast<uint32_t>(property - first), sample.time_ms,
         Keep(property->type, value, text ? std::string_view(*text) : std::string_view(),
              &scratch.texts)});
  }
  shadow_.ApplyReported(*c.device, c.model, scratch.points);
  sink_.WritePoints(*c.device, *c.model, scratch.points);
  return Accept(c, scratch.points.size(), batch.ack());
}

IngestResult Ingestor::Event(Context& c) {
  json doc;
  Envelope e;
  if (auto refused = ParseMessage(c, &doc, &e)) return *std::move(refused);
  auto data = doc.find("data");
  if (data == doc.end() || !data->is_object()) {
    return Refuse(c, Refusal::kBadJson, "data: expected an object");
  }
  if (absl::Status s = c.model->CheckEvent(c.t.event_id, *data); !s.ok()) {
    return Refuse(c, Classify(s, Refusal::kUnknownEvent), Message(s));
  }
  shadow_.ApplyReported(*c.device, c.model, {});  // seen now
  sink_.WriteEvent(*c.device, c.t.event_id, e.time_ms, *data);
  return Accept(c, 0, e.ack);
}

IngestResult Ingestor::Reply(Context& c, CallKind kind) {
  json doc = json::parse(c.payload, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Refuse(c, Refusal::kBadJson, "the payload is not a JSON object");
  }
  absl::Status s = shadow_.CompleteCall(*c.device, kind, doc);
  if (s.ok()) {
    size_t values = 0;
    if (kind == CallKind::kRead) {
      if (auto it = doc.find("properties"); it != doc.end() && it->is_object()) {
        values = it->size();
      }
    }
    return Accept(c, values, false);
  }
  std::string_view message(s.message().data(), s.message().size());
  if (s.code() == absl::StatusCode::kNotFound && message.starts_with("no pending call")) {
    return Refuse(c, Refusal::kUnknownCall, Message(s));
  }
  for (std::string_view field : {"messageId: ", "success: ", "properties: ", "output: "}) {
    if (message.starts_with(field)) return Refuse(c, Refusal::kBadJson, Message(s));
  }
  return Refuse(c, Classify(s, Refusal::kUnknownProperty), Message(s));
}

void Ingestor::SendReply(Context& c, const Refusal* refusal, std::string_view message) {
  std::string& reply = scratch.reply;
  reply.assign("{\"messageId\":");
  AppendJsonString(c.message_id, &reply);
  if (refusal == nullptr) {
    reply.append(",\"success\":true}");
  } else {
    reply.append(",\"success\":false,\"code\":\"");
    reply.append(RefusalCode(*refusal));
    reply.append("\",\"message\":");
    AppendJsonString(message, &reply);
    reply.push_back('}');
  }
  scratch.reply_topic.assign(c.topic);
  scratch.reply_topic.append("/reply");
  // A lost reply is the device's to notice; the message is counted anyway.
  (void)publisher_.Publish(scratch.reply_topic, reply);
}

IngestResult Ingestor::Refuse(Context& c, Refusal refusal, std::string message) {
  refused_[static_cast<size_t>(refusal)]->Inc();
  if (c.replies) SendReply(c, &refusal, message);
  IngestResult result;
  result.refusal = refusal;
  result.message = std::move(message);
  return result;
}

IngestResult Ingestor::Accept(Context& c, size_t values, bool ack) {
  messages_[static_cast<size_t>(c.t.kind)]->Inc();
  if (values > 0) values_->Inc(values);
  if (ack && c.replies) SendReply(c, nullptr, {});
  IngestResult result;
  result.accepted = true;
  result.values = values;
  return result;
}

}  // namespace qilian::platform
