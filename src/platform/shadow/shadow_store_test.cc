#include "platform/shadow/shadow_store.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gtest/gtest.h"
#include "platform/shadow/shadow_testing.h"
#include "store/fault_store.h"
#include "store/memory_store.h"

namespace qilian::platform {
namespace {

using nlohmann::json;
using testing::FakeDirectory;
using testing::RecordingPublisher;

constexpr uint64_t kEnterprise = 7;

class ShadowStoreTest : public ::testing::Test {
 protected:
  ShadowStoreTest()
      : kv_(store::NewMemoryStore({{"platform"}})),
        clock_(absl::FromUnixMillis(1765094400000)),
        shadow_(std::make_unique<ShadowStore>(directory_, publisher_, kv_.get(), clock_)) {
    pump_ = directory_.Add(kEnterprise, "pump-1");
  }

  uint32_t Index(std::string_view id) const {
    return static_cast<uint32_t>(directory_.model()->FindProperty(id) -
                                 directory_.model()->model().properties.data());
  }

  void Report(std::string_view id, ValueView v, int64_t time_ms) {
    ReportedPoint p{Index(id), time_ms, v};
    shadow_->ApplyReported(*pump_, directory_.model(), {&p, 1});
  }

  // The messageId of a published request.
  static std::string IdOf(const RecordingPublisher::Message& m) {
    return json::parse(m.payload)["messageId"].get<std::string>();
  }

  FakeDirectory directory_;
  RecordingPublisher publisher_;
  std::unique_ptr<store::KvStore> kv_;
  FakeClock clock_;
  std::unique_ptr<ShadowStore> shadow_;
  std::shared_ptr<const DeviceRef> pump_;
};

TEST_F(ShadowStoreTest, UnknownDeviceHasAnEmptyShadow) {
  ShadowDocument doc = shadow_->Get(*pump_);
  EXPECT_FALSE(doc.online);
  EXPECT_FALSE(doc.last_seen_ms.has_value());
  EXPECT_EQ(doc.reported, json::object());
  EXPECT_EQ(doc.desired, json::object());
  EXPECT_EQ(doc.desired_version, 0u);
  EXPECT_EQ(doc.delta, json::object());
}

TEST_F(ShadowStoreTest, KeepsTheLatestReportedValue) {
  Report("flow", ValueView::Double(212.5), 1000);
  Report("flow", ValueView::Double(100), 999);  // older: ignored
  Report("running", ValueView::Bool(true), 5);
  Report("label", ValueView::Text("east"), 6);
  Report("pos", ValueView::Json(R"({"x":1.0,"y":2.0})"), 7);
  ShadowDocument doc = shadow_->Get(*pump_);
  EXPECT_EQ(doc.reported, json::parse(R"({
    "flow": {"value": 212.5, "time": 1000}, "running": {"value": true, "time": 5},
    "label": {"value": "east", "time": 6}, "pos": {"value": {"x": 1.0, "y": 2.0}, "time": 7}})"));
  EXPECT_EQ(doc.last_seen_ms, 1765094400000);
  Report("flow", ValueView::Double(300), 1000);  // same time: the later message wins
  EXPECT_EQ(shadow_->Get(*pump_).reported["flow"]["value"], 300.0);
}

TEST_F(ShadowStoreTest, Presence) {
  EXPECT_TRUE(shadow_->SetPresence("PK000000001/pump-1", true, absl::FromUnixMillis(500)));
  ShadowDocument doc = shadow_->Get(*pump_);
  EXPECT_TRUE(doc.online);
  EXPECT_EQ(doc.last_seen_ms, 500);
  EXPECT_TRUE(shadow_->SetPresence("PK000000001/pump-1", false, absl::FromUnixMillis(900)));
  doc = shadow_->Get(*pump_);
  EXPECT_FALSE(doc.online);
  EXPECT_EQ(doc.last_seen_ms, 900);
  EXPECT_FALSE(shadow_->SetPresence("PK000000001/nobody", true, absl::FromUnixMillis(1)));
  EXPECT_FALSE(shadow_->SetPresence("no-slash", true, absl::FromUnixMillis(1)));
  EXPECT_TRUE(publisher_.Take().empty());  // nothing desired: nothing sent
}

TEST_F(ShadowStoreTest, DesiredVersionDeltaAndWrite) {
  Report("speed", ValueView::Int(100), 1);
  auto version = shadow_->SetDesired(*pump_, json{{"speed", 1500}, {"mode", 2}});
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 1u);
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "/PK000000001/pump-1/properties/write");
  json body = json::parse(sent[0].payload);
  EXPECT_EQ(body["properties"], json::parse(R"({"speed": 1500, "mode": 2})"));
  EXPECT_EQ(shadow_->pending_calls(), 1u);

