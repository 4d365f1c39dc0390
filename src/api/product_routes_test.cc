// The product routes through RestApi::Handle, over a memory store, with the
// fixed test callers of test_callers.h: "admin:88.999.1" is staff of
// enterprise 1, "admin:88.999.2" of enterprise 2.
#include <memory>
#include <string>

#include "api/rest_api.h"
#include "api/test_callers.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/registry.h"
#include "ident/site_info.h"
#include "nlohmann/json.hpp"
#include "platform/product/product_registry.h"
#include "store/fault_store.h"
#include "store/memory_store.h"
#include "tenant/enterprise_registry.h"
#include "tenant/test_enterprises.h"

namespace qilian::api {
namespace {

using nlohmann::json;

json PumpModel(int version, int max_flow) {
  return {{"version", version},
          {"properties",
           {{{"identifier", "flow"},
             {"name", {{"zh", "流量"}}},
             {"access", "r"},
             {"dataType", {{"type", "double"}, {"specs", {{"min", 0}, {"max", max_flow}}}}}}}}};
}

json PumpBody(const std::string& id = "pump-1") {
  return {{"id", id},
          {"name", {{"zh", "给水泵"}, {"en", "Feed pump"}}},
          {"description", "Line 2"},
          {"thingModel", PumpModel(1, 500)}};
}

class ProductRoutesTest : public ::testing::Test {
 protected:
  ProductRoutesTest()
      : store_(store::NewMemoryStore({{std::string(ident::Registry::kSpace),
                                       std::string(tenant::EnterpriseRegistry::kSpace),
                                       std::string(platform::ProductRegistry::kSpace)}})),
        faulty_(store_.get()),
        registry_(&faulty_, clock_, ident::RegistryOptions{}),
        enterprises_(&faulty_, &registry_, clock_, tenant::TestEnterpriseOptions()),
        products_(&faulty_, clock_),
        api_(&registry_, &metrics_, RestOptions{}) {
    api_.SetEnterprises(&enterprises_);
    api_.SetProducts(&products_);
    api_.SetAuth(TestCallers());
    tenant::RegisterTwoTestEnterprises(enterprises_);
  }


  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& bearer = "admin:88.999.1") {
    return SendAs(api_, method, target, body, bearer);
  }

  static json Json(const net::HttpResponse& response) { return ResponseJson(response); }

  static void ExpectError(const net::HttpResponse& response, int http_status, int code,
                          const std::string& field, const std::string& message) {
    ExpectErrorResponse(response, http_status, code, field, message);
  }

  double Errors(const std::string& reason) {
    return metrics_.GetCounter("qilian_rest_errors_total", "", {{"reason", reason}}).value();
  }

  FakeClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<store::KvStore> store_;
  store::FaultInjectingStore faulty_;
  ident::Registry registry_;
  tenant::EnterpriseRegistry enterprises_;
  platform::ProductRegistry products_;
  RestApi api_;
};

TEST_F(ProductRoutesTest, CreateGetAndVersionAsEnterpriseStaff) {
  auto created = Send("POST", "/api/products", PumpBody().dump(), "member:88.999.1");
  ASSERT_EQ(created.status, 201) << created.body;
  json reply = Json(created);
  const platform::Product stored = *products_.Get(1, "pump-1");
  EXPECT_EQ(reply["product"],
            json({{"enterprise", 1},
                  {"id", "pump-1"},
                  {"name", {{"zh", "给水泵"}, {"en", "Feed pump"}}},
                  {"description", "Line 2"},
                  {"latestVersion", 1},
                  {"productKey", stored.product_key},
                  {"productSecret", stored.product_secret},
                  {"selfProvisioning", false},
                  {"createdAt", "2023-11-14T22:13:20Z"},
                  {"updatedAt", "2023-11-14T22:13:20Z"}}));
  EXPECT_EQ(reply["thingModel"]["properties"][0]["identifier"], "flow");
  EXPECT_FALSE(reply.contains("importWarnings"));

  auto got = Send("GET", "/api/products/pump-1");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Json(got)["product"], reply["product"]);

  // A compatible new version, then a breaking amendment of it.
  auto v2 = Send("PUT", "/api/products/pump-1/model",
                 json({{"thingModel", PumpModel(2, 400)}}).dump());
  ASSERT_EQ(v2.status, 200) << v2.body;
  EXPECT_EQ(Json(v2)["version"], 2);
  EXPECT_EQ(Json(v2)["product"]["latestVersion"], 2);
  auto breaking = Send("PUT", "/api/products/pump-1/model",
                       json({{"thingModel", PumpModel(2, 300)}}).dump());
  EXPECT_EQ(breaking.status, 409);
  EXPECT_EQ(Json(breaking),
            json({{"responseCode", 202},
                  {"message",
                   "thingModel.version: 2 has breaking changes, it needs a version above 2: "
                   "properties.flow: maximum lowered from 400 to 300"},
                  {"breakingChanges",
                   {{{"path", "properties.flow"}, {"reason", "maximum lowered from 400 to 300"}}}}}));
  EXPECT_EQ(Errors("breaking_change"), 1);

