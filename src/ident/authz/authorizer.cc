#include "ident/authz/authorizer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "core/status.h"
#include "ident/authz/roles.h"
#include "ident/handle_name.h"

namespace qilian::ident::authz {
namespace {

bool IsPrefixHandle(std::string_view handle) {
  absl::StatusOr<HandleName> name = ParseHandle(handle);
  return name.ok() && EqualsIgnoreCaseAscii(name->prefix, "0.NA");
}

bool IsAdminValue(const HandleValue& v) { return v.type == kTypeAdmin; }

bool IsOperator(const Caller& caller) {
  return caller.principal.has_value() && caller.principal->role == Role::kOperator;
}

// Auditors read everything (and change nothing): their reads are not
// subject to the handles' HS_ADMIN values.
bool IsAuditorRead(const Caller& caller, AdminOp op) {
  return caller.principal.has_value() && caller.principal->role == Role::kAuditor &&
         (op == AdminOp::kListHandles || op == AdminOp::kAuthorizedRead);
}

// The audit log's name for an operation.
std::string_view ActionOf(const Request& request) {
  switch (request.op) {
    case OpCode::kCreateHandle:
      return request.put_values_only ? "put values" : "create handle";
    case OpCode::kDeleteHandle:
      return "delete handle";
    case OpCode::kAddValue:
      return "add values";
    case OpCode::kRemoveValue:
      return "remove values";
    case OpCode::kModifyValue:
      return "modify values";
    case OpCode::kListHandles:
      return "list handles";
    case OpCode::kResolution:
      return "authorized read";
    default:
      return OpCodeName(request.op);
  }
}

}  // namespace

Authorizer::Authorizer(const Registry* registry, AuthorizerOptions options)
    : registry_(registry), options_(std::move(options)) {}

std::vector<AdminOp> Authorizer::RequiredOps(const Request& request,
                                             const std::vector<HandleValue>& current) {
  const bool prefix_handle = IsPrefixHandle(request.handle);
  std::vector<AdminOp> ops;
  auto add = [&](AdminOp op) {
    if (std::find(ops.begin(), ops.end(), op) == ops.end()) ops.push_back(op);
  };
  auto current_at = [&](uint32_t index) -> const HandleValue* {
    for (const auto& v : current) {
      if (v.index == index) return &v;
    }
    return nullptr;
  };
  switch (request.op) {
    case OpCode::kCreateHandle:
      if (current.empty()) {
        // A new handle is governed by its prefix handles alone.
        add(prefix_handle ? AdminOp::kAddDerivedPrefix : AdminOp::kAddHandle);
        break;
      }
      // A replace of an existing handle (overwrite, or REST's PUT): each
      // value is added or modified; a whole replace also removes the
      // values it does not bring.
      for (const auto& v : request.values) {
        const HandleValue* old = current_at(v.index);
        const bool admin = IsAdminValue(v) || (old != nullptr && IsAdminValue(*old));
        if (old == nullptr) {
          add(admin ? AdminOp::kAddAdmin : AdminOp::kAddValue);
        } else {
          add(admin ? AdminOp::kModifyAdmin : AdminOp::kModifyValue);
        }
      }
      if (!request.put_values_only) {
        for (const auto& old : current) {
          const bool kept = std::any_of(request.values.begin(), request.values.end(),
                                        [&](const auto& v) { return v.index == old.index; });
          if (!kept) add(IsAdminValue(old) ? AdminOp::kRemoveAdmin : AdminOp::kRemoveValue);
        }
      }
      // Rewriting a record with itself changes nothing but is still a
      // write: it needs the modify permission (HANDLE-INTEROP.md).
      if (ops.empty()) add(AdminOp::kModifyValue);
      break;
    case OpCode::kDeleteHandle:
      add(prefix_handle ? AdminOp::kDeleteDerivedPrefix : AdminOp::kDeleteHandle);
      break;
    case OpCode::kAddValue:
    case OpCode::kModifyValue: {
      const bool adding = request.op == OpCode::kAddValue;
      for (const auto& v : request.values) {
        const HandleValue* old = current_at(v.index);
        const bool admin = IsAdminValue(v) || (old != nullptr && IsAdminValue(*old));
        if (admin) {
          add(adding ? AdminOp::kAddAdmin : AdminOp::kModifyAdmin);
        } else {
          add(adding ? AdminOp::kAddValue : AdminOp::kModifyValue);
        }
      }
      if (ops.empty()) add(adding ? AdminOp::kAddValue : AdminOp::kModifyValue);
      break;
    }
    case OpCode::kRemoveValue:
      for (const auto& v : current) {
        if (std::find(request.indexes.begin(), request.indexes.end(), v.index) !=
            request.indexes.end()) {
          add(IsAdminValue(v) ? AdminOp::kRemoveAdmin : AdminOp::kRemoveValue);
        }
      }
      if (ops.empty()) add(AdminOp::kRemoveValue);
      break;
    case OpCode::kListHandles:
      add(AdminOp::kListHandles);
      break;
    case OpCode::kResolution:
      add(AdminOp::kAuthorizedRead);
      break;
    default:
      break;
  }
  return ops;
}

absl::Status Authorizer::Authorize(const Request& request,
                                   const std::vector<HandleValue>& current) const {
  const Caller& caller = request.caller;
  if (caller.anonymous()) {
    return HandleError(ResponseCode::kAuthenticationNeeded, "authentication required");
  }
  const std::vector<AdminOp> ops = RequiredOps(request, current);
  if (ops.empty()) {
    return HandleError(ResponseCode::kOperationNotSupported,
                       absl::StrCat("operation ", std::string(OpCodeName(request.op)),
                                    " cannot be authorized"));
  }
  for (AdminOp op : ops) {
    if (caller.principal.has_value()) {
      QL_RETURN_IF_ERROR(RoleAllows(*caller.principal, op, request.handle).ToStatus());
    }
    // Operators act on the whole node; console users without a bound
    // identity act by role and tenancy alone.
    if (caller.identity.has_value() && !IsOperator(caller) && !IsAuditorRead(caller, op)) {
      QL_ASSIGN_OR_RETURN(AdminDecision decision,
                          CheckAdmin(*caller.identity, op, request.handle, current,
                                     RegistryLookup(registry_), options_.admin_check));
      QL_RETURN_IF_ERROR(decision.ToStatus());
    }
  }
  if (options_.charge_write && request.op != OpCode::kListHandles &&
      request.op != OpCode::kResolution) {
    QL_RETURN_IF_ERROR(options_.charge_write(
        caller, request, request.op == OpCode::kCreateHandle && current.empty()));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> Authorizer::MayReadRestricted(const Request& request,
                                                   const std::vector<HandleValue>& current) const {
  const Caller& caller = request.caller;
  if (caller.anonymous()) return false;
  if (caller.principal.has_value()) {
    const Role role = caller.principal->role;
    if (role == Role::kOperator || role == Role::kAuditor) return true;
    if (!RoleAllows(*caller.principal, AdminOp::kAuthorizedRead, request.handle).allowed) {
      return false;
    }
  }
  if (!caller.identity.has_value()) return caller.principal.has_value();
  QL_ASSIGN_OR_RETURN(AdminDecision decision,
                      CheckAdmin(*caller.identity, AdminOp::kAuthorizedRead, request.handle,
                                 current, RegistryLookup(registry_), options_.admin_check));
  return decision.allowed;
}

namespace {

AuditEvent EventOf(const Request& request, ResponseCode result, std::string detail) {
  AuditEvent event;
  event.time = absl::Now();
  event.actor = request.caller.actor;
  event.action = std::string(ActionOf(request));
  event.target = request.handle;
  event.peer = request.peer.address;
  event.transport = std::string(TransportName(request.peer.transport));
  event.result = static_cast<uint32_t>(result);
  event.detail = std::move(detail);
  return event;
}

}  // namespace

void Authorizer::StageAudit(const Request& request, store::WriteBatch* batch) const {
  if (options_.audit == nullptr) return;
  if (absl::StatusOr<uint64_t> staged = options_.audit->Stage(
          EventOf(request, ResponseCode::kSuccess, request.caller.method), batch);
      !staged.ok()) {
    LogError("audit.stage_failed", {{"error", std::string(staged.status().message())}});
  }
}

void Authorizer::Audit(const Request& request, const Response& response) const {
  if (options_.audit == nullptr) return;
  AuditEvent event =
      EventOf(request, response.code, response.ok() ? request.caller.method : response.message);
  if (absl::StatusOr<uint64_t> appended = options_.audit->Append(std::move(event));
      !appended.ok()) {
    LogError("audit.append_failed", {{"error", std::string(appended.status().message())}});
  }
}

}  // namespace qilian::ident::authz
