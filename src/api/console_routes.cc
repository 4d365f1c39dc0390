// The console routes (docs/console-users.md): POST /api/login and
// /api/logout, GET /api/me, /api/users (POST, GET), /api/users/{name} (GET,
// DELETE), PUT /api/users/{name}/password, GET /api/audit.
//
// Who may do what: operators manage every user; an enterprise administrator
// manages the members of its own enterprise; every user reads itself and
// changes its own password. Operators and auditors read the whole audit
// log; an enterprise administrator reads only its own prefixes'. Anything
// else is 403 with Handle code 401; no caller at all is 401 with code 402.
// Body errors name the field at fault, as enterprise_routes.cc does.
#include "api/console_routes.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "core/status.h"
#include "ident/authz/audit_log.h"
#include "ident/authz/roles.h"
#include "ident/response_code.h"
#include "tenant/enterprise_registry.h"
#include "tenant/field_error.h"
#include "tenant/token_service.h"
#include "tenant/user_store.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;
using ident::Role;
using nlohmann::json;

namespace {

constexpr size_t kMaxConsoleBodyBytes = 16384;


net::HttpResponse ConsoleError(Call* call, const absl::Status& status, int http_status = 0) {
  return ErrorResponse(call, status, "", http_status);
}

net::HttpResponse NotEnabled(Call* call, std::string_view what) {
  call->SetReason("not_enabled");
  return ConsoleError(call,
                      HandleError(ResponseCode::kOperationNotSupported,
                                  absl::StrCat(std::string(what), " not enabled on this node")),
                      501);
}

json Ok(json body) {
  json out = {{"responseCode", static_cast<int>(ResponseCode::kSuccess)}};
  out.update(body);
  return out;
}

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

// ---- Bodies.

absl::StatusOr<json> ObjectBody(Call* call) { return ParseObjectBody(call, kMaxConsoleBodyBytes); }

absl::Status OnlyKnownMembers(const json& object, std::string_view what,
                              std::initializer_list<std::string_view> known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool found = false;
    for (std::string_view k : known) found = found || it.key() == k;
    if (!found) {
      return tenant::FieldError(tenant::Excerpt(it.key()),
                                absl::StrCat("is not a field of ", std::string(what)));
    }
  }
  return absl::OkStatus();
}

absl::Status TakeString(const json& object, const char* name, bool required, std::string* out) {
  auto it = object.find(name);
  if (it == object.end()) {
    return required ? tenant::FieldError(name, "is required") : absl::OkStatus();
  }
  if (!it->is_string()) return tenant::FieldError(name, "must be a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

struct LoginBody {
  std::string user;
  std::string password;
};

absl::StatusOr<LoginBody> ParseLogin(Call* call) {
  QL_ASSIGN_OR_RETURN(json doc, ObjectBody(call));
  QL_RETURN_IF_ERROR(OnlyKnownMembers(doc, "a login request", {"user", "password"}));
  LoginBody out;
  QL_RETURN_IF_ERROR(TakeString(doc, "user", true, &out.user));
  QL_RETURN_IF_ERROR(TakeString(doc, "password", true, &out.password));
  return out;
}

absl::StatusOr<ident::AdminIdentity> ParseIdentity(std::string_view text) {
  size_t colon = text.find(':');
  uint32_t index = 0;
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size() ||
      !absl::SimpleAtoi(std::string(text.substr(0, colon)), &index) || index == 0 ||
      !absl::ascii_isdigit(static_cast<unsigned char>(text[0]))) {
    return tenant::FieldError("identity",
                              absl::StrCat("must be <index>:<handle>, got '",
                                           tenant::Excerpt(text), "'"));
  }
  return ident::AdminIdentity{std::string(text.substr(colon + 1)), index};
}

absl::StatusOr<tenant::UserInput> ParseUser(Call* call) {
  QL_ASSIGN_OR_RETURN(json doc, ObjectBody(call));
  QL_RETURN_IF_ERROR(OnlyKnownMembers(
      doc, "a user", {"name", "role", "password", "enterprise", "identity", "disabled"}));
  tenant::UserInput in;
  QL_RETURN_IF_ERROR(TakeString(doc, "name", true, &in.name));
  std::string role;
  QL_RETURN_IF_ERROR(TakeString(doc, "role", true, &role));
  std::optional<Role> r = tenant::UserRoleFromName(role);
  if (!r) {
    return tenant::FieldError(
        "role", absl::StrCat("must be operator, enterprise-admin, enterprise-member or auditor, "
                             "got '",
                             tenant::Excerpt(role), "'"));
  }
  in.role = *r;
  QL_RETURN_IF_ERROR(TakeString(doc, "password", true, &in.password));
  if (auto it = doc.find("enterprise"); it != doc.end()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() == 0) {
      return tenant::FieldError("enterprise", "must be a positive integer");
    }
    in.enterprise = it->get<uint64_t>();
  }
  std::string identity;
  QL_RETURN_IF_ERROR(TakeString(doc, "identity", false, &identity));
  if (doc.contains("identity")) {
    QL_ASSIGN_OR_RETURN(in.identity, ParseIdentity(identity));
  }
  if (auto it = doc.find("disabled"); it != doc.end()) {
    if (!it->is_boolean()) return tenant::FieldError("disabled", "must be a boolean");
    in.disabled = it->get<bool>();
  }
  return in;
}

