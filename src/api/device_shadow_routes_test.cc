// The shadow, property-write and service-call routes through
// RestApi::Handle, over registries in memory and a ShadowStore whose
// publisher records what it would send (platform/shadow/shadow_testing.h),
// on a FakeClock. A call waits for the device on the request's thread;
// the test plays the device from its own thread: it takes the published
// request and answers with ShadowStore::CompleteCall, or moves the clock
// and expires the call. Callers as in device_routes_test.cc:
// "admin:88.999.1" is staff of enterprise 1, "admin:88.999.2" of 2.
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/rest_api.h"
#include "api/test_callers.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/registry.h"
#include "nlohmann/json.hpp"
#include "platform/device/device_registry.h"
#include "platform/product/product_registry.h"
#include "platform/shadow/shadow_store.h"
#include "platform/shadow/shadow_testing.h"
#include "store/memory_store.h"
#include "tenant/enterprise_registry.h"
#include "tenant/test_enterprises.h"

namespace qilian::api {
namespace {

using nlohmann::json;
using platform::CallKind;

constexpr char kNotEnabled[] =
    "the device shadow needs the MQTT broker, which this node does not run";
constexpr char kBadTimeout[] = "must be an integer from 1 to 60000 (milliseconds)";

// A product "pump" whose thing model is the shadow tests' (speed and mode
// read-write, flow read-only, service setSpeed -> {ok}).
json PumpProduct() {
  return {{"id", "pump"},
          {"name", {{"zh", "给水泵"}}},
          {"thingModel", json::parse(platform::testing::kTestModel)}};
}

class DeviceShadowRoutesTest : public ::testing::Test {
 protected:
  DeviceShadowRoutesTest()
      : store_(store::NewMemoryStore(
            {{std::string(ident::Registry::kSpace), std::string(tenant::EnterpriseRegistry::kSpace),
              std::string(platform::ProductRegistry::kSpace)}})),
        registry_(store_.get(), clock_, ident::RegistryOptions{}),
        enterprises_(store_.get(), &registry_, clock_, tenant::TestEnterpriseOptions()),
        products_(store_.get(), clock_),
        devices_(store_.get(), &products_, &enterprises_, &registry_, clock_, {}),
        shadow_(devices_, publisher_, nullptr, clock_),
        api_(&registry_, &metrics_, RestOptions{}) {
    api_.SetEnterprises(&enterprises_);
    api_.SetProducts(&products_);
    api_.SetDevices(&devices_);
    api_.SetDeviceShadow(&shadow_);
    api_.SetAuth(TestCallers());
    EXPECT_TRUE(devices_.Load().ok());
    tenant::RegisterTwoTestEnterprises(enterprises_);
    EXPECT_EQ(Send("POST", "/api/products", PumpProduct().dump()).status, 201);
    auto created = Send("POST", "/api/devices", json({{"id", "p-1"}, {"product", "pump"}}).dump());
    EXPECT_EQ(created.status, 201) << created.body;
    device_ = devices_.FindInEnterprise(1, "p-1");
    EXPECT_NE(device_, nullptr);
  }

  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& body = "",
                         const std::string& bearer = "admin:88.999.1") {
    return SendAs(api_, method, target, body, bearer);
  }

  // The request on a thread of its own, as the HTTP server's worker.
  std::future<net::HttpResponse> SendAsync(const std::string& method, const std::string& target,
                                           const json& body) {
    return std::async(std::launch::async, [this, method, target, text = body.dump()] {
      return Send(method, target, text);
    });
  }

  // The request the call in flight published, once it has; nullopt when
  // the request answered without publishing.
  std::optional<platform::testing::RecordingPublisher::Message> Published(
      std::future<net::HttpResponse>& answer) {
    for (;;) {
      std::vector<platform::testing::RecordingPublisher::Message> sent = publisher_.Take();
      if (!sent.empty()) {
        EXPECT_EQ(sent.size(), 1u);
        return sent.front();
      }
      if (answer.wait_for(std::chrono::milliseconds(1)) == std::future_status::ready) {
        return std::nullopt;
      }
    }
  }

  static std::string IdOf(const platform::testing::RecordingPublisher::Message& m) {
    return json::parse(m.payload)["messageId"].get<std::string>();
  }

  FakeClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<store::KvStore> store_;
  ident::Registry registry_;
  tenant::EnterpriseRegistry enterprises_;
  platform::ProductRegistry products_;
  platform::DeviceRegistry devices_;
  platform::testing::RecordingPublisher publisher_;
  platform::ShadowStore shadow_;
  RestApi api_;
  std::shared_ptr<const platform::DeviceRef> device_;
};

TEST_F(DeviceShadowRoutesTest, WithoutTheShadowEveryRouteAnswers501) {
  RestApi plain(&registry_, &metrics_, RestOptions{});
  plain.SetEnterprises(&enterprises_);
  plain.SetProducts(&products_);
  plain.SetDevices(&devices_);
  plain.SetAuth(TestCallers());
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/api/devices/p-1/shadow"},
      {"PUT", "/api/devices/p-1/shadow"},
      {"GET", "/api/devices/p-1/properties"},
      {"PUT", "/api/devices/p-1/properties"},
      {"POST", "/api/devices/p-1/functions/setSpeed"}};
  for (const auto& [method, target] : routes) {
    SCOPED_TRACE(method + " " + target);
    ExpectErrorResponse(SendAs(plain, method, target, "{}", "admin:88.999.1"), 501, 5, "",
                        kNotEnabled);
  }
}

TEST_F(DeviceShadowRoutesTest, NeverSeenDevice) {
  auto got = Send("GET", "/api/devices/p-1/shadow");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(ResponseJson(got), json::parse(R"({"responseCode": 1, "shadow": {
      "online": false, "lastSeen": null, "reported": {}, "desired": {},
      "desiredVersion": 0, "delta": {}}})"));
  got = Send("GET", "/api/devices/p-1/properties");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(ResponseJson(got),
            json::parse(R"({"responseCode": 1, "online": false, "properties": {}})"));
  ExpectErrorResponse(Send("GET", "/api/devices/nobody/shadow"), 404, 100, "",
                      "device 'nobody' not found");
}

TEST_F(DeviceShadowRoutesTest, PresenceAndReportedValues) {
  ASSERT_TRUE(shadow_.SetPresence(device_->product_key + "/p-1", true,
                                  absl::FromUnixSeconds(1'700'000'100)));
  auto got = Send("GET", "/api/devices/p-1/shadow");
  ASSERT_EQ(got.status, 200) << got.body;
  json shadow = ResponseJson(got)["shadow"];
  EXPECT_EQ(shadow["online"], true);
  EXPECT_EQ(shadow["lastSeen"], "2023-11-14T22:15:00Z");
}

TEST_F(DeviceShadowRoutesTest, DesiredStateIsVersioned) {
  auto put = Send("PUT", "/api/devices/p-1/shadow",
                  json({{"desired", {{"speed", 1500}, {"mode", 2}}}}).dump());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(ResponseJson(put), json::parse(R"({"responseCode": 1, "shadow": {
      "online": false, "lastSeen": null, "reported": {},
      "desired": {"speed": 1500, "mode": 2}, "desiredVersion": 1,
      "delta": {"speed": 1500, "mode": 2}}})"));
  // The delta goes to the device as a properties/write.
  auto sent = publisher_.Take();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].topic, "/" + device_->product_key + "/p-1/properties/write");
  EXPECT_EQ(json::parse(sent[0].payload)["properties"], json({{"speed", 1500}, {"mode", 2}}));

  // A stale version: 409, nothing changes.
  ExpectErrorResponse(Send("PUT", "/api/devices/p-1/shadow",
                           json({{"desired", {{"speed", 100}}}, {"version", 0}}).dump()),
                      409, 202, "", "desired version is 1, not 0");
  // The current one: applies; null removes.
  put = Send("PUT", "/api/devices/p-1/shadow",
             json({{"desired", {{"mode", nullptr}}}, {"version", 1}}).dump());
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(ResponseJson(put)["shadow"]["desiredVersion"], 2);
  EXPECT_EQ(ResponseJson(put)["shadow"]["desired"], json({{"speed", 1500}}));

  ExpectErrorResponse(
      Send("PUT", "/api/devices/p-1/shadow", json({{"desired", {{"flow", 1}}}}).dump()), 400,
      202, "", "flow: property is read-only");
  ExpectErrorResponse(
      Send("PUT", "/api/devices/p-1/shadow", json({{"desired", {{"nope", 1}}}}).dump()), 400,
      202, "", "nope: no such property");
  ExpectErrorResponse(
      Send("PUT", "/api/devices/p-1/shadow", json({{"desired", {{"speed", 5000}}}}).dump()),
      400, 202, "", "speed: 5000 is above the maximum 3000");
  ExpectErrorResponse(Send("PUT", "/api/devices/p-1/shadow",
                           json({{"desired", {{"speed", 10}}}, {"colour", "red"}}).dump()),
                      400, 202, "colour", "colour: is not a known field");
  ExpectErrorResponse(Send("PUT", "/api/devices/p-1/shadow",
                           json({{"desired", {{"speed", 10}}}, {"version", -1}}).dump()),
                      400, 202, "version", "version: must be a non-negative integer");
  ExpectErrorResponse(Send("PUT", "/api/devices/p-1/shadow", json({{"desired", 5}}).dump()), 400,
                      202, "desired", "desired: must be a non-empty object of property values");
  // Nothing to change: refused, the version stays.
  ExpectErrorResponse(
      Send("PUT", "/api/devices/p-1/shadow", json({{"desired", json::object()}}).dump()), 400,
      202, "desired", "desired: must be a non-empty object of property values");
  EXPECT_EQ(ResponseJson(Send("GET", "/api/devices/p-1/shadow"))["shadow"]["desiredVersion"], 2);
}

