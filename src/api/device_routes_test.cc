// The device routes through RestApi::Handle, over a memory store, with the
// fixed test callers of test_callers.h: "admin:88.999.1" is staff of
// enterprise 1, "admin:88.999.2" of enterprise 2.
#include <memory>
#include <string>

#include "api/rest_api.h"
#include "api/routes.h"
#include "api/test_callers.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/registry.h"
#include "ident/site_info.h"
#include "nlohmann/json.hpp"
#include "platform/device/device_registry.h"
#include "platform/product/product_registry.h"
#include "store/fault_store.h"
#include "store/memory_store.h"
#include "tenant/enterprise_registry.h"
#include "tenant/test_enterprises.h"

namespace qilian::api {
namespace {

using nlohmann::json;

json PumpProduct(const std::string& id) {
  return {{"id", id},
          {"name", {{"zh", "给水泵"}}},
          {"thingModel",
           {{"version", 1},
            {"properties",
             {{{"identifier", "flow"},
               {"name", {{"zh", "流量"}}},
               {"access", "r"},
               {"dataType", {{"type", "double"}}}}}}}}};
}

class DeviceRoutesTest : public ::testing::Test {
 protected:
  DeviceRoutesTest()
      : store_(store::NewMemoryStore(
            {{std::string(ident::Registry::kSpace), std::string(tenant::EnterpriseRegistry::kSpace),
              std::string(platform::ProductRegistry::kSpace)}})),
        faulty_(store_.get()),
        registry_(&faulty_, clock_, ident::RegistryOptions{}),
        enterprises_(&faulty_, &registry_, clock_, tenant::TestEnterpriseOptions()),
        products_(&faulty_, clock_),
        devices_(&faulty_, &products_, &enterprises_, &registry_, clock_, DeviceOptions()),
        api_(&registry_, &metrics_, RestOptions{}) {
    api_.SetEnterprises(&enterprises_);
    api_.SetProducts(&products_);
    api_.SetDevices(&devices_);
    api_.SetAuth(TestCallers());
    EXPECT_TRUE(devices_.Load().ok());
    tenant::RegisterTwoTestEnterprises(enterprises_);
    EXPECT_EQ(Send("POST", "/api/products", PumpProduct("pump").dump()).status, 201);
    EXPECT_EQ(Send("POST", "/api/products", PumpProduct("pump").dump(), "admin:88.999.2").status,
              201);
  }


  static platform::DeviceRegistryOptions DeviceOptions() {
    platform::DeviceRegistryOptions o;
    o.public_base_url = "https://iot.example.cn";
    return o;
  }

  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& body = "",
                         const std::string& bearer = "admin:88.999.1") {
    return SendAs(api_, method, target, body, bearer);
  }

  net::HttpResponse SendCsv(const std::string& target, const std::string& csv,
                            const std::string& bearer = "admin:88.999.1") {
    net::HttpRequest request;
    request.method = "POST";
    request.target = target;
    request.body = csv;
    request.remote_address = "192.0.2.1";
    request.headers.emplace_back("authorization", "Bearer " + bearer);
    request.headers.emplace_back("content-type", "text/csv; charset=utf-8");
    return api_.Handle(request);
  }

  static json Json(const net::HttpResponse& response) { return ResponseJson(response); }

  static void ExpectError(const net::HttpResponse& response, int http_status, int code,
                          const std::string& field, const std::string& message) {
    ExpectErrorResponse(response, http_status, code, field, message);
  }

  double Counter(const std::string& name, const std::string& label, const std::string& value) {
    return metrics_.GetCounter(name, "", {{label, value}}).value();
  }

  FakeClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<store::KvStore> store_;
  store::FaultInjectingStore faulty_;
  ident::Registry registry_;
  tenant::EnterpriseRegistry enterprises_;
  platform::ProductRegistry products_;
  platform::DeviceRegistry devices_;
  RestApi api_;
};

TEST_F(DeviceRoutesTest, CreateGetUpdateRotateDelete) {
  auto created = Send("POST", "/api/devices",
                      json({{"id", "pump-7"},
                            {"product", "pump"},
                            {"name", {{"zh", "七号泵"}}},
                            {"serial", "SN-7"},
                            {"tags", {{"line", "2"}}}})
                          .dump(),
                      "member:88.999.1");
  ASSERT_EQ(created.status, 201) << created.body;
  json reply = Json(created);
  const std::string key = products_.Get(1, "pump")->product_key;
  EXPECT_EQ(reply["device"], json({{"enterprise", 1},
                                   {"id", "pump-7"},
                                   {"product", "pump"},
                                   {"productKey", key},
                                   {"modelVersion", 1},
                                   {"name", {{"zh", "七号泵"}}},
                                   {"serial", "SN-7"},
                                   {"gateway", ""},
                                   {"tags", {{"line", "2"}}},
                                   {"enabled", true},
                                   {"handle", "88.999.1/pump-7"},
                                   {"createdAt", "2023-11-14T22:13:20Z"},
                                   {"updatedAt", "2023-11-14T22:13:20Z"}}));
  const std::string secret = reply["secret"];
  EXPECT_EQ(secret.size(), 64u);

  auto got = Send("GET", "/api/devices/pump-7");
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(Json(got)["device"], reply["device"]);
  EXPECT_FALSE(Json(got).contains("secret"));
  EXPECT_EQ(got.body.find(secret), std::string::npos);

  auto updated =
      Send("PUT", "/api/devices/pump-7", json({{"serial", "SN-8"}, {"enabled", false}}).dump());
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Json(updated)["device"]["serial"], "SN-8");
  EXPECT_EQ(Json(updated)["device"]["enabled"], false);
  auto value = registry_.Get("88.999.1/pump-7", ident::ValueFilter{{5}, {}});
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(value->values[0].data, "SN-8");

  auto rotated = Send("POST", "/api/devices/pump-7/secret");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_NE(Json(rotated)["secret"], secret);

  ExpectError(Send("DELETE", "/api/devices/pump-7", "", "member:88.999.1"), 403, 401, "",
              "user:member:88.999.1 is an enterprise member and may not delete devices");
  ASSERT_EQ(Send("DELETE", "/api/devices/pump-7").status, 200);
  ExpectError(Send("GET", "/api/devices/pump-7"), 404, 100, "",
              "device 'pump-7' not found in enterprise 1");
  EXPECT_FALSE(registry_.Get("88.999.1/pump-7", {}).ok());
}

TEST_F(DeviceRoutesTest, BodiesAreStrict) {
  ExpectError(Send("POST", "/api/devices", "{"), 400, 4, "", "request body is not valid JSON");
  ExpectError(Send("POST", "/api/devices", json({{"product", "pump"}}).dump()), 400, 202, "id",
              "id: is required");
  ExpectError(Send("POST", "/api/devices", json({{"id", 7}, {"product", "pump"}}).dump()), 400, 202,
              "id", "id: must be a string");
  ExpectError(
      Send("POST", "/api/devices", json({{"id", "a"}, {"product", "pump"}, {"colour", 1}}).dump()),
      400, 202, "colour", "colour: is not a known field");
  ExpectError(Send("POST", "/api/devices",
                   json({{"id", "a"}, {"product", "pump"}, {"modelVersion", 0}}).dump()),
              400, 202, "modelVersion", "modelVersion: must be an integer in 1..4294967295");
  ExpectError(Send("POST", "/api/devices",
                   json({{"id", "a"}, {"product", "pump"}, {"tags", {{"k", 1}}}}).dump()),
              400, 202, "tags.k", "tags.k: must be a string");
  ExpectError(Send("POST", "/api/devices",
                   json({{"id", "a"}, {"product", "pump"}, {"name", {{"fr", "x"}}}}).dump()),
              400, 202, "name.fr", "name.fr: is not a known field");
  ExpectError(Send("POST", "/api/devices", json({{"id", "a"}, {"product", "nope"}}).dump()), 400,
              202, "product", "product: no product 'nope' in enterprise 1");
  ASSERT_EQ(Send("POST", "/api/devices", json({{"id", "a"}, {"product", "pump"}}).dump()).status,
            201);
  ExpectError(Send("POST", "/api/devices", json({{"id", "a"}, {"product", "pump"}}).dump()), 409,
              101, "id", "id: device 'a' already exists in enterprise 1");
  ExpectError(Send("PUT", "/api/devices/a", json({{"product", "x"}}).dump()), 400, 202, "product",
              "product: cannot be changed (delete the device and create it again)");
  ExpectError(Send("PUT", "/api/devices/a", json({{"enabled", "yes"}}).dump()), 400, 202, "enabled",
              "enabled: must be true or false");
}

