// The access policy qiliand installs in the processor (issue 5,
// docs/authorization.md "Who may do what"): every write needs an
// authenticated caller; console roles and enterprise tenancy (roles.h) and
// the handle's HS_ADMIN values (admin_check.h) must both allow it; write
// quotas bound how much one caller writes; restricted values are shown to
// authorized readers only; and every authenticated change and refused write
// goes to the audit log.
#ifndef QILIAN_IDENT_AUTHZ_AUTHORIZER_H_
#define QILIAN_IDENT_AUTHZ_AUTHORIZER_H_

#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ident/access_policy.h"
#include "ident/authz/admin_check.h"
#include "ident/authz/audit_log.h"
#include "ident/processor.h"
#include "ident/registry.h"

namespace qilian::ident::authz {

struct AuthorizerOptions {
  AdminCheckOptions admin_check;
  // Where events go; null: no audit trail (unit tests).
  AuditLog* audit = nullptr;
  // Charges one write to the caller's quota (write_quota.h); OK or the IDIS
  // 603/604/605 error. `creates_handle`: the write makes a new identifier
  // (a create of a handle that does not exist yet). Null: no quotas.
  std::function<absl::Status(const Caller& caller, const Request& request, bool creates_handle)>
      charge_write;
};

class Authorizer : public AccessPolicy {
 public:
  // `registry` (HS_ADMIN and HS_VLIST lookups) must outlive the authorizer.
  Authorizer(const Registry* registry, AuthorizerOptions options);

  // 402 "authentication required" for anonymous callers; then, for each
  // operation RequiredOps names: the role rule (when the caller has a
  // Principal), and the HS_ADMIN rule (when the caller has an identity and
  // is not an operator, who acts on the whole node); then the quota.
  absl::Status Authorize(const Request& request,
                         const std::vector<HandleValue>& current) const override;

  absl::StatusOr<bool> MayReadRestricted(const Request& request,
                                         const std::vector<HandleValue>& current) const override;

  void StageAudit(const Request& request, store::WriteBatch* batch) const override;
  void Audit(const Request& request, const Response& response) const override;

  // The HS_ADMIN operations `request` needs, given the target's current
  // values: create → add handle (add derived prefix for 0.NA/<p>); delete →
  // delete handle (delete derived prefix); add/modify → add/modify value, or
  // add/modify admin for HS_ADMIN values; remove → remove value/admin for the
  // values named; REST's whole-record PUT on an existing handle → the adds,
  // modifications and removals it amounts to; list → list handles.
  static std::vector<AdminOp> RequiredOps(const Request& request,
                                          const std::vector<HandleValue>& current);

 private:
  const Registry* registry_;
  AuthorizerOptions options_;
};

}  // namespace qilian::ident::authz

#endif  // QILIAN_IDENT_AUTHZ_AUTHORIZER_H_
