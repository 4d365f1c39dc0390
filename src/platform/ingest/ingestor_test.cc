#include "platform/ingest/ingestor.h"

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "platform/ingest/batch_payload.h"
#include "platform/shadow/shadow_testing.h"

namespace qilian::platform {
namespace {

using nlohmann::json;
using testing::FakeDirectory;
using testing::RecordingPublisher;

constexpr uint64_t kEnterprise = 7;
constexpr int64_t kNowMs = 1765094400000;
const std::string kRoot = "/PK000000001/pump-1/";

class RecordingSink final : public PointSink {
 public:
  struct Written {
    std::string device;
    std::string property;
    int64_t time_ms;
    json value;
  };
  void WritePoints(const DeviceRef& device, const ModelIndex& model,
                   std::span<const ReportedPoint> points) override {
    for (const ReportedPoint& p : points) {
      written.push_back({device.device_id, model.model().properties[p.property].identifier,
                         p.time_ms, ToJson(p.value)});
    }
  }
  void WriteEvent(const DeviceRef& device, std::string_view event_id, int64_t time_ms,
                  const json& data) override {
    events.push_back({device.device_id, std::string(event_id), time_ms, data});
  }
  std::vector<Written> written;
  std::vector<Written> events;
};

class IngestorTest : public ::testing::Test {
 protected:
  IngestorTest()
      : clock_(absl::FromUnixMillis(kNowMs)),
        shadow_(directory_, publisher_, nullptr, clock_),
        ingestor_(std::make_unique<Ingestor>(directory_, shadow_, publisher_, sink_, clock_,
                                             metrics_, Options())) {
    pump_ = directory_.Add(kEnterprise, "pump-1");
  }

  static IngestOptions Options() {
    IngestOptions o;
    o.max_payload_bytes = 4096;
    o.device_messages_per_second = 10;
    o.device_burst = 20;
    return o;
  }

  uint64_t Refused(std::string_view reason) {
    return metrics_.GetCounter("qilian_mqtt_refused_total", "", {{"reason", std::string(reason)}})
        .value();
  }
  uint64_t Accepted(std::string_view kind) {
    return metrics_.GetCounter("qilian_mqtt_messages_total", "", {{"kind", std::string(kind)}})
        .value();
  }
  uint64_t Values() { return metrics_.GetCounter("qilian_mqtt_values_total", "").value(); }

  // Processes a message that must be refused with `code` and `message`;
  // checks the counter and, where one is due, the reply.
  void ExpectRefused(const std::string& topic, std::string_view payload, Refusal code,
                     const std::string& message, bool reply = true,
                     const std::string& message_id = "") {
    SCOPED_TRACE(topic + " " + std::string(payload.substr(0, 200)));
    uint64_t before = Refused(RefusalCode(code));
    IngestResult r = ingestor_->Process(topic, payload);
    EXPECT_FALSE(r.accepted);
    EXPECT_EQ(RefusalCode(r.refusal), RefusalCode(code));
    EXPECT_EQ(r.message, message);
    EXPECT_EQ(Refused(RefusalCode(code)), before + 1);
    auto sent = publisher_.Take();
    if (!reply) {
      EXPECT_TRUE(sent.empty());
      return;
    }
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].topic, topic + "/reply");
    EXPECT_EQ(json::parse(sent[0].payload), (json{{"messageId", message_id},
                                                  {"success", false},
                                                  {"code", RefusalCode(code)},
                                                  {"message", message}}));
  }

  std::string BatchOf(std::vector<std::string> properties, std::vector<BatchSample> samples,
                      uint8_t flags = 0) {
    Batch b;
    b.base_time_ms = kNowMs;
    b.flags = flags;
    b.properties = std::move(properties);
    b.samples = std::move(samples);
    return *EncodeBatch(b);
  }

  FakeDirectory directory_;
  RecordingPublisher publisher_;
  RecordingSink sink_;
  MetricsRegistry metrics_;
  FakeClock clock_;
  ShadowStore shadow_;
  std::unique_ptr<Ingestor> ingestor_;
  std::shared_ptr<const DeviceRef> pump_;
};

