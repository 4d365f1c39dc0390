// TokenService with a FakeClock: login, exact refusal codes and messages,
// expiry versus unknown, revocation, the bounded table, and the audit trail.
#include "tenant/token_service.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ident/authz/audit_log.h"
#include "ident/registry.h"
#include "ident/response_code.h"
#include "ident/site_info.h"
#include "store/memory_store.h"
#include "tenant/enterprise_registry.h"

namespace qilian::tenant {
namespace {

using ident::ResponseCode;
using ident::Role;

constexpr char kPassword[] = "correct horse battery";

void ExpectError(const absl::Status& s, ResponseCode code, const std::string& message) {
  EXPECT_EQ(ident::ResponseCodeOf(s), code) << s;
  EXPECT_EQ(s.message(), message);
}

class TokenServiceTest : public ::testing::Test {
 protected:
  TokenServiceTest()
      : store_(store::NewMemoryStore({{std::string(ident::Registry::kSpace),
                                       std::string(EnterpriseRegistry::kSpace),
                                       std::string(UserStore::kSpace),
                                       std::string(ident::authz::AuditLog::kSpace)}})),
        registry_(store_.get(), clock_, ident::RegistryOptions{}),
        enterprises_(store_.get(), &registry_, clock_, EnterpriseOptions()),
        users_(store_.get(), &enterprises_, clock_, Fast()),
        audit_(*ident::authz::AuditLog::Open(store_.get())) {
    EnterpriseInput e;
    e.name = "兰州泵业有限公司";
    e.credit_code = "916201007100000135";
    e.industry = "C3441";
    e.region = "620100";
    e.contact = {"张工", "+86 931 1234567", ""};
    EXPECT_TRUE(enterprises_.Register(e).ok());
    UserInput in;
    in.name = "alice";
    in.role = Role::kEnterpriseMember;
    in.enterprise = 1;
    in.password = kPassword;
    EXPECT_TRUE(users_.Create(in).ok());
  }

  static EnterpriseRegistryOptions EnterpriseOptions() {
    EnterpriseRegistryOptions o;
    o.site = ident::BuildSiteInfo(ident::SiteOptions{});
    return o;
  }
  static UserStoreOptions Fast() {
    UserStoreOptions o;
    o.scrypt = ident::auth::ScryptParams{16, 1, 1};
    return o;
  }
  TokenServiceOptions Options() {
    TokenServiceOptions o;
    o.audit = audit_.get();
    return o;
  }

  std::vector<ident::authz::AuditEvent> AuditEvents() {
    auto page = audit_->Query(ident::authz::AuditQuery{});
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->events : std::vector<ident::authz::AuditEvent>{};
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  ident::Registry registry_;
  EnterpriseRegistry enterprises_;
  UserStore users_;
  std::unique_ptr<ident::authz::AuditLog> audit_;
};

TEST_F(TokenServiceTest, LoginAuthenticateExpire) {
  TokenService tokens(&users_, clock_, Options());
  absl::StatusOr<LoginResult> login = tokens.Login("alice", kPassword, "127.0.0.1:5000");
  ASSERT_TRUE(login.ok()) << login.status();
  EXPECT_EQ(login->token.size(), kTokenChars);
  EXPECT_EQ(login->token.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_EQ(login->expires_at, clock_.Now() + absl::Minutes(15));
  EXPECT_EQ(login->user.name, "alice");

  absl::StatusOr<ident::Caller> caller = tokens.Authenticate(login->token);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->actor, "user:alice");
  EXPECT_EQ(caller->method, "bearer");
  EXPECT_EQ(caller->principal->role, Role::kEnterpriseMember);
  EXPECT_EQ(caller->principal->prefixes, std::vector<std::string>{"88.999.1"});

  clock_.Advance(absl::Minutes(15) - absl::Nanoseconds(1));
  EXPECT_TRUE(tokens.Authenticate(login->token).ok());
  clock_.Advance(absl::Nanoseconds(1));
  ExpectError(tokens.Authenticate(login->token).status(), ResponseCode::kAuthenticationTimeout,
              "bearer token expired");
  EXPECT_EQ(tokens.live_tokens(), 0u);
  // Remembered as expired for an hour, then unknown.
  clock_.Advance(absl::Minutes(59));
  ExpectError(tokens.Authenticate(login->token).status(), ResponseCode::kAuthenticationTimeout,
              "bearer token expired");
  clock_.Advance(absl::Minutes(1));
  ExpectError(tokens.Authenticate(login->token).status(), ResponseCode::kAuthenticationFailed,
              "bearer token is not valid");
}

TEST_F(TokenServiceTest, ConfigurableLifetimeAndExplicitNow) {
  TokenServiceOptions o = Options();
  o.lifetime = absl::Seconds(30);
  TokenService tokens(&users_, clock_, o);
  auto login = tokens.Login("alice", kPassword, "");
  ASSERT_TRUE(login.ok());
  EXPECT_EQ(login->expires_at, clock_.Now() + absl::Seconds(30));
  EXPECT_TRUE(tokens.Authenticate(login->token, clock_.Now() + absl::Seconds(29)).ok());
  ExpectError(tokens.Authenticate(login->token, clock_.Now() + absl::Seconds(30)).status(),
              ResponseCode::kAuthenticationTimeout, "bearer token expired");
}

TEST_F(TokenServiceTest, WrongPasswordAndUnknownUserReadTheSame) {
  TokenService tokens(&users_, clock_, Options());
  ExpectError(tokens.Login("alice", "not the password", "192.0.2.1:1").status(),
              ResponseCode::kAuthenticationFailed, "wrong user name or password");
  ExpectError(tokens.Login("mallory", kPassword, "192.0.2.1:2").status(),
              ResponseCode::kAuthenticationFailed, "wrong user name or password");
  ExpectError(tokens.Login("Not A Name!", kPassword, "192.0.2.1:3").status(),
              ResponseCode::kAuthenticationFailed, "wrong user name or password");
  ExpectError(tokens.Login("alice", std::string(5000, 'x'), "").status(),
              ResponseCode::kAuthenticationFailed, "wrong user name or password");
  EXPECT_EQ(tokens.live_tokens(), 0u);
  auto events = AuditEvents();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].actor, "user:alice");
  EXPECT_EQ(events[0].action, "login failed");
  EXPECT_EQ(events[0].peer, "192.0.2.1:1");
  EXPECT_EQ(events[0].transport, "http");
  EXPECT_EQ(events[0].result, 403u);
  EXPECT_EQ(events[0].detail, "wrong password");
  EXPECT_EQ(events[1].actor, "user:mallory");
  EXPECT_EQ(events[1].detail, "unknown user");
}

TEST_F(TokenServiceTest, MalformedAndUnknownTokens) {
  TokenService tokens(&users_, clock_, Options());
  for (std::string bad : {std::string(""), std::string("abc"), std::string(43, '='),
                          std::string(44, 'A'), std::string(43, 'A')}) {
    ExpectError(tokens.Authenticate(bad).status(), ResponseCode::kAuthenticationFailed,
                "bearer token is not valid");
  }
}

TEST_F(TokenServiceTest, LogoutRevokeDisableDelete) {
  TokenService tokens(&users_, clock_, Options());
  auto a = tokens.Login("alice", kPassword, "127.0.0.1:1");
  auto b = tokens.Login("alice", kPassword, "127.0.0.1:2");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->token, b->token);
  EXPECT_EQ(tokens.live_tokens(), 2u);
  tokens.Logout(a->token, "127.0.0.1:1");
  ExpectError(tokens.Authenticate(a->token).status(), ResponseCode::kAuthenticationFailed,
              "bearer token is not valid");
  EXPECT_TRUE(tokens.Authenticate(b->token).ok());

