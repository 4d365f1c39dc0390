// REST authentication (HTTP Basic) and authorization (the processor's
// Authorizer: HS_ADMIN) of handle writes, listings and authorized reads
// (docs/api.md, "Authentication").
#include <memory>
#include <string>

#include "absl/strings/escaping.h"
#include "api/rest_api.h"
#include "api/test_callers.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/authz/auth_throttle.h"
#include "ident/authz/authorizer.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "nlohmann/json.hpp"
#include "store/memory_store.h"

namespace qilian::api {
namespace {

using nlohmann::json;

std::string SecKey(const std::string& secret) {
  return R"({"index":300,"type":"HS_SECKEY","permissions":"1100","data":{"format":"string","value":")" +
         secret + R"("}})";
}

std::string Admin(int index, const std::string& handle, const std::string& perms) {
  return R"({"index":)" + std::to_string(index) +
         R"(,"type":"HS_ADMIN","data":{"format":"admin","value":{"handle":")" + handle +
         R"(","index":300,"permissions":")" + perms + R"("}}})";
}

constexpr char kUrlBody[] =
    R"({"values":[{"index":1,"type":"URL","data":{"format":"string","value":"https://example.com/p"}}]})";

class RestAuthTest : public ::testing::Test {
 protected:
  RestAuthTest()
      : store_(store::NewMemoryStore({{std::string(ident::Registry::kSpace)}})),
        registry_(store_.get(), clock_, ident::RegistryOptions{}),
        setup_(&registry_, nullptr, RestOptions{}),
        authorizer_(&registry_, ident::authz::AuthorizerOptions{}),
        processor_(&registry_, &metrics_, WithAccess(&authorizer_)),
        throttle_(ident::authz::AuthThrottleOptions{3}, &clock_),
        api_(&processor_, &metrics_) {
    RestAuthOptions auth;
    auth.credentials.registry = &registry_;
    auth.throttle = &throttle_;
    api_.SetAuth(auth);
    // Set up without authentication (a second API over the same registry,
    // as the "first administrator credential flow" does with a restart).
    Bootstrap("88.999/ADMIN", "{\"values\":[" + SecKey("adminsecret") + "," +
                                  Admin(100, "88.999/ADMIN", "111111111111") + "]}");
    Bootstrap("88.999/OTHER", "{\"values\":[" + SecKey("othersecret") + "," +
                                  Admin(100, "88.999/ADMIN", "111111111111") + "]}");
    // ADMIN may do everything under 88.999; OTHER only modify values.
    Bootstrap("0.NA/88.999", "{\"values\":[" + Admin(100, "88.999/ADMIN", "111111111111") + "," +
                                 Admin(101, "88.999/OTHER", "000000010000") + "]}");
  }

  void Bootstrap(const std::string& handle, const std::string& body) {
    net::HttpResponse response = PutHandle(setup_, handle, body);
    ASSERT_EQ(response.status, 201) << handle << " " << response.body;
  }

