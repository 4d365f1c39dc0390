#include "ident/authz/roles.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "ident/handle_name.h"

namespace qilian::ident::authz {
namespace {

struct Target {
  std::string prefix;  // the prefix the target belongs to
  bool prefix_handle = false;
};

Target Classify(const HandleName& name) {
  if (FoldPrefix(name.prefix) == "0.NA") return {name.suffix, true};
  return {name.prefix, false};
}

bool IsWrite(AdminOp op) {
  return op != AdminOp::kAuthorizedRead && op != AdminOp::kListHandles;
}

// Operations that create or destroy a prefix allocation when aimed at a
// prefix handle.
bool ChangesAllocation(AdminOp op) {
  return op == AdminOp::kAddHandle || op == AdminOp::kDeleteHandle ||
         op == AdminOp::kAddDerivedPrefix || op == AdminOp::kDeleteDerivedPrefix;
}

bool MemberMay(AdminOp op) {
  switch (op) {
    case AdminOp::kAddHandle:
    case AdminOp::kAddValue:
    case AdminOp::kModifyValue:
    case AdminOp::kAuthorizedRead:
    case AdminOp::kListHandles:
      return true;
    default:
      return false;
  }
}

RoleDecision Allow(std::string reason) {
  return {true, ResponseCode::kSuccess, std::move(reason)};
}

RoleDecision Deny(ResponseCode code, std::string reason) {
  return {false, code, std::move(reason)};
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAnonymous: return "anonymous";
    case Role::kOperator: return "operator";
    case Role::kEnterpriseAdmin: return "enterprise administrator";
    case Role::kEnterpriseMember: return "enterprise member";
    case Role::kAuditor: return "auditor";
  }
  return "unknown";
}

absl::Status RoleDecision::ToStatus() const {
  if (allowed) return absl::OkStatus();
  return HandleError(code, reason);
}

bool OwnedBy(std::string_view target, const std::vector<std::string>& prefixes) {
  absl::StatusOr<HandleName> name = ParseHandle(target);
  if (!name.ok()) return false;
  Target t = Classify(*name);
  for (const std::string& p : prefixes) {
    if (PrefixIsUnder(t.prefix, p)) return true;
  }
  return false;
}

RoleDecision RoleAllows(const Principal& principal, AdminOp op, std::string_view target) {
  const std::string op_name(AdminOpName(op));
  const std::string target_text(target);
  absl::StatusOr<HandleName> name = ParseHandle(target);
  if (!name.ok()) {
    return Deny(ResponseCode::kInvalidHandle, std::string(name.status().message()));
  }
  const bool prefix_op = op == AdminOp::kAddDerivedPrefix || op == AdminOp::kDeleteDerivedPrefix ||
                         op == AdminOp::kListHandles;
  const Target t = Classify(*name);
  if (prefix_op && !t.prefix_handle) {
    return Deny(ResponseCode::kInvalidHandle,
                absl::StrCat(op_name, " needs a prefix handle 0.NA/<prefix>, not ", target_text));
  }

  switch (principal.role) {
    case Role::kAnonymous:
      return Deny(ResponseCode::kAuthenticationNeeded,
                  absl::StrCat(op_name, " needs authentication"));
    case Role::kOperator:
      return Allow("operators act on the whole node");
    case Role::kAuditor:
      if (IsWrite(op)) return Deny(ResponseCode::kInsufficientPermissions, "auditors change nothing");
      return Allow("auditors read everything");
    case Role::kEnterpriseAdmin:
    case Role::kEnterpriseMember:
      break;
  }

  const bool member = principal.role == Role::kEnterpriseMember;
  if (member && !MemberMay(op)) {
    return Deny(ResponseCode::kInsufficientPermissions,
                absl::StrCat("enterprise members may not ", op_name));
  }
  if (member && t.prefix_handle && IsWrite(op)) {
    return Deny(ResponseCode::kInsufficientPermissions,
                "enterprise members may not change prefix handles");
  }
  const std::string* owner = nullptr;
  for (const std::string& p : principal.prefixes) {
    if (PrefixIsUnder(t.prefix, p)) {
      owner = &p;
      // An enterprise's own allocation is the operator's to create or
      // remove; the enterprise manages only prefixes derived from it.
      if (t.prefix_handle && ChangesAllocation(op) && FoldPrefix(t.prefix) == FoldPrefix(p)) {
        return Deny(ResponseCode::kInsufficientPermissions,
                    absl::StrCat("prefix ", p, " is allocated by the node operator"));
      }
      break;
    }
  }
  if (owner == nullptr) {
    return Deny(ResponseCode::kInsufficientPermissions,
                absl::StrCat(target_text, " is outside the prefixes of the enterprise"));
  }
  return Allow(absl::StrCat(std::string(RoleName(principal.role)), " of prefix ", *owner));
}

}  // namespace qilian::ident::authz