  ShadowDocument doc = shadow_->Get(*pump_);
  EXPECT_EQ(doc.desired_version, 1u);
  EXPECT_EQ(doc.desired, json::parse(R"({"speed": 1500, "mode": 2})"));
  EXPECT_EQ(doc.delta, json::parse(R"({"speed": 1500, "mode": 2})"));

  // The device acknowledges the write: the delta stays until it reports.
  EXPECT_TRUE(shadow_
                  ->CompleteCall(*pump_, CallKind::kWrite,
                                 json{{"messageId", body["messageId"]}, {"success", true}})
                  .ok());
  EXPECT_EQ(shadow_->Get(*pump_).delta, json::parse(R"({"speed": 1500, "mode": 2})"));
  Report("speed", ValueView::Int(1500), 2);
  EXPECT_EQ(shadow_->Get(*pump_).delta, json::parse(R"({"mode": 2})"));
  Report("mode", ValueView::Int(2), 3);
  EXPECT_EQ(shadow_->Get(*pump_).delta, json::object());
  EXPECT_EQ(shadow_->Get(*pump_).desired, json::parse(R"({"speed": 1500, "mode": 2})"));

  // null removes; the version moves on every change.
  version = shadow_->SetDesired(*pump_, json{{"mode", nullptr}}, 1);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, 2u);
  EXPECT_EQ(shadow_->Get(*pump_).desired, json::parse(R"({"speed": 1500})"));
  EXPECT_TRUE(publisher_.Take().empty());  // no delta: nothing to write
}

TEST_F(ShadowStoreTest, DesiredRefusals) {
  auto r = shadow_->SetDesired(*pump_, json{{"flow", 3}});
  EXPECT_EQ(r.status(), absl::FailedPreconditionError("flow: property is read-only"));
  r = shadow_->SetDesired(*pump_, json{{"speed", 15}});
  EXPECT_EQ(r.status(),
            absl::InvalidArgumentError("speed: 15 is not a multiple of the step 10 from 0"));
  r = shadow_->SetDesired(*pump_, json{{"nope", 1}});
  EXPECT_EQ(r.status(), absl::NotFoundError("nope: no such property"));
  r = shadow_->SetDesired(*pump_, json::array());
  EXPECT_EQ(r.status(), absl::InvalidArgumentError("expected an object"));
  ASSERT_TRUE(shadow_->SetDesired(*pump_, json{{"speed", 10}}).ok());
  r = shadow_->SetDesired(*pump_, json{{"speed", 20}}, 0);
  EXPECT_EQ(r.status(), absl::FailedPreconditionError("desired version is 1, not 0"));
  EXPECT_EQ(shadow_->Get(*pump_).desired, json::parse(R"({"speed": 10})"));
}