absl::StatusOr<std::string> ParsePassword(Call* call) {
  QL_ASSIGN_OR_RETURN(json doc, ObjectBody(call));
  QL_RETURN_IF_ERROR(OnlyKnownMembers(doc, "a password change", {"password"}));
  std::string password;
  QL_RETURN_IF_ERROR(TakeString(doc, "password", true, &password));
  return password;
}

// ---- Who may.

absl::Status NeedCaller(const Call& call) {
  if (call.caller.anonymous()) {
    return HandleError(ResponseCode::kAuthenticationNeeded, "authentication required");
  }
  return absl::OkStatus();
}

Role RoleOf(const ident::Caller& caller) {
  return caller.principal ? caller.principal->role : Role::kAnonymous;
}

uint64_t EnterpriseOf(const ident::Caller& caller) {
  uint64_t id = 0;
  if (!caller.principal || !absl::SimpleAtoi(caller.principal->enterprise, &id)) return 0;
  return id;
}

bool IsSelf(const ident::Caller& caller, std::string_view name) {
  return caller.actor == tenant::UserActor(name);
}

absl::Status Forbidden(std::string_view message) {
  return HandleError(ResponseCode::kInsufficientPermissions, message);
}

absl::Status MayManage(const ident::Caller& caller, const tenant::User& target) {
  Role role = RoleOf(caller);
  if (role == Role::kOperator) return absl::OkStatus();
  if (role == Role::kEnterpriseAdmin && EnterpriseOf(caller) != 0 &&
      target.enterprise == EnterpriseOf(caller) && target.role == Role::kEnterpriseMember) {
    return absl::OkStatus();
  }
  if (role == Role::kEnterpriseAdmin) {
    return Forbidden(absl::StrCat(caller.actor, " manages only members of enterprise ",
                                  EnterpriseOf(caller)));
  }
  return Forbidden(absl::StrCat(caller.actor, " may not manage console users"));
}

// ---- JSON.

json UserJson(const ConsoleEndpoints& console, const tenant::User& u) {
  json out = {{"name", u.name}, {"role", std::string(tenant::UserRoleName(u.role))}};
  if (u.enterprise != 0) {
    out["enterprise"] = u.enterprise;
    if (console.enterprises != nullptr) {
      if (auto e = console.enterprises->Get(u.enterprise); e.ok()) out["prefix"] = e->prefix;
    }
  }
  if (u.identity) out["identity"] = ident::IdentityText(*u.identity);
  out["disabled"] = u.disabled;
  out["createdAt"] = TimeText(u.created_at);
  out["updatedAt"] = TimeText(u.updated_at);
  return out;
}

json CallerJson(const ident::Caller& c) {
  json out = {{"actor", c.actor}, {"method", c.method}};
  if (c.actor.rfind("user:", 0) == 0) out["user"] = c.actor.substr(5);
  if (c.identity) out["identity"] = ident::IdentityText(*c.identity);
  if (c.principal) {
    out["role"] = std::string(tenant::UserRoleName(c.principal->role));
    if (!c.principal->enterprise.empty()) {
      uint64_t id = 0;
      if (absl::SimpleAtoi(c.principal->enterprise, &id)) {
        out["enterprise"] = id;
      } else {
        out["enterprise"] = c.principal->enterprise;
      }
    }
    if (!c.principal->prefixes.empty()) out["prefixes"] = c.principal->prefixes;
  }
  return out;
}