  auto v1 = Send("GET", "/api/products/pump-1/model?version=1");
  ASSERT_EQ(v1.status, 200) << v1.body;
  EXPECT_EQ(Json(v1)["thingModel"]["properties"][0]["dataType"]["specs"]["max"], 500.0);
  EXPECT_EQ(Json(v1)["version"], 1);
  auto latest = Send("GET", "/api/products/pump-1/model");
  EXPECT_EQ(Json(latest)["version"], 2);
  ExpectError(Send("GET", "/api/products/pump-1/model?version=3"), 404, 100, "",
              "product 'pump-1' has no model version 3; its latest is 2");
}

TEST_F(ProductRoutesTest, FromStarterAndImport) {
  auto starter = Send("POST", "/api/products",
                      json({{"id", "kiln"}, {"fromStarter", "rotary_kiln"}}).dump());
  ASSERT_EQ(starter.status, 201) << starter.body;
  EXPECT_EQ(Json(starter)["product"]["name"]["zh"], "回转窑");
  ExpectError(Send("POST", "/api/products", json({{"id", "x"}, {"fromStarter", "nope"}}).dump()),
              400, 202, "fromStarter",
              "fromStarter: no starter product 'nope' (GET /api/starter-products lists them)");

  json tsl = {{"properties",
               {{{"identifier", "temp"},
                 {"name", "温度"},
                 {"accessMode", "r"},
                 {"required", false},
                 {"dataType",
                  {{"type", "float"},
                   {"specs", {{"min", "0"}, {"max", "200"}, {"unit", "°C"}, {"unitName", "摄氏度"}}}}}}}}};
  auto imported = Send("POST", "/api/products",
                       json({{"id", "oven"},
                             {"name", {{"zh", "烘箱"}}},
                             {"import", {{"format", "alibaba"}, {"source", tsl}}}})
                           .dump());
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(Json(imported)["importWarnings"],
            json({"properties[0].required: standard-feature flag, no equivalent, dropped",
                  "properties[0].dataType.specs.unitName: display name of the unit, dropped (the "
                  "unit is kept)"}));

  auto list = Send("GET", "/api/starter-products");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(Json(list)["products"].size(), 7u);
  EXPECT_EQ(Send("GET", "/api/starter-products", "", "").status, 401);
}

TEST_F(ProductRoutesTest, TenancyAndRoles) {
  ASSERT_EQ(Send("POST", "/api/products", PumpBody().dump()).status, 201);
  // Enterprise 2 cannot see or change it: 404 as for a missing product.
  const std::string missing = "product 'pump-1' not found in enterprise 2";
  ExpectError(Send("GET", "/api/products/pump-1", "", "admin:88.999.2"), 404, 100, "", missing);
  ExpectError(Send("DELETE", "/api/products/pump-1", "", "admin:88.999.2"), 404, 100, "", missing);
  ExpectError(Send("GET", "/api/products/pump-1?enterprise=1", "", "admin:88.999.2"), 404, 100, "",
              "enterprise 1 not found");
  auto theirs = Send("GET", "/api/products", "", "admin:88.999.2");
  EXPECT_EQ(Json(theirs)["products"], json::array());

  // Operators and auditors name the enterprise; they see all in listings.
  ExpectError(Send("GET", "/api/products/pump-1", "", "operator"), 400, 4, "",
              "enterprise is required: operators and auditors name the enterprise whose product "
              "this is (?enterprise=N)");
  EXPECT_EQ(Send("GET", "/api/products/pump-1?enterprise=1", "", "operator").status, 200);
  EXPECT_EQ(Send("GET", "/api/products/pump-1?enterprise=1", "", "auditor").status, 200);
  ExpectError(Send("GET", "/api/products/pump-1?enterprise=9", "", "operator"), 404, 100, "",
              "enterprise 9 not found");
  EXPECT_EQ(Json(Send("GET", "/api/products", "", "auditor"))["products"].size(), 1u);
  ExpectError(Send("POST", "/api/products?enterprise=1", PumpBody("p2").dump(), "auditor"), 403,
              401, "", "user:auditor is an auditor and may not change products");
  EXPECT_EQ(Send("POST", "/api/products?enterprise=2", PumpBody("p2").dump(), "operator").status,
            201);
  EXPECT_EQ(Json(Send("GET", "/api/products", "", "admin:88.999.2"))["products"].size(), 1u);

  // Members do not delete; anonymous callers are 401.
  ExpectError(Send("DELETE", "/api/products/pump-1", "", "member:88.999.1"), 403, 401, "",
              "user:member:88.999.1 is an enterprise member and may not delete products");
  EXPECT_EQ(Send("GET", "/api/products", "", "").status, 401);
  EXPECT_EQ(Send("POST", "/api/products", PumpBody().dump(), "").status, 401);
  ExpectError(Send("GET", "/api/products", "", "admin:88.777.1"), 403, 401, "",
              "user:admin:88.777.1 belongs to no enterprise");

  auto deleted = Send("DELETE", "/api/products/pump-1");
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_EQ(Send("GET", "/api/products/pump-1").status, 404);
}

