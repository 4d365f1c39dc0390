// /api/prefixes/{prefix}/templates...: identifier data templates
// (ident/template/, docs/templates.md).
//
// Authorization (docs/authorization.md "Templates"): a prefix's templates
// are administered as the prefix is: operators, and enterprise
// administrators of the enterprise owning the prefix (or a parent of it),
// may create templates and versions; enterprise members of that enterprise
// and auditors read. Anonymous callers get 401, anyone else 403.
//
// Bodies are parsed strictly (template_json.h): unknown members refused,
// every error names its field path. Writes, done or refused after
// authentication, are appended to the audit log.
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "api/tenant_scope.h"
#include "core/status.h"
#include "ident/authz/roles.h"
#include "ident/handle_name.h"
#include "ident/response_code.h"
#include "ident/template/template_json.h"
#include "ident/template/template_store.h"
#include "tenant/field_error.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;
using ident::Role;
using ident::templates::Template;
using json = nlohmann::json;

namespace {

enum class TemplateAccess { kRead, kWrite };

net::HttpResponse NotEnabled(Call* call) {
  call->SetReason("not_enabled");
  return ErrorResponse(call,
                       HandleError(ResponseCode::kOperationNotSupported,
                                   "identifier templates are not enabled on this node"),
                       "", 501);
}

absl::Status Forbidden(std::string message) {
  return HandleError(ResponseCode::kInsufficientPermissions, message);
}

// The decoded, valid prefix of the path.
absl::StatusOr<std::string> PathPrefix(Call* call, std::string_view raw) {
  std::optional<std::string> prefix = PercentDecode(raw, /*plus_is_space=*/false);
  if (!prefix) return BadParam(call, "prefix has an invalid percent-escape");
  if (absl::Status s = ident::ValidatePrefix(*prefix); !s.ok()) {
    return call->Reject("bad_param", s);
  }
  return *std::move(prefix);
}

// Whether the caller may read or change the templates of `prefix`.
absl::Status Authorize(const Call& call, std::string_view prefix, TemplateAccess access) {
  const ident::Caller& caller = call.caller;
  if (caller.anonymous()) {
    return HandleError(ResponseCode::kAuthenticationNeeded, "authentication required");
  }
  const Role role = caller.principal ? caller.principal->role : Role::kAnonymous;
  switch (role) {
    case Role::kOperator:
      return absl::OkStatus();
    case Role::kAuditor:
      if (access == TemplateAccess::kRead) return absl::OkStatus();
      return Forbidden(absl::StrCat(caller.actor, " is an auditor and may not change templates"));
    case Role::kEnterpriseAdmin:
    case Role::kEnterpriseMember: {
      const std::string prefix_handle = absl::StrCat("0.NA/", std::string(prefix));
      if (!ident::authz::OwnedBy(prefix_handle, caller.principal->prefixes)) {
        return Forbidden(absl::StrCat("prefix '", std::string(prefix),
                                      "' does not belong to the enterprise of ", caller.actor));
      }
      if (access == TemplateAccess::kWrite && role == Role::kEnterpriseMember) {
        return Forbidden(absl::StrCat(caller.actor,
                                      " is an enterprise member and may not change templates"));
      }
      return absl::OkStatus();
    }
    case Role::kAnonymous:
      break;
  }
  return Forbidden(absl::StrCat(caller.actor,
                                " is not an operator, an auditor or enterprise staff of this "
                                "node, so it has no templates"));
}

absl::StatusOr<uint32_t> PathVersion(Call* call, std::string_view raw) {
  std::optional<uint64_t> v = ParseDecimal(raw, 1, ident::templates::kMaxVersion);
  if (!v) {
    return BadParam(call, absl::StrCat("version must be an integer in 1..",
                                       ident::templates::kMaxVersion, ", got '",
                                       tenant::Excerpt(raw), "'"));
  }
  return static_cast<uint32_t>(*v);
}

// The body as a template, and whether it named a version.
struct ParsedBody {
  Template tmpl;
  bool version_given = false;
};

absl::StatusOr<ParsedBody> TemplateBody(Call* call) {
  const std::string& body = call->request->body;
  absl::StatusOr<nlohmann::ordered_json> doc = ident::templates::ParseTemplateText(body);
  if (!doc.ok()) return call->Reject("malformed_json", doc.status());
  absl::StatusOr<Template> t = ident::templates::TemplateFromJson(*doc);
  if (!t.ok()) return call->Reject("bad_field", t.status());
  return ParsedBody{*std::move(t), doc->contains("version")};
}

json Answer(const Template& t) {
  json out = {{"responseCode", static_cast<int>(ResponseCode::kSuccess)}};
  out["template"] = json::parse(ident::templates::TemplateToJson(t).dump());
  return out;
}

json List(const std::vector<Template>& templates) {
  json list = json::array();
  for (const Template& t : templates) {
    list.push_back(json::parse(ident::templates::TemplateToJson(t).dump()));
  }
  return list;
}

std::string Id(std::string_view prefix, std::string_view name) {
  return absl::StrCat(std::string(prefix), " ", std::string(name));
}

// Common front of every route: enabled, no query, prefix, authorization.
absl::StatusOr<std::string> Enter(const ApiContext& ctx, Call* call, std::string_view raw_prefix,
                                  TemplateAccess access) {
  QL_RETURN_IF_ERROR(RequireNoQuery(call));
  QL_ASSIGN_OR_RETURN(std::string prefix, PathPrefix(call, raw_prefix));
  if (absl::Status s = Authorize(*call, prefix, access); !s.ok()) {
    if (access == TemplateAccess::kWrite) {
      AuditWrite(ctx, *call, "write template", std::nullopt, "template", prefix, s);
    }
    return s;
  }
  return prefix;
}

}  // namespace

