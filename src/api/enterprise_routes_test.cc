// The enterprise routes through RestApi::Handle, over a memory store.
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
#include "store/fault_store.h"
#include "store/memory_store.h"
#include "tenant/enterprise_registry.h"

namespace qilian::api {
namespace {

using nlohmann::json;

json Body(std::string credit_code = "916201007100000135") {
  return {{"name", "兰州泵业有限公司"},
          {"creditCode", credit_code},
          {"industry", "C3441"},
          {"region", "620100"},
          {"contact", {{"name", "张工"}, {"phone", "+86 931 1234567"}, {"email", "ops@pump.example.cn"}}}};
}

class EnterpriseRoutesTest : public ::testing::Test {
 protected:
  EnterpriseRoutesTest()
      : store_(store::NewMemoryStore(
            {{std::string(ident::Registry::kSpace), std::string(tenant::EnterpriseRegistry::kSpace)}})),
        faulty_(store_.get()),
        registry_(&faulty_, clock_, ident::RegistryOptions{}),
        enterprises_(&faulty_, &registry_, clock_, Options()),
        api_(&registry_, &metrics_, RestOptions{}) {
    api_.SetEnterprises(&enterprises_);
    api_.SetAuth(TestCallers());
  }

  static tenant::EnterpriseRegistryOptions Options() {
    tenant::EnterpriseRegistryOptions o;
    o.parent_prefix = "88.999";
    o.site = ident::BuildSiteInfo(ident::SiteOptions{});
    return o;
  }

  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& bearer = "operator") {
    return SendAs(api_, method, target, body, bearer);
  }

  static json Json(const net::HttpResponse& response) { return ResponseJson(response); }

  static void ExpectError(const net::HttpResponse& response, int http_status, int code,
                          const std::string& field, const std::string& message) {
    ExpectErrorResponse(response, http_status, code, field, message);
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  store::FaultInjectingStore faulty_;
  ident::Registry registry_;
  tenant::EnterpriseRegistry enterprises_;
  MetricsRegistry metrics_;
  RestApi api_;
};

TEST_F(EnterpriseRoutesTest, RegisterGetAndResolveThePrefixHandle) {
  auto created = Send("POST", "/api/enterprises", Body().dump());
  ASSERT_EQ(created.status, 201) << created.body;
  json e = Json(created)["enterprise"];
  EXPECT_EQ(Json(created)["responseCode"], 1);
  EXPECT_EQ(e, json({{"id", 1},
                     {"name", "兰州泵业有限公司"},
                     {"creditCode", "916201007100000135"},
                     {"industry", "3441"},
                     {"industrySection", "C"},
                     {"industrySectionName", "制造业"},
                     {"region", "620100"},
                     {"contact", {{"name", "张工"}, {"phone", "+86 931 1234567"},
                                  {"email", "ops@pump.example.cn"}}},
                     {"prefix", "88.999.1"},
                     {"prefixHandle", "0.NA/88.999.1"},
                     {"createdAt", "2023-11-14T22:13:20Z"}}));

  auto by_id = Send("GET", "/api/enterprises/1");
  ASSERT_EQ(by_id.status, 200) << by_id.body;
  EXPECT_EQ(Json(by_id)["enterprise"], e);
  auto by_code = Send("GET", "/api/enterprises/916201007100000135");
  ASSERT_EQ(by_code.status, 200) << by_code.body;
  EXPECT_EQ(Json(by_code)["enterprise"], e);

  auto handle = Send("GET", "/api/handles/0.NA/88.999.1");
  ASSERT_EQ(handle.status, 200) << handle.body;
  json values = Json(handle)["values"];
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0]["type"], "HS_SITE");
  EXPECT_EQ(values[1]["type"], "HS_ADMIN");
}

TEST_F(EnterpriseRoutesTest, FieldErrorsNameTheField) {
  auto with = [](const char* key, json value) {
    json b = Body();
    b[key] = std::move(value);
    return b.dump();
  };
  ExpectError(Send("POST", "/api/enterprises", with("creditCode", "916201007100000136")), 400,
              202, "creditCode", "creditCode: check character is '6', expected '5'");
  ExpectError(Send("POST", "/api/enterprises", with("industry", "99")), 400, 202, "industry",
              "industry: division '99' of '99' is not a GB/T 4754-2017 division");
  ExpectError(Send("POST", "/api/enterprises", with("region", "990000")), 400, 202, "region",
              "region: province code '99' of '990000' is not a GB/T 2260 province");
  ExpectError(Send("POST", "/api/enterprises", with("name", 7)), 400, 202, "name",
              "name: must be a string");
  ExpectError(Send("POST", "/api/enterprises", with("contact", "x")), 400, 202, "contact",
              "contact: must be an object");
  ExpectError(Send("POST", "/api/enterprises", with("extra", 1)), 400, 202, "extra",
              "extra: is not a field of an enterprise");
  json no_phone = Body();
  no_phone["contact"].erase("phone");
  ExpectError(Send("POST", "/api/enterprises", no_phone.dump()), 400, 202, "contact.phone",
              "contact.phone: is required");
  json no_code = Body();
  no_code.erase("creditCode");
  ExpectError(Send("POST", "/api/enterprises", no_code.dump()), 400, 202, "creditCode",
              "creditCode: is required");
  json bad_email = Body();
  bad_email["contact"]["email"] = "nobody";
  ExpectError(Send("POST", "/api/enterprises", bad_email.dump()), 400, 202, "contact.email",
              "contact.email: 'nobody' is not an email address (local@domain)");
  ExpectError(Send("POST", "/api/enterprises", "{"), 400, 4, "", "request body is not valid JSON");
  ExpectError(Send("POST", "/api/enterprises", "[]"), 400, 4, "",
              "request body must be a JSON object");
  EXPECT_EQ(metrics_.GetCounter("qilian_rest_errors_total", "", {{"reason", "bad_value"}}).value(),
            9u);
  // Nothing was allocated.
  auto list = Send("GET", "/api/enterprises");
  EXPECT_EQ(Json(list)["enterprises"], json::array());
}

