#include "api/rest_api.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>

#include "api/routes.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/mint.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "nlohmann/json.hpp"
#include "store/memory_store.h"

namespace qilian::api {
namespace {

using nlohmann::json;

constexpr char kUrlBody[] =
    R"({"values":[{"index":1,"type":"URL","data":{"format":"string","value":"https://example.com/p"}},)"
    R"({"index":2,"type":"EMAIL","data":"ops@example.com"},)"
    R"({"index":100,"type":"HS_ADMIN","data":{"format":"admin","value":{"handle":"0.NA/88.999","index":200,"permissions":"011111110011"}}}]})";

class RestApiTest : public ::testing::Test {
 protected:
  RestApiTest()
      : store_(store::NewMemoryStore({{std::string(ident::Registry::kSpace)}})),
        registry_(store_.get(), clock_, ident::RegistryOptions{}),
        api_(&registry_, &metrics_, RestOptions{}) {}

  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& body = "", bool loopback = true) {
    net::HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.remote_is_loopback = loopback;
    request.remote_address = loopback ? "127.0.0.1" : "192.0.2.1";
    return api_.Handle(request);
  }

  static json Json(const net::HttpResponse& response) {
    json j = json::parse(response.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << response.body;
    return j;
  }

  // Asserts an error reply exactly.
  static void ExpectError(const net::HttpResponse& response, int http_status, int code,
                          const std::string& message) {
    EXPECT_EQ(response.status, http_status) << response.body;
    EXPECT_EQ(response.content_type, "application/json");
    json body = Json(response);
    EXPECT_EQ(body["responseCode"], code) << response.body;
    EXPECT_EQ(body["message"], message) << response.body;
  }

  // Nothing at all stored under the demo prefix.
  void ExpectNothingStored() {
    auto page = registry_.List("88.999", "", 100);
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_TRUE(page->handles.empty()) << page->handles.front();
  }

  uint64_t Errors(const std::string& reason) {
    return metrics_.GetCounter("qilian_rest_errors_total", "", {{"reason", reason}}).value();
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  ident::Registry registry_;
  MetricsRegistry metrics_;
  RestApi api_;
};

TEST_F(RestApiTest, PutCreatesThenGetResolves) {
  auto put = Send("PUT", "/api/handles/88.999/abc", kUrlBody);
  EXPECT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(Json(put), json::parse(R"({"responseCode":1,"handle":"88.999/abc"})"));

  auto get = Send("GET", "/api/handles/88.999/abc");
  ASSERT_EQ(get.status, 200) << get.body;
  json body = Json(get);
  EXPECT_EQ(body["responseCode"], 1);
  EXPECT_EQ(body["handle"], "88.999/abc");
  ASSERT_EQ(body["values"].size(), 3u);
  EXPECT_EQ(body["values"][0], json::parse(R"({"index":1,"type":"URL",
      "data":{"format":"string","value":"https://example.com/p"},"ttl":86400,
      "permissions":"1110","timestamp":"2023-11-14T22:13:20Z"})"));
  EXPECT_EQ(body["values"][2]["data"]["format"], "admin");
  EXPECT_EQ(body["values"][2]["data"]["value"]["permissions"], "011111110011");
}

TEST_F(RestApiTest, PutReplacesWholeHandle) {
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/abc", kUrlBody).status, 201);
  auto put = Send("PUT", "/api/handles/88.999/abc",
                  R"({"values":[{"index":5,"type":"URL","data":"https://new"}]})");
  EXPECT_EQ(put.status, 200) << put.body;
  json body = Json(Send("GET", "/api/handles/88.999/abc"));
  ASSERT_EQ(body["values"].size(), 1u);
  EXPECT_EQ(body["values"][0]["index"], 5);
}

TEST_F(RestApiTest, OverwriteFalseRefusesExistingHandle) {
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/abc", kUrlBody).status, 201);
  auto put = Send("PUT", "/api/handles/88.999/abc?overwrite=false",
                  R"({"values":[{"index":5,"type":"URL","data":"https://new"}]})");
  ExpectError(put, 409, 101, "handle '88.999/abc' already exists");
  EXPECT_EQ(Json(put)["handle"], "88.999/abc");
  EXPECT_EQ(Json(Send("GET", "/api/handles/88.999/abc"))["values"].size(), 3u);
  // overwrite=false still creates.
  EXPECT_EQ(Send("PUT", "/api/handles/88.999/new?overwrite=false", kUrlBody).status, 201);
}

TEST_F(RestApiTest, PutWithIndexAddsOrReplacesOnlyThoseValues) {
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/abc", kUrlBody).status, 201);
  auto put = Send("PUT", "/api/handles/88.999/abc?index=2&index=3",
                  R"({"values":[{"index":2,"type":"EMAIL","data":"new@example.com"},)"
                  R"({"index":3,"type":"DESC","data":"pump"}]})");
  EXPECT_EQ(put.status, 200) << put.body;
  json values = Json(Send("GET", "/api/handles/88.999/abc"))["values"];
  ASSERT_EQ(values.size(), 4u);
  EXPECT_EQ(values[0]["data"]["value"], "https://example.com/p");
  EXPECT_EQ(values[1]["data"]["value"], "new@example.com");
  EXPECT_EQ(values[2]["data"]["value"], "pump");

  // overwrite=false refuses an existing value with 201.
  auto again = Send("PUT", "/api/handles/88.999/abc?index=3&overwrite=false",
                    R"({"values":[{"index":3,"type":"DESC","data":"other"}]})");
  ExpectError(again, 409, 201, "value index 3 already exists");
  EXPECT_EQ(Json(Send("GET", "/api/handles/88.999/abc?index=3"))["values"][0]["data"]["value"],
            "pump");
}

TEST_F(RestApiTest, PutWithIndexCreatesAbsentHandle) {
  auto put = Send("PUT", "/api/handles/88.999/fresh?index=1",
                  R"({"values":[{"index":1,"type":"URL","data":"u"}]})");
  EXPECT_EQ(put.status, 201) << put.body;
}

TEST_F(RestApiTest, PutWithIndexMustMatchBody) {
  ExpectError(Send("PUT", "/api/handles/88.999/abc?index=1",
                   R"({"values":[{"index":1,"type":"URL","data":"u"},{"index":2,"type":"URL","data":"v"}]})"),
              400, 202, "value index 2 is not among the index parameters");
  ExpectError(Send("PUT", "/api/handles/88.999/abc?index=1&index=4",
                   R"({"values":[{"index":1,"type":"URL","data":"u"}]})"),
              400, 202, "index 4 is listed but the body has no value with it");
  ExpectNothingStored();
  EXPECT_EQ(Errors("bad_value"), 2u);
}

TEST_F(RestApiTest, GetFilters) {
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/abc", kUrlBody).status, 201);
  json values = Json(Send("GET", "/api/handles/88.999/abc?index=100&type=EMAIL"))["values"];
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0]["index"], 2);
  EXPECT_EQ(values[1]["index"], 100);
  ExpectError(Send("GET", "/api/handles/88.999/abc?type=NOPE"), 404, 200,
              "no values match the filter");
}

TEST_F(RestApiTest, DeleteHandleAndValues) {
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/abc", kUrlBody).status, 201);
  auto del = Send("DELETE", "/api/handles/88.999/abc?index=2");
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(Json(del), json::parse(R"({"responseCode":1,"handle":"88.999/abc"})"));
  EXPECT_EQ(Json(Send("GET", "/api/handles/88.999/abc"))["values"].size(), 2u);

  EXPECT_EQ(Send("DELETE", "/api/handles/88.999/abc").status, 200);
  auto get = Send("GET", "/api/handles/88.999/abc");
  ExpectError(get, 404, 100, "handle '88.999/abc' not found");
  EXPECT_EQ(Json(get)["handle"], "88.999/abc");
  ExpectError(Send("DELETE", "/api/handles/88.999/abc"), 404, 100,
              "handle '88.999/abc' not found");
}

TEST_F(RestApiTest, EncodedSlashAndLiteralPlus) {
  ASSERT_EQ(Send("PUT", "/api/handles/88.999%2Fabc", kUrlBody).status, 201);
  EXPECT_EQ(Send("GET", "/api/handles/88.999/abc").status, 200);
  EXPECT_EQ(Send("GET", "/api/handles/88.999%2fabc").status, 200);

  ASSERT_EQ(Send("PUT", "/api/handles/88.999/a+b", kUrlBody).status, 201);
  EXPECT_EQ(Send("GET", "/api/handles/88.999/a%2Bb").status, 200);
  EXPECT_EQ(Send("GET", "/api/handles/88.999/a%20b").status, 404);
  // A suffix may hold '/', and UTF-8.
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/line/7/%E7%A5%81%E8%BF%9E", kUrlBody).status, 201);
  EXPECT_EQ(Json(Send("GET", "/api/handles/88.999/line/7/%E7%A5%81%E8%BF%9E"))["handle"],
            "88.999/line/7/\xe7\xa5\x81\xe8\xbf\x9e");
}

struct BadCase {
  std::string method;
  std::string target;
  std::string body;
  int http_status;
  int code;
  std::string message;
  std::string reason;
};

TEST_F(RestApiTest, BadInputIsRejectedExactlyAndStoresNothing) {
  const std::string long_suffix(1100, 'x');
  const BadCase cases[] = {
      // Bodies.
      {"PUT", "/api/handles/88.999/a", R"({"values":[{"index":1,"type":"URL","data":)", 400, 4,
       "body: malformed JSON at byte 43", "malformed_json"},
      {"PUT", "/api/handles/88.999/a", "", 400, 4, "body: empty", "malformed_json"},
      {"PUT", "/api/handles/88.999/a", std::string(1000, '['), 400, 4,
       "body: nested deeper than 64 levels", "malformed_json"},
      {"PUT", "/api/handles/88.999/a",
       R"({"values":[{"index":1,"type":"URL","data":{"format":"foo","value":"x"}}]})", 400, 202,
       "values[0].data.format: unknown data format 'foo'", "bad_value"},
      {"PUT", "/api/handles/88.999/a", R"({"values":[{"index":"1","type":"URL","data":"x"}]})",
       400, 202, "values[0].index: expected an integer", "bad_value"},
      {"PUT", "/api/handles/88.999/a", R"({"values":"all"})", 400, 202,
       "values: expected an array", "bad_value"},
      {"PUT", "/api/handles/88.999/a",
       R"({"values":[{"index":1,"type":"URL","data":"x"},{"index":0,"type":"URL","data":"y"}]})",
       400, 202, "values[1].index: 0 is out of range 1..2147483647", "bad_value"},
      {"PUT", "/api/handles/88.999/a",
       R"({"values":[{"index":1,"type":"URL","data":"x"},{"index":1,"type":"URL","data":"y"}]})",
       400, 202, "values[1].index: duplicate index 1", "bad_value"},
      {"PUT", "/api/handles/88.999/a",
       R"({"values":[{"index":1,"type":"URL","data":{"format":"base64","value":"@@"}}]})", 400,
       202, "values[0].data.value: invalid base64", "bad_value"},
      // Handles.
      {"PUT", "/api/handles/88.999/%FF", kUrlBody, 400, 102, "handle is not valid UTF-8",
       "bad_handle"},
      {"PUT", "/api/handles/88.999/a%01b", kUrlBody, 400, 102,
       "handle contains a control character", "bad_handle"},
      {"PUT", "/api/handles/88.999/a%00b", kUrlBody, 400, 102,
       "handle contains a control character", "bad_handle"},
      {"PUT", "/api/handles/88.999/" + long_suffix, kUrlBody, 400, 102,
       "handle is longer than 1024 bytes", "bad_handle"},
      {"PUT", "/api/handles/88.999", kUrlBody, 400, 102,
       "handle has no '/' between prefix and suffix", "bad_handle"},
      // Percent-encoding tricks and traversal.
      {"PUT", "/api/handles/88.999/a%zz", kUrlBody, 400, 102,
       "handle has an invalid percent-escape", "bad_handle"},
      {"PUT", "/api/handles/88.999/a%2", kUrlBody, 400, 102,
       "handle has an invalid percent-escape", "bad_handle"},
      {"PUT", "/api/handles/88.999/a%", kUrlBody, 400, 102,
       "handle has an invalid percent-escape", "bad_handle"},
      {"PUT", "/api/handles/88.999%252Fa", kUrlBody, 400, 102,
       "handle has no '/' between prefix and suffix", "bad_handle"},
      {"PUT", "/api/handles/88.999/../a", kUrlBody, 400, 102,
       "handle must not contain '.' or '..' path segments", "bad_handle"},
      {"PUT", "/api/handles/88.999/%2E%2E/a", kUrlBody, 400, 102,
       "handle must not contain '.' or '..' path segments", "bad_handle"},
      {"PUT", "/api/handles/88.999%2F..%2Fa", kUrlBody, 400, 102,
       "handle must not contain '.' or '..' path segments", "bad_handle"},
      {"PUT", "/api/handles/../88.999/a", kUrlBody, 400, 102,
       "handle must not contain '.' or '..' path segments", "bad_handle"},
      {"PUT", "/api/handles/88.999/./a", kUrlBody, 400, 102,
       "handle must not contain '.' or '..' path segments", "bad_handle"},
      {"PUT", "/api/handles/88.999/a/..", kUrlBody, 400, 102,
       "handle must not contain '.' or '..' path segments", "bad_handle"},
      // Query strings.
      {"PUT", "/api/handles/88.999/a?foo=1", kUrlBody, 400, 4, "unknown query parameter 'foo'",
       "unknown_param"},
      {"PUT", "/api/handles/88.999/a?type=URL", kUrlBody, 400, 4,
       "unknown query parameter 'type'", "unknown_param"},
      {"PUT", "/api/handles/88.999/a?index=0", kUrlBody, 400, 4,
       "index must be an integer in 1..2147483647, got '0'", "bad_param"},
      {"PUT", "/api/handles/88.999/a?index=2147483648", kUrlBody, 400, 4,
       "index must be an integer in 1..2147483647, got '2147483648'", "bad_param"},
      {"PUT", "/api/handles/88.999/a?index=x", kUrlBody, 400, 4,
       "index must be an integer in 1..2147483647, got 'x'", "bad_param"},
      {"PUT", "/api/handles/88.999/a?index=+1", kUrlBody, 400, 4,
       "index must be an integer in 1..2147483647, got ' 1'", "bad_param"},
      {"PUT", "/api/handles/88.999/a?index=1&index=1", kUrlBody, 400, 4,
       "index 1 is given more than once", "bad_param"},
      {"PUT", "/api/handles/88.999/a?overwrite=yes", kUrlBody, 400, 4,
       "overwrite must be 'true' or 'false', got 'yes'", "bad_param"},
      {"PUT", "/api/handles/88.999/a?overwrite=true&overwrite=false", kUrlBody, 400, 4,
       "overwrite is given more than once", "bad_param"},
      {"PUT", "/api/handles/88.999/a?index=%zz", kUrlBody, 400, 4,
       "query has an invalid percent-escape", "bad_param"},
      // Authority.
      {"PUT", "/api/handles/10.1234/a", kUrlBody, 400, 301,
       "this node is not responsible for prefix '10.1234'", "not_responsible"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.method + " " + c.target);
    uint64_t before = Errors(c.reason);
    bool remote = c.method.rfind("REMOTE-", 0) == 0;
    std::string method = remote ? c.method.substr(7) : c.method;
    auto response = Send(method, c.target, c.body, !remote);
    ExpectError(response, c.http_status, c.code, c.message);
    EXPECT_EQ(Errors(c.reason), before + 1);
    ExpectNothingStored();
    EXPECT_EQ(Send("GET", "/api/handles/88.999/a").status, 404);
  }
}

TEST_F(RestApiTest, GetQueryErrors) {
  ExpectError(Send("GET", "/api/handles/88.999/a?overwrite=true"), 400, 4,
              "unknown query parameter 'overwrite'");
  ExpectError(Send("GET", "/api/handles/88.999/a?type="), 400, 4, "type must not be empty");
  ExpectError(Send("DELETE", "/api/handles/88.999/a?type=URL"), 400, 4,
              "unknown query parameter 'type'");
}

TEST_F(RestApiTest, UnknownRouteAndMethod) {
  auto r = Send("GET", "/x?y=1");
  ExpectError(r, 404, 5, "no route for GET /x");
  EXPECT_EQ(Errors("no_route"), 1u);
  // Bytes that are not UTF-8 in an unknown path are replaced, not thrown on.
  ExpectError(Send("GET", "/\xff"), 404, 5, "no route for GET /\xef\xbf\xbd");
  ExpectError(Send("GET", "/api/handle"), 404, 5, "no route for GET /api/handle");
  r = Send("PATCH", "/api/handles/88.999/a", kUrlBody);
  ExpectError(r, 405, 5,
              "method PATCH is not allowed on /api/handles/{handle}; allowed: GET, PUT, POST, DELETE");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0],
            (std::pair<std::string, std::string>("Allow", "GET, PUT, POST, DELETE")));
  ExpectError(Send("DELETE", "/healthz"), 405, 5,
              "method DELETE is not allowed on /healthz; allowed: GET");
  EXPECT_EQ(Errors("method_not_allowed"), 2u);
  ExpectNothingStored();
}

// The handle a mint answered with, checked to be `stem` plus a lower-case
// version-4 UUID.
std::string MintedHandle(const json& body, const std::string& stem) {
  EXPECT_EQ(body["responseCode"], 1) << body;
  std::string handle = body.value("handle", "");
  EXPECT_EQ(handle.substr(0, stem.size()), stem) << handle;
  std::string suffix = handle.size() > stem.size() ? handle.substr(stem.size()) : "";
  EXPECT_EQ(suffix.size(), ident::kMintedSuffixBytes) << handle;
  EXPECT_EQ(suffix.find_first_not_of("0123456789abcdef-"), std::string::npos) << handle;
  EXPECT_EQ(suffix.substr(14, 1), "4") << handle;
  return handle;
}

TEST_F(RestApiTest, PostMintsAHandleUnderTheStem) {
  auto first = Send("POST", "/api/handles/88.999/", kUrlBody);
  ASSERT_EQ(first.status, 201) << first.body;
  json body = Json(first);
  EXPECT_EQ(body.size(), 2u) << first.body;  // responseCode and handle only
  const std::string a = MintedHandle(body, "88.999/");
  auto second = Send("POST", "/api/handles/88.999%2FP-", kUrlBody);
  ASSERT_EQ(second.status, 201) << second.body;
  const std::string b = MintedHandle(Json(second), "88.999/P-");
  EXPECT_NE(a, b);
  for (const std::string& handle : {a, b}) {
    auto get = Send("GET", "/api/handles/" + handle);
    ASSERT_EQ(get.status, 200) << get.body;
    EXPECT_EQ(Json(get)["handle"], handle);
    EXPECT_EQ(Json(get)["values"].size(), 3u);
  }
  auto page = registry_.List("88.999", "", 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->handles.size(), 2u);
  EXPECT_EQ(metrics_
                .GetCounter("qilian_http_requests_total", "",
                            {{"route", "handle"}, {"method", "POST"}, {"code", "201"}})
                .value(),
            2u);
}

TEST_F(RestApiTest, PutWithMintNewSuffixMintsAsHandleNetDoes) {
  auto put = Send("PUT", "/api/handles/88.999/?overwrite=false&mintNewSuffix=true", kUrlBody);
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string minted = MintedHandle(Json(put), "88.999/");
  EXPECT_EQ(Send("GET", "/api/handles/" + minted).status, 200);
  // overwrite (true by default for PUT) does not apply to a mint.
  put = Send("PUT", "/api/handles/88.999/x-?mintNewSuffix=true", kUrlBody);
  ASSERT_EQ(put.status, 201) << put.body;
  MintedHandle(Json(put), "88.999/x-");
  // mintNewSuffix=false is a plain PUT of the path, which needs a suffix.
  ExpectError(Send("PUT", "/api/handles/88.999/?mintNewSuffix=false", kUrlBody), 400, 102,
              "suffix is empty");
}

TEST_F(RestApiTest, MintRefusals) {
  ExpectError(Send("PUT", "/api/handles/88.999/?mintNewSuffix=yes", kUrlBody), 400, 4,
              "mintNewSuffix must be 'true' or 'false', got 'yes'");
  ExpectError(Send("PUT", "/api/handles/88.999/?mintNewSuffix=true&index=1", kUrlBody), 400, 4,
              "mintNewSuffix cannot be combined with index");
  ExpectError(Send("POST", "/api/handles/88.999/?overwrite=false", kUrlBody), 400, 4,
              "unknown query parameter 'overwrite'");
  ExpectError(Send("POST", "/api/handles/88.999/", ""), 400, 4, "body: empty");
  ExpectError(Send("POST", "/api/handles/88.999/../", kUrlBody), 400, 102,
              "handle must not contain '.' or '..' path segments");
  // A stem without '/' is not minted under: it is refused as a handle.
  auto r = Send("POST", "/api/handles/88.999", kUrlBody);
  ExpectError(r, 400, 102, "handle has no '/' between prefix and suffix");
  EXPECT_EQ(Json(r)["handle"], "88.999");
  // A prefix this node does not serve: 301, naming the stem as sent.
  r = Send("POST", "/api/handles/10.1234/", kUrlBody);
  ExpectError(r, 400, 301, "this node is not responsible for prefix '10.1234'");
  EXPECT_EQ(Json(r)["handle"], "10.1234/");
  ExpectNothingStored();
}

TEST_F(RestApiTest, HealthzMetricsOpenApi) {
  auto health = Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Json(health), json::parse(R"({"status":"ok"})"));
  ExpectError(Send("GET", "/healthz?verbose=1"), 400, 4, "unknown query parameter 'verbose'");