TEST_F(IngestorTest, AcceptsAReport) {
  IngestResult r = ingestor_->Process(kRoot + "properties/report", R"({
    "messageId": "m-1", "timestamp": 1765094399000,
    "properties": {"flow": 212, "pressure": 0.62, "running": 1, "speed": 1500, "mode": 2,
                   "label": "east", "since": "2025-12-07T08:00:00Z",
                   "pos": {"x": 1.5, "y": -2}, "temps": [20.5, 21], "where": {"lon": 116.4, "lat": 39.9}}})");
  ASSERT_TRUE(r.accepted) << r.message;
  EXPECT_EQ(r.values, 10u);
  EXPECT_EQ(Accepted("report"), 1u);
  EXPECT_EQ(Values(), 10u);
  EXPECT_TRUE(publisher_.Take().empty());  // no ack asked
  ShadowDocument doc = shadow_.Get(*pump_);
  // Numbers as the property's type, dates as epoch milliseconds.
  EXPECT_EQ(doc.reported["flow"], json::parse(R"({"value": 212.0, "time": 1765094399000})"));
  EXPECT_TRUE(doc.reported["flow"]["value"].is_number_float());
  EXPECT_EQ(doc.reported["running"]["value"], true);
  EXPECT_EQ(doc.reported["since"]["value"], 1765094400000);
  EXPECT_EQ(doc.reported["label"]["value"], "east");
  EXPECT_EQ(doc.reported["pos"]["value"], json::parse(R"({"x": 1.5, "y": -2})"));
  EXPECT_EQ(doc.reported["temps"]["value"], json::parse("[20.5, 21]"));
  EXPECT_EQ(doc.last_seen_ms, kNowMs);
  ASSERT_EQ(sink_.written.size(), 10u);
  EXPECT_EQ(sink_.written[0].device, "pump-1");
  EXPECT_EQ(sink_.written[0].time_ms, 1765094399000);
}

TEST_F(IngestorTest, TimestampDefaultsToArrivalAndAckIsAnswered) {
  IngestResult r =
      ingestor_->Process(kRoot + "properties/report",
                         R"({"messageId": "m-2", "ack": true, "properties": {"flow": 1.5}})");
  ASSERT_TRUE(r.accepted) << r.message;
  EXPECT_EQ(shadow_.Get(*pump_).reported["flow"]["time"], kNowMs);
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, kRoot + "properties/report/reply");
  EXPECT_EQ(sent[0].payload, R"({"messageId":"m-2","success":true})");
}

TEST_F(IngestorTest, AcceptsABatch) {
  std::vector<BatchSample> samples;
  for (int i = 0; i < 100; ++i) {
    BatchSample s{static_cast<uint32_t>(i % 4), kNowMs - 100 + i, double(i)};
    if (i % 4 == 1) s.value = 0.5f;
    if (i % 4 == 2) s.value = i % 8 == 2;
    if (i % 4 == 3) s.value = int64_t{10 * i};
    samples.push_back(s);
  }
  IngestResult r =
      ingestor_->Process(kRoot + "properties/report/batch",
                         BatchOf({"flow", "pressure", "running", "speed"}, samples, kBatchFlagAck));
  ASSERT_TRUE(r.accepted) << r.message;
  EXPECT_EQ(r.values, 100u);
  EXPECT_EQ(Accepted("batch"), 1u);
  EXPECT_EQ(Values(), 100u);
  EXPECT_EQ(sink_.written.size(), 100u);
  ShadowDocument doc = shadow_.Get(*pump_);
  EXPECT_EQ(doc.reported["flow"], json::parse(R"({"value": 96.0, "time": 1765094399996})"));
  EXPECT_EQ(doc.reported["pressure"]["value"], 0.5);
  EXPECT_EQ(doc.reported["running"]["value"], true);  // i = 98
  EXPECT_EQ(doc.reported["speed"]["value"], 990);
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, kRoot + "properties/report/batch/reply");
  EXPECT_EQ(sent[0].payload, R"({"messageId":"","success":true})");
}