  static std::string Basic(const std::string& credentials) {
    return "Basic " + absl::Base64Escape(credentials);
  }

  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& body, const std::string& authorization,
                         bool loopback = true) {
    net::HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.remote_is_loopback = loopback;
    request.remote_address = loopback ? "127.0.0.1" : "192.0.2.1";
    if (!authorization.empty()) request.headers.emplace_back("authorization", authorization);
    return api_.Handle(request);
  }

  static void ExpectError(const net::HttpResponse& response, int http_status, int code,
                          const std::string& message) {
    EXPECT_EQ(response.status, http_status) << response.body;
    json body = json::parse(response.body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << response.body;
    EXPECT_EQ(body["responseCode"], code) << response.body;
    EXPECT_EQ(body["message"], message) << response.body;
  }

  static bool HasChallenge(const net::HttpResponse& response) {
    for (const auto& [k, v] : response.headers) {
      if (k == "WWW-Authenticate" && v == "Basic realm=\"qilian\"") return true;
    }
    return false;
  }

  bool Exists(const std::string& handle) { return registry_.Get(handle, {}).ok(); }

  uint64_t Failures(const std::string& reason) {
    return metrics_.GetCounter("qilian_rest_auth_failures_total", "", {{"reason", reason}})
        .value();
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  ident::Registry registry_;
  RestApi setup_;
  MetricsRegistry metrics_;
  ident::authz::Authorizer authorizer_;
  ident::Processor processor_;
  ident::authz::AuthThrottle throttle_;
  RestApi api_;
};

TEST_F(RestAuthTest, MissingCredentialsAre401With402) {
  auto r = Send("PUT", "/api/handles/88.999/abc", kUrlBody, "");
  ExpectError(r, 401, 402, "authentication required");
  EXPECT_TRUE(HasChallenge(r));
  EXPECT_FALSE(Exists("88.999/abc"));
  // From any address, for every kind of write, and for listing.
  ExpectError(Send("PUT", "/api/handles/88.999/abc", kUrlBody, "", /*loopback=*/false), 401, 402,
              "authentication required");
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/abc", kUrlBody,
                 Basic("300%3A88.999/ADMIN:adminsecret")).status,
            201);
  ExpectError(Send("DELETE", "/api/handles/88.999/abc", "", ""), 401, 402,
              "authentication required");
  ExpectError(Send("DELETE", "/api/handles/88.999/abc?index=1", "", ""), 401, 402,
              "authentication required");
  ExpectError(Send("PUT", "/api/handles/88.999/abc?index=1", kUrlBody, ""), 401, 402,
              "authentication required");
  ExpectError(Send("GET", "/api/handles?prefix=88.999", "", ""), 401, 402,
              "authentication required");
  EXPECT_TRUE(Exists("88.999/abc"));
  // Missing credentials are not a failed authentication.
  EXPECT_EQ(Failures("malformed"), 0u);
  EXPECT_EQ(Failures("wrong"), 0u);
}

TEST_F(RestAuthTest, MalformedCredentialsAre401With402) {
  ExpectError(Send("PUT", "/api/handles/88.999/abc", kUrlBody, "Bearer xyz"), 401, 402,
              "Bearer tokens are not accepted by this node");
  ExpectError(Send("PUT", "/api/handles/88.999/abc", kUrlBody, "Digest x"), 401, 402,
              "Authorization must use the Basic scheme (<index>%3A<handle>:<secret>) or the "
              "Bearer scheme");
  ExpectError(Send("PUT", "/api/handles/88.999/abc", kUrlBody, "Basic !!!"), 401, 402,
              "Basic credentials are not valid base64");
  ExpectError(Send("PUT", "/api/handles/88.999/abc", kUrlBody, Basic("nocolon")), 401, 402,
              "Basic credentials must be <index>%3A<handle>:<secret>");
  ExpectError(Send("PUT", "/api/handles/88.999/abc", kUrlBody, Basic("x%3A88.999/ADMIN:s")), 401,
              402, "Basic credentials must be <index>%3A<handle>:<secret>");
  EXPECT_FALSE(Exists("88.999/abc"));
  EXPECT_EQ(Failures("malformed"), 5u);
}

TEST_F(RestAuthTest, RightCredentialCreatesFromAnyAddress) {
  auto r = Send("PUT", "/api/handles/88.999/abc", kUrlBody,
                Basic("300%3A88.999/ADMIN:adminsecret"), /*loopback=*/false);
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(Exists("88.999/abc"));
  // The literal first ':' form is accepted too.
  r = Send("DELETE", "/api/handles/88.999/abc", "", Basic("300:88.999/ADMIN:adminsecret"),
           /*loopback=*/false);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(Exists("88.999/abc"));
}

TEST_F(RestAuthTest, WrongSecretIs401With403AndNothingStored) {
  auto r = Send("PUT", "/api/handles/88.999/abc", kUrlBody, Basic("300%3A88.999/ADMIN:wrong"));
  ExpectError(r, 401, 403, "secret does not match for 300:88.999/ADMIN");
  EXPECT_TRUE(HasChallenge(r));
  EXPECT_FALSE(Exists("88.999/abc"));
  EXPECT_EQ(Failures("wrong"), 1u);
}