TEST_F(ShadowStoreTest, DesiredSurvivesARestart) {
  ASSERT_TRUE(shadow_->SetDesired(*pump_, json{{"speed", 1500}, {"label", "north"}}).ok());
  ASSERT_TRUE(shadow_->SetDesired(*pump_, json{{"label", nullptr}}).ok());
  std::string stored;
  ASSERT_TRUE(kv_->Get("platform", "shadow/00000000000000000007/pump-1", &stored).ok());
  EXPECT_EQ(stored, R"({"desired":{"speed":1500},"version":2})");

  ShadowStore restarted(directory_, publisher_, kv_.get(), clock_);
  ASSERT_TRUE(restarted.Load().ok());
  ShadowDocument doc = restarted.Get(*pump_);
  EXPECT_EQ(doc.desired_version, 2u);
  EXPECT_EQ(doc.desired, json::parse(R"({"speed": 1500})"));
  EXPECT_EQ(doc.delta, json::parse(R"({"speed": 1500})"));

  // Coming online sends nothing yet (the device may not have subscribed);
  // its first report brings the delta, once.
  publisher_.Take();
  ASSERT_TRUE(restarted.SetPresence("PK000000001/pump-1", true, clock_.Now()));
  EXPECT_TRUE(publisher_.Take().empty());
  ReportedPoint flow{Index("flow"), absl::ToUnixMillis(clock_.Now()), ValueView::Double(10.0)};
  restarted.ApplyReported(*pump_, directory_.model(), {&flow, 1});
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "/PK000000001/pump-1/properties/write");
  EXPECT_EQ(json::parse(sent[0].payload)["properties"], json::parse(R"({"speed": 1500})"));
  restarted.ApplyReported(*pump_, directory_.model(), {&flow, 1});
  EXPECT_TRUE(publisher_.Take().empty());  // once per coming online

  ASSERT_TRUE(restarted.Remove(*pump_).ok());
  EXPECT_EQ(kv_->Get("platform", "shadow/00000000000000000007/pump-1", &stored).code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(restarted.device_count(), 0u);
}

TEST_F(ShadowStoreTest, CorruptStoredDesiredIsDataLoss) {
  ASSERT_TRUE(kv_->Put("platform", "shadow/00000000000000000007/pump-1", "{").ok());
  EXPECT_EQ(shadow_->Load(),
            absl::DataLossError("stored shadow 'shadow/00000000000000000007/pump-1' is corrupt"));
}

TEST_F(ShadowStoreTest, StoreFailureChangesNothing) {
  store::FaultInjectingStore faulty(kv_.get());
  ShadowStore shadow(directory_, publisher_, &faulty, clock_);
  faulty.FailNthWrite(1, absl::UnavailableError("disk gone"));
  auto r = shadow.SetDesired(*pump_, json{{"speed", 10}});
  EXPECT_EQ(r.status(), absl::UnavailableError("disk gone"));
  EXPECT_EQ(shadow.Get(*pump_).desired_version, 0u);
  EXPECT_EQ(shadow.Get(*pump_).desired, json::object());
  EXPECT_TRUE(publisher_.Take().empty());
}

TEST_F(ShadowStoreTest, WriteCompletesWithTheReply) {
  std::optional<absl::StatusOr<CallReply>> result;
  ASSERT_TRUE(shadow_
                  ->WriteProperties(*pump_, json{{"speed", 20}}, absl::Seconds(5),
                                    [&](absl::StatusOr<CallReply> r) { result = std::move(r); })
                  .ok());
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "/PK000000001/pump-1/properties/write");
  json reply = {{"messageId", IdOf(sent[0])},
                {"success", false},
                {"code", "busy"},
                {"message", "motor starting"}};
  // A reply on the wrong topic kind or from another device does not match.
  EXPECT_EQ(shadow_->CompleteCall(*pump_, CallKind::kRead, reply).code(),
            absl::StatusCode::kNotFound);
  auto other = directory_.Add(kEnterprise, "pump-2");
  EXPECT_EQ(shadow_->CompleteCall(*other, CallKind::kWrite, reply).code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(result.has_value());
  ASSERT_TRUE(shadow_->CompleteCall(*pump_, CallKind::kWrite, reply).ok());
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok());
  EXPECT_FALSE((*result)->success);
  EXPECT_EQ((*result)->code, "busy");
  EXPECT_EQ((*result)->message, "motor starting");
  EXPECT_EQ(shadow_->pending_calls(), 0u);
}

TEST_F(ShadowStoreTest, CallsTimeOut) {
  std::optional<absl::StatusOr<CallReply>> result;
  ASSERT_TRUE(shadow_
                  ->InvokeFunction(*pump_, "setSpeed", json{{"speed", 100}}, absl::Seconds(5),
                                   [&](absl::StatusOr<CallReply> r) { result = std::move(r); })
                  .ok());
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "/PK000000001/pump-1/function/invoke");
  json body = json::parse(sent[0].payload);
  EXPECT_EQ(body["function"], "setSpeed");
  EXPECT_EQ(body["inputs"], json::parse(R"({"speed": 100})"));

  clock_.Advance(absl::Milliseconds(4999));
  EXPECT_EQ(shadow_->ExpireCalls(), 0u);
  EXPECT_FALSE(result.has_value());
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(shadow_->ExpireCalls(), 1u);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status(), absl::DeadlineExceededError("the device did not reply in time"));
  // The late reply finds nothing.
  EXPECT_EQ(
      shadow_->CompleteCall(
          *pump_, CallKind::kInvoke,
          json{{"messageId", body["messageId"]}, {"success", true}, {"output", {{"ok", true}}}}),
      absl::NotFoundError("no pending call with messageId '" +
                          body["messageId"].get<std::string>() + "'"));
}

