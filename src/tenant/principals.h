// Which role an authenticated Handle identity plays on this node (issue 5,
// docs/authorization.md "Callers"): the native protocol and REST Basic
// prove an identity `index:handle`; this maps it to a Principal, so that
// the role and tenancy rules apply to it as they do to console users:
//  1. an identity listed in [auth] operators is an operator;
//  2. an identity bound to a console user plays that user's role;
//  3. an identity whose handle lies under an enterprise's prefix is that
//     enterprise's administrator (its HS_ADMIN values still decide);
//  4. any other identity has no Principal: HS_ADMIN alone decides, as on
//     a plain Handle server (node staff the operator created).
#ifndef QILIAN_TENANT_PRINCIPALS_H_
#define QILIAN_TENANT_PRINCIPALS_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "ident/caller.h"

namespace qilian::tenant {

class EnterpriseRegistry;
class UserStore;

class PrincipalDirectory {
 public:
  // `enterprises` and `users` may be null (none); both must outlive this.
  PrincipalDirectory(const EnterpriseRegistry* enterprises, const UserStore* users,
                     std::vector<ident::AdminIdentity> operators, bool case_sensitive_suffix);

  // Errors only for storage failures.
  absl::StatusOr<std::optional<ident::Principal>> Lookup(const ident::AdminIdentity& who) const;

  // Lookup with storage failures read as "no Principal" (HS_ADMIN alone
  // then decides, so a failure never grants more).
  std::optional<ident::Principal> Of(const ident::AdminIdentity& who) const;

  bool IsOperator(const ident::AdminIdentity& who) const;

 private:
  const EnterpriseRegistry* enterprises_;
  const UserStore* users_;
  std::vector<ident::AdminIdentity> operators_;
  bool case_sensitive_suffix_;
};

}  // namespace qilian::tenant

#endif  // QILIAN_TENANT_PRINCIPALS_H_
