#include "ident/authz/admin_check.h"

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "gtest/gtest.h"
#include "ident/registry.h"
#include "ident/value_codec.h"
#include "store/memory_store.h"

namespace qilian::ident::authz {
namespace {

HandleValue Admin(uint32_t index, uint16_t perms, std::string handle, uint32_t admin_index) {
  HandleValue v;
  v.index = index;
  v.type = std::string(kTypeAdmin);
  v.data = EncodeAdminData(AdminRecord{perms, std::move(handle), admin_index});
  return v;
}

HandleValue VList(uint32_t index, std::vector<ValueReference> members) {
  HandleValue v;
  v.index = index;
  v.type = std::string(kTypeVList);
  v.data = EncodeVListData(members);
  return v;
}

HandleValue Plain(uint32_t index, std::string type, uint8_t perms = kPermDefault) {
  HandleValue v;
  v.index = index;
  v.type = std::move(type);
  v.data = "x";
  v.permissions = perms;
  return v;
}

constexpr uint16_t kGroupPerms = admin_perm::kAddHandle | admin_perm::kReadValue;
constexpr uint16_t kOwnerPerms =
    admin_perm::kAddValue | admin_perm::kModifyValue | admin_perm::kReadValue;

// A registry holding the prefix handle 0.NA/88.999 (all permissions to
// 300:88.999/ADMIN; add handle and read to the group 200:88.999/GROUP, which
// holds 201:88.999/NESTED, which holds 300:88.999/MEMBER) and 88.999/T with
// its own HS_ADMIN for 300:88.999/OWNER.
class AdminCheckTest : public ::testing::Test {
 protected:
  AdminCheckTest()
      : store_(store::NewMemoryStore({{std::string(Registry::kSpace)}})),
        registry_(store_.get(), clock_, RegistryOptions{}) {
    Put("0.NA/88.999", {Admin(100, admin_perm::kAll, "88.999/ADMIN", 300),
                        Admin(101, kGroupPerms, "88.999/GROUP", 200)});
    Put("88.999/GROUP", {VList(200, {{"88.999/NESTED", 201}})});
    Put("88.999/NESTED", {VList(201, {{"88.999/MEMBER", 300}})});
    Put("88.999/T", {Admin(100, kOwnerPerms, "88.999/OWNER", 300), Plain(1, "URL")});
    Put("88.999/BARE", {Plain(1, "URL")});
  }

  void Put(std::string handle, std::vector<HandleValue> values) {
    ASSERT_TRUE(registry_.Create(handle, std::move(values)).ok()) << handle;
  }

  std::vector<HandleValue> ValuesOf(std::string_view handle) {
    auto record = registry_.Get(handle, {});
    return record.ok() ? record->values : std::vector<HandleValue>{};
  }

  AdminDecision Check(AdminIdentity who, AdminOp op, std::string_view target,
                      const AdminCheckOptions& options = {}) {
    auto decision = CheckAdmin(who, op, target, ValuesOf(target), RegistryLookup(&registry_),
                               options);
    EXPECT_TRUE(decision.ok()) << decision.status();
    return decision.ok() ? *decision : AdminDecision{};
  }

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  Registry registry_;
};

const AdminIdentity kAdmin{"88.999/ADMIN", 300};
const AdminIdentity kOwner{"88.999/OWNER", 300};
const AdminIdentity kMember{"88.999/MEMBER", 300};
const AdminIdentity kStranger{"88.999/STRANGER", 300};

TEST_F(AdminCheckTest, TargetAdminGrantsItsPermission) {
  AdminDecision d = Check(kOwner, AdminOp::kAddValue, "88.999/T");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.code, ResponseCode::kSuccess);
  EXPECT_EQ(d.reason, "HS_ADMIN 100:88.999/T grants add value to 300:88.999/OWNER");
  EXPECT_EQ(d.matched_handle, "88.999/T");
  EXPECT_EQ(d.matched_index, 100u);
  EXPECT_TRUE(d.ToStatus().ok());
}

TEST_F(AdminCheckTest, AdminWithoutTheBitGets401) {
  AdminDecision d = Check(kOwner, AdminOp::kDeleteHandle, "88.999/T");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.code, ResponseCode::kInsufficientPermissions);
  EXPECT_EQ(d.reason, "no HS_ADMIN naming 300:88.999/OWNER grants delete handle on 88.999/T");
  absl::Status s = d.ToStatus();
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kInsufficientPermissions);
  EXPECT_EQ(std::string(s.message()), d.reason);
}