TEST_F(DeviceRoutesTest, TenancyAndRoles) {
  ASSERT_EQ(Send("POST", "/api/devices", json({{"id", "d"}, {"product", "pump"}}).dump()).status,
            201);
  ExpectError(Send("GET", "/api/devices/d", "", "admin:88.999.2"), 404, 100, "",
              "device 'd' not found in enterprise 2");
  ExpectError(Send("DELETE", "/api/devices/d", "", "admin:88.999.2"), 404, 100, "",
              "device 'd' not found in enterprise 2");
  ExpectError(Send("GET", "/api/devices/d?enterprise=1", "", "admin:88.999.2"), 404, 100, "",
              "enterprise 1 not found");
  EXPECT_EQ(Json(Send("GET", "/api/devices", "", "admin:88.999.2"))["devices"], json::array());
  ExpectError(Send("GET", "/api/devices/d", "", "operator"), 400, 4, "",
              "enterprise is required: operators and auditors name the enterprise whose device "
              "this is (?enterprise=N)");
  EXPECT_EQ(Send("GET", "/api/devices/d?enterprise=1", "", "operator").status, 200);
  EXPECT_EQ(Send("GET", "/api/devices/d?enterprise=1", "", "auditor").status, 200);
  ExpectError(Send("POST", "/api/devices/d/secret?enterprise=1", "", "auditor"), 403, 401, "",
              "user:auditor is an auditor and may not change devices");
  ExpectError(Send("GET", "/api/devices", "", ""), 401, 402, "", "authentication required");
  EXPECT_EQ(Json(Send("GET", "/api/devices", "", "operator"))["devices"].size(), 1u);
  EXPECT_EQ(Send("POST", "/api/devices?enterprise=2",
                 json({{"id", "d"}, {"product", "pump"}}).dump(), "operator")
                .status,
            201);
}

TEST_F(DeviceRoutesTest, ListWithCursor) {
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_EQ(Send("POST", "/api/devices", json({{"id", id}, {"product", "pump"}}).dump()).status,
              201);
  }
  json first = Json(Send("GET", "/api/devices?limit=2"));
  EXPECT_EQ(first["devices"].size(), 2u);
  EXPECT_EQ(first["more"], true);
  EXPECT_EQ(first["next"], "b");
  json second = Json(Send("GET", "/api/devices?limit=2&after=b"));
  ASSERT_EQ(second["devices"].size(), 1u);
  EXPECT_EQ(second["devices"][0]["id"], "c");
  EXPECT_EQ(second["more"], false);
  EXPECT_FALSE(second.contains("next"));
  json all = Json(Send("GET", "/api/devices?limit=2", "", "operator"));
  EXPECT_EQ(all["next"], "1/b");
  ExpectError(Send("GET", "/api/devices?limit=0"), 400, 4, "",
              "limit must be an integer in 1..1000, got '0'");
  EXPECT_EQ(Json(Send("GET", "/api/devices?product=nope"))["devices"], json::array());

  // The same cursor on products.
  ASSERT_EQ(Send("POST", "/api/products", PumpProduct("valve").dump()).status, 201);
  json products = Json(Send("GET", "/api/products?pageSize=1"));
  EXPECT_EQ(products["next"], "pump");
  json after = Json(Send("GET", "/api/products?pageSize=1&after=pump"));
  ASSERT_EQ(after["products"].size(), 1u);
  EXPECT_EQ(after["products"][0]["id"], "valve");
  ExpectError(Send("GET", "/api/products?page=1&after=pump"), 400, 4, "",
              "after and page exclude each other");
}

