// The sensor and security event routes through RestApi::Handle, over a
// memory store, with the fixed test callers of test_callers.h
// ("admin:88.999.1" is staff of enterprise 1, "admin:88.999.2" of
// enterprise 2) and real sensor tokens.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/rest_api.h"
#include "api/test_callers.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/registry.h"
#include "nlohmann/json.hpp"
#include "platform/tsdb/line_protocol/body.h"
#include "security/events/event_store.h"
#include "security/events/sensor_registry.h"
#include "store/fault_store.h"
#include "store/memory_store.h"
#include "tenant/enterprise_registry.h"
#include "tenant/test_enterprises.h"

namespace qilian::api {
namespace {

using nlohmann::json;
namespace sec = security::events;

std::string Line(const std::string& id, const std::string& ts = "2023-11-14T22:00:00.5Z",
                 const std::string& proto = "modbus") {
  return absl::StrCat(
      R"({"ts":")", ts, R"(","flow":3,"proto":")", proto,
      R"(","orig_h":"10.1.0.5","orig_p":50412,"resp_h":"10.1.0.9","resp_p":502,"unit":1,"func":"read_coils","id":")",
      id, "\"}");
}

class SecurityRoutesTest : public ::testing::Test {
 protected:
  SecurityRoutesTest()
      : store_(store::NewMemoryStore(
            {{std::string(ident::Registry::kSpace), std::string(tenant::EnterpriseRegistry::kSpace),
              std::string(sec::kSecuritySpace)}})),
        faulty_(store_.get()),
        registry_(store_.get(), clock_, ident::RegistryOptions{}),
        enterprises_(store_.get(), &registry_, clock_, tenant::TestEnterpriseOptions()),
        sensors_(&faulty_, clock_),
        events_(&faulty_, &sensors_, clock_),
        api_(&registry_, &metrics_, RestOptions{}) {
    api_.SetEnterprises(&enterprises_);
    api_.SetSecurityEvents(&sensors_, &events_);
    RestAuthOptions auth = TestCallers();
    auth.credentials.sensor = [this](std::string_view token) {
      return sensors_.Authenticate(token);
    };
    api_.SetAuth(std::move(auth));
    tenant::RegisterTwoTestEnterprises(enterprises_);
  }

  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& body = "",
                         const std::string& bearer = "admin:88.999.1") {
    return SendAs(api_, method, target, body, bearer);
  }

  net::HttpResponse Post(const std::string& token, const std::string& body,
                         const std::string& type = "application/x-ndjson",
                         const std::string& encoding = "") {
    net::HttpRequest request;
    request.method = "POST";
    request.target = "/api/security/events";
    request.body = body;
    request.remote_address = "192.0.2.1";
    request.headers.emplace_back("authorization", "Bearer " + token);
    if (!type.empty()) request.headers.emplace_back("content-type", type);
    if (!encoding.empty()) request.headers.emplace_back("content-encoding", encoding);
    return api_.Handle(request);
  }

  // Registers a sensor of enterprise 1 (or `as`'s); {id, token}.
  std::pair<std::string, std::string> Register(const std::string& name,
                                               const std::string& as = "admin:88.999.1",
                                               int enterprise = 1) {
    auto r = Send("POST", absl::StrCat("/api/enterprises/", enterprise, "/sensors"),
                  json({{"name", name}}).dump(), as);
    EXPECT_EQ(r.status, 201) << r.body;
    json j = ResponseJson(r);
    return {j["id"], j["token"]};
  }

  double Counter(const std::string& name, const std::string& value) {
    return metrics_.GetCounter(name, "", {{"result", value}}).value();
  }

  FakeClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<store::KvStore> store_;
  store::FaultInjectingStore faulty_;  // under the sensors and events
  ident::Registry registry_;
  tenant::EnterpriseRegistry enterprises_;
  sec::SensorRegistry sensors_;
  sec::EventStore events_;
  RestApi api_;
};

