// UserStore over a memory store with a real EnterpriseRegistry: field
// checks with exact messages, atomic user + binding writes, lookups.
#include "tenant/user_store.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ident/registry.h"
#include "ident/response_code.h"
#include "ident/site_info.h"
#include "store/fault_store.h"
#include "store/memory_store.h"
#include "tenant/enterprise_registry.h"
#include "tenant/field_error.h"

namespace qilian::tenant {
namespace {

using ident::ResponseCode;
using ident::Role;

// Fast scrypt for tests (the production default is N=2^15).
UserStoreOptions FastOptions() {
  UserStoreOptions o;
  o.scrypt = ident::auth::ScryptParams{16, 1, 1};
  return o;
}

EnterpriseRegistryOptions EnterpriseOptions() {
  EnterpriseRegistryOptions o;
  o.parent_prefix = "88.999";
  o.site = ident::BuildSiteInfo(ident::SiteOptions{});
  return o;
}

EnterpriseInput Enterprise(const std::string& credit_code) {
  EnterpriseInput in;
  in.name = "兰州泵业有限公司";
  in.credit_code = credit_code;
  in.industry = "C3441";
  in.region = "620100";
  in.contact = {"张工", "+86 931 1234567", ""};
  return in;
}

void ExpectError(const absl::Status& s, ResponseCode code, const std::string& message) {
  EXPECT_EQ(ident::ResponseCodeOf(s), code) << s;
  EXPECT_EQ(s.message(), message);
}

class UserStoreTest : public ::testing::Test {
 protected:
  UserStoreTest()
      : store_(store::NewMemoryStore({{std::string(ident::Registry::kSpace),
                                       std::string(EnterpriseRegistry::kSpace),
                                       std::string(UserStore::kSpace)}})),
        faulty_(store_.get()),
        registry_(&faulty_, clock_, ident::RegistryOptions{}),
        enterprises_(&faulty_, &registry_, clock_, EnterpriseOptions()),
        users_(&faulty_, &enterprises_, clock_, FastOptions()) {
    EXPECT_TRUE(enterprises_.Register(Enterprise("916201007100000135")).ok());  // 88.999.1
    EXPECT_TRUE(enterprises_.Register(Enterprise("91620102712345672E")).ok());  // 88.999.2
  }

  static UserInput Input(const std::string& name, Role role, uint64_t enterprise = 0) {
    UserInput in;
    in.name = name;
    in.role = role;
    in.enterprise = enterprise;
    in.password = "correct horse battery";
    return in;
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  store::FaultInjectingStore faulty_;
  ident::Registry registry_;
  EnterpriseRegistry enterprises_;
  UserStore users_;
};

TEST_F(UserStoreTest, CreateGetAndCaller) {
  UserInput in = Input("alice", Role::kEnterpriseAdmin, 2);
  in.identity = ident::AdminIdentity{"88.999.2/ADMIN", 300};
  absl::StatusOr<User> created = users_.Create(in);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_EQ(created->name, "alice");
  EXPECT_EQ(created->role, Role::kEnterpriseAdmin);
  EXPECT_EQ(created->enterprise, 2u);
  EXPECT_EQ(created->created_at, clock_.Now());
  EXPECT_EQ(created->password_hash.rfind("scrypt$16$1$1$", 0), 0u) << created->password_hash;
  EXPECT_TRUE(ident::auth::VerifyPassword("correct horse battery", created->password_hash).ok());

  absl::StatusOr<User> got = users_.Get("alice");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, *created);

  absl::StatusOr<ident::Caller> caller = users_.CallerFor(*got, "bearer");
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->actor, "user:alice");
  EXPECT_EQ(caller->method, "bearer");
  ASSERT_TRUE(caller->identity.has_value());
  EXPECT_EQ(*caller->identity, (ident::AdminIdentity{"88.999.2/ADMIN", 300}));
  ASSERT_TRUE(caller->principal.has_value());
  EXPECT_EQ(caller->principal->role, Role::kEnterpriseAdmin);
  EXPECT_EQ(caller->principal->enterprise, "2");
  EXPECT_EQ(caller->principal->prefixes, std::vector<std::string>{"88.999.2"});

