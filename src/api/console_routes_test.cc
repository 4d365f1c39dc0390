// The console routes through RestApi::Handle, over a memory store, with the
// callers established from real Bearer tokens (RestAuthOptions'
// credentials.bearer bound to TokenService::Authenticate).
#include "api/console_routes.h"

#include <memory>
#include <string>

#include "api/rest_api.h"
#include "api/routes.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "gtest/gtest.h"
#include "ident/authz/audit_log.h"
#include "ident/registry.h"
#include "ident/site_info.h"
#include "nlohmann/json.hpp"
#include "store/memory_store.h"
#include "tenant/enterprise_registry.h"
#include "tenant/token_service.h"
#include "tenant/user_store.h"

namespace qilian::api {
namespace {

using ident::Role;
using nlohmann::json;

constexpr char kPassword[] = "correct horse battery";

class ConsoleRoutesTest : public ::testing::Test {
 protected:
  ConsoleRoutesTest()
      : store_(store::NewMemoryStore({{std::string(ident::Registry::kSpace),
                                       std::string(tenant::EnterpriseRegistry::kSpace),
                                       std::string(tenant::UserStore::kSpace),
                                       std::string(ident::authz::AuditLog::kSpace)}})),
        registry_(store_.get(), clock_, ident::RegistryOptions{}),
        enterprises_(store_.get(), &registry_, clock_, EnterpriseOptions()),
        users_(store_.get(), &enterprises_, clock_, Fast()),
        audit_(*ident::authz::AuditLog::Open(store_.get())),
        tokens_(&users_, clock_, TokenOptions(audit_.get())),
        api_(&registry_, &metrics_, RestOptions{}) {
    RestAuthOptions auth;
    auth.credentials.bearer = [this](std::string_view token) {
      return tokens_.Authenticate(token);
    };
    api_.SetAuth(auth);
    ConsoleEndpoints console;
    console.users = &users_;
    console.tokens = &tokens_;
    console.audit = audit_.get();
    console.enterprises = &enterprises_;
    api_.SetConsole(console);

    for (const char* code : {"916201007100000135", "91620102712345672E"}) {
      tenant::EnterpriseInput e;
      e.name = "兰州泵业有限公司";
      e.credit_code = code;
      e.industry = "C3441";
      e.region = "620100";
      e.contact = {"张工", "+86 931 1234567", ""};
      EXPECT_TRUE(enterprises_.Register(e).ok());
    }
    AddUser("root", Role::kOperator, 0);
    AddUser("aud", Role::kAuditor, 0);
    AddUser("a-admin", Role::kEnterpriseAdmin, 1);
    AddUser("a-member", Role::kEnterpriseMember, 1);
    AddUser("b-admin", Role::kEnterpriseAdmin, 2);
    AddUser("b-member", Role::kEnterpriseMember, 2);
  }

  static tenant::EnterpriseRegistryOptions EnterpriseOptions() {
    tenant::EnterpriseRegistryOptions o;
    o.site = ident::BuildSiteInfo(ident::SiteOptions{});
    return o;
  }
  static tenant::UserStoreOptions Fast() {
    tenant::UserStoreOptions o;
    o.scrypt = ident::auth::ScryptParams{16, 1, 1};
    return o;
  }
  static tenant::TokenServiceOptions TokenOptions(ident::authz::AuditLog* audit) {
    tenant::TokenServiceOptions o;
    o.audit = audit;
    return o;
  }

  void AddUser(const std::string& name, Role role, uint64_t enterprise) {
    tenant::UserInput in;
    in.name = name;
    in.role = role;
    in.enterprise = enterprise;
    in.password = kPassword;
    ASSERT_TRUE(users_.Create(in).ok()) << name;
  }

  net::HttpResponse Send(const std::string& method, const std::string& target,
                         const std::string& body = "", const std::string& token = "") {
    net::HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = body;
    request.remote_is_loopback = false;
    request.remote_address = "192.0.2.7";
    if (!token.empty()) request.headers.emplace_back("authorization", "Bearer " + token);
    return api_.Handle(request);
  }

  std::string Login(const std::string& user) {
    auto r = Send("POST", "/api/login", json({{"user", user}, {"password", kPassword}}).dump());
    EXPECT_EQ(r.status, 200) << r.body;
    return Json(r).value("token", "");
  }