json EventJson(const ident::authz::AuditEvent& e) {
  return {{"sequence", e.sequence}, {"time", TimeText(e.time)}, {"actor", e.actor},
          {"action", e.action},     {"target", e.target},       {"peer", e.peer},
          {"transport", e.transport}, {"result", e.result},     {"detail", e.detail}};
}

// ---- Query parameters.



std::optional<std::string> BearerToken(const net::HttpRequest& request) {
  const std::string* header = request.Header("authorization");
  if (header == nullptr || header->size() < 7) return std::nullopt;
  if (absl::AsciiStrToLower(header->substr(0, 7)) != "bearer ") return std::nullopt;
  std::string token = header->substr(7);
  absl::StripAsciiWhitespace(&token);
  return token;
}

// ---- Handlers.

net::HttpResponse Login(const ConsoleEndpoints& console, Call* call) {
  if (console.tokens == nullptr) return NotEnabled(call, "console login is");
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ConsoleError(call, s);
  absl::StatusOr<LoginBody> body = ParseLogin(call);
  if (!body.ok()) return ConsoleError(call, body.status());
  absl::StatusOr<tenant::LoginResult> login =
      console.tokens->Login(body->user, body->password, call->request->remote_address);
  if (!login.ok()) return ConsoleError(call, login.status());
  return JsonResponse(200, Ok({{"token", login->token},
                               {"expiresAt", TimeText(login->expires_at)},
                               {"user", login->user.name},
                               {"role", std::string(tenant::UserRoleName(login->user.role))}}));
}

net::HttpResponse Logout(const ConsoleEndpoints& console, Call* call) {
  if (console.tokens == nullptr) return NotEnabled(call, "console login is");
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ConsoleError(call, s);
  std::optional<std::string> token = BearerToken(*call->request);
  if (!token || call->caller.method != "bearer") {
    return ConsoleError(call, HandleError(ResponseCode::kAuthenticationNeeded,
                                          "logout needs Authorization: Bearer <token>"));
  }
  console.tokens->Logout(*token, call->request->remote_address);
  return JsonResponse(200, Ok(json::object()));
}

net::HttpResponse Me(Call* call) {
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ConsoleError(call, s);
  if (absl::Status s = NeedCaller(*call); !s.ok()) return ConsoleError(call, s);
  return JsonResponse(200, Ok(CallerJson(call->caller)));
}

net::HttpResponse CreateUser(const ConsoleEndpoints& console, Call* call) {
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ConsoleError(call, s);
  if (absl::Status s = NeedCaller(*call); !s.ok()) return ConsoleError(call, s);
  const ident::Caller& caller = call->caller;
  Role role = RoleOf(caller);
  if (role != Role::kOperator && role != Role::kEnterpriseAdmin) {
    return ConsoleError(call, Forbidden(absl::StrCat(caller.actor,
                                                     " may not manage console users")));
  }
  absl::StatusOr<tenant::UserInput> input = ParseUser(call);
  if (!input.ok()) return ConsoleError(call, input.status());
  if (role == Role::kEnterpriseAdmin) {
    if (input->enterprise == 0 && input->role == Role::kEnterpriseMember) {
      input->enterprise = EnterpriseOf(caller);
    }
    tenant::User target;
    target.role = input->role;
    target.enterprise = input->enterprise;
    if (absl::Status s = MayManage(caller, target); !s.ok()) return ConsoleError(call, s);
  }
  absl::StatusOr<tenant::User> user = console.users->Create(*input);
  if (!user.ok()) return ConsoleError(call, user.status());
  return JsonResponse(201, Ok({{"user", UserJson(console, *user)}}));
}