TEST_F(IngestorTest, BatchTextsAndDates) {
  IngestResult r = ingestor_->Process(
      kRoot + "properties/report/batch",
      BatchOf({"label", "since", "mode"}, {{0, kNowMs, std::string("west")},
                                           {1, kNowMs, std::string("2025-12-07T08:00:00.5Z")},
                                           {1, kNowMs + 1, int64_t{1765094400123}},
                                           {2, kNowMs, int64_t{1}}}));
  ASSERT_TRUE(r.accepted) << r.message;
  ShadowDocument doc = shadow_.Get(*pump_);
  EXPECT_EQ(doc.reported["label"]["value"], "west");
  EXPECT_EQ(doc.reported["since"]["value"], 1765094400123);
  EXPECT_EQ(doc.reported["mode"]["value"], 1);
}

TEST_F(IngestorTest, BadJson) {
  const std::string t = kRoot + "properties/report";
  ExpectRefused(t, "{", Refusal::kBadJson, "the payload is not a JSON object");
  ExpectRefused(t, "[1]", Refusal::kBadJson, "the payload is not a JSON object");
  ExpectRefused(t, R"({"messageId": 5, "properties": {"flow": 1}})", Refusal::kBadJson,
                "messageId: expected a string of at most 64 characters");
  ExpectRefused(t, R"({"messageId": ")" + std::string(65, 'm') + R"(", "properties": {}})",
                Refusal::kBadJson, "messageId: expected a string of at most 64 characters");
  ExpectRefused(t, R"({"messageId": "m-3", "ack": 1, "properties": {"flow": 1}})",
                Refusal::kBadJson, "ack: expected true or false", true, "m-3");
  ExpectRefused(t, R"({"messageId": "m-4", "timestamp": "now", "properties": {"flow": 1}})",
                Refusal::kBadJson, "timestamp: expected an integer (epoch milliseconds)", true,
                "m-4");
  ExpectRefused(t, R"({"messageId": "m-5", "properties": []})", Refusal::kBadJson,
                "properties: expected an object of property values", true, "m-5");
  ExpectRefused(t, R"({"messageId": "m-6", "properties": {}})", Refusal::kBadJson,
                "properties: expected an object of property values", true, "m-6");
  ExpectRefused(kRoot + "event/overheat", R"({"messageId": "e-1"})", Refusal::kBadJson,
                "data: expected an object", true, "e-1");
  EXPECT_EQ(Accepted("report"), 0u);
}

TEST_F(IngestorTest, BadBatch) {
  std::string b = BatchOf({"flow"}, {{0, kNowMs, 1.0}});
  ExpectRefused(kRoot + "properties/report/batch", b.substr(0, b.size() - 1), Refusal::kBadBatch,
                "batch: samples[0]: truncated");
  ExpectRefused(kRoot + "properties/report/batch", "QB\x02", Refusal::kBadBatch,
                "batch: unsupported version 2");
}

TEST_F(IngestorTest, TooLarge) {
  ExpectRefused(kRoot + "properties/report", std::string(4097, ' '), Refusal::kTooLarge,
                "payload of 4097 bytes is over the limit of 4096");
}

TEST_F(IngestorTest, UnknownPropertyAndEvent) {
  ExpectRefused(kRoot + "properties/report",
                R"({"messageId": "m-7", "properties": {"flow": 1, "torque": 5}})",
                Refusal::kUnknownProperty, "torque: no such property", true, "m-7");
  ExpectRefused(kRoot + "properties/report/batch",
                BatchOf({"flow", "torque"}, {{0, kNowMs, 1.0}, {1, kNowMs, 1.0}}),
                Refusal::kUnknownProperty, "samples[1] (torque): no such property");
  ExpectRefused(kRoot + "event/meltdown", R"({"messageId": "e-2", "data": {}})",
                Refusal::kUnknownEvent, "meltdown: no such event", true, "e-2");
}