TEST_F(DeviceRoutesTest, CsvImportAnswersEveryRow) {
  auto imported = SendCsv("/api/devices/import",
                          "id,product,name,serial,gateway,tags\n"
                          "gw-1,pump,网关,SN1,,site=lz\n"
                          "s-1,pump,,SN2,gw-1,line=2\n"
                          "s-2,nope,,,,\n"
                          "s-3,pump\n"
                          "s-1,pump,,,,\n");
  ASSERT_EQ(imported.status, 200) << imported.body;
  json reply = Json(imported);
  EXPECT_EQ(reply["created"], 2);
  EXPECT_EQ(reply["rejected"], 3);
  ASSERT_EQ(reply["rows"].size(), 5u);
  EXPECT_EQ(reply["rows"][0]["status"], "created");
  EXPECT_EQ(reply["rows"][0]["line"], 2);
  EXPECT_EQ(reply["rows"][0]["secret"].get<std::string>().size(), 64u);
  EXPECT_EQ(reply["rows"][1]["status"], "created");
  EXPECT_EQ(reply["rows"][2],
            json({{"line", 4},
                  {"id", "s-2"},
                  {"status", "rejected"},
                  {"responseCode", 202},
                  {"field", "product"},
                  {"message", "line 4: product: no product 'nope' in enterprise 1"}}));
  EXPECT_EQ(reply["rows"][3], json({{"line", 5},
                                    {"status", "rejected"},
                                    {"responseCode", 202},
                                    {"message", "line 5: has 2 fields, the header has 6"}}));
  EXPECT_EQ(reply["rows"][4]["message"], "line 6: id: device 's-1' already exists in enterprise 1");
  EXPECT_EQ(devices_.FindInEnterprise(1, "s-1")->gateway_id, "gw-1");

  ExpectError(SendCsv("/api/devices/import", "id,colour\n"), 400, 4, "",
              "csv: header: unknown column 'colour' (known: id, product, name, name_en, serial, "
              "gateway, tags, model_version)");
  ExpectError(Send("POST", "/api/devices/import", "id,product\n"), 415, 4, "",
              "request body must be CSV (Content-Type: text/csv)");
  ExpectError(SendCsv("/api/devices/import", "id,product\na,pump\n", "auditor"), 403, 401, "",
              "user:auditor is an auditor and may not change devices");
}