  Send("PUT", "/api/handles/88.999/a", "{");
  auto metrics = Send("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4");
  EXPECT_NE(metrics.body.find("qilian_rest_errors_total"), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find("malformed_json"), std::string::npos) << metrics.body;
  EXPECT_EQ(metrics_
                .GetCounter("qilian_http_requests_total", "",
                            {{"route", "healthz"}, {"method", "GET"}, {"code", "200"}})
                .value(),
            1u);
  EXPECT_EQ(metrics_
                .GetCounter("qilian_http_requests_total", "",
                            {{"route", "handle"}, {"method", "PUT"}, {"code", "400"}})
                .value(),
            1u);
}

TEST_F(RestApiTest, OpenApiDescribesEveryRoute) {
  auto response = Send("GET", "/api/openapi.json");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  json doc = Json(response);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  const json& paths = doc["paths"];
  for (const RouteInfo& route : Routes()) {
    std::string path(route.path);
    ASSERT_TRUE(paths.contains(path)) << path;
    for (std::string_view method : route.methods) {
      std::string lower(method);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      EXPECT_TRUE(paths[path].contains(lower)) << path << " " << lower;
    }
  }
  // And nothing documented that the router does not serve.
  for (const auto& [path, ops] : paths.items()) {
    auto it = std::find_if(Routes().begin(), Routes().end(),
                           [&](const RouteInfo& r) { return r.path == path; });
    ASSERT_NE(it, Routes().end()) << path;
    for (const auto& [op, unused] : ops.items()) {
      if (op == "parameters") continue;
      std::string upper = op;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return std::toupper(c); });
      EXPECT_NE(std::find(it->methods.begin(), it->methods.end(), upper), it->methods.end())
          << path << " " << op;
    }
  }
}