TEST_F(ProductRoutesTest, MalformedBodiesAreRefusedWithExactMessages) {
  struct Case {
    std::string body;
    int http;
    int code;
    std::string field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"{", 400, 4, "", "request body is not valid JSON"},
      {"[1]", 400, 4, "", "request body must be a JSON object"},
      {std::string(40, '[') + std::string(40, ']'), 400, 4, "",
       "request body nests deeper than 34 levels"},
      {R"({"id":"a","thingModel":{"version":1},"color":"red"})", 400, 202, "color",
       "color: is not a known field"},
      {R"({"thingModel":{"version":1}})", 400, 202, "id", "id: is required"},
      {R"({"id":7,"thingModel":{"version":1}})", 400, 202, "id", "id: must be a string"},
      {R"({"id":"a","name":"泵","thingModel":{"version":1}})", 400, 202, "name",
       R"(name: must be an object {"zh", "en"})"},
      {R"({"id":"a","name":{"zh":"泵","fr":"x"},"thingModel":{"version":1}})", 400, 202, "name.fr",
       "name.fr: is not a known field"},
      {R"({"id":"a","name":{"zh":"泵"}})", 400, 202, "",
       "request body must have exactly one of thingModel, import and fromStarter"},
      {R"({"id":"a","name":{"zh":"泵"},"thingModel":{"version":1},"fromStarter":"motor"})", 400,
       202, "", "request body must have exactly one of thingModel, import and fromStarter"},
      {R"({"id":"a","name":{"zh":"泵"},"thingModel":[]})", 400, 202, "thingModel",
       "thingModel: must be an object"},
      {R"({"id":"a","name":{"zh":"泵"},"thingModel":{"version":0}})", 400, 202, "",
       "thingModel.version: must be an integer from 1 to 4294967295"},
      {R"({"id":"a","name":{"zh":"泵"},"import":{"format":"tsl","source":{}}})", 400, 202,
       "import.format", R"(import.format: must be "alibaba" or "jetlinks")"},
      {R"({"id":"a","name":{"zh":"泵"},"import":{"format":"alibaba"}})", 400, 202,
       "import.source", "import.source: is required"},
      {R"({"id":"a b","name":{"zh":"泵"},"thingModel":{"version":1}})", 400, 202, "id",
       "id: 'a b' is not a product id (1 to 64 of A-Z a-z 0-9 _ -, starting with a letter or "
       "digit)"},
      {R"({"id":"a","thingModel":{"version":1}})", 400, 202, "name.zh", "name.zh: is required"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectError(Send("POST", "/api/products", c.body), c.http, c.code, c.field, c.message);
  }
  EXPECT_EQ(Errors("malformed_json"), 3);
  ExpectError(Send("POST", "/api/products", std::string(1114113, ' ')), 400, 4, "",
              "request body is longer than 1114112 bytes");
  EXPECT_EQ(Errors("bad_body"), 1);
  ExpectError(Send("PUT", "/api/products/a/model", R"({"model":{}})"), 400, 202, "model",
              "model: is not a known field");
  ExpectError(Send("GET", "/api/products?page=x"), 400, 4, "", "page must be an integer in "
              "0..2147483647, got 'x'");
  ExpectError(Send("GET", "/api/products?color=red"), 400, 4, "", "unknown query parameter 'color'");
}

TEST_F(ProductRoutesTest, StoreFailureIsA500AndStoresNothing) {
  faulty_.FailNthWrite(1, absl::UnavailableError("disk gone"));
  ExpectError(Send("POST", "/api/products", PumpBody().dump()), 500, 2, "",
              "storage write failed: disk gone");
  EXPECT_EQ(Send("GET", "/api/products/pump-1").status, 404);
}

}  // namespace
}  // namespace qilian::api