TEST_F(SecurityRoutesTest, RegisterListShowRotateDelete) {
  auto created = Send("POST", "/api/enterprises/1/sensors",
                      R"({"name":"plant-1-line-3","description":"line 3 span port"})");
  ASSERT_EQ(created.status, 201) << created.body;
  json reply = ResponseJson(created);
  const std::string id = reply["id"];
  const std::string token = reply["token"];
  EXPECT_EQ(token.substr(0, 4), "qsn.");
  json expected = {{"responseCode", 1},        {"id", id},
                   {"name", "plant-1-line-3"}, {"description", "line 3 span port"},
                   {"enterprise", 1},          {"created", "2023-11-14T22:13:20Z"},
                   {"last_seen", nullptr},     {"events_received", 0},
                   {"last_event_ts", nullptr}, {"token", token}};
  EXPECT_EQ(reply, expected);
  expected.erase("token");
  json listed = expected;
  listed.erase("responseCode");
  EXPECT_EQ(ResponseJson(Send("GET", "/api/enterprises/1/sensors")),
            json({{"responseCode", 1}, {"sensors", {listed}}}));
  EXPECT_EQ(ResponseJson(Send("GET", "/api/enterprises/1/sensors/" + id, "", "auditor")), expected);
  EXPECT_EQ(ResponseJson(Send("GET", "/api/enterprises/1/sensors/" + id, "", "member:88.999.1")),
            expected);

  auto rotated = Send("POST", "/api/enterprises/1/sensors/" + id + "/token", "", "operator");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  const std::string token2 = ResponseJson(rotated)["token"];
  EXPECT_NE(token2, token);
  ExpectErrorResponse(Post(token, Line("1")), 401, 403, "", "sensor token is not valid");
  EXPECT_EQ(Post(token2, Line("1")).status, 200);

  EXPECT_EQ(ResponseJson(Send("DELETE", "/api/enterprises/1/sensors/" + id)),
            json({{"responseCode", 1}, {"deleted", id}}));
  ExpectErrorResponse(Send("GET", "/api/enterprises/1/sensors/" + id), 404, 100, "",
                      "sensor '" + id + "' not found");
  ExpectErrorResponse(Post(token2, Line("2")), 401, 403, "", "sensor token is not valid");
}

TEST_F(SecurityRoutesTest, WhoMayManageSensors) {
  auto [id, token] = Register("a");
  // Another enterprise's staff: as if it did not exist.
  ExpectErrorResponse(Send("GET", "/api/enterprises/1/sensors", "", "admin:88.999.2"), 404, 100, "",
                      "enterprise 1 not found");
  ExpectErrorResponse(Send("GET", "/api/enterprises/2/sensors/" + id, "", "admin:88.999.2"), 404,
                      100, "", "sensor '" + id + "' not found");
  ExpectErrorResponse(
      Send("POST", "/api/enterprises/1/sensors", R"({"name":"b"})", "member:88.999.1"), 403, 401,
      "", "user:member:88.999.1 is an enterprise member and may not manage sensors");
  ExpectErrorResponse(Send("POST", "/api/enterprises/1/sensors", R"({"name":"b"})", "auditor"), 403,
                      401, "", "user:auditor is an auditor and may not change sensors");
  ExpectErrorResponse(Send("POST", "/api/enterprises/1/sensors", R"({"name":"b"})", ""), 401, 402,
                      "", "authentication required");
  ExpectErrorResponse(Send("POST", "/api/enterprises/1/sensors", R"({"name":"a"})"), 409, 101, "",
                      "enterprise 1 already has a sensor named 'a'");
  ExpectErrorResponse(Send("POST", "/api/enterprises/1/sensors", R"({"name":"b","x":1})"), 400, 202,
                      "x", "x: is not a known field");
  ExpectErrorResponse(Send("POST", "/api/enterprises/1/sensors", R"({})"), 400, 202, "name",
                      "name: is required");
  ExpectErrorResponse(Send("POST", "/api/enterprises/9/sensors", R"({"name":"b"})", "operator"),
                      404, 100, "", "enterprise 9 not found");
  EXPECT_EQ(Send("POST", "/api/enterprises/2/sensors", R"({"name":"b"})", "operator").status, 201);
}