TEST_F(AdminCheckTest, NonAdminGets400) {
  AdminDecision d = Check(kStranger, AdminOp::kAddValue, "88.999/T");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.code, ResponseCode::kInvalidAdmin);
  EXPECT_EQ(d.reason, "300:88.999/STRANGER is not an administrator of 88.999/T");
}

TEST_F(AdminCheckTest, WrongIndexIsNotTheAdmin) {
  AdminDecision d = Check({"88.999/OWNER", 301}, AdminOp::kAddValue, "88.999/T");
  EXPECT_EQ(d.code, ResponseCode::kInvalidAdmin);
}

TEST_F(AdminCheckTest, OwnHsAdminShadowsPrefixAdminsUnlessAllowNaAdmins) {
  AdminDecision d = Check(kAdmin, AdminOp::kAddValue, "88.999/T");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.code, ResponseCode::kInvalidAdmin);
  EXPECT_EQ(d.reason, "300:88.999/ADMIN is not an administrator of 88.999/T");

  AdminCheckOptions options;
  options.prefix_admins_always = true;
  d = Check(kAdmin, AdminOp::kAddValue, "88.999/T", options);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, "HS_ADMIN 100:0.NA/88.999 grants add value to 300:88.999/ADMIN");
}

TEST_F(AdminCheckTest, CreateIsGovernedByThePrefixHandle) {
  AdminDecision d = Check(kAdmin, AdminOp::kAddHandle, "88.999/NEW");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, "HS_ADMIN 100:0.NA/88.999 grants add handle to 300:88.999/ADMIN");
  // The owner of another handle is no administrator of the prefix.
  d = Check(kOwner, AdminOp::kAddHandle, "88.999/NEW");
  EXPECT_EQ(d.code, ResponseCode::kInvalidAdmin);
  EXPECT_EQ(d.reason, "300:88.999/OWNER is not an administrator of 88.999/NEW");
}

TEST_F(AdminCheckTest, CreateIgnoresTheNewValuesOwnHsAdmin) {
  // A creator cannot authorize itself by putting its own HS_ADMIN in the
  // values it creates.
  std::vector<HandleValue> values = {Admin(100, admin_perm::kAll, "88.999/STRANGER", 300)};
  auto d = CheckAdmin(kStranger, AdminOp::kAddHandle, "88.999/NEW", values,
                      RegistryLookup(&registry_));
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(d->code, ResponseCode::kInvalidAdmin);
}

TEST_F(AdminCheckTest, DerivedPrefixInheritsFromParentPrefixHandle) {
  AdminDecision d = Check(kAdmin, AdminOp::kAddHandle, "88.999.7/NEW");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.matched_handle, "0.NA/88.999");
  Put("0.NA/88.999.7", {Admin(100, admin_perm::kAll, "88.999/OWNER", 300)});
  // The nearest prefix handle is consulted first; the parent still grants
  // when the nearer one does not.
  d = Check(kOwner, AdminOp::kAddHandle, "88.999.7/NEW");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, "HS_ADMIN 100:0.NA/88.999.7 grants add handle to 300:88.999/OWNER");
  d = Check(kAdmin, AdminOp::kAddHandle, "88.999.7/NEW");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.matched_handle, "0.NA/88.999");
}

TEST_F(AdminCheckTest, HandleWithoutHsAdminFallsBackToPrefix) {
  AdminDecision d = Check(kAdmin, AdminOp::kRemoveValue, "88.999/BARE");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.matched_handle, "0.NA/88.999");
}

TEST_F(AdminCheckTest, NestedGroupMembership) {
  AdminDecision d = Check(kMember, AdminOp::kAddHandle, "88.999/NEW");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason,
            "HS_ADMIN 101:0.NA/88.999 grants add handle to 300:88.999/MEMBER via HS_VLIST "
            "200:88.999/GROUP");
  // Named (through the group) but the group lacks delete: 401, not 400.
  d = Check(kMember, AdminOp::kDeleteHandle, "88.999/BARE");
  EXPECT_EQ(d.code, ResponseCode::kInsufficientPermissions);
  EXPECT_EQ(d.reason, "no HS_ADMIN naming 300:88.999/MEMBER grants delete handle on 88.999/BARE");
}

TEST_F(AdminCheckTest, GroupCycleTerminates) {
  Put("88.999/A", {VList(1, {{"88.999/B", 1}})});
  Put("88.999/B", {VList(1, {{"88.999/A", 1}})});
  Put("88.999/C", {Admin(100, admin_perm::kAll, "88.999/A", 1)});
  AdminDecision d = Check(kStranger, AdminOp::kAddValue, "88.999/C");
  EXPECT_EQ(d.code, ResponseCode::kInvalidAdmin);
  EXPECT_EQ(d.reason, "300:88.999/STRANGER is not an administrator of 88.999/C");
}