TEST_F(RestApiTest, ListPagesAndCursor) {
  for (const char* name : {"e", "a", "c", "b", "d"}) {
    ASSERT_EQ(Send("PUT", std::string("/api/handles/88.999/") + name, kUrlBody).status, 201);
  }
  ASSERT_EQ(Send("PUT", "/api/handles/88.999.1/z", kUrlBody).status, 201);  // derived prefix

  auto first = Send("GET", "/api/handles?prefix=88.999&page=0&pageSize=2");
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Json(first), json::parse(R"({"responseCode":1,"prefix":"88.999","page":0,
      "pageSize":2,"handles":["88.999/a","88.999/b"],"more":true})"));
  json second = Json(Send("GET", "/api/handles?prefix=88.999&page=1&pageSize=2"));
  EXPECT_EQ(second["handles"], json::parse(R"(["88.999/c","88.999/d"])"));
  json third = Json(Send("GET", "/api/handles?prefix=88.999&page=2&pageSize=2"));
  EXPECT_EQ(third["handles"], json::parse(R"(["88.999/e"])"));
  EXPECT_EQ(third["more"], false);
  json beyond = Json(Send("GET", "/api/handles?prefix=88.999&page=7&pageSize=2"));
  EXPECT_EQ(beyond["handles"], json::array());
  EXPECT_EQ(beyond["more"], false);

  json after = Json(Send("GET", "/api/handles?prefix=88.999&after=88.999%2Fb&pageSize=2"));
  EXPECT_EQ(after, json::parse(R"({"responseCode":1,"prefix":"88.999","after":"88.999/b",
      "pageSize":2,"handles":["88.999/c","88.999/d"],"more":true})"));
  json all = Json(Send("GET", "/api/handles?prefix=88.999"));
  EXPECT_EQ(all["pageSize"], 100);
  EXPECT_EQ(all["handles"].size(), 5u);
}

