#include "ident/authz/roles.h"

#include <array>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace qilian::ident::authz {
namespace {

constexpr std::array<AdminOp, 12> kOps = {
    AdminOp::kAddHandle,   AdminOp::kDeleteHandle,   AdminOp::kAddDerivedPrefix,
    AdminOp::kDeleteDerivedPrefix, AdminOp::kAddValue, AdminOp::kModifyValue,
    AdminOp::kRemoveValue, AdminOp::kAddAdmin,       AdminOp::kModifyAdmin,
    AdminOp::kRemoveAdmin, AdminOp::kAuthorizedRead, AdminOp::kListHandles,
};

// The target of `op` under `prefix`: a handle, a derived prefix handle, or
// for listing, the prefix handle itself.
std::string TargetFor(AdminOp op, const std::string& prefix) {
  switch (op) {
    case AdminOp::kAddDerivedPrefix:
    case AdminOp::kDeleteDerivedPrefix:
      return "0.NA/" + prefix + ".5";
    case AdminOp::kListHandles:
      return "0.NA/" + prefix;
    default:
      return prefix + "/X";
  }
}

constexpr int Y = 1;    // allowed (kSuccess)
constexpr int N = 401;  // insufficient permissions
constexpr int A = 402;  // authentication needed

struct Row {
  std::string name;
  Principal principal;
  // Per operation (kOps order): the code on enterprise A's prefix 88.999.1
  // and on enterprise B's prefix 88.999.2.
  std::array<std::array<int, 2>, 12> cells;
};

TEST(RoleMatrixTest, EveryRoleOperationAndPrefix) {
  const std::vector<Row> rows = {
      {"anonymous", {Role::kAnonymous, {}},
       {{{A, A}, {A, A}, {A, A}, {A, A}, {A, A}, {A, A}, {A, A}, {A, A}, {A, A}, {A, A}, {A, A},
         {A, A}}}},
      {"enterprise A administrator", {Role::kEnterpriseAdmin, {"88.999.1"}},
       {{{Y, N}, {Y, N}, {Y, N}, {Y, N}, {Y, N}, {Y, N}, {Y, N}, {Y, N}, {Y, N}, {Y, N}, {Y, N},
         {Y, N}}}},
      {"enterprise A member", {Role::kEnterpriseMember, {"88.999.1"}},
       {{{Y, N}, {N, N}, {N, N}, {N, N}, {Y, N}, {Y, N}, {N, N}, {N, N}, {N, N}, {N, N}, {Y, N},
         {Y, N}}}},
      {"enterprise B administrator", {Role::kEnterpriseAdmin, {"88.999.2"}},
       {{{N, Y}, {N, Y}, {N, Y}, {N, Y}, {N, Y}, {N, Y}, {N, Y}, {N, Y}, {N, Y}, {N, Y}, {N, Y},
         {N, Y}}}},
      {"operator", {Role::kOperator, {}},
       {{{Y, Y}, {Y, Y}, {Y, Y}, {Y, Y}, {Y, Y}, {Y, Y}, {Y, Y}, {Y, Y}, {Y, Y}, {Y, Y}, {Y, Y},
         {Y, Y}}}},
      {"auditor", {Role::kAuditor, {}},
       {{{N, N}, {N, N}, {N, N}, {N, N}, {N, N}, {N, N}, {N, N}, {N, N}, {N, N}, {N, N}, {Y, Y},
         {Y, Y}}}},
  };
  const std::array<std::string, 2> prefixes = {"88.999.1", "88.999.2"};
  int cells = 0;
  for (const Row& row : rows) {
    for (size_t i = 0; i < kOps.size(); ++i) {
      for (size_t col = 0; col < 2; ++col) {
        const std::string target = TargetFor(kOps[i], prefixes[col]);
        SCOPED_TRACE(absl::StrCat(row.name, " / ", std::string(AdminOpName(kOps[i])), " / ",
                                  target));
        RoleDecision d = RoleAllows(row.principal, kOps[i], target);
        const int want = row.cells[i][col];
        EXPECT_EQ(static_cast<int>(d.code), want) << d.reason;
        EXPECT_EQ(d.allowed, want == Y);
        EXPECT_EQ(d.ToStatus().ok(), want == Y);
        if (want != Y) {
          EXPECT_EQ(ResponseCodeOf(d.ToStatus()), d.code);
        }
        ++cells;
      }
    }
  }
  EXPECT_EQ(cells, 6 * 12 * 2);
}

TEST(RolesTest, Reasons) {
  Principal member{Role::kEnterpriseMember, {"88.999.1"}};
  EXPECT_EQ(RoleAllows(member, AdminOp::kRemoveValue, "88.999.1/X").reason,
            "enterprise members may not remove value");
  EXPECT_EQ(RoleAllows(member, AdminOp::kAddValue, "88.999.2/X").reason,
            "88.999.2/X is outside the prefixes of the enterprise");
  EXPECT_EQ(RoleAllows(member, AdminOp::kAddValue, "88.999.1/X").reason,
            "enterprise member of prefix 88.999.1");
  EXPECT_EQ(RoleAllows({}, AdminOp::kAuthorizedRead, "88.999.1/X").reason,
            "authorized read needs authentication");
  EXPECT_EQ(RoleAllows({Role::kAuditor, {}}, AdminOp::kAddValue, "88.999.1/X").reason,
            "auditors change nothing");
}

TEST(RolesTest, DerivedPrefixesAreOwnedButSiblingsAreNot) {
  Principal admin{Role::kEnterpriseAdmin, {"88.999.1"}};
  EXPECT_TRUE(RoleAllows(admin, AdminOp::kAddValue, "88.999.1.7/X").allowed);
  EXPECT_TRUE(RoleAllows(admin, AdminOp::kAddValue, "88.999.1.7.3/X").allowed);
  // 88.999.10 is not derived from 88.999.1.
  RoleDecision d = RoleAllows(admin, AdminOp::kAddValue, "88.999.10/X");
  EXPECT_EQ(d.code, ResponseCode::kInsufficientPermissions);
  EXPECT_FALSE(RoleAllows(admin, AdminOp::kAddValue, "88.999/X").allowed);
  // Prefixes compare case-insensitively.
  EXPECT_TRUE(RoleAllows({Role::kEnterpriseAdmin, {"88.ABC"}}, AdminOp::kAddValue, "88.abc/X")
                  .allowed);
  EXPECT_TRUE(OwnedBy("0.NA/88.999.1.2", {"88.999.1"}));
  EXPECT_FALSE(OwnedBy("0.NA/88.999.2", {"88.999.1"}));
  EXPECT_FALSE(OwnedBy("88.999.1/X", {}));
}

TEST(RolesTest, OwnAllocationIsTheOperators) {
  Principal admin{Role::kEnterpriseAdmin, {"88.999.1"}};
  RoleDecision d = RoleAllows(admin, AdminOp::kDeleteDerivedPrefix, "0.NA/88.999.1");
  EXPECT_EQ(d.code, ResponseCode::kInsufficientPermissions);
  EXPECT_EQ(d.reason, "prefix 88.999.1 is allocated by the node operator");
  EXPECT_FALSE(RoleAllows(admin, AdminOp::kDeleteHandle, "0.NA/88.999.1").allowed);
  EXPECT_FALSE(RoleAllows(admin, AdminOp::kAddHandle, "0.NA/88.999.1").allowed);
  // ... but its prefix handle's values are the enterprise's to manage.
  EXPECT_TRUE(RoleAllows(admin, AdminOp::kModifyValue, "0.NA/88.999.1").allowed);
  EXPECT_TRUE(RoleAllows(admin, AdminOp::kAddAdmin, "0.NA/88.999.1").allowed);
  EXPECT_TRUE(RoleAllows({Role::kOperator, {}}, AdminOp::kDeleteDerivedPrefix, "0.NA/88.999.1")
                  .allowed);
  Principal member{Role::kEnterpriseMember, {"88.999.1"}};
  d = RoleAllows(member, AdminOp::kModifyValue, "0.NA/88.999.1");
  EXPECT_EQ(d.reason, "enterprise members may not change prefix handles");
  EXPECT_TRUE(RoleAllows(member, AdminOp::kListHandles, "0.NA/88.999.1").allowed);
}

TEST(RolesTest, InvalidTargets) {
  Principal op{Role::kOperator, {}};
  RoleDecision d = RoleAllows(op, AdminOp::kAddValue, "nohandle");
  EXPECT_EQ(d.code, ResponseCode::kInvalidHandle);
  EXPECT_EQ(d.reason, "handle has no '/' between prefix and suffix");
  d = RoleAllows(op, AdminOp::kListHandles, "88.999/X");
  EXPECT_EQ(d.code, ResponseCode::kInvalidHandle);
  EXPECT_EQ(d.reason, "list handles needs a prefix handle 0.NA/<prefix>, not 88.999/X");
}

}  // namespace
}  // namespace qilian::ident::authz