TEST_F(AdminCheckTest, GroupDepthIsBounded) {
  // D1 -> D2 -> D3 -> MEMBER: found at depth 4.
  Put("88.999/D1", {VList(1, {{"88.999/D2", 1}})});
  Put("88.999/D2", {VList(1, {{"88.999/D3", 1}})});
  Put("88.999/D3", {VList(1, {{"88.999/MEMBER", 300}})});
  Put("88.999/E", {Admin(100, admin_perm::kAll, "88.999/D1", 1)});
  AdminCheckOptions options;
  options.max_group_depth = 4;
  EXPECT_TRUE(Check(kMember, AdminOp::kAddValue, "88.999/E", options).allowed);
  options.max_group_depth = 3;
  AdminDecision d = Check(kMember, AdminOp::kAddValue, "88.999/E", options);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason,
            "300:88.999/MEMBER is not an administrator of 88.999/E (HS_VLIST groups not fully "
            "followed: depth limit)");
}

TEST_F(AdminCheckTest, LookupBudgetIsBounded) {
  Put("88.999/D1", {VList(1, {{"88.999/D2", 1}})});
  Put("88.999/D2", {VList(1, {{"88.999/MEMBER", 300}})});
  Put("88.999/E", {Admin(100, admin_perm::kAll, "88.999/D1", 1)});
  AdminCheckOptions options;
  options.max_lookups = 1;
  AdminDecision d = Check(kMember, AdminOp::kAddValue, "88.999/E", options);
  EXPECT_EQ(d.reason,
            "300:88.999/MEMBER is not an administrator of 88.999/E (HS_VLIST groups not fully "
            "followed: lookup limit)");
  options.max_lookups = 2;
  EXPECT_TRUE(Check(kMember, AdminOp::kAddValue, "88.999/E", options).allowed);
}

TEST_F(AdminCheckTest, AdminIndexZeroNamesEveryKeyAndCaseFolds) {
  Put("88.999/Z", {Admin(100, admin_perm::kAll, "88.999/KEYS", 0)});
  EXPECT_TRUE(Check({"88.999/KEYS", 7}, AdminOp::kAddValue, "88.999/Z").allowed);
  EXPECT_TRUE(Check({"88.999/keys", 301}, AdminOp::kAddValue, "88.999/Z").allowed);
  AdminCheckOptions sensitive;
  sensitive.case_sensitive_suffix = true;
  EXPECT_FALSE(Check({"88.999/keys", 301}, AdminOp::kAddValue, "88.999/Z", sensitive).allowed);
}

TEST_F(AdminCheckTest, DerivedPrefixOperationsUseTheParent) {
  AdminDecision d = Check(kAdmin, AdminOp::kAddDerivedPrefix, "0.NA/88.999.7");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.reason, "HS_ADMIN 100:0.NA/88.999 grants add derived prefix to 300:88.999/ADMIN");
  // An administrator of the derived prefix handle itself may not remove it.
  Put("0.NA/88.999.7", {Admin(100, admin_perm::kAll, "88.999/OWNER", 300)});
  d = Check(kOwner, AdminOp::kDeleteDerivedPrefix, "0.NA/88.999.7");
  EXPECT_EQ(d.code, ResponseCode::kInvalidAdmin);
  EXPECT_EQ(d.reason, "300:88.999/OWNER is not an administrator of 0.NA/88.999.7");
  d = Check(kMember, AdminOp::kAddDerivedPrefix, "0.NA/88.999.7");
  EXPECT_EQ(d.code, ResponseCode::kInsufficientPermissions);
  d = Check(kAdmin, AdminOp::kAddDerivedPrefix, "88.999/T");
  EXPECT_EQ(d.code, ResponseCode::kInvalidHandle);
  EXPECT_EQ(d.reason, "add derived prefix needs a prefix handle 0.NA/<prefix>, not 88.999/T");
}

TEST_F(AdminCheckTest, NothingGovernsAnUnknownPrefix) {
  AdminDecision d = Check(kAdmin, AdminOp::kAddHandle, "77.1/X");
  EXPECT_EQ(d.code, ResponseCode::kInvalidAdmin);
  EXPECT_EQ(d.reason, "no HS_ADMIN value governs 77.1/X");
}

TEST_F(AdminCheckTest, InvalidTargetIs102) {
  AdminDecision d = Check(kAdmin, AdminOp::kAddHandle, "nohandle");
  EXPECT_EQ(d.code, ResponseCode::kInvalidHandle);
  EXPECT_EQ(d.reason, "handle has no '/' between prefix and suffix");
}