net::HttpResponse ListUsers(const ConsoleEndpoints& console, Call* call) {
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ConsoleError(call, s);
  if (absl::Status s = NeedCaller(*call); !s.ok()) return ConsoleError(call, s);
  const ident::Caller& caller = call->caller;
  Role role = RoleOf(caller);
  uint64_t enterprise = 0;
  if (role == Role::kEnterpriseAdmin && EnterpriseOf(caller) != 0) {
    enterprise = EnterpriseOf(caller);
  } else if (role != Role::kOperator) {
    return ConsoleError(call, Forbidden(absl::StrCat(caller.actor,
                                                     " may not manage console users")));
  }
  auto users = console.users->List(enterprise);
  if (!users.ok()) return ConsoleError(call, users.status());
  json list = json::array();
  for (const tenant::User& u : *users) list.push_back(UserJson(console, u));
  return JsonResponse(200, Ok({{"users", std::move(list)}}));
}

// The user `raw_name` names, if the caller may act on it (`self_ok`: a
// user acting on itself is allowed).
absl::StatusOr<tenant::User> TargetUser(const ConsoleEndpoints& console, Call* call,
                                        std::string_view raw_name, bool self_ok) {
  QL_RETURN_IF_ERROR(NeedCaller(*call));
  std::optional<std::string> name = PercentDecode(raw_name, /*plus_is_space=*/false);
  if (!name || !tenant::UserStore::ValidateName(*name).ok()) {
    return BadParam(call, absl::StrCat("'", tenant::Excerpt(name.value_or(std::string(raw_name))),
                                       "' is not a user name"));
  }
  if (self_ok && IsSelf(call->caller, *name)) return console.users->Get(*name);
  Role role = RoleOf(call->caller);
  if (role != Role::kOperator && role != Role::kEnterpriseAdmin) {
    return Forbidden(absl::StrCat(call->caller.actor, " may not manage console users"));
  }
  QL_ASSIGN_OR_RETURN(tenant::User user, console.users->Get(*name));
  QL_RETURN_IF_ERROR(MayManage(call->caller, user));
  return user;
}

net::HttpResponse GetUser(const ConsoleEndpoints& console, Call* call, std::string_view param) {
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ConsoleError(call, s);
  auto user = TargetUser(console, call, param, /*self_ok=*/true);
  if (!user.ok()) return ConsoleError(call, user.status());
  return JsonResponse(200, Ok({{"user", UserJson(console, *user)}}));
}

net::HttpResponse DeleteUser(const ConsoleEndpoints& console, Call* call, std::string_view param) {
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ConsoleError(call, s);
  auto user = TargetUser(console, call, param, /*self_ok=*/false);
  if (!user.ok()) return ConsoleError(call, user.status());
  if (absl::Status s = console.users->Delete(user->name); !s.ok()) return ConsoleError(call, s);
  if (console.tokens != nullptr) console.tokens->RevokeUser(user->name);
  return JsonResponse(200, Ok(json::object()));
}

net::HttpResponse SetPassword(const ConsoleEndpoints& console, Call* call,
                              std::string_view param) {
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ConsoleError(call, s);
  auto user = TargetUser(console, call, param, /*self_ok=*/true);
  if (!user.ok()) return ConsoleError(call, user.status());
  absl::StatusOr<std::string> password = ParsePassword(call);
  if (!password.ok()) return ConsoleError(call, password.status());
  if (absl::Status s = console.users->SetPassword(user->name, *password); !s.ok()) {
    return ConsoleError(call, s);
  }
  // Tokens issued under the old password end with it.
  if (console.tokens != nullptr) console.tokens->RevokeUser(user->name);
  return JsonResponse(200, Ok(json::object()));
}

absl::StatusOr<absl::Time> TimeParam(Call* call, const std::map<std::string, std::string>& q,
                                     const std::string& name, absl::Time fallback) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, it->second, &t, &err)) {
    return BadParam(call, absl::StrCat(name, " must be an RFC 3339 time such as "
                                             "2026-01-02T03:04:05Z, got '",
                                       tenant::Excerpt(it->second), "'"));
  }
  return t;
}