TEST_F(IngestorTest, WrongType) {
  ExpectRefused(kRoot + "properties/report", R"({"messageId": "m-8", "properties": {"flow": "x"}})",
                Refusal::kWrongType, "flow: expected a number, got a string", true, "m-8");
  ExpectRefused(kRoot + "properties/report", R"({"properties": {"pos": {"x": 1}}})",
                Refusal::kWrongType, "pos: missing field 'y'");
  ExpectRefused(kRoot + "properties/report/batch",
                BatchOf({"speed", "running"}, {{0, kNowMs, int64_t{10}}, {1, kNowMs, 0.5}}),
                Refusal::kWrongType,
                "samples[1] (running): expected true, false, 0 or 1, got a number with a fraction");
  ExpectRefused(kRoot + "properties/report/batch",
                BatchOf({"pos"}, {{0, kNowMs, std::string("{}")}}), Refusal::kWrongType,
                "samples[0] (pos): expected an object, got a string");
  ExpectRefused(kRoot + "event/overheat", R"({"data": {"temperature": true}})", Refusal::kWrongType,
                "overheat.temperature: expected a number, got a boolean");
}

TEST_F(IngestorTest, OutOfRange) {
  ExpectRefused(kRoot + "properties/report", R"({"messageId": "m-1", "properties": {"flow": 900}})",
                Refusal::kOutOfRange, "flow: 900 is above the maximum 600.0", true, "m-1");
  ExpectRefused(kRoot + "properties/report", R"({"properties": {"speed": 15}})",
                Refusal::kOutOfRange, "speed: 15 is not a multiple of the step 10 from 0");
  ExpectRefused(kRoot + "properties/report", R"({"properties": {"mode": 7}})", Refusal::kOutOfRange,
                "mode: 7 is not one of the enum values (0, 1, 2)");
  ExpectRefused(kRoot + "properties/report/batch",
                BatchOf({"flow"}, {{0, kNowMs, 1.0}, {0, kNowMs, -1.0}}), Refusal::kOutOfRange,
                "samples[1] (flow): -1.0 is below the minimum 0.0");
  ExpectRefused(kRoot + "properties/report/batch",
                BatchOf({"flow"}, {{0, kNowMs, std::numeric_limits<double>::quiet_NaN()}}),
                Refusal::kOutOfRange, "samples[0] (flow): nan is not a finite number");
  ExpectRefused(kRoot + "properties/report/batch",
                BatchOf({"label"}, {{0, kNowMs, std::string(17, 'a')}}), Refusal::kOutOfRange,
                "samples[0] (label): text of 17 characters is longer than the maximum 16");
}

TEST_F(IngestorTest, BadTimestamp) {
  ExpectRefused(kRoot + "properties/report",
                R"({"messageId": "m-9", "timestamp": 946684799999, "properties": {"flow": 1}})",
                Refusal::kBadTimestamp, "timestamp 946684799999 is before 2000-01-01T00:00:00Z",
                true, "m-9");
  ExpectRefused(kRoot + "properties/report",
                R"({"timestamp": 1765094700001, "properties": {"flow": 1}})",
                Refusal::kBadTimestamp,
                "timestamp 1765094700001 is more than 300 s ahead of the platform's clock");
  EXPECT_TRUE(ingestor_
                  ->Process(kRoot + "properties/report",
                            R"({"timestamp": 1765094700000, "properties": {"flow": 1}})")
                  .accepted);
  ExpectRefused(kRoot + "properties/report/batch",
                BatchOf({"flow"}, {{0, kNowMs, 1.0}, {0, 946684799999, 1.0}}),
                Refusal::kBadTimestamp,
                "samples[1] (flow): time 946684799999 is before 2000-01-01T00:00:00Z");
  ExpectRefused(kRoot + "event/overheat", R"({"timestamp": 5, "data": {"temperature": 1}})",
                Refusal::kBadTimestamp, "timestamp 5 is before 2000-01-01T00:00:00Z");
}

TEST_F(IngestorTest, UnknownDevice) {
  ExpectRefused("/PK000000001/pump-9/properties/report", R"({"properties": {"flow": 1}})",
                Refusal::kUnknownDevice, "no device 'pump-9' with product key 'PK000000001'");
  auto disabled = std::make_shared<DeviceRef>(*pump_);
  disabled->enabled = false;
  directory_.Replace(disabled);
  ExpectRefused(kRoot + "properties/report", R"({"properties": {"flow": 1}})",
                Refusal::kUnknownDevice, "no device 'pump-1' with product key 'PK000000001'");
}

