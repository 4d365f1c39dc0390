// The processor's question to the authorization layer (issue 5): may this
// caller perform this request, and may it see restricted values? Declared
// here so that the processor (qilian_ident) does not depend on the
// authorization library that implements it (ident/authz/authorizer.h).
#ifndef QILIAN_IDENT_ACCESS_POLICY_H_
#define QILIAN_IDENT_ACCESS_POLICY_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ident/handle_value.h"
#include "store/kv_store.h"

namespace qilian::ident {

struct Request;
struct Response;

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;

  // OK when `request.caller` may perform the write (or listing)
  // `request`; otherwise the HandleError to answer: 402 for an anonymous
  // caller, 401/400 from the role and HS_ADMIN rules, 603/604/605 past a
  // write quota. `current` holds the target's values (empty when it does
  // not exist).
  virtual absl::Status Authorize(const Request& request,
                                 const std::vector<HandleValue>& current) const = 0;

  // Whether `request.caller` may read the values of `request.handle` that
  // lack public read (authorized read), given the handle's `current`
  // values. Anonymous callers never may.
  virtual absl::StatusOr<bool> MayReadRestricted(const Request& request,
                                                 const std::vector<HandleValue>& current) const = 0;

  // The audit trail (who, what, when, from where, result). For a write by
  // an authenticated caller that has been authorized, the processor asks
  // for the event first, as if the write succeeds, and hands `batch` to the
  // registry: the event is stored in the same atomic write as the change
  // (a stored change always has its event, at the cost of no extra sync).
  virtual void StageAudit(const Request& request, store::WriteBatch* batch) const = 0;
  // Appends an event on its own: for listings by authenticated callers, and
  // for writes that were refused or failed (by anyone but an anonymous
  // caller about to be challenged).
  virtual void Audit(const Request& request, const Response& response) const = 0;
};

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_ACCESS_POLICY_H_