TEST_F(AdminCheckTest, MalformedHsAdminIsSkipped) {
  HandleValue bad = Admin(100, admin_perm::kAll, "88.999/ADMIN", 300);
  bad.data = "\x0f";
  std::vector<HandleValue> values = {bad, Admin(101, admin_perm::kAddValue, "88.999/OWNER", 300)};
  auto d = CheckAdmin(kAdmin, AdminOp::kAddValue, "88.999/M", values, RegistryLookup(&registry_));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->code, ResponseCode::kInvalidAdmin);
  d = CheckAdmin(kOwner, AdminOp::kAddValue, "88.999/M", values, RegistryLookup(&registry_));
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->allowed);
  EXPECT_EQ(d->matched_index, 101u);
}

TEST_F(AdminCheckTest, StorageFailureIsAnError) {
  HandleLookup failing = [](std::string_view) -> absl::StatusOr<std::vector<HandleValue>> {
    return absl::InternalError("disk on fire");
  };
  auto d = CheckAdmin(kAdmin, AdminOp::kAddHandle, "88.999/NEW", {}, failing);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(std::string(d.status().message()), "disk on fire");
}

TEST(PrefixHandleChainTest, NearestFirst) {
  EXPECT_EQ(PrefixHandleChain("88.999.7/X"),
            (std::vector<std::string>{"0.NA/88.999.7", "0.NA/88.999", "0.NA/88"}));
  EXPECT_EQ(PrefixHandleChain("0.na/88.999.7"),
            (std::vector<std::string>{"0.NA/88.999.7", "0.NA/88.999", "0.NA/88"}));
  EXPECT_EQ(PrefixHandleChain("0.NA/88.999.7", false),
            (std::vector<std::string>{"0.NA/88.999", "0.NA/88"}));
}

TEST(PermissionTest, EveryOperationHasItsBit) {
  EXPECT_EQ(PermissionFor(AdminOp::kAddHandle), admin_perm::kAddHandle);
  EXPECT_EQ(PermissionFor(AdminOp::kDeleteHandle), admin_perm::kDeleteHandle);
  EXPECT_EQ(PermissionFor(AdminOp::kAddDerivedPrefix), admin_perm::kAddDerivedPrefix);
  EXPECT_EQ(PermissionFor(AdminOp::kDeleteDerivedPrefix), admin_perm::kDeleteDerivedPrefix);
  EXPECT_EQ(PermissionFor(AdminOp::kAddValue), admin_perm::kAddValue);
  EXPECT_EQ(PermissionFor(AdminOp::kModifyValue), admin_perm::kModifyValue);
  EXPECT_EQ(PermissionFor(AdminOp::kRemoveValue), admin_perm::kRemoveValue);
  EXPECT_EQ(PermissionFor(AdminOp::kAddAdmin), admin_perm::kAddAdmin);
  EXPECT_EQ(PermissionFor(AdminOp::kModifyAdmin), admin_perm::kModifyAdmin);
  EXPECT_EQ(PermissionFor(AdminOp::kRemoveAdmin), admin_perm::kRemoveAdmin);
  EXPECT_EQ(PermissionFor(AdminOp::kAuthorizedRead), admin_perm::kReadValue);
  EXPECT_EQ(PermissionFor(AdminOp::kListHandles), admin_perm::kListHandles);
}

TEST(ValuePermissionTest, ReadersSeeWhatTheirBitsAllow) {
  std::vector<HandleValue> values = {
      Plain(1, "URL", kPermPublicRead | kPermAdminRead | kPermAdminWrite),
      Plain(2, "SECRET", kPermAdminRead | kPermAdminWrite),
      Plain(3, "NOBODY", kPermAdminWrite),
      Plain(4, "PUBONLY", kPermPublicRead),
  };
  auto indexes = [](const std::vector<HandleValue>& vs) {
    std::vector<uint32_t> out;
    for (const auto& v : vs) out.push_back(v.index);
    return out;
  };
  EXPECT_EQ(indexes(VisibleValues(values, false)), (std::vector<uint32_t>{1, 4}));
  EXPECT_EQ(indexes(VisibleValues(values, true)), (std::vector<uint32_t>{1, 2, 4}));
  EXPECT_TRUE(ValueWritable(values[1], true));
  EXPECT_FALSE(ValueWritable(values[1], false));
  EXPECT_FALSE(ValueWritable(values[3], true));
  EXPECT_TRUE(ValueWritable(Plain(5, "WIKI", kPermPublicWrite), false));
}

}  // namespace
}  // namespace qilian::ident::authz