TEST_F(SecurityRoutesTest, SensorTokenOnlyPostsEvents) {
  auto [id, token] = Register("a");
  const std::string refusal = "sensor:" + id + " is a sensor: it may only post events";
  ExpectErrorResponse(Send("GET", "/api/security/events", "", token), 403, 401, "", refusal);
  ExpectErrorResponse(Send("GET", "/api/enterprises/1/sensors", "", token), 403, 401, "", refusal);
  ExpectErrorResponse(Send("POST", "/api/enterprises/1/sensors", R"({"name":"x"})", token), 403,
                      401, "", refusal);
  ExpectErrorResponse(Send("GET", "/api/handles/88.999.1/x", "", token), 403, 401, "", refusal);
  ExpectErrorResponse(Send("GET", "/api/enterprises/1", "", token), 403, 401, "", refusal);
  // And a console user does not post events.
  auto r = Post("admin:88.999.1", Line("1"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ResponseJson(r)["error"],
            "user:admin:88.999.1 is not a sensor: only sensors post events");
}

TEST_F(SecurityRoutesTest, DeliveryIsAllOrNothingAndIdempotent) {
  auto [id, token] = Register("a");
  std::string body;
  for (int i = 1; i <= 16; ++i) body += Line(absl::StrCat("s1:", i)) + "\n";
  const std::string good = body;
  body += Line("s1:17", "2023-11-14 22:00:00Z") + "\n" + Line("s1:18") + "\n";
  auto refused = Post(token, body);
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(ResponseJson(refused), json({{"responseCode", 4},
                                         {"message", "line 17: ts: not an RFC 3339 time"},
                                         {"error", "line 17: ts: not an RFC 3339 time"},
                                         {"line", 17}}));
  EXPECT_EQ(Counter("qilian_security_events_total", "refused"), 18);
  EXPECT_EQ(Counter("qilian_security_event_requests_total", "refused"), 1);
  EXPECT_EQ(ResponseJson(Send("GET", "/api/security/events"))["events"].size(), 0u);

  auto ok = Post(token, good);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.body, R"({"accepted":16,"duplicates":0})");
  // The replay after a lost answer stores nothing twice; gzip is the same body.
  auto replay = Post(token, platform::lp::Gzip(good), "application/json; charset=utf-8", "gzip");
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.body, R"({"accepted":0,"duplicates":16})");
  EXPECT_EQ(Counter("qilian_security_events_total", "accepted"), 16);
  EXPECT_EQ(Counter("qilian_security_events_total", "duplicate"), 16);
  json page = ResponseJson(Send("GET", "/api/security/events?limit=1000"));
  EXPECT_EQ(page["events"].size(), 16u);
  json sensor = ResponseJson(Send("GET", "/api/enterprises/1/sensors/" + id));
  EXPECT_EQ(sensor["events_received"], 16);
  EXPECT_EQ(sensor["last_event_ts"], "2023-11-14T22:00:00.5Z");
  EXPECT_EQ(sensor["last_seen"], "2023-11-14T22:13:20Z");
}

TEST_F(SecurityRoutesTest, AStorageFailureIs500AndStoresNothing) {
  auto [id, token] = Register("a");
  faulty_.FailNthWrite(1, absl::UnavailableError("disk gone"));
  auto r = Post(token, Line("1") + "\n" + Line("2"));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(ResponseJson(r), json({{"responseCode", 2},
                                   {"message", "security events: disk gone"},
                                   {"error", "security events: disk gone"}}));
  EXPECT_EQ(Counter("qilian_security_event_requests_total", "error"), 1);
  EXPECT_EQ(ResponseJson(Send("GET", "/api/security/events"))["events"].size(), 0u);
  // The sender's retry stores the batch: nothing of it was a duplicate.
  EXPECT_EQ(Post(token, Line("1") + "\n" + Line("2")).body, R"({"accepted":2,"duplicates":0})");
}