TEST_F(IngestorTest, ModelGoneIsUnknownDevice) {
  directory_.DropModels();
  ExpectRefused(kRoot + "properties/report", R"({"properties": {"flow": 1}})",
                Refusal::kUnknownDevice,
                "thing model version 1 of the device's product does not exist");
}

TEST_F(IngestorTest, GatewayChildren) {
  directory_.Add(kEnterprise, "gw-1", "", "GW000000001");
  auto meter = directory_.Add(kEnterprise, "meter-7", "gw-1");
  directory_.Add(kEnterprise, "meter-8", "gw-2");  // another gateway's
  directory_.Add(8, "meter-9", "gw-1");            // another enterprise's
  const std::string gw = "/GW000000001/gw-1/child/";
  IngestResult r =
      ingestor_->Process(gw + "meter-7/properties/report", R"({"properties": {"flow": 3.5}})");
  ASSERT_TRUE(r.accepted) << r.message;
  EXPECT_EQ(shadow_.Get(*meter).reported["flow"]["value"], 3.5);
  EXPECT_EQ(sink_.written.at(0).device, "meter-7");
  ExpectRefused(gw + "meter-8/properties/report", R"({"properties": {"flow": 1}})",
                Refusal::kUnknownChild, "'meter-8' is not a sub-device of gateway 'gw-1'");
  ExpectRefused(gw + "meter-9/properties/report", R"({"properties": {"flow": 1}})",
                Refusal::kUnknownChild, "'meter-9' is not a sub-device of gateway 'gw-1'");
  ExpectRefused(gw + "nobody/event/overheat", R"({"data": {"temperature": 1}})",
                Refusal::kUnknownChild, "'nobody' is not a sub-device of gateway 'gw-1'");
}

TEST_F(IngestorTest, RateLimited) {
  const std::string t = kRoot + "properties/report";
  const std::string ok = R"({"properties": {"flow": 1}})";
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(ingestor_->Process(t, ok).accepted) << i;  // the burst
  ExpectRefused(t, ok, Refusal::kRateLimited, "more than 10 messages per second");
  clock_.Advance(absl::Milliseconds(100));  // one token at 10/s
  EXPECT_TRUE(ingestor_->Process(t, ok).accepted);
  ExpectRefused(t, ok, Refusal::kRateLimited, "more than 10 messages per second");
  // Another device has its own bucket.
  directory_.Add(kEnterprise, "pump-2");
  EXPECT_TRUE(ingestor_->Process("/PK000000001/pump-2/properties/report", ok).accepted);
}

TEST_F(IngestorTest, UnknownTopic) {
  ExpectRefused(kRoot + "properties/whatever", "{}", Refusal::kUnknownTopic,
                "the topic is not a device topic of docs/mqtt.md", false);
  ExpectRefused("not/a/device/topic", "{}", Refusal::kUnknownTopic,
                "the topic is not under /{productKey}/{deviceId}/", false);
}

TEST_F(IngestorTest, AllOrNothing) {
  ASSERT_TRUE(
      ingestor_->Process(kRoot + "properties/report", R"({"properties": {"flow": 1}})").accepted);
  sink_.written.clear();
  ExpectRefused(kRoot + "properties/report",
                R"({"properties": {"flow": 2, "speed": 20, "pressure": 99}})", Refusal::kOutOfRange,
                "pressure: 99 is above the maximum 16.0");
  ExpectRefused(kRoot + "properties/report/batch",
                BatchOf({"flow", "speed"}, {{0, kNowMs, 3.0}, {1, kNowMs, int64_t{5}}}),
                Refusal::kOutOfRange,
                "samples[1] (speed): 5 is not a multiple of the step 10 from 0");
  ShadowDocument doc = shadow_.Get(*pump_);
  EXPECT_EQ(doc.reported["flow"]["value"], 1.0);
  EXPECT_FALSE(doc.reported.contains("speed"));
  EXPECT_TRUE(sink_.written.empty());
  EXPECT_EQ(Values(), 1u);
}

