// The template routes and template-checked handle writes through
// RestApi::Handle over a memory store, as the fixed test callers of
// test_callers.h ("admin:88.999.1" administers enterprise 1's prefix).
#include <memory>
#include <string>

#include "api/rest_api.h"
#include "api/test_callers.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/registry.h"
#include "ident/template/test_templates.h"
#include "nlohmann/json.hpp"
#include "store/memory_store.h"

namespace qilian::api {
namespace {

using nlohmann::json;

constexpr std::string_view kBatch = R"({
  "name": "steel-batch", "industry": "C31",
  "description": {"zh": "钢材批次", "en": "Steel batch"},
  "fields": [
    {"name": "grade", "type": "string", "required": true, "limits": {"pattern": "Q[0-9]{3}[A-E]?"}},
    {"name": "weight", "type": "decimal", "unit": "t", "limits": {"minimum": 0}}
  ]})";

class TemplateRoutesTest : public ::testing::Test {
 protected:
  TemplateRoutesTest() : api_(&node_.registry, &metrics_, RestOptions{}) {
    api_.SetTemplates(&node_.templates);
    api_.SetAuth(TestCallers());
  }

  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& body = "",
                         const std::string& bearer = "admin:88.999.1") {
    return SendAs(api_, method, target, body, bearer);
  }

  ident::templates::test::TemplatedRegistry node_;
  MetricsRegistry metrics_;
  RestApi api_;
};

constexpr char kBase[] = "/api/prefixes/88.999.1/templates";

TEST_F(TemplateRoutesTest, CreateListGetAndVersion) {
  net::HttpResponse r = Send("POST", kBase, std::string(kBatch));
  ASSERT_EQ(r.status, 201) << r.body;
  json t = ResponseJson(r)["template"];
  EXPECT_EQ(t["prefix"], "88.999.1");
  EXPECT_EQ(t["reference"], "steel-batch@1");
  EXPECT_EQ(t["industry"], "31");
  EXPECT_EQ(t["fields"][1]["unit"], "t");
  EXPECT_EQ(t["createdAt"], 1765000000);

  r = Send("POST", kBase, std::string(kBatch));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ResponseJson(r)["message"],
            "template 'steel-batch' already exists under prefix '88.999.1' (latest version 1); "
            "publish a new version instead");

  // A new version may break compatibility.
  r = Send("POST", std::string(kBase) + "/steel-batch/versions",
           R"({"name":"steel-batch","industry":"C31","fields":[{"name":"grade","type":"integer","required":true}]})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(ResponseJson(r)["template"]["version"], 2);

  r = Send("GET", kBase, "", "member:88.999.1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ResponseJson(r)["templates"].size(), 1u);
  EXPECT_EQ(ResponseJson(r)["templates"][0]["version"], 2);
  r = Send("GET", std::string(kBase) + "/steel-batch", "", "auditor");
  EXPECT_EQ(ResponseJson(r)["template"]["version"], 2);
  r = Send("GET", std::string(kBase) + "/steel-batch/versions/1");
  EXPECT_EQ(ResponseJson(r)["template"]["fields"][0]["type"], "string");
  r = Send("GET", std::string(kBase) + "/steel-batch/versions");
  EXPECT_EQ(ResponseJson(r)["versions"].size(), 2u);
  r = Send("GET", std::string(kBase) + "/steel-batch/versions/3");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ResponseJson(r)["message"],
            "template 'steel-batch' version 3 does not exist under prefix '88.999.1'");
  r = Send("GET", std::string(kBase) + "/steel-batch/versions/x");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ResponseJson(r)["message"], "version must be an integer in 1..1000000, got 'x'");
}