TEST_F(SecurityRoutesTest, BodyRefusals) {
  auto [id, token] = Register("a");
  auto r = Post(token, Line("1"), "text/plain");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(ResponseJson(r)["error"],
            "request body must be events, one JSON object a line (Content-Type: "
            "application/x-ndjson)");
  r = Post(token, Line("1"), "application/x-ndjson", "br");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(ResponseJson(r)["error"],
            "Content-Encoding 'br' is not supported: use gzip or identity");
  r = Post(token, "not gzip", "application/x-ndjson", "gzip");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(ResponseJson(r)["error"], "gzip: corrupt stream (incorrect header check)");
  // A small gzip body that inflates past 8 MiB.
  r = Post(token, platform::lp::Gzip(std::string(sec::kMaxBatchBytes + 1, '\n')),
           "application/x-ndjson", "gzip");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(ResponseJson(r)["error"],
            "request body is over 8388608 bytes (after decompression), over the limit of 8388608");
  std::string many;
  for (int i = 0; i <= 10000; ++i) many += Line(absl::StrCat("e", i)) + "\n";
  r = Post(token, many);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(ResponseJson(r)["error"],
            "request holds more than 10000 events, over the limit of 10000");
  r = Send("POST", "/api/security/events", Line("1"), "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Counter("qilian_security_event_requests_total", "too_large"), 2);
}

TEST_F(SecurityRoutesTest, QueriesAreScopedToTheEnterprise) {
  auto [a, token_a] = Register("a");
  auto [c, token_c] = Register("c", "admin:88.999.2", 2);
  ASSERT_EQ(Post(token_a, Line("1", "2023-11-14T21:00:00Z") + "\n" +
                              Line("2", "2023-11-14T21:30:00Z", "dnp3") + "\n" +
                              Line("3", "2023-11-14T22:00:00Z"))
                .status,
            200);
  ASSERT_EQ(Post(token_c, Line("1", "2023-11-14T21:10:00Z")).status, 200);
  auto ids = [&](const std::string& query, const std::string& as) {
    auto r = Send("GET", "/api/security/events" + query, "", as);
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::string> out;
    const json page = ResponseJson(r);
    for (const json& e : page["events"]) {
      out.push_back(absl::StrCat(e["enterprise"].get<int>(), "/", e["id"].get<std::string>()));
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids("", "admin:88.999.1"), (V{"1/3", "1/2", "1/1"}));
  EXPECT_EQ(ids("", "member:88.999.2"), V{"2/1"});
  EXPECT_EQ(ids("", "auditor"), (V{"1/3", "1/2", "2/1", "1/1"}));
  EXPECT_EQ(ids("?enterprise=2", "operator"), V{"2/1"});
  EXPECT_EQ(ids("?protocol=modbus", "admin:88.999.1"), (V{"1/3", "1/1"}));
  EXPECT_EQ(ids("?sensor=" + c, "admin:88.999.1"), V{});  // not theirs: nothing
  EXPECT_EQ(ids("?sensor=" + c, "operator"), V{"2/1"});
  EXPECT_EQ(ids("?from=2023-11-14T21:00:00Z&to=2023-11-14T22:00:00Z", "admin:88.999.1"),
            (V{"1/2", "1/1"}));
  ExpectErrorResponse(Send("GET", "/api/security/events?enterprise=1", "", "admin:88.999.2"), 404,
                      100, "", "enterprise 1 not found");
  ExpectErrorResponse(Send("GET", "/api/security/events?from=yesterday"), 400, 4, "",
                      "from must be an RFC 3339 UTC time (2026-12-07T16:00:00Z), got 'yesterday'");
  ExpectErrorResponse(Send("GET", "/api/security/events?limit=1001"), 400, 4, "",
                      "limit must be an integer in 1..1000, got '1001'");
  ExpectErrorResponse(Send("GET", "/api/security/events?protocol=Mod"), 400, 4, "",
                      "protocol must be 1 to 32 of [a-z0-9_-], got 'Mod'");
  ExpectErrorResponse(Send("GET", "/api/security/events?cursor=zz"), 400, 4, "",
                      "cursor is not one this node gave");
  ExpectErrorResponse(Send("GET", "/api/security/events?x=1"), 400, 4, "",
                      "unknown query parameter 'x'");

  // Pages: the cursor continues where the last page ended.
  auto first = ResponseJson(Send("GET", "/api/security/events?limit=2"));
  ASSERT_EQ(first["events"].size(), 2u);
  EXPECT_EQ(first["events"][0]["sensor"], a);
  EXPECT_EQ(first["events"][0]["received"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(first["events"][0]["func"], "read_coils");
  const std::string cursor = first["next_cursor"];
  auto second = ResponseJson(Send("GET", "/api/security/events?limit=2&cursor=" + cursor));
  ASSERT_EQ(second["events"].size(), 1u);
  EXPECT_EQ(second["events"][0]["id"], "1");
  EXPECT_TRUE(second["next_cursor"].is_null());
}

}  // namespace
}  // namespace qilian::api