TEST_F(RestAuthTest, RepeatedFailuresAreThrottledWithoutCheckingTheSecret) {
  for (int i = 0; i < 3; ++i) {
    ExpectError(Send("PUT", "/api/handles/88.999/abc", kUrlBody, Basic("300%3A88.999/ADMIN:wrong")),
                401, 403, "secret does not match for 300:88.999/ADMIN");
  }
  // Even the right secret is refused during the back-off...
  ExpectError(Send("PUT", "/api/handles/88.999/abc", kUrlBody,
                   Basic("300%3A88.999/ADMIN:adminsecret")),
              401, 406,
              "too many failed authentications for 300:88.999/ADMIN; retry in 1 s");
  EXPECT_FALSE(Exists("88.999/abc"));
  // ...and accepted once it has passed.
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(Send("PUT", "/api/handles/88.999/abc", kUrlBody,
                 Basic("300%3A88.999/ADMIN:adminsecret"))
                .status,
            201);
}

TEST_F(RestAuthTest, UnknownIdentityIs401With403) {
  ExpectError(Send("PUT", "/api/handles/88.999/abc", kUrlBody, Basic("300%3A88.999/NOBODY:x")),
              401, 403, "cannot authenticate 300:88.999/NOBODY: no HS_SECKEY value at that index");
  ExpectError(Send("PUT", "/api/handles/88.999/abc", kUrlBody, Basic("301%3A88.999/ADMIN:x")),
              401, 403, "cannot authenticate 301:88.999/ADMIN: no HS_SECKEY value at that index");
  EXPECT_FALSE(Exists("88.999/abc"));
}

TEST_F(RestAuthTest, NotPermittedIs403With401AndNothingStored) {
  auto r = Send("PUT", "/api/handles/88.999/abc", kUrlBody, Basic("300%3A88.999/OTHER:othersecret"));
  ExpectError(r, 403, 401, "no HS_ADMIN naming 300:88.999/OTHER grants add handle on 88.999/abc");
  EXPECT_FALSE(Exists("88.999/abc"));
  // A delete by OTHER is refused too; the handle stays.
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/abc", kUrlBody,
                 Basic("300%3A88.999/ADMIN:adminsecret")).status,
            201);
  r = Send("DELETE", "/api/handles/88.999/abc", "", Basic("300%3A88.999/OTHER:othersecret"));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_TRUE(Exists("88.999/abc"));
}

TEST_F(RestAuthTest, ModifyingAValueNeedsOnlyModifyValue) {
  ASSERT_EQ(Send("PUT", "/api/handles/88.999/abc", kUrlBody,
                 Basic("300%3A88.999/ADMIN:adminsecret")).status,
            201);
  // OTHER holds only the modify-value bit: replacing index 1 is allowed...
  auto r = Send("PUT", "/api/handles/88.999/abc?index=1", kUrlBody,
                Basic("300%3A88.999/OTHER:othersecret"));
  EXPECT_EQ(r.status, 200) << r.body;
  // ...adding an HS_ADMIN value is not.
  r = Send("PUT", "/api/handles/88.999/abc?index=100",
           "{\"values\":[" + Admin(100, "88.999/OTHER", "111111111111") + "]}",
           Basic("300%3A88.999/OTHER:othersecret"));
  ExpectError(r, 403, 401, "no HS_ADMIN naming 300:88.999/OTHER grants add admin on 88.999/abc");
  EXPECT_EQ(registry_.Get("88.999/abc", {}).value().values.size(), 1u);
}

TEST_F(RestAuthTest, RestrictedValuesOnlyForAuthorizedReaders) {
  auto types = [](const net::HttpResponse& r) {
    std::vector<std::string> out;
    json body = json::parse(r.body, nullptr, false);
    for (const auto& v : body["values"]) out.push_back(v["type"]);
    return out;
  };
  auto r = Send("GET", "/api/handles/88.999/ADMIN", "", "", /*loopback=*/false);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(types(r), std::vector<std::string>{"HS_ADMIN"});
  r = Send("GET", "/api/handles/88.999/ADMIN", "", Basic("300%3A88.999/ADMIN:adminsecret"));
  EXPECT_EQ(types(r), (std::vector<std::string>{"HS_ADMIN", "HS_SECKEY"}));
  // OTHER has no read permission on ADMIN: public values only.
  r = Send("GET", "/api/handles/88.999/ADMIN", "", Basic("300%3A88.999/OTHER:othersecret"));
  EXPECT_EQ(types(r), std::vector<std::string>{"HS_ADMIN"});
}

}  // namespace
}  // namespace qilian::api