TEST_F(RestApiTest, ListErrors) {
  ExpectError(Send("GET", "/api/handles"), 400, 4, "prefix is required");
  ExpectError(Send("GET", "/api/handles?prefix=88.999&pageSize=0"), 400, 4,
              "pageSize must be an integer in 1..10000, got '0'");
  ExpectError(Send("GET", "/api/handles?prefix=88.999&pageSize=10001"), 400, 4,
              "pageSize must be an integer in 1..10000, got '10001'");
  ExpectError(Send("GET", "/api/handles?prefix=88.999&page=-1"), 400, 4,
              "page must be an integer in 0..2147483647, got '-1'");
  ExpectError(Send("GET", "/api/handles?prefix=88.999&page=1&after=88.999/a"), 400, 4,
              "page and after cannot be combined");
  ExpectError(Send("GET", "/api/handles?prefix=88.999&sort=asc"), 400, 4,
              "unknown query parameter 'sort'");
  ExpectError(Send("GET", "/api/handles?prefix=88.999&prefix=88.998"), 400, 4,
              "prefix is given more than once");
  ExpectError(Send("GET", "/api/handles?prefix="), 400, 102, "prefix is empty");
  ExpectError(Send("GET", "/api/handles?prefix=10.1234"), 400, 301,
              "this node is not responsible for prefix '10.1234'");
  ExpectError(Send("GET", "/api/handles?prefix=88.999&after=88.998/x"), 400, 102,
              "'after' handle '88.998/x' is not under prefix '88.999'");
}