TEST_F(IngestorTest, Events) {
  IngestResult r = ingestor_->Process(kRoot + "event/overheat",
                                      R"({"messageId": "e-3", "timestamp": 1765094390000,
                                          "ack": true, "data": {"temperature": 120.5}})");
  ASSERT_TRUE(r.accepted) << r.message;
  EXPECT_EQ(Accepted("event"), 1u);
  ASSERT_EQ(sink_.events.size(), 1u);
  EXPECT_EQ(sink_.events[0].property, "overheat");
  EXPECT_EQ(sink_.events[0].time_ms, 1765094390000);
  EXPECT_EQ(sink_.events[0].value, json::parse(R"({"temperature": 120.5})"));
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, kRoot + "event/overheat/reply");
  EXPECT_EQ(sent[0].payload, R"({"messageId":"e-3","success":true})");
  ExpectRefused(kRoot + "event/overheat", R"({"data": {"temperature": 200}})", Refusal::kOutOfRange,
                "overheat.temperature: 200 is above the maximum 130.0");
}

TEST_F(IngestorTest, RepliesCompletePendingCalls) {
  std::optional<absl::StatusOr<CallReply>> result;
  ASSERT_TRUE(shadow_
                  .InvokeFunction(*pump_, "setSpeed", json{{"speed", 100}}, absl::Seconds(5),
                                  [&](absl::StatusOr<CallReply> r) { result = std::move(r); })
                  .ok());
  std::string id = json::parse(publisher_.Take().at(0).payload)["messageId"];
  IngestResult r = ingestor_->Process(
      kRoot + "function/invoke/reply",
      json{{"messageId", id}, {"success", true}, {"output", {{"ok", true}}}}.dump());
  ASSERT_TRUE(r.accepted) << r.message;
  EXPECT_EQ(Accepted("invoke_reply"), 1u);
  ASSERT_TRUE(result.has_value() && result->ok());
  EXPECT_EQ((*result)->data, json::parse(R"({"ok": true})"));
  // Again: the call is gone. Replies to replies are never sent.
  ExpectRefused(kRoot + "function/invoke/reply",
                json{{"messageId", id}, {"success", true}, {"output", {{"ok", true}}}}.dump(),
                Refusal::kUnknownCall, "no pending call with messageId '" + id + "'", false);
  ExpectRefused(kRoot + "properties/read/reply", R"({"success": true})", Refusal::kBadJson,
                "messageId: expected a string", false);
  ExpectRefused(kRoot + "properties/write/reply", "nope", Refusal::kBadJson,
                "the payload is not a JSON object", false);

  // A read reply whose value fails the model.
  ASSERT_TRUE(shadow_.ReadProperties(*pump_, {"flow"}, absl::Seconds(5), nullptr).ok());
  id = json::parse(publisher_.Take().at(0).payload)["messageId"];
  ExpectRefused(
      kRoot + "properties/read/reply",
      json{{"messageId", id}, {"success", true}, {"properties", {{"flow", "hot"}}}}.dump(),
      Refusal::kWrongType, "flow: expected a number, got a string", false);
}

TEST_F(IngestorTest, ChildRepliesCompleteTheChildsCalls) {
  directory_.Add(kEnterprise, "gw-1", "", "GW000000001");
  auto meter = directory_.Add(kEnterprise, "meter-7", "gw-1");
  bool done = false;
  ASSERT_TRUE(shadow_
                  .WriteProperties(*meter, json{{"mode", 1}}, absl::Seconds(5),
                                   [&](absl::StatusOr<CallReply> r) { done = r.ok(); })
                  .ok());
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.at(0).topic, "/GW000000001/gw-1/child/meter-7/properties/write");
  std::string id = json::parse(sent[0].payload)["messageId"];
  EXPECT_TRUE(ingestor_
                  ->Process("/GW000000001/gw-1/child/meter-7/properties/write/reply",
                            json{{"messageId", id}, {"success", true}}.dump())
                  .accepted);
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace qilian::platform