  auto op = users_.Create(Input("root", Role::kOperator));
  ASSERT_TRUE(op.ok()) << op.status();
  auto op_caller = users_.CallerFor(*op, "bearer");
  ASSERT_TRUE(op_caller.ok());
  EXPECT_EQ(op_caller->principal->role, Role::kOperator);
  EXPECT_TRUE(op_caller->principal->prefixes.empty());
  EXPECT_FALSE(op_caller->identity.has_value());
}

TEST_F(UserStoreTest, FieldChecksHaveExactMessages) {
  ExpectError(users_.Create(Input("", Role::kOperator)).status(), ResponseCode::kInvalidValue,
              "name: must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-', got ''");
  ExpectError(users_.Create(Input("Alice", Role::kOperator)).status(), ResponseCode::kInvalidValue,
              "name: must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-', got 'Alice'");
  ExpectError(users_.Create(Input(std::string(65, 'a'), Role::kOperator)).status(),
              ResponseCode::kInvalidValue,
              "name: must be 1 to 64 characters of a-z, 0-9, '.', '_' and '-', got '" +
                  std::string(64, 'a') + "...'");
  EXPECT_TRUE(users_.Create(Input(std::string(64, 'a'), Role::kOperator)).ok());
  EXPECT_EQ(FieldOf(users_.Create(Input("x y", Role::kOperator)).status()), "name");
  ExpectError(users_.Create(Input("bob", Role::kAnonymous)).status(), ResponseCode::kInvalidValue,
              "role: must be operator, enterprise-admin, enterprise-member or auditor");
  ExpectError(users_.Create(Input("bob", Role::kEnterpriseMember)).status(),
              ResponseCode::kInvalidValue, "enterprise: is required for role enterprise-member");
  ExpectError(users_.Create(Input("bob", Role::kAuditor, 1)).status(),
              ResponseCode::kInvalidValue, "enterprise: must not be given for role auditor");
  ExpectError(users_.Create(Input("bob", Role::kEnterpriseAdmin, 9)).status(),
              ResponseCode::kInvalidValue, "enterprise: enterprise 9 is not registered");
  UserInput bad_identity = Input("bob", Role::kOperator);
  bad_identity.identity = ident::AdminIdentity{"88.999/ADMIN", 0};
  ExpectError(users_.Create(bad_identity).status(), ResponseCode::kInvalidValue,
              "identity: must be <index>:<handle> with an index of 1 or more");
  UserInput short_pw = Input("bob", Role::kOperator);
  short_pw.password = std::string(11, 'x');
  ExpectError(users_.Create(short_pw).status(), ResponseCode::kInvalidValue,
              "password: must be 12 to 256 bytes, got 11");
  short_pw.password = std::string(257, 'x');
  ExpectError(users_.Create(short_pw).status(), ResponseCode::kInvalidValue,
              "password: must be 12 to 256 bytes, got 257");
  short_pw.password = std::string(256, 'x');
  EXPECT_TRUE(users_.Create(short_pw).ok());
  short_pw.name = "carol";
  short_pw.password = std::string(12, 'x');
  EXPECT_TRUE(users_.Create(short_pw).ok());
}

TEST_F(UserStoreTest, NamesAndIdentitiesAreUnique) {
  UserInput a = Input("alice", Role::kOperator);
  a.identity = ident::AdminIdentity{"88.999/ADMIN", 300};
  ASSERT_TRUE(users_.Create(a).ok());
  ExpectError(users_.Create(a).status(), ResponseCode::kHandleAlreadyExists,
              "name: user 'alice' already exists");
  UserInput b = Input("bob", Role::kAuditor);
  b.identity = ident::AdminIdentity{"88.999/admin", 300};  // the same, spelled otherwise
  ExpectError(users_.Create(b).status(), ResponseCode::kHandleAlreadyExists,
              "identity: 300:88.999/admin is already bound to user 'alice'");
  EXPECT_EQ(FieldOf(users_.Create(b).status()), "identity");

  auto found = users_.FindByIdentity({"88.999/Admin", 300});
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->name, "alice");
  auto none = users_.FindByIdentity({"88.999/ADMIN", 301});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  // Deleting frees both the name and the identity.
  ASSERT_TRUE(users_.Delete("alice").ok());
  ExpectError(users_.Get("alice").status(), ResponseCode::kHandleNotFound, "no user 'alice'");
  ExpectError(users_.Delete("alice"), ResponseCode::kHandleNotFound, "no user 'alice'");
  auto gone = users_.FindByIdentity({"88.999/ADMIN", 300});
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(users_.Create(b).ok());
}