TEST_F(DeviceShadowRoutesTest, WriteAnsweredByTheDevice) {
  auto answer = SendAsync("PUT", "/api/devices/p-1/properties",
                          json({{"properties", {{"speed", 20}}}, {"timeout", 5000}}));
  auto sent = Published(answer);
  ASSERT_TRUE(sent.has_value()) << answer.get().body;
  EXPECT_EQ(sent->topic, "/" + device_->product_key + "/p-1/properties/write");
  EXPECT_EQ(json::parse(sent->payload)["properties"], json({{"speed", 20}}));
  ASSERT_TRUE(shadow_
                  .CompleteCall(*device_, CallKind::kWrite,
                                json{{"messageId", IdOf(*sent)}, {"success", true}})
                  .ok());
  net::HttpResponse got = answer.get();
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(ResponseJson(got), json::parse(R"({"responseCode": 1, "success": true,
                                       "properties": {"speed": 20}})"));
}

TEST_F(DeviceShadowRoutesTest, WriteRefusedByTheDevice) {
  auto answer = SendAsync("PUT", "/api/devices/p-1/properties",
                          json({{"properties", {{"mode", 1}}}}));
  auto sent = Published(answer);
  ASSERT_TRUE(sent.has_value()) << answer.get().body;
  ASSERT_TRUE(shadow_
                  .CompleteCall(*device_, CallKind::kWrite,
                                json{{"messageId", IdOf(*sent)},
                                     {"success", false},
                                     {"code", "busy"},
                                     {"message", "motor starting"}})
                  .ok());
  net::HttpResponse got = answer.get();
  EXPECT_EQ(got.status, 422) << got.body;
  EXPECT_EQ(ResponseJson(got), json::parse(R"({"responseCode": 2, "success": false,
                                       "code": "busy", "message": "motor starting"})"));
}

TEST_F(DeviceShadowRoutesTest, WriteTimesOut) {
  auto answer = SendAsync("PUT", "/api/devices/p-1/properties",
                          json({{"properties", {{"speed", 20}}}, {"timeout", 1000}}));
  ASSERT_TRUE(Published(answer).has_value()) << answer.get().body;
  clock_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(shadow_.ExpireCalls(), 0u);
  clock_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(shadow_.ExpireCalls(), 1u);
  ExpectErrorResponse(answer.get(), 504, 2, "", "device 'p-1' did not reply within 1s");
  EXPECT_EQ(shadow_.pending_calls(), 0u);
}