TEST_F(DeviceRoutesTest, SelfProvisioning) {
  const platform::Product p = *products_.Get(1, "pump");
  platform::SelfRegistration r{p.product_key, "auto-1", "abc123", "hmacsha256", ""};
  r.sign = platform::HmacSha256Hex(p.product_secret, platform::SignContent(r));
  auto body = [&](const std::string& sign) {
    return json({{"productKey", r.product_key},
                 {"deviceId", r.device_id},
                 {"random", r.random},
                 {"signMethod", "hmacsha256"},
                 {"sign", sign}})
        .dump();
  };
  ExpectError(Send("POST", "/api/devices/register", body(r.sign), ""), 403, 401, "",
              "product 'pump' does not allow self-provisioning");
  auto on = Send("PUT", "/api/products/pump", json({{"selfProvisioning", true}}).dump());
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(Json(on)["product"]["selfProvisioning"], true);

  ExpectError(Send("POST", "/api/devices/register", body(std::string(64, '0')), ""), 401, 403, "",
              "sign does not verify for this productKey, deviceId and random");
  ExpectError(Send("POST", "/api/devices/register", json({{"productKey", "x"}}).dump(), ""), 400,
              202, "deviceId", "deviceId: is required");
  auto created = Send("POST", "/api/devices/register", body(r.sign), "");
  ASSERT_EQ(created.status, 201) << created.body;
  json reply = Json(created);
  EXPECT_EQ(reply["productKey"], p.product_key);
  EXPECT_EQ(reply["deviceId"], "auto-1");
  EXPECT_EQ(reply["deviceSecret"].get<std::string>().size(), 64u);
  ExpectError(Send("POST", "/api/devices/register", body(r.sign), ""), 409, 101, "deviceId",
              "deviceId: device 'auto-1' already exists in enterprise 1");
  EXPECT_EQ(Counter("qilian_device_registrations_total", "result", "created"), 1);
  EXPECT_EQ(Counter("qilian_device_registrations_total", "result", "bad_sign"), 1);
  EXPECT_EQ(Counter("qilian_device_registrations_total", "result", "not_allowed"), 1);
  EXPECT_EQ(Counter("qilian_device_registrations_total", "result", "exists"), 1);
  EXPECT_EQ(Counter("qilian_device_registrations_total", "result", "bad_request"), 1);
}

TEST_F(DeviceRoutesTest, ProductWithDevicesIsNotDeleted) {
  ASSERT_EQ(Send("POST", "/api/devices", json({{"id", "d"}, {"product", "pump"}}).dump()).status,
            201);
  ExpectError(Send("DELETE", "/api/products/pump"), 409, 202, "",
              "product 'pump' has 1 device; delete them first");
  ASSERT_EQ(Send("DELETE", "/api/devices/d").status, 200);
  EXPECT_EQ(Send("DELETE", "/api/products/pump").status, 200);
}

TEST_F(DeviceRoutesTest, ProductAnswersShowKeyAndSecretButNotToAuditors) {
  json mine = Json(Send("GET", "/api/products/pump"))["product"];
  EXPECT_EQ(mine["productKey"].get<std::string>().size(), 11u);
  EXPECT_EQ(mine["productSecret"].get<std::string>().size(), 32u);
  EXPECT_EQ(mine["selfProvisioning"], false);
  json audited = Json(Send("GET", "/api/products/pump?enterprise=1", "", "auditor"))["product"];
  EXPECT_EQ(audited["productKey"], mine["productKey"]);
  EXPECT_FALSE(audited.contains("productSecret"));
  ExpectError(Send("PUT", "/api/products/pump", json({{"selfProvisioning", 1}}).dump()), 400, 202,
              "selfProvisioning", "selfProvisioning: must be true or false");
}

// The shadow, property and function routes' answers are tested with their
// handlers (device_shadow_routes.cc); here only how the router matches them.
TEST_F(DeviceRoutesTest, TheMatcherTakesSeveralParameters) {
  RouteParams params;
  const RouteInfo* route = MatchRoute("/api/devices/pump-7/functions/reset", &params);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->id, RouteId::kDeviceFunction);
  ASSERT_EQ(params.size, 2u);
  EXPECT_EQ(params[0], "pump-7");
  EXPECT_EQ(params[1], "reset");
  route = MatchRoute("/api/devices/import", &params);
  EXPECT_EQ(route->id, RouteId::kDeviceImport);
  EXPECT_EQ(params.size, 0u);
  route = MatchRoute("/api/devices//secret", &params);  // an empty id is no segment
  EXPECT_EQ(route->id, RouteId::kDevice);
  EXPECT_EQ(params[0], "/secret");
  std::string_view param;
  route = MatchRoute("/api/handles/88.999/a/b", &param);
  EXPECT_EQ(route->id, RouteId::kHandle);
  EXPECT_EQ(param, "88.999/a/b");
}

}  // namespace
}  // namespace qilian::api