TEST_F(RestApiTest, GetReturnsOnlyPublicValues) {
  // Until authentication, every reader is anonymous: a value without public
  // read ("1100": admin read and write only) is stored but never returned.
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/abc",
                 R"({"values":[{"index":1,"type":"URL","data":"https://p"},)"
                 R"({"index":2,"type":"EMAIL","data":"secret@example.com","permissions":"1100"}]})")
                .status,
            201);
  json values = Json(Send("GET", "/api/handles/88.999/abc"))["values"];
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0]["index"], 1);
  // Asking for it by index or type looks exactly like asking for nothing.
  ExpectError(Send("GET", "/api/handles/88.999/abc?index=2"), 404, 200,
              "no values match the filter");
  ExpectError(Send("GET", "/api/handles/88.999/abc?type=EMAIL"), 404, 200,
              "no values match the filter");
  auto record = registry_.Get("88.999/abc", {});
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->values.size(), 2u);
}

TEST_F(RestApiTest, SharesTheProcessorWithTheNativeFrontDoors) {
  ident::ProcessorOptions options;
  options.max_page_size = 3;
  options.default_page_size = 2;
  ident::Processor processor(&registry_, &metrics_, options);
  RestApi api(&processor, &metrics_);
  net::HttpRequest put;
  put.method = "PUT";
  put.target = "/api/handles/88.999/abc";
  put.body = kUrlBody;
  put.remote_is_loopback = false;
  put.remote_address = "192.0.2.1";
  EXPECT_EQ(api.Handle(put).status, 201);
  net::HttpRequest get;
  get.method = "GET";
  get.target = "/api/handles/88.999/abc";
  EXPECT_EQ(api.Handle(get).status, 200);
  // Page sizes come from the processor's options too.
  get.target = "/api/handles?prefix=88.999";
  EXPECT_EQ(Json(api.Handle(get))["pageSize"], 2);
  get.target = "/api/handles?prefix=88.999&pageSize=4";
  ExpectError(api.Handle(get), 400, 4, "pageSize must be an integer in 1..3, got '4'");
  EXPECT_EQ(metrics_
                .GetCounter("qilian_ident_requests_total", "",
                            {{"op", "resolution"}, {"transport", "http"}})
                .value(),
            1u);
  EXPECT_EQ(metrics_
                .GetCounter("qilian_ident_requests_total", "",
                            {{"op", "create_handle"}, {"transport", "http"}})
                .value(),
            1u);
}