TEST_F(ShadowStoreTest, InvokeChecksInputsAndOutput) {
  EXPECT_EQ(
      shadow_->InvokeFunction(*pump_, "setSpeed", json{{"speed", 5000}}, absl::Seconds(1), nullptr),
      absl::InvalidArgumentError("setSpeed.speed: 5000 is above the maximum 3000"));
  EXPECT_EQ(
      shadow_->InvokeFunction(*pump_, "explode", json::object(), absl::Seconds(1), nullptr).code(),
      absl::StatusCode::kNotFound);
  EXPECT_TRUE(publisher_.Take().empty());

  std::optional<absl::StatusOr<CallReply>> result;
  ASSERT_TRUE(shadow_
                  ->InvokeFunction(*pump_, "setSpeed", json{{"speed", 100}}, absl::Seconds(5),
                                   [&](absl::StatusOr<CallReply> r) { result = std::move(r); })
                  .ok());
  std::string id = IdOf(publisher_.Take()[0]);
  absl::Status s = shadow_->CompleteCall(
      *pump_, CallKind::kInvoke,
      json{{"messageId", id}, {"success", true}, {"output", {{"ok", "yes"}}}});
  EXPECT_EQ(s,
            absl::InvalidArgumentError("setSpeed.ok: expected true, false, 0 or 1, got a string"));
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status(), s);

  result.reset();
  ASSERT_TRUE(shadow_
                  ->InvokeFunction(*pump_, "setSpeed", json{{"speed", 100}}, absl::Seconds(5),
                                   [&](absl::StatusOr<CallReply> r) { result = std::move(r); })
                  .ok());
  id = IdOf(publisher_.Take()[0]);
  ASSERT_TRUE(
      shadow_
          ->CompleteCall(*pump_, CallKind::kInvoke,
                         json{{"messageId", id}, {"success", true}, {"output", {{"ok", true}}}})
          .ok());
  ASSERT_TRUE(result.has_value() && result->ok());
  EXPECT_TRUE((*result)->success);
  EXPECT_EQ((*result)->data, json::parse(R"({"ok": true})"));
}

TEST_F(ShadowStoreTest, ReadRepliesUpdateTheReportedState) {
  std::optional<absl::StatusOr<CallReply>> result;
  EXPECT_EQ(shadow_->ReadProperties(*pump_, {"flow", "bogus"}, absl::Seconds(5), nullptr),
            absl::NotFoundError("bogus: no such property"));
  ASSERT_TRUE(shadow_
                  ->ReadProperties(*pump_, {"flow", "pos"}, absl::Seconds(5),
                                   [&](absl::StatusOr<CallReply> r) { result = std::move(r); })
                  .ok());
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "/PK000000001/pump-1/properties/read");
  EXPECT_EQ(json::parse(sent[0].payload)["properties"], json::parse(R"(["flow", "pos"])"));
  ASSERT_TRUE(shadow_
                  ->CompleteCall(*pump_, CallKind::kRead,
                                 json::parse(R"({"messageId": ")" + IdOf(sent[0]) +
                                             R"(", "success": true, "properties":
                                             {"flow": 12.5, "pos": {"x": 1.0, "y": 2.0}}})"))
                  .ok());
  ASSERT_TRUE(result.has_value() && result->ok());
  ShadowDocument doc = shadow_->Get(*pump_);
  EXPECT_EQ(doc.reported["flow"], json::parse(R"({"value": 12.5, "time": 1765094400000})"));
  EXPECT_EQ(doc.reported["pos"]["value"], json::parse(R"({"x": 1.0, "y": 2.0})"));

  // A value out of the model fails the call and changes nothing.
  ASSERT_TRUE(shadow_->ReadProperties(*pump_, {"flow"}, absl::Seconds(5), nullptr).ok());
  std::string id = IdOf(publisher_.Take()[0]);
  EXPECT_EQ(shadow_->CompleteCall(
                *pump_, CallKind::kRead,
                json{{"messageId", id}, {"success", true}, {"properties", {{"flow", 900}}}}),
            absl::InvalidArgumentError("flow: 900 is above the maximum 600.0"));
  EXPECT_EQ(shadow_->Get(*pump_).reported["flow"]["value"], 12.5);
}