TEST_F(DeviceShadowRoutesTest, InvokeAnsweredByTheDevice) {
  auto answer = SendAsync("POST", "/api/devices/p-1/functions/setSpeed",
                          json({{"inputs", {{"speed", 100}}}}));
  auto sent = Published(answer);
  ASSERT_TRUE(sent.has_value()) << answer.get().body;
  EXPECT_EQ(sent->topic, "/" + device_->product_key + "/p-1/function/invoke");
  json request = json::parse(sent->payload);
  EXPECT_EQ(request["function"], "setSpeed");
  EXPECT_EQ(request["inputs"], json({{"speed", 100}}));
  ASSERT_TRUE(shadow_
                  .CompleteCall(*device_, CallKind::kInvoke,
                                json{{"messageId", IdOf(*sent)},
                                     {"success", true},
                                     {"output", {{"ok", true}}}})
                  .ok());
  net::HttpResponse got = answer.get();
  EXPECT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(ResponseJson(got),
            json::parse(R"({"responseCode": 1, "success": true, "output": {"ok": true}})"));

  // Checked against the model before anything is sent.
  ExpectErrorResponse(Send("POST", "/api/devices/p-1/functions/setSpeed",
                           json({{"inputs", {{"speed", 5000}}}}).dump()),
                      400, 202, "", "setSpeed.speed: 5000 is above the maximum 3000");
  ExpectErrorResponse(
      Send("PUT", "/api/devices/p-1/properties", json({{"properties", {{"flow", 1}}}}).dump()),
      400, 202, "", "flow: property is read-only");
  EXPECT_TRUE(publisher_.Take().empty());
}

TEST_F(DeviceShadowRoutesTest, Tenancy) {
  for (const auto& [method, target, body] :
       std::vector<std::tuple<std::string, std::string, json>>{
           {"GET", "/api/devices/p-1/shadow", nullptr},
           {"PUT", "/api/devices/p-1/shadow", {{"desired", {{"speed", 10}}}}},
           {"GET", "/api/devices/p-1/properties", nullptr},
           {"PUT", "/api/devices/p-1/properties", {{"properties", {{"speed", 10}}}}},
           {"POST", "/api/devices/p-1/functions/setSpeed", json::object()}}) {
    SCOPED_TRACE(method + " " + target);
    ExpectErrorResponse(Send(method, target, body.is_null() ? "" : body.dump(), "admin:88.999.2"),
                        404, 100, "", "device 'p-1' not found");
  }
  EXPECT_TRUE(publisher_.Take().empty());
  EXPECT_EQ(shadow_.Get(*device_).desired_version, 0u);

  // Operators name the enterprise; auditors read but do not write.
  EXPECT_EQ(Send("GET", "/api/devices/p-1/shadow?enterprise=1", "", "operator").status, 200);
  EXPECT_EQ(Send("GET", "/api/devices/p-1/properties?enterprise=1", "", "auditor").status, 200);
  ExpectErrorResponse(Send("PUT", "/api/devices/p-1/shadow?enterprise=1",
                           json({{"desired", {{"speed", 10}}}}).dump(), "auditor"),
                      403, 401, "", "user:auditor is an auditor and may not change devices");
  auto changed = Send("PUT", "/api/devices/p-1/shadow?enterprise=1",
                      json({{"desired", {{"speed", 10}}}}).dump(), "operator");
  EXPECT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(ResponseJson(changed)["shadow"]["desiredVersion"], 1);
  ExpectErrorResponse(Send("GET", "/api/devices/p-1/shadow", "", "operator"), 400, 4, "",
                      "enterprise is required: operators and auditors name the enterprise whose "
                      "device this is (?enterprise=N)");
}

TEST_F(DeviceShadowRoutesTest, BadTimeouts) {
  for (const json& timeout : {json(0), json(-5), json(60001), json(1.5), json("500"),
                              json(nullptr), json(18446744073709551615ull)}) {
    SCOPED_TRACE(timeout.dump());
    ExpectErrorResponse(
        Send("PUT", "/api/devices/p-1/properties",
             json({{"properties", {{"speed", 10}}}, {"timeout", timeout}}).dump()),
        400, 202, "timeout", std::string("timeout: ") + kBadTimeout);
    ExpectErrorResponse(Send("POST", "/api/devices/p-1/functions/setSpeed",
                             json({{"timeout", timeout}}).dump()),
                        400, 202, "timeout", std::string("timeout: ") + kBadTimeout);
  }
  EXPECT_TRUE(publisher_.Take().empty());
  EXPECT_EQ(shadow_.pending_calls(), 0u);
}

}  // namespace
}  // namespace qilian::api
