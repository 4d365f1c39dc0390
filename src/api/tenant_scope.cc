#include "api/tenant_scope.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "api/query.h"
#include "core/status.h"
#include "ident/authz/audit_log.h"
#include "ident/response_code.h"
#include "tenant/enterprise_registry.h"
#include "tenant/field_error.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;
using ident::Role;
using nlohmann::json;

namespace {

absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Forbidden(std::string_view message) {
  return HandleError(ResponseCode::kInsufficientPermissions, message);
}

// The enterprise of enterprise staff: the Principal's enterprise id, else
// the owner of its first prefix.
absl::StatusOr<uint64_t> OwnEnterprise(const ApiContext& ctx, const Call& call) {
  const ident::Principal& p = *call.caller.principal;
  if (auto id = ParseDecimal(p.enterprise, 1, UINT64_MAX / 10)) return *id;
  if (!p.prefixes.empty() && ctx.enterprises != nullptr) {
    QL_ASSIGN_OR_RETURN(std::optional<tenant::Enterprise> owner,
                        ctx.enterprises->OwnerOf(p.prefixes.front()));
    if (owner.has_value()) return owner->id;
  }
  return Forbidden(absl::StrCat(call.caller.actor, " belongs to no enterprise"));
}

}  // namespace

absl::StatusOr<std::optional<uint64_t>> TargetEnterprise(const ApiContext& ctx, Call* call,
                                                         const std::optional<std::string>& named,
                                                         Access access, bool must_name,
                                                         const ScopeNouns& nouns) {
  const ident::Caller& caller = call->caller;
  if (caller.anonymous()) {
    return HandleError(ResponseCode::kAuthenticationNeeded, "authentication required");
  }
  const Role role = caller.principal ? caller.principal->role : Role::kAnonymous;
  if (role == Role::kAnonymous) {
    return Forbidden(absl::StrCat(caller.actor,
                                  " is not an operator, an auditor or enterprise staff of this "
                                  "node, so it has no ",
                                  A(nouns.many)));
  }
  if (role == Role::kAuditor && access != Access::kRead) {
    return Forbidden(
        absl::StrCat(caller.actor, " is an auditor and may not change ", A(nouns.many)));
  }
  if (role == Role::kEnterpriseMember && access == Access::kDelete) {
    return Forbidden(
        absl::StrCat(caller.actor, " is an enterprise member and may not delete ", A(nouns.many)));
  }
  std::optional<uint64_t> given;
  if (named.has_value()) {
    given = ParseDecimal(*named, 1, UINT64_MAX / 10);
    if (!given) {
      return BadParam(call, absl::StrCat("enterprise must be a positive integer, got '",
                                         tenant::Excerpt(*named), "'"));
    }
  }
  if (role == Role::kOperator || role == Role::kAuditor) {
    if (!given) {
      if (!must_name) return std::optional<uint64_t>();
      return BadParam(call, absl::StrCat("enterprise is required: operators and auditors name "
                                         "the enterprise whose ",
                                         A(nouns.one), " this is (?enterprise=N)"));
    }
    if (ctx.enterprises != nullptr) QL_RETURN_IF_ERROR(ctx.enterprises->Get(*given).status());
    return given;
  }
  QL_ASSIGN_OR_RETURN(uint64_t own, OwnEnterprise(ctx, *call));
  if (given && *given != own) {
    // As for a missing enterprise: staff learn nothing of others.
    return HandleError(ResponseCode::kHandleNotFound,
                       absl::StrCat("enterprise ", *given, " not found"));
  }
  return std::optional<uint64_t>(own);
}

void AuditWrite(const ApiContext& ctx, const Call& call, std::string_view action,
                std::optional<uint64_t> enterprise, std::string_view noun, std::string_view id,
                const absl::Status& outcome) {
  if (ctx.auth == nullptr || ctx.auth->audit == nullptr || call.caller.anonymous()) return;
  ident::authz::AuditEvent event;
  event.time = absl::Now();
  event.actor = call.caller.actor;
  event.action = std::string(action);
  if (enterprise.has_value() && ctx.enterprises != nullptr) {
    if (auto e = ctx.enterprises->Get(*enterprise); e.ok()) event.target = e->prefix;
  }
  event.peer = call.request->remote_address;
  event.transport = call.request->tls ? "https" : "http";
  event.result =
      static_cast<uint32_t>(outcome.ok() ? ResponseCode::kSuccess : ident::ResponseCodeOf(outcome));
  event.detail = absl::StrCat(A(noun), " '", tenant::Excerpt(id), "'",
                              enterprise ? absl::StrCat(" of enterprise ", *enterprise) : "",
                              outcome.ok() ? "" : ": ", outcome.message());
  (void)ctx.auth->audit->Append(std::move(event));
}

std::optional<std::string> NamedEnterprise(const std::map<std::string, std::string>& params) {
  auto it = params.find("enterprise");
  if (it == params.end()) return std::nullopt;
  return it->second;
}

absl::Status BadField(Call* call, std::string_view field, std::string_view problem) {
  return call->Reject("bad_field", tenant::FieldError(field, problem));
}

absl::Status KnownMembersOnly(Call* call, const json& object, std::string_view parent,
                              std::initializer_list<std::string_view> known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool found = false;
    for (std::string_view k : known) found = found || it.key() == k;
    if (!found) {
      std::string field = parent.empty() ? it.key() : absl::StrCat(A(parent), ".", it.key());
      return BadField(call, tenant::Excerpt(field), "is not a known field");
    }
  }
  return absl::OkStatus();
}

// The string member `name` of `object` (absent: `*out` unchanged).
absl::Status OptionalString(Call* call, const json& object, const char* name,
                            std::string_view field, std::string* out) {
  auto it = object.find(name);
  if (it == object.end()) return absl::OkStatus();
  if (!it->is_string()) return BadField(call, field, "must be a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

std::string Timestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

json NameJson(const platform::LocalizedName& name) {
  json out = {{"zh", name.zh}};
  if (!name.en.empty()) out["en"] = name.en;
  return out;
}

}  // namespace qilian::api