TEST_F(ShadowStoreTest, MalformedRepliesAndArguments) {
  EXPECT_EQ(shadow_->CompleteCall(*pump_, CallKind::kRead, json{{"success", true}}),
            absl::InvalidArgumentError("messageId: expected a string"));
  ASSERT_TRUE(shadow_->ReadProperties(*pump_, {"flow"}, absl::Seconds(5), nullptr).ok());
  std::string id = IdOf(publisher_.Take()[0]);
  EXPECT_EQ(shadow_->CompleteCall(*pump_, CallKind::kRead, json{{"messageId", id}}),
            absl::InvalidArgumentError("success: expected true or false"));
  EXPECT_EQ(shadow_->WriteProperties(*pump_, json::object(), absl::Seconds(1), nullptr),
            absl::InvalidArgumentError("expected a non-empty object of property values"));
  EXPECT_EQ(shadow_->ReadProperties(*pump_, {}, absl::Seconds(1), nullptr),
            absl::InvalidArgumentError("expected at least one property"));
  EXPECT_EQ(shadow_->WriteProperties(*pump_, json{{"speed", 10}}, absl::Minutes(11), nullptr),
            absl::InvalidArgumentError("timeout must be above 0 and at most 10 minutes"));
  publisher_.Fail(absl::UnavailableError("no broker connection"));
  EXPECT_EQ(shadow_->WriteProperties(*pump_, json{{"speed", 10}}, absl::Seconds(1), nullptr),
            absl::UnavailableError("no broker connection"));
  EXPECT_EQ(shadow_->pending_calls(), 0u);
}

TEST_F(ShadowStoreTest, SubDeviceRequestsGoThroughTheGateway) {
  directory_.Add(kEnterprise, "gw-1", "", "GW000000001");
  auto meter = directory_.Add(kEnterprise, "meter-7", "gw-1");
  ASSERT_TRUE(shadow_->WriteProperties(*meter, json{{"mode", 1}}, absl::Seconds(5), nullptr).ok());
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "/GW000000001/gw-1/child/meter-7/properties/write");
  auto orphan = directory_.Add(kEnterprise, "meter-8", "gw-gone");
  EXPECT_EQ(shadow_->WriteProperties(*orphan, json{{"mode", 1}}, absl::Seconds(5), nullptr),
            absl::FailedPreconditionError("gateway 'gw-gone' of device 'meter-8' does not exist"));
}

TEST_F(ShadowStoreTest, ModelGone) {
  directory_.DropModels();
  EXPECT_EQ(shadow_->SetDesired(*pump_, json{{"speed", 10}}).status(),
            absl::NotFoundError("thing model version 1 of product 'pump' does not exist"));
}

// docs/shadow.md quotes this figure: 100,000 devices with ten numeric
// properties each.
TEST_F(ShadowStoreTest, MemoryFor100000Devices) {
  ShadowStore shadow(directory_, publisher_, nullptr, clock_);
  auto model = directory_.model();
  std::vector<ReportedPoint> points;
  for (uint32_t i = 0; i < 10; ++i) points.push_back({i, 1, ValueView::Double(i)});
  DeviceRef ref;
  ref.enterprise = kEnterprise;
  for (int i = 0; i < 100000; ++i) {
    ref.device_id = "device-" + std::to_string(i);
    shadow.ApplyReported(ref, model, points);
  }
  EXPECT_EQ(shadow.device_count(), 100000u);
  size_t per_device = shadow.ApproximateBytes() / 100000;
  RecordProperty("bytes_per_device", static_cast<int>(per_device));
  std::printf("shadow: %zu bytes per device (100,000 devices, 11-property model, 10 reported)\n",
              per_device);
  EXPECT_LT(per_device, 512u);
}

}  // namespace
}  // namespace qilian::platform