TEST_F(TemplateRoutesTest, SameVersionChangesOnlyCompatibly) {
  ASSERT_EQ(Send("POST", kBase, std::string(kBatch)).status, 201);
  const std::string v1 = std::string(kBase) + "/steel-batch/versions/1";
  net::HttpResponse r = Send(
      "PUT", v1,
      R"({"name":"steel-batch","industry":"C31","fields":[{"name":"grade","type":"string","required":true},{"name":"weight","type":"decimal","unit":"t"},{"name":"line","type":"string"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ResponseJson(r)["template"]["fields"].size(), 3u);
  r = Send("PUT", v1,
           R"({"name":"steel-batch","industry":"C31","fields":[{"name":"grade","type":"string","required":true},{"name":"line","type":"string","required":true}]})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ResponseJson(r)["message"],
            "version 1 of template 'steel-batch' cannot change this way, records written under "
            "it would become invalid: field 'weight': removed; field 'line': becomes required; "
            "publish a new version instead");
}

TEST_F(TemplateRoutesTest, AuthorizationFollowsThePrefix) {
  EXPECT_EQ(Send("POST", kBase, std::string(kBatch), "").status, 401);
  net::HttpResponse r = Send("POST", kBase, std::string(kBatch), "member:88.999.1");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ResponseJson(r)["message"],
            "user:member:88.999.1 is an enterprise member and may not change templates");
  r = Send("POST", kBase, std::string(kBatch), "admin:88.999.2");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ResponseJson(r)["message"],
            "prefix '88.999.1' does not belong to the enterprise of user:admin:88.999.2");
  EXPECT_EQ(Send("GET", kBase, "", "member:88.999.2").status, 403);
  EXPECT_EQ(Send("POST", kBase, std::string(kBatch), "auditor").status, 403);
  EXPECT_EQ(Send("POST", kBase, std::string(kBatch), "operator").status, 201);
  // A derived prefix belongs to its parent's enterprise.
  EXPECT_EQ(Send("POST", "/api/prefixes/88.999.1.5/templates", std::string(kBatch)).status, 201);
}

TEST_F(TemplateRoutesTest, BadBodiesNameTheirField) {
  net::HttpResponse r = Send("POST", kBase, R"({"name":"t","industry":"C31","fields":[{"name":"a","type":"string","limits":{"pattern":"(x"}}]})");
  EXPECT_EQ(r.status, 400);
  json body = ResponseJson(r);
  EXPECT_EQ(body["responseCode"], 202);
  EXPECT_EQ(body["field"], "fields[0].limits.pattern");
  EXPECT_EQ(body["message"],
            "fields[0].limits.pattern: is not a valid RE2 pattern: missing ): (x");
  r = Send("POST", kBase, "{");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ResponseJson(r)["message"], "body: is not valid JSON");
  r = Send("POST", "/api/prefixes/88..1/templates", std::string(kBatch));
  EXPECT_EQ(r.status, 400);
  r = Send("GET", std::string(kBase) + "?x=1");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ResponseJson(r)["message"], "unknown query parameter 'x'");
}

TEST_F(TemplateRoutesTest, HandleWritesAreCheckedAgainstTheirTemplate) {
  ASSERT_EQ(Send("POST", kBase, std::string(kBatch)).status, 201);
  auto values = [](const std::string& grade) {
    return R"({"values":[{"index":1000,"type":"TEMPLATE","data":{"format":"string","value":"steel-batch@1"}},)"
           R"({"index":2000,"type":"grade","data":{"format":"string","value":")" +
           grade + R"("}}]})";
  };
  net::HttpResponse r = PutHandle(api_, "88.999.1/COIL-1", values("Q235B"));
  EXPECT_EQ(r.status, 201) << r.body;
  r = PutHandle(api_, "88.999.1/COIL-2", values("S235"));
  EXPECT_EQ(r.status, 400);
  json body = ResponseJson(r);
  EXPECT_EQ(body["responseCode"], 202);
  EXPECT_EQ(body["field"], "grade");
  EXPECT_EQ(body["message"], "grade: pattern: 'S235' does not match 'Q[0-9]{3}[A-E]?'");
  EXPECT_EQ(PutHandle(api_, "88.999.1/COIL-2", values("Q345")).status, 201);
}

TEST(TemplateRoutesDisabledTest, Answer501) {
  auto store = store::NewMemoryStore({{std::string(ident::Registry::kSpace)}});
  FakeClock clock;
  ident::Registry registry(store.get(), clock, ident::RegistryOptions{});
  MetricsRegistry metrics;
  RestApi api(&registry, &metrics, RestOptions{});
  api.SetAuth(TestCallers());
  net::HttpResponse r = SendAs(api, "GET", kBase, "", "operator");
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(ResponseJson(r)["message"], "identifier templates are not enabled on this node");
}

}  // namespace
}  // namespace qilian::api