net::HttpResponse QueryAudit(const ConsoleEndpoints& console, Call* call) {
  if (console.audit == nullptr) return NotEnabled(call, "the audit log is");
  auto q = Params(call, {"from", "to", "actor", "prefix", "limit", "cursor"});
  if (!q.ok()) return ConsoleError(call, q.status());
  if (absl::Status s = NeedCaller(*call); !s.ok()) return ConsoleError(call, s);
  const ident::Caller& caller = call->caller;
  ident::authz::AuditQuery query;
  auto from = TimeParam(call, *q, "from", absl::InfinitePast());
  if (!from.ok()) return ConsoleError(call, from.status());
  auto to = TimeParam(call, *q, "to", absl::InfiniteFuture());
  if (!to.ok()) return ConsoleError(call, to.status());
  query.from = *from;
  query.to = *to;
  if (auto it = q->find("actor"); it != q->end()) query.actor = it->second;
  if (auto it = q->find("prefix"); it != q->end()) {
    if (it->second.empty()) return ConsoleError(call, BadParam(call, "prefix must not be empty"));
    query.prefix = it->second;
  }
  if (auto it = q->find("limit"); it != q->end()) {
    uint64_t limit = 0;
    if (!absl::SimpleAtoi(it->second, &limit) || limit == 0 ||
        limit > ident::authz::AuditLog::kMaxQueryLimit ||
        !absl::ascii_isdigit(static_cast<unsigned char>(it->second[0]))) {
      return ConsoleError(
          call, BadParam(call, absl::StrCat("limit must be an integer in 1..",
                                            ident::authz::AuditLog::kMaxQueryLimit, ", got '",
                                            tenant::Excerpt(it->second), "'")));
    }
    query.limit = limit;
  }
  if (auto it = q->find("cursor"); it != q->end()) query.cursor = it->second;

  Role role = RoleOf(caller);
  if (role == Role::kEnterpriseAdmin) {
    const std::vector<std::string>& own = caller.principal->prefixes;
    if (own.empty()) {
      return ConsoleError(call, Forbidden(absl::StrCat(caller.actor, " owns no prefix")));
    }
    if (query.prefix) {
      if (!ident::authz::OwnedBy(absl::StrCat("0.NA/", *query.prefix), own)) {
        return ConsoleError(
            call, Forbidden(absl::StrCat(caller.actor, " may read only the audit of ",
                                         absl::StrJoin(own, ", "))));
      }
    } else if (own.size() == 1) {
      query.prefix = own.front();
    } else {
      return ConsoleError(call, BadParam(call, absl::StrCat("prefix is required: one of ",
                                                            absl::StrJoin(own, ", "))));
    }
  } else if (role != Role::kOperator && role != Role::kAuditor) {
    return ConsoleError(call,
                        Forbidden(absl::StrCat(caller.actor, " may not read the audit log")));
  }
  absl::StatusOr<ident::authz::AuditPage> page = console.audit->Query(query);
  if (!page.ok()) {
    if (page.status().code() == absl::StatusCode::kInvalidArgument) {
      return ConsoleError(call, BadParam(call, std::string(page.status().message())));
    }
    return ConsoleError(call, HandleError(ResponseCode::kError,
                                          std::string(page.status().message())));
  }
  json events = json::array();
  for (const ident::authz::AuditEvent& e : page->events) events.push_back(EventJson(e));
  json out = Ok({{"events", std::move(events)}});
  if (!page->next_cursor.empty()) out["nextCursor"] = page->next_cursor;
  return JsonResponse(200, out);
}

}  // namespace

net::HttpResponse HandleConsoleRoute(const ConsoleEndpoints& console, Call* call, RouteId route,
                                     std::string_view param) {
  const std::string& method = call->request->method;
  switch (route) {
    case RouteId::kLogin:
      return Login(console, call);
    case RouteId::kLogout:
      return Logout(console, call);
    case RouteId::kMe:
      return Me(call);
    case RouteId::kAudit:
      return QueryAudit(console, call);
    default:
      break;
  }
  if (console.users == nullptr) return NotEnabled(call, "console users are");
  switch (route) {
    case RouteId::kUsers:
      if (method == "POST") return CreateUser(console, call);
      return ListUsers(console, call);
    case RouteId::kUser:
      if (method == "DELETE") return DeleteUser(console, call, param);
      return GetUser(console, call, param);
    case RouteId::kUserPassword:
      return SetPassword(console, call, param);
    default:
      break;
  }
  return ConsoleError(call, HandleError(ResponseCode::kError, "unreachable console route"));
}

}  // namespace qilian::api