net::HttpResponse CreateTemplate(const ApiContext& ctx, Call* call, std::string_view raw_prefix) {
  if (ctx.templates == nullptr) return NotEnabled(call);
  auto prefix = Enter(ctx, call, raw_prefix, TemplateAccess::kWrite);
  if (!prefix.ok()) return ErrorResponse(call, prefix.status(), "");
  auto body = TemplateBody(call);
  if (!body.ok()) return ErrorResponse(call, body.status(), "");
  const std::string name = body->tmpl.name;
  auto created = ctx.templates->Create(*prefix, std::move(body->tmpl));
  AuditWrite(ctx, *call, "create template", std::nullopt, "template", Id(*prefix, name),
             created.status());
  if (!created.ok()) return ErrorResponse(call, created.status(), "");
  return JsonResponse(201, Answer(*created));
}

net::HttpResponse ListTemplates(const ApiContext& ctx, Call* call, std::string_view raw_prefix) {
  if (ctx.templates == nullptr) return NotEnabled(call);
  auto prefix = Enter(ctx, call, raw_prefix, TemplateAccess::kRead);
  if (!prefix.ok()) return ErrorResponse(call, prefix.status(), "");
  auto list = ctx.templates->List(*prefix);
  if (!list.ok()) return ErrorResponse(call, list.status(), "");
  json out = {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
              {"prefix", *prefix},
              {"templates", List(*list)}};
  return JsonResponse(200, out);
}

net::HttpResponse GetTemplate(const ApiContext& ctx, Call* call, std::string_view raw_prefix,
                              std::string_view name, std::string_view raw_version) {
  if (ctx.templates == nullptr) return NotEnabled(call);
  auto prefix = Enter(ctx, call, raw_prefix, TemplateAccess::kRead);
  if (!prefix.ok()) return ErrorResponse(call, prefix.status(), "");
  std::optional<uint32_t> version;
  if (!raw_version.empty()) {
    auto v = PathVersion(call, raw_version);
    if (!v.ok()) return ErrorResponse(call, v.status(), "");
    version = *v;
  }
  auto t = ctx.templates->Get(*prefix, name, version);
  if (!t.ok()) return ErrorResponse(call, t.status(), "");
  return JsonResponse(200, Answer(*t));
}

net::HttpResponse ListTemplateVersions(const ApiContext& ctx, Call* call,
                                       std::string_view raw_prefix, std::string_view name) {
  if (ctx.templates == nullptr) return NotEnabled(call);
  auto prefix = Enter(ctx, call, raw_prefix, TemplateAccess::kRead);
  if (!prefix.ok()) return ErrorResponse(call, prefix.status(), "");
  auto versions = ctx.templates->Versions(*prefix, name);
  if (!versions.ok()) return ErrorResponse(call, versions.status(), "");
  json out = {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
              {"versions", List(*versions)}};
  return JsonResponse(200, out);
}

net::HttpResponse AddTemplateVersion(const ApiContext& ctx, Call* call,
                                     std::string_view raw_prefix, std::string_view name) {
  if (ctx.templates == nullptr) return NotEnabled(call);
  auto prefix = Enter(ctx, call, raw_prefix, TemplateAccess::kWrite);
  if (!prefix.ok()) return ErrorResponse(call, prefix.status(), "");
  auto body = TemplateBody(call);
  if (!body.ok()) return ErrorResponse(call, body.status(), "");
  auto added =
      ctx.templates->AddVersion(*prefix, name, std::move(body->tmpl), body->version_given);
  AuditWrite(ctx, *call, "add template version", std::nullopt, "template", Id(*prefix, name),
             added.status());
  if (!added.ok()) return ErrorResponse(call, added.status(), "");
  return JsonResponse(201, Answer(*added));
}

net::HttpResponse UpdateTemplateVersion(const ApiContext& ctx, Call* call,
                                        std::string_view raw_prefix, std::string_view name,
                                        std::string_view raw_version) {
  if (ctx.templates == nullptr) return NotEnabled(call);
  auto prefix = Enter(ctx, call, raw_prefix, TemplateAccess::kWrite);
  if (!prefix.ok()) return ErrorResponse(call, prefix.status(), "");
  auto version = PathVersion(call, raw_version);
  if (!version.ok()) return ErrorResponse(call, version.status(), "");
  auto body = TemplateBody(call);
  if (!body.ok()) return ErrorResponse(call, body.status(), "");
  auto updated = ctx.templates->Update(*prefix, name, *version, std::move(body->tmpl),
                                       body->version_given);
  AuditWrite(ctx, *call, "update template", std::nullopt, "template", Id(*prefix, name),
             updated.status());
  if (ident::templates::IsIncompatibleChange(updated.status())) {
    call->SetReason("incompatible_template");
    return ErrorResponse(call, updated.status(), "", 409);
  }
  if (!updated.ok()) return ErrorResponse(call, updated.status(), "");
  return JsonResponse(200, Answer(*updated));
}

}  // namespace qilian::api