  ASSERT_TRUE(users_.SetDisabled("alice", true).ok());
  ExpectError(tokens.Authenticate(b->token).status(), ResponseCode::kAuthenticationFailed,
              "user 'alice' is disabled");
  ExpectError(tokens.Login("alice", kPassword, "").status(), ResponseCode::kAuthenticationFailed,
              "user 'alice' is disabled");
  ASSERT_TRUE(users_.SetDisabled("alice", false).ok());
  EXPECT_TRUE(tokens.Authenticate(b->token).ok());

  ASSERT_TRUE(users_.Delete("alice").ok());
  ExpectError(tokens.Authenticate(b->token).status(), ResponseCode::kAuthenticationFailed,
              "bearer token is not valid");
  EXPECT_EQ(tokens.live_tokens(), 0u);

  auto events = AuditEvents();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].action, "login");
  EXPECT_EQ(events[0].result, 1u);
  EXPECT_EQ(events[2].action, "logout");
  EXPECT_EQ(events[2].peer, "127.0.0.1:1");
}

TEST_F(TokenServiceTest, RevokeUser) {
  TokenService tokens(&users_, clock_, Options());
  auto a = tokens.Login("alice", kPassword, "");
  ASSERT_TRUE(a.ok());
  tokens.RevokeUser("alice");
  ExpectError(tokens.Authenticate(a->token).status(), ResponseCode::kAuthenticationFailed,
              "bearer token is not valid");
}

TEST_F(TokenServiceTest, TableIsBounded) {
  TokenServiceOptions o = Options();
  o.max_tokens = 2;
  o.max_expired = 1;
  TokenService tokens(&users_, clock_, o);
  auto first = tokens.Login("alice", kPassword, "");
  clock_.Advance(absl::Seconds(1));
  auto second = tokens.Login("alice", kPassword, "");
  clock_.Advance(absl::Seconds(1));
  auto third = tokens.Login("alice", kPassword, "");
  ASSERT_TRUE(first.ok() && second.ok() && third.ok());
  EXPECT_EQ(tokens.live_tokens(), 2u);
  // The one closest to expiry made room.
  ExpectError(tokens.Authenticate(first->token).status(), ResponseCode::kAuthenticationFailed,
              "bearer token is not valid");
  EXPECT_TRUE(tokens.Authenticate(second->token).ok());
  EXPECT_TRUE(tokens.Authenticate(third->token).ok());
  // Both expire; only one is remembered as expired (the later).
  clock_.Advance(absl::Minutes(15));
  ExpectError(tokens.Authenticate(third->token).status(), ResponseCode::kAuthenticationTimeout,
              "bearer token expired");
  ExpectError(tokens.Authenticate(second->token).status(), ResponseCode::kAuthenticationFailed,
              "bearer token is not valid");
}

}  // namespace
}  // namespace qilian::tenant