TEST_F(EnterpriseRoutesTest, DuplicateCreditCodeIs409) {
  ASSERT_EQ(Send("POST", "/api/enterprises", Body().dump()).status, 201);
  ExpectError(Send("POST", "/api/enterprises", Body().dump()), 409, 101, "creditCode",
              "creditCode: an enterprise with credit code 916201007100000135 is already "
              "registered");
}

TEST_F(EnterpriseRoutesTest, OnlyOperatorsRegister) {
  ExpectError(Send("POST", "/api/enterprises", Body().dump(), ""), 401, 402, "",
              "authentication required");
  ExpectError(Send("POST", "/api/enterprises", Body().dump(), "admin:88.999.1"), 403, 401, "",
              "user:admin:88.999.1 is not an operator of this node");
  ExpectError(Send("POST", "/api/enterprises", Body().dump(), "auditor"), 403, 401, "",
              "user:auditor is not an operator of this node");
  EXPECT_EQ(Send("GET", "/api/enterprises", "", "").status, 200);
  EXPECT_EQ(Json(Send("GET", "/api/enterprises"))["enterprises"], json::array());
  EXPECT_EQ(Send("GET", "/api/enterprises/1").status, 404);
}

TEST_F(EnterpriseRoutesTest, StorageFailureIs500AndStoresNothing) {
  faulty_.FailNthWrite(1, absl::UnavailableError("disk on fire"));
  ExpectError(Send("POST", "/api/enterprises", Body().dump()), 500, 2, "",
              "storage write failed: disk on fire");
  EXPECT_EQ(Send("GET", "/api/handles/0.NA/88.999.1").status, 404);
  auto again = Send("POST", "/api/enterprises", Body().dump());
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(Json(again)["enterprise"]["prefix"], "88.999.1");
}

TEST_F(EnterpriseRoutesTest, GetAndListParameters) {
  ExpectError(Send("GET", "/api/enterprises/42"), 404, 100, "", "enterprise 42 not found");
  ExpectError(Send("GET", "/api/enterprises/91350100M000100Y43"), 404, 100, "",
              "no enterprise with credit code 91350100M000100Y43");
  ExpectError(Send("GET", "/api/enterprises/abc"), 400, 4, "",
              "enterprise must be a numeric id or an 18-character credit code, got 'abc'");
  ExpectError(Send("GET", "/api/enterprises/0"), 400, 4, "",
              "enterprise must be a numeric id or an 18-character credit code, got '0'");
  ExpectError(Send("GET", "/api/enterprises/1?x=1"), 400, 4, "", "unknown query parameter 'x'");
  ExpectError(Send("GET", "/api/enterprises?pageSize=0"), 400, 4, "",
              "pageSize must be an integer in 1..1000, got '0'");
  ExpectError(Send("GET", "/api/enterprises?page=-1"), 400, 4, "",
              "page must be an integer in 0..2147483647, got '-1'");
  ExpectError(Send("GET", "/api/enterprises?page=1&page=2"), 400, 4, "",
              "page is given more than once");
  ExpectError(Send("GET", "/api/enterprises?prefix=88.999"), 400, 4, "",
              "unknown query parameter 'prefix'");

  for (const char* code : {"916201007100000135", "91620102712345672E", "1262000043800011XY"}) {
    ASSERT_EQ(Send("POST", "/api/enterprises", Body(code).dump()).status, 201);
  }
  json p0 = Json(Send("GET", "/api/enterprises?page=0&pageSize=2"));
  EXPECT_EQ(p0["page"], 0);
  EXPECT_EQ(p0["pageSize"], 2);
  EXPECT_EQ(p0["more"], true);
  ASSERT_EQ(p0["enterprises"].size(), 2u);
  EXPECT_EQ(p0["enterprises"][1]["prefix"], "88.999.2");
  json p1 = Json(Send("GET", "/api/enterprises?page=1&pageSize=2"));
  EXPECT_EQ(p1["more"], false);
  ASSERT_EQ(p1["enterprises"].size(), 1u);
  EXPECT_EQ(p1["enterprises"][0]["creditCode"], "1262000043800011XY");
  ExpectError(Send("DELETE", "/api/enterprises/1"), 405, 5, "",
              "method DELETE is not allowed on /api/enterprises/{id}; allowed: GET");
}

TEST(EnterpriseRoutesDisabledTest, AnswersNotEnabled) {
  FakeClock clock;
  auto store = store::NewMemoryStore({{std::string(ident::Registry::kSpace)}});
  ident::Registry registry(store.get(), clock, ident::RegistryOptions{});
  RestApi api(&registry, nullptr, RestOptions{});
  net::HttpRequest request;
  request.method = "GET";
  request.target = "/api/enterprises";
  request.remote_is_loopback = true;
  auto response = api.Handle(request);
  EXPECT_EQ(response.status, 501);
  EXPECT_EQ(json::parse(response.body),
            json({{"responseCode", 5},
                  {"message", "enterprise onboarding is not enabled on this node"}}));
}

}  // namespace
}  // namespace qilian::api
