// Console roles and enterprise tenancy (issue 5): which operations a console
// user may ask for, before the HS_ADMIN rule (admin_check.h) decides on the
// handle's own administrators. Enterprise staff act only under the prefixes
// their enterprise owns (or prefixes derived from them); operators act on the
// whole node; auditors read everything and change nothing; anonymous callers
// only resolve public values (not an AdminOp, so every AdminOp is refused to
// them). The full matrix is in docs/authorization.md.
#ifndef QILIAN_IDENT_AUTHZ_ROLES_H_
#define QILIAN_IDENT_AUTHZ_ROLES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ident/authz/admin_check.h"
#include "ident/caller.h"
#include "ident/response_code.h"

namespace qilian::ident::authz {

// Role and Principal are declared in ident/caller.h (the processor's
// Request carries them).
using ::qilian::ident::Principal;
using ::qilian::ident::Role;

std::string_view RoleName(Role role);

struct RoleDecision {
  bool allowed = false;
  // kSuccess; 402 for anonymous callers; 401 for a role or tenancy refusal;
  // 102 for a target that is not a valid handle.
  ResponseCode code = ResponseCode::kInsufficientPermissions;
  std::string reason;

  absl::Status ToStatus() const;
};

// Whether `principal` may perform `op` on `target`: a handle, or for
// derived-prefix operations and listing, the prefix handle 0.NA/<prefix>.
RoleDecision RoleAllows(const Principal& principal, AdminOp op, std::string_view target);

// Whether `target` (a handle, or a prefix handle 0.NA/<p>, which belongs to
// <p>) lies under one of `prefixes`.
bool OwnedBy(std::string_view target, const std::vector<std::string>& prefixes);

}  // namespace qilian::ident::authz

#endif  // QILIAN_IDENT_AUTHZ_ROLES_H_
