// The Handle system's authorization rule (RFC 3652 section 3.3, as
// Handle.Net servers apply it): an authenticated administrator `index:handle`
// may perform an operation on a handle if an HS_ADMIN value that governs the
// handle grants the operation's permission bit and names the administrator,
// directly or through HS_VLIST groups. See docs/authorization.md for the
// inheritance from prefix handles and the response codes.
//
// This module only decides; it does not authenticate (the caller passes an
// identity it has already verified) and it does not write anything.
#ifndef QILIAN_IDENT_AUTHZ_ADMIN_CHECK_H_
#define QILIAN_IDENT_AUTHZ_ADMIN_CHECK_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ident/caller.h"
#include "ident/handle_value.h"
#include "ident/registry.h"
#include "ident/response_code.h"

namespace qilian::ident::authz {

// An authenticated administrator: the handle and index of the key (HS_SECKEY
// or HS_PUBKEY value) it proved possession of, e.g. 300:88.999/ADMIN.
// Declared in ident/caller.h, shared with the processor's Request.
using ::qilian::ident::AdminIdentity;

// The operations HS_ADMIN permission bits govern.
enum class AdminOp {
  kAddHandle,
  kDeleteHandle,
  kAddDerivedPrefix,     // target: the new prefix handle 0.NA/<child>
  kDeleteDerivedPrefix,  // target: the prefix handle 0.NA/<child> to delete
  kAddValue,
  kModifyValue,
  kRemoveValue,
  kAddAdmin,     // adding an HS_ADMIN value
  kModifyAdmin,  // modifying an HS_ADMIN value
  kRemoveAdmin,  // removing an HS_ADMIN value
  kAuthorizedRead,
  kListHandles,  // target: the prefix handle 0.NA/<prefix> being listed
};

std::string_view AdminOpName(AdminOp op);
uint16_t PermissionFor(AdminOp op);  // an admin_perm bit

// Reads other handles' values (prefix handles, HS_VLIST groups). Returns the
// values, or an error carrying 100 when the handle does not exist; any other
// error is a storage failure and aborts the check.
using HandleLookup =
    std::function<absl::StatusOr<std::vector<HandleValue>>(std::string_view handle)>;

// A lookup over a registry (the node's own handles).
HandleLookup RegistryLookup(const Registry* registry);

struct AdminCheckOptions {
  // HS_VLIST nesting followed before giving up (a group inside a group is
  // depth 2), and the most handles read for one check; both bound the work
  // an attacker-built group structure can cause.
  int max_group_depth = 8;
  int max_lookups = 64;
  // Handle.Net's `allow_na_admins`: also consult the prefix handles when the
  // target's own HS_ADMIN values do not authorize. Off by default: a handle
  // with HS_ADMIN values is governed by them alone.
  bool prefix_admins_always = false;
  // Suffix comparison of admin references (prefixes always compare
  // case-insensitively), as RegistryOptions::case_sensitive_suffix.
  bool case_sensitive_suffix = false;
};

struct AdminDecision {
  bool allowed = false;
  // kSuccess when allowed; otherwise 400 (the identity is not an
  // administrator of the handle at all), 401 (it is one, but no HS_ADMIN
  // naming it grants the permission), 102 (target is not a valid handle).
  ResponseCode code = ResponseCode::kInsufficientPermissions;
  std::string reason;  // which HS_ADMIN matched, or why none did
  // The HS_ADMIN value that authorized, and the handle holding it.
  std::string matched_handle;
  uint32_t matched_index = 0;

  // OK when allowed, else HandleError(code, reason).
  absl::Status ToStatus() const;
};

// Decides whether `who` may perform `op` on `target`. `target_values` are the
// target handle's current values (empty for a handle that does not exist
// yet). Errors only for lookup failures other than "not found".
absl::StatusOr<AdminDecision> CheckAdmin(const AdminIdentity& who, AdminOp op,
                                         std::string_view target,
                                         const std::vector<HandleValue>& target_values,
                                         const HandleLookup& lookup,
                                         const AdminCheckOptions& options = {});

// The prefix handles consulted for `target`, nearest first: for 88.999.7/X
// (or 0.NA/88.999.7) they are 0.NA/88.999.7, 0.NA/88.999, 0.NA/88. For
// derived-prefix operations, whose authority is the parent, the target's own
// prefix handle is left out.
std::vector<std::string> PrefixHandleChain(std::string_view target, bool include_self = true);

// Value-level read permission: what `values` a reader may see. Anonymous
// readers (and administrators without read permission on the handle) see
// values with kPermPublicRead; administrators granted kReadValue also see
// values with kPermAdminRead. A value with neither bit is seen by nobody.
std::vector<HandleValue> VisibleValues(const std::vector<HandleValue>& values,
                                       bool authorized_reader);

// Value-level write permission for an existing value: an administrator needs
// kPermAdminWrite on it, anyone else kPermPublicWrite.
bool ValueWritable(const HandleValue& value, bool authenticated_admin);

}  // namespace qilian::ident::authz

#endif  // QILIAN_IDENT_AUTHZ_ADMIN_CHECK_H_