// A derived prefix homed on another site: 421 with code 303 and the site
// values to follow (docs/api.md), for reads and writes alike.
TEST_F(RestApiTest, PrefixReferralIs421WithTheSiteValues) {
  constexpr char kSiteBody[] =
      R"({"values":[{"index":1,"type":"HS_SITE","data":{"format":"site","value":{"servers":[)"
      R"({"serverId":1,"address":"127.0.0.1","interfaces":[{"type":"both","protocol":"TCP","port":3641}]}]}}}]})";
  ASSERT_EQ(Send("PUT", "/api/handles/0.NA/88.999.7", kSiteBody).status, 201);
  for (const char* method : {"GET", "PUT", "DELETE"}) {
    SCOPED_TRACE(method);
    auto r = Send(method, "/api/handles/88.999.7/PUMP-1",
                  std::string(method) == "PUT" ? kUrlBody : "");
    ExpectError(r, 421, 303, "prefix '88.999.7' is served by another site (see 0.NA/88.999.7)");
    json body = Json(r);
    EXPECT_EQ(body["handle"], "88.999.7/PUMP-1");
    EXPECT_EQ(body["referral"]["handle"], "0.NA/88.999.7");
    ASSERT_EQ(body["referral"]["values"].size(), 1u);
    EXPECT_EQ(body["referral"]["values"][0]["type"], "HS_SITE");
    EXPECT_EQ(body["referral"]["values"][0]["data"]["value"]["servers"][0]["interfaces"][0]["port"],
              3641);
  }
  // Nothing was created under the referred prefix.
  EXPECT_EQ(registry_.Get("88.999.7/PUMP-1", {}).status().code(), absl::StatusCode::kNotFound);
}

TEST(RestApiStaticTest, MayBlockOnWrites) {
  net::HttpRequest request;
  for (const char* method : {"PUT", "POST", "DELETE"}) {
    request.method = method;
    EXPECT_TRUE(RestApi::MayBlock(request)) << method;
  }
  for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
    request.method = method;
    EXPECT_FALSE(RestApi::MayBlock(request)) << method;
  }
}

}  // namespace
}  // namespace qilian::api