TEST_F(UserStoreTest, ListFiltersByEnterprise) {
  ASSERT_TRUE(users_.Create(Input("c-member", Role::kEnterpriseMember, 1)).ok());
  ASSERT_TRUE(users_.Create(Input("a-admin", Role::kEnterpriseAdmin, 1)).ok());
  ASSERT_TRUE(users_.Create(Input("b-other", Role::kEnterpriseAdmin, 2)).ok());
  ASSERT_TRUE(users_.Create(Input("ops", Role::kOperator)).ok());
  auto all = users_.List();
  ASSERT_TRUE(all.ok());
  std::vector<std::string> names;
  for (const User& u : *all) names.push_back(u.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a-admin", "b-other", "c-member", "ops"}));
  auto one = users_.List(1);
  ASSERT_TRUE(one.ok());
  names.clear();
  for (const User& u : *one) names.push_back(u.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a-admin", "c-member"}));
}

TEST_F(UserStoreTest, SetPasswordAndDisable) {
  ASSERT_TRUE(users_.Create(Input("alice", Role::kOperator)).ok());
  clock_.Advance(absl::Minutes(5));
  ExpectError(users_.SetPassword("alice", "short"), ResponseCode::kInvalidValue,
              "password: must be 12 to 256 bytes, got 5");
  ASSERT_TRUE(users_.SetPassword("alice", "a new long password").ok());
  auto u = users_.Get("alice");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(ident::auth::VerifyPassword("a new long password", u->password_hash).ok());
  EXPECT_FALSE(ident::auth::VerifyPassword("correct horse battery", u->password_hash).ok());
  EXPECT_EQ(u->updated_at, clock_.Now());
  EXPECT_LT(u->created_at, u->updated_at);
  ExpectError(users_.SetPassword("nobody", "a new long password"), ResponseCode::kHandleNotFound,
              "no user 'nobody'");
  ASSERT_TRUE(users_.SetDisabled("alice", true).ok());
  EXPECT_TRUE(users_.Get("alice")->disabled);
}

TEST_F(UserStoreTest, FailedWriteLeavesNothing) {
  UserInput a = Input("alice", Role::kOperator);
  a.identity = ident::AdminIdentity{"88.999/ADMIN", 300};
  faulty_.FailNthWrite(1, absl::UnavailableError("disk gone"));
  absl::StatusOr<User> created = users_.Create(a);
  EXPECT_EQ(ident::ResponseCodeOf(created.status()), ResponseCode::kError);
  faulty_.Clear();
  ExpectError(users_.Get("alice").status(), ResponseCode::kHandleNotFound, "no user 'alice'");
  auto found = users_.FindByIdentity({"88.999/ADMIN", 300});
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
}

TEST_F(UserStoreTest, EncodeDecodeRoundTripAndCorruption) {
  User u;
  u.name = "x";
  u.role = Role::kAuditor;
  u.identity = ident::AdminIdentity{"88.999/A", 7};
  u.password_hash = "scrypt$16$1$1$AA==$AA==";
  u.created_at = absl::FromUnixMicros(123);
  u.updated_at = absl::FromUnixMicros(456);
  u.disabled = true;
  auto back = DecodeUser(EncodeUser(u));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, u);
  EXPECT_EQ(DecodeUser("{").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeUser(R"({"v":2})").status().message(), "stored user record is corrupt");
}

}  // namespace
}  // namespace qilian::tenant