  static json Json(const net::HttpResponse& response) {
    json j = json::parse(response.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << response.body;
    return j;
  }

  static void ExpectError(const net::HttpResponse& response, int http_status, int code,
                          const std::string& message, const std::string& field = "") {
    EXPECT_EQ(response.status, http_status) << response.body;
    json expected = {{"responseCode", code}, {"message", message}};
    if (!field.empty()) expected["field"] = field;
    EXPECT_EQ(Json(response), expected);
  }

  static std::string MemberBody(const std::string& name, uint64_t enterprise = 0) {
    json b = {{"name", name}, {"role", "enterprise-member"}, {"password", kPassword}};
    if (enterprise != 0) b["enterprise"] = enterprise;
    return b.dump();
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  ident::Registry registry_;
  tenant::EnterpriseRegistry enterprises_;
  tenant::UserStore users_;
  std::unique_ptr<ident::authz::AuditLog> audit_;
  tenant::TokenService tokens_;
  MetricsRegistry metrics_;
  RestApi api_;
};

TEST_F(ConsoleRoutesTest, LoginMeLogout) {
  auto r = Send("POST", "/api/login", R"({"user":"a-admin","password":"correct horse battery"})");
  ASSERT_EQ(r.status, 200) << r.body;
  json j = Json(r);
  std::string token = j["token"];
  EXPECT_EQ(token.size(), tenant::kTokenChars);
  EXPECT_EQ(j, json({{"responseCode", 1},
                     {"token", token},
                     {"expiresAt", "2023-11-14T22:28:20Z"},
                     {"user", "a-admin"},
                     {"role", "enterprise-admin"}}));

  auto me = Send("GET", "/api/me", "", token);
  ASSERT_EQ(me.status, 200) << me.body;
  EXPECT_EQ(Json(me), json({{"responseCode", 1},
                            {"actor", "user:a-admin"},
                            {"method", "bearer"},
                            {"user", "a-admin"},
                            {"role", "enterprise-admin"},
                            {"enterprise", 1},
                            {"prefixes", {"88.999.1"}}}));
  ExpectError(Send("GET", "/api/me"), 401, 402, "authentication required");

  auto out = Send("POST", "/api/logout", "", token);
  ASSERT_EQ(out.status, 200) << out.body;
  EXPECT_EQ(Json(out), json({{"responseCode", 1}}));
  auto after = Send("GET", "/api/me", "", token);
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(Json(after)["responseCode"], 403);
  EXPECT_EQ(Json(after)["message"], "bearer token is not valid");
  ExpectError(Send("POST", "/api/logout"), 401, 402,
              "logout needs Authorization: Bearer <token>");
}

TEST_F(ConsoleRoutesTest, LoginFailuresAndBodyErrors) {
  auto wrong = Send("POST", "/api/login", R"({"user":"a-admin","password":"nope nope nope"})");
  ExpectError(wrong, 401, 403, "wrong user name or password");
  ExpectError(Send("POST", "/api/login", R"({"user":"ghost","password":"nope nope nope"})"), 401,
              403, "wrong user name or password");
  ExpectError(Send("POST", "/api/login", "{"), 400, 4, "request body is not valid JSON");
  ExpectError(Send("POST", "/api/login", "[]"), 400, 4, "request body must be a JSON object");
  ExpectError(Send("POST", "/api/login", R"({"user":"x","password":"y","otp":1})"), 400, 202,
              "otp: is not a field of a login request", "otp");
  ExpectError(Send("POST", "/api/login", R"({"user":7,"password":"y"})"), 400, 202,
              "user: must be a string", "user");
  ExpectError(Send("POST", "/api/login", R"({"user":"x"})"), 400, 202, "password: is required",
              "password");
  ExpectError(Send("POST", "/api/login", std::string(20000, ' ')), 400, 4,
              "request body is longer than 16384 bytes");
  ExpectError(Send("POST", "/api/login?x=1", "{}"), 400, 4, "unknown query parameter 'x'");
}

TEST_F(ConsoleRoutesTest, ExpiredTokenIs405) {
  std::string token = Login("root");
  clock_.Advance(absl::Minutes(15));
  auto r = Send("GET", "/api/me", "", token);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(Json(r)["responseCode"], 405);
  EXPECT_EQ(Json(r)["message"], "bearer token expired");
}

TEST_F(ConsoleRoutesTest, OperatorManagesEveryone) {
  std::string root = Login("root");
  auto created = Send("POST", "/api/users",
                      json({{"name", "c-admin"},
                            {"role", "enterprise-admin"},
                            {"password", kPassword},
                            {"enterprise", 2},
                            {"identity", "300:88.999.2/ADMIN"}})
                          .dump(),
                      root);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Json(created)["user"], json({{"name", "c-admin"},
                                          {"role", "enterprise-admin"},
                                          {"enterprise", 2},
                                          {"prefix", "88.999.2"},
                                          {"identity", "300:88.999.2/ADMIN"},
                                          {"disabled", false},
                                          {"createdAt", "2023-11-14T22:13:20Z"},
                                          {"updatedAt", "2023-11-14T22:13:20Z"}}));
  auto list = Send("GET", "/api/users", "", root);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(Json(list)["users"].size(), 7u);
  auto one = Send("GET", "/api/users/b-member", "", root);
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(Json(one)["user"]["name"], "b-member");
  EXPECT_FALSE(Json(one)["user"].contains("password"));
  ExpectError(Send("GET", "/api/users/nobody", "", root), 404, 100, "no user 'nobody'");
  ExpectError(Send("GET", "/api/users/No%20Body", "", root), 400, 4,
              "'No Body' is not a user name");
  ExpectError(Send("POST", "/api/users", MemberBody("root", 1), root), 409, 101,
              "name: user 'root' already exists", "name");

  // Delete ends the user's tokens.
  std::string member = Login("b-member");
  ASSERT_EQ(Send("DELETE", "/api/users/b-member", "", root).status, 200);
  EXPECT_EQ(Json(Send("GET", "/api/me", "", member))["message"], "bearer token is not valid");
  ExpectError(Send("DELETE", "/api/users/b-member", "", root), 404, 100, "no user 'b-member'");
}

TEST_F(ConsoleRoutesTest, UserBodyErrors) {
  std::string root = Login("root");
  auto post = [&](json body) { return Send("POST", "/api/users", body.dump(), root); };
  json good = {{"name", "x"}, {"role", "auditor"}, {"password", kPassword}};
  auto with = [&](const char* k, json v) {
    json b = good;
    b[k] = std::move(v);
    return b;
  };
  ExpectError(post(with("extra", 1)), 400, 202, "extra: is not a field of a user", "extra");
  ExpectError(post(with("role", "king")), 400, 202,
              "role: must be operator, enterprise-admin, enterprise-member or auditor, got 'king'",
              "role");
  ExpectError(post(with("role", 3)), 400, 202, "role: must be a string", "role");
  ExpectError(post(with("enterprise", -1)), 400, 202, "enterprise: must be a positive integer",
              "enterprise");
  ExpectError(post(with("enterprise", "1")), 400, 202, "enterprise: must be a positive integer",
              "enterprise");
  ExpectError(post(with("disabled", "yes")), 400, 202, "disabled: must be a boolean", "disabled");
  ExpectError(post(with("identity", "ADMIN")), 400, 202,
              "identity: must be <index>:<handle>, got 'ADMIN'", "identity");
  ExpectError(post(with("identity", 300)), 400, 202, "identity: must be a string", "identity");
  ExpectError(post(with("password", "short")), 400, 202, "password: must be 12 to 256 bytes, got 5",
              "password");
  ExpectError(post(with("name", std::string(65, 'a'))), 400, 202,
              "name: must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-', got '" +
                  std::string(64, 'a') + "...'",
              "name");
  ExpectError(post(with("enterprise", 1)), 400, 202, "enterprise: must not be given for role auditor",
              "enterprise");
  ExpectError(Send("PUT", "/api/users/aud/password", R"({"pw":"x"})", root), 400, 202,
              "pw: is not a field of a password change", "pw");
}

TEST_F(ConsoleRoutesTest, EnterpriseAdminManagesOwnMembersOnly) {
  std::string admin = Login("a-admin");
  auto created = Send("POST", "/api/users", MemberBody("a-new"), admin);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Json(created)["user"]["enterprise"], 1);
  ExpectError(Send("POST", "/api/users", MemberBody("b-new", 2), admin), 403, 401,
              "user:a-admin manages only members of enterprise 1");
  ExpectError(Send("POST", "/api/users",
                   json({{"name", "op2"}, {"role", "operator"}, {"password", kPassword}}).dump(),
                   admin),
              403, 401, "user:a-admin manages only members of enterprise 1");
  auto list = Send("GET", "/api/users", "", admin);
  ASSERT_EQ(list.status, 200);
  std::vector<std::string> names;
  json users = Json(list)["users"];
  for (const json& u : users) names.push_back(u["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"a-admin", "a-member", "a-new"}));
  ExpectError(Send("GET", "/api/users/b-member", "", admin), 403, 401,
              "user:a-admin manages only members of enterprise 1");
  ExpectError(Send("DELETE", "/api/users/b-member", "", admin), 403, 401,
              "user:a-admin manages only members of enterprise 1");
  ExpectError(Send("DELETE", "/api/users/root", "", admin), 403, 401,
              "user:a-admin manages only members of enterprise 1");
  EXPECT_EQ(Send("GET", "/api/users/a-admin", "", admin).status, 200);  // itself
  ASSERT_EQ(Send("PUT", "/api/users/a-member/password",
                 R"({"password":"another long password"})", admin)
                .status,
            200);
  ExpectError(Send("POST", "/api/login",
                   json({{"user", "a-member"}, {"password", kPassword}}).dump()),
              401, 403, "wrong user name or password");
  ASSERT_EQ(Send("DELETE", "/api/users/a-member", "", admin).status, 200);
}

TEST_F(ConsoleRoutesTest, MembersAndAuditorsOnlyThemselves) {
  std::string member = Login("a-member");
  ExpectError(Send("GET", "/api/users", "", member), 403, 401,
              "user:a-member may not manage console users");
  ExpectError(Send("POST", "/api/users", MemberBody("zz", 1), member), 403, 401,
              "user:a-member may not manage console users");
  ExpectError(Send("GET", "/api/users/a-admin", "", member), 403, 401,
              "user:a-member may not manage console users");
  EXPECT_EQ(Send("GET", "/api/users/a-member", "", member).status, 200);
  // Changing its own password ends its own tokens too.
  ASSERT_EQ(Send("PUT", "/api/users/a-member/password", R"({"password":"my own new password"})",
                 member)
                .status,
            200);
  EXPECT_EQ(Json(Send("GET", "/api/me", "", member))["message"], "bearer token is not valid");
  std::string auditor = Login("aud");
  ExpectError(Send("DELETE", "/api/users/a-member", "", auditor), 403, 401,
              "user:aud may not manage console users");
  ExpectError(Send("GET", "/api/users"), 401, 402, "authentication required");
  ExpectError(Send("PUT", "/api/users/aud", "{}", auditor), 405, 5,
              "method PUT is not allowed on /api/users/{name}; allowed: GET, DELETE");
}

TEST_F(ConsoleRoutesTest, AuditQueries) {
  auto append = [&](std::string actor, std::string target, int minute) {
    ident::authz::AuditEvent e;
    e.time = absl::FromUnixSeconds(1'700'000'000) + absl::Minutes(minute);
    e.actor = std::move(actor);
    e.action = "create handle";
    e.target = std::move(target);
    e.peer = "192.0.2.9";
    e.transport = "tcp";
    ASSERT_TRUE(audit_->Append(e).ok());
  };
  append("300:88.999.1/ADMIN", "88.999.1/a", 1);
  append("300:88.999.2/ADMIN", "88.999.2/b", 2);
  append("300:88.999.1/ADMIN", "88.999.1.5/c", 3);
  std::string root = Login("root");       // audited "login" events too
  std::string auditor = Login("aud");
  std::string admin = Login("a-admin");

  auto all = Send("GET", "/api/audit?actor=300%3A88.999.1%2FADMIN", "", auditor);
  ASSERT_EQ(all.status, 200) << all.body;
  json events = Json(all)["events"];
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], json({{"sequence", 1},
                             {"time", "2023-11-14T22:14:20Z"},
                             {"actor", "300:88.999.1/ADMIN"},
                             {"action", "create handle"},
                             {"target", "88.999.1/a"},
                             {"peer", "192.0.2.9"},
                             {"transport", "tcp"},
                             {"result", 1},
                             {"detail", ""}}));

  // The logins (at minute 0) come first; start after them.
  auto page = Send("GET", "/api/audit?from=2023-11-14T22:14:00Z&limit=2", "", root);
  ASSERT_EQ(page.status, 200);
  ASSERT_EQ(Json(page)["events"].size(), 2u);
  std::string cursor = Json(page)["nextCursor"];
  auto next = Send("GET", "/api/audit?from=2023-11-14T22:14:00Z&limit=2&cursor=" + cursor, "",
                   root);
  ASSERT_EQ(next.status, 200) << next.body;
  EXPECT_EQ(Json(next)["events"][0]["target"], "88.999.1.5/c");

  auto range = Send("GET", "/api/audit?from=2023-11-14T22:15:00Z&to=2023-11-14T22:16:00Z", "",
                    root);
  ASSERT_EQ(range.status, 200);
  ASSERT_EQ(Json(range)["events"].size(), 1u);
  EXPECT_EQ(Json(range)["events"][0]["target"], "88.999.2/b");

  // The enterprise administrator sees only its own prefix and those below.
  auto own = Send("GET", "/api/audit", "", admin);
  ASSERT_EQ(own.status, 200) << own.body;
  std::vector<std::string> targets;
  json own_events = Json(own)["events"];
  for (const json& e : own_events) targets.push_back(e["target"]);
  EXPECT_EQ(targets, (std::vector<std::string>{"88.999.1/a", "88.999.1.5/c"}));
  EXPECT_EQ(Send("GET", "/api/audit?prefix=88.999.1.5", "", admin).status, 200);
  ExpectError(Send("GET", "/api/audit?prefix=88.999.2", "", admin), 403, 401,
              "user:a-admin may read only the audit of 88.999.1");

  std::string member = Login("a-member");
  ExpectError(Send("GET", "/api/audit", "", member), 403, 401,
              "user:a-member may not read the audit log");
  ExpectError(Send("GET", "/api/audit"), 401, 402, "authentication required");
  ExpectError(Send("GET", "/api/audit?from=yesterday", "", root), 400, 4,
              "from must be an RFC 3339 time such as 2026-01-02T03:04:05Z, got 'yesterday'");
  ExpectError(Send("GET", "/api/audit?limit=0", "", root), 400, 4,
              "limit must be an integer in 1..1000, got '0'");
  ExpectError(Send("GET", "/api/audit?limit=1001", "", root), 400, 4,
              "limit must be an integer in 1..1000, got '1001'");
  ExpectError(Send("GET", "/api/audit?cursor=zz", "", root), 400, 4, "invalid audit cursor");
  ExpectError(Send("GET", "/api/audit?bogus=1", "", root), 400, 4,
              "unknown query parameter 'bogus'");
  ExpectError(Send("GET", "/api/audit?limit=1&limit=2", "", root), 400, 4,
              "limit is given more than once");
}

TEST_F(ConsoleRoutesTest, RouterAndOpenApiKnowTheConsoleRoutes) {
  std::string_view param;
  const RouteInfo* route = MatchRoute("/api/users/alice/password", &param);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->id, RouteId::kUserPassword);
  EXPECT_EQ(param, "alice");
  route = MatchRoute("/api/users/alice", &param);
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->id, RouteId::kUser);
  EXPECT_EQ(param, "alice");
  route = MatchRoute("/api/users/a/b/password", &param);  // not a user name: GET/DELETE route
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->id, RouteId::kUser);
  json doc = json::parse(Send("GET", "/api/openapi.json").body, nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  for (const RouteInfo& r : Routes()) {
    ASSERT_TRUE(doc["paths"].contains(std::string(r.path))) << r.path;
    for (std::string_view m : r.methods) {
      std::string lower(m);
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      EXPECT_TRUE(doc["paths"][std::string(r.path)].contains(lower)) << r.path << " " << lower;
    }
  }
}

TEST_F(ConsoleRoutesTest, RoutesWithoutConsoleAnswer501) {
  RestApi bare(&registry_, nullptr, RestOptions{});
  net::HttpRequest request;
  request.method = "POST";
  request.target = "/api/login";
  request.body = "{}";
  auto r = bare.Handle(request);
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(Json(r)["message"], "console login is not enabled on this node");
  request.method = "GET";
  request.target = "/api/users";
  EXPECT_EQ(Json(bare.Handle(request))["message"], "console users are not enabled on this node");
}

}  // namespace
}  // namespace qilian::api
