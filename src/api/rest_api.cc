#include "api/rest_api.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "api/routes.h"
#include "api/value_json.h"
#include "core/status.h"
#include "ident/auth/seckey_lookup.h"
#include "ident/handle_name.h"
#include "ident/response_code.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;

namespace {

bool IsWrite(std::string_view method) {
  return method == "PUT" || method == "POST" || method == "DELETE" || method == "PATCH";
}

// Bounded label values: a client cannot grow the metric set by inventing
// methods or paths.
std::string MethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS", "PATCH"}) {
    if (method == known) return std::string(known);
  }
  return "other";
}

std::string ReasonOf(ResponseCode code) {
  switch (code) {
    case ResponseCode::kHandleNotFound:
    case ResponseCode::kValuesNotFound:
      return "not_found";
    case ResponseCode::kHandleAlreadyExists:
    case ResponseCode::kValueAlreadyExists:
      return "conflict";
    case ResponseCode::kInvalidHandle:
      return "bad_handle";
    case ResponseCode::kInvalidValue:
      return "bad_value";
    case ResponseCode::kServerNotResponsible:
      return "not_responsible";
    case ResponseCode::kError:
      return "internal";
    default:
      return "other";
  }
}

// Compares without an early exit, so the time taken does not tell how much
// of a guessed secret was right.
bool SecretsEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

constexpr std::string_view kCredentialForm = "<index>%3A<handle>:<secret>";

absl::Status NeedCredentials(std::string_view why) {
  return HandleError(ResponseCode::kAuthenticationNeeded, std::string(why));
}

// Verifies `Authorization: Basic base64("<index>%3A<handle>:<secret>")`
// (also "<index>:<handle>:<secret>" with a literal first ':', where the
// handle then must not contain ':') against the identity's HS_SECKEY.
absl::StatusOr<ident::authz::AdminIdentity> Authenticate(const RestAuthOptions& auth,
                                                         const net::HttpRequest& request) {
  const std::string* header = request.Header("authorization");
  if (header == nullptr) {
    return NeedCredentials(absl::StrCat("authentication required: send Authorization: Basic "
                                        "base64(\"",
                                        std::string(kCredentialForm), "\")"));
  }
  std::string_view value = *header;
  constexpr std::string_view kScheme = "basic ";
  if (value.size() < kScheme.size() ||
      absl::AsciiStrToLower(std::string(value.substr(0, kScheme.size()))) !=
          std::string(kScheme)) {
    return NeedCredentials("Authorization must use the Basic scheme");
  }
  std::string encoded(value.substr(kScheme.size()));
  absl::StripAsciiWhitespace(&encoded);
  std::string decoded;
  if (encoded.empty() || !absl::Base64Unescape(encoded, &decoded)) {
    return NeedCredentials("Basic credentials are not valid base64");
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    return NeedCredentials(absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
  }
  std::string user = decoded.substr(0, colon);
  std::string secret = decoded.substr(colon + 1);
  std::string index_text, handle;
  bool digits_only = !user.empty() && std::all_of(user.begin(), user.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (digits_only) {
    // The literal form: the first ':' ended the index, the next one the
    // handle; the rest (which may hold ':') is the secret.
    size_t next = secret.find(':');
    if (next == std::string::npos) {
      return NeedCredentials(
          absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
    }
    index_text = user;
    handle = secret.substr(0, next);
    secret = secret.substr(next + 1);
  } else {
    std::optional<std::string> name = PercentDecode(user, /*plus_is_space=*/false);
    size_t split = name ? name->find(':') : std::string::npos;
    if (split == std::string::npos) {
      return NeedCredentials(
          absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
    }
    index_text = name->substr(0, split);
    handle = name->substr(split + 1);
  }
  uint32_t index = 0;
  if (index_text.empty() || handle.empty() ||
      !std::all_of(index_text.begin(), index_text.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
      !absl::SimpleAtoi(index_text, &index)) {
    return NeedCredentials(absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
  }
  const std::string identity = absl::StrCat(index, ":", handle);
  QL_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                      ident::auth::LookUpSecretKey(*auth.registry, handle, index));
  if (!stored.has_value()) {
    return HandleError(ResponseCode::kAuthenticationFailed,
                       absl::StrCat("cannot authenticate ", identity,
                                    ": no HS_SECKEY value at that index"));
  }
  if (!SecretsEqual(*stored, secret)) {
    return HandleError(ResponseCode::kAuthenticationFailed,
                       absl::StrCat("secret does not match for ", identity));
  }
  return ident::authz::AdminIdentity{handle, index};
}

}  // namespace

absl::Status AuthorizeWrite(const ApiContext& ctx, Call* call, ident::Request* request) {
  if (!call->admin.has_value() || ctx.auth == nullptr || !ctx.auth->enabled) {
    return absl::OkStatus();
  }
  using ident::authz::AdminOp;
  const ident::Registry& registry = *ctx.auth->registry;
  const bool prefix_handle = [&] {
    absl::StatusOr<ident::HandleName> name = ident::ParseHandle(request->handle);
    return name.ok() && absl::AsciiStrToLower(name->prefix) == "0.na";
  }();
  std::vector<ident::HandleValue> current;
  bool exists = false;
  {
    absl::StatusOr<ident::HandleRecord> record = registry.Get(request->handle, ident::ValueFilter{});
    if (record.ok()) {
      current = std::move(record->values);
      exists = true;
    } else if (ident::ResponseCodeOf(record.status()) == ResponseCode::kError) {
      return record.status();
    }
  }
  auto is_admin = [](const ident::HandleValue& v) { return v.type == ident::kTypeAdmin; };
  auto current_at = [&](uint32_t index) -> const ident::HandleValue* {
    for (const auto& v : current) {
      if (v.index == index) return &v;
    }
    return nullptr;
  };
  std::vector<AdminOp> ops;
  auto add = [&](AdminOp op) {
    if (std::find(ops.begin(), ops.end(), op) == ops.end()) ops.push_back(op);
  };
  switch (request->op) {
    case ident::OpCode::kCreateHandle:
      if (!exists) {
        // A new handle is governed by its prefix handles alone, as natively.
        add(prefix_handle ? AdminOp::kAddDerivedPrefix : AdminOp::kAddHandle);
        break;
      }
      // A replace (overwrite, or index=): each value is added or modified;
      // a whole replace also removes the values it does not bring.
      for (const auto& v : request->values) {
        const ident::HandleValue* old = current_at(v.index);
        bool admin = is_admin(v) || (old != nullptr && is_admin(*old));
        if (old == nullptr) {
          add(admin ? AdminOp::kAddAdmin : AdminOp::kAddValue);
        } else {
          add(admin ? AdminOp::kModifyAdmin : AdminOp::kModifyValue);
        }
      }
      if (!request->put_values_only) {
        for (const auto& old : current) {
          bool kept = std::any_of(request->values.begin(), request->values.end(),
                                  [&](const auto& v) { return v.index == old.index; });
          if (!kept) add(is_admin(old) ? AdminOp::kRemoveAdmin : AdminOp::kRemoveValue);
        }
      }
      if (ops.empty()) add(AdminOp::kModifyValue);
      break;
    case ident::OpCode::kDeleteHandle:
      add(prefix_handle ? AdminOp::kDeleteDerivedPrefix : AdminOp::kDeleteHandle);
      break;
    case ident::OpCode::kRemoveValue:
      for (const auto& v : current) {
        if (std::find(request->indexes.begin(), request->indexes.end(), v.index) !=
            request->indexes.end()) {
          add(is_admin(v) ? AdminOp::kRemoveAdmin : AdminOp::kRemoveValue);
        }
      }
      if (ops.empty()) add(AdminOp::kRemoveValue);
      break;
    default:
      return HandleError(ResponseCode::kOperationNotSupported, "operation cannot be authorized");
  }
  for (AdminOp op : ops) {
    QL_ASSIGN_OR_RETURN(
        ident::authz::AdminDecision decision,
        ident::authz::CheckAdmin(*call->admin, op, request->handle, current,
                                 ident::authz::RegistryLookup(&registry), ctx.auth->admin_check));
    if (!decision.allowed) {
      call->SetReason("auth_forbidden");
      if (ctx.metrics != nullptr) {
        ctx.metrics
            ->GetCounter("qilian_rest_auth_failures_total",
                         "REST writes refused by [auth] rest, by reason", {{"reason", "forbidden"}})
            .Inc();
      }
      return decision.ToStatus();
    }
  }
  request->authenticated = true;
  return absl::OkStatus();
}

net::HttpResponse JsonResponse(int http_status, const nlohmann::json& body) {
  net::HttpResponse response;
  response.status = http_status;
  response.content_type = "application/json";
  response.body = DumpJson(body);
  return response;
}

net::HttpResponse ErrorResponse(Call* call, const absl::Status& status, std::string_view handle,
                                int http_status) {
  ResponseCode code = ident::ResponseCodeOf(status);
  if (call->error_reason.empty()) call->error_reason = ReasonOf(code);
  nlohmann::json body = {{"responseCode", static_cast<uint32_t>(code)}};
  if (!handle.empty()) body["handle"] = std::string(handle);
  body["message"] = std::string(status.message());
  return JsonResponse(http_status != 0 ? http_status : ident::HttpStatusOf(code), body);
}

ident::Peer PeerOf(const net::HttpRequest& request) {
  return ident::Peer{request.remote_address, request.remote_is_loopback, ident::Transport::kHttp};
}

absl::Status StatusOf(const ident::Response& response) {
  if (response.ok()) return absl::OkStatus();
  return HandleError(response.code, response.message);
}

net::HttpResponse ProcessorErrorResponse(Call* call, const ident::Response& response,
                                         std::string_view handle) {
  if (response.code != ResponseCode::kPrefixReferral) {
    return ErrorResponse(call, StatusOf(response), handle);
  }
  if (call->error_reason.empty()) call->error_reason = "referral";
  nlohmann::json values = nlohmann::json::array();
  for (const ident::HandleValue& v : response.referral_values) values.push_back(ValueToJson(v));
  nlohmann::json body = {{"responseCode", static_cast<uint32_t>(response.code)}};
  if (!handle.empty()) body["handle"] = std::string(handle);
  body["message"] = response.message;
  body["referral"] = {{"handle", response.referral_handle}, {"values", std::move(values)}};
  return JsonResponse(kReferralHttpStatus, body);
}

struct RestApi::Impl {
  ApiContext ctx;
  RestOptions options;
  RestAuthOptions auth;
  std::unique_ptr<ident::Processor> owned_processor;  // legacy constructor only
  StatsEndpoints stats;

  net::HttpResponse Dispatch(Call* call, std::string* route_label);
};

net::HttpResponse RestApi::Impl::Dispatch(Call* call, std::string* route_label) {
  const net::HttpRequest& request = *call->request;
  std::string_view param;
  const RouteInfo* route = MatchRoute(call->path, &param);
  if (route == nullptr) {
    call->SetReason("no_route");
    return ErrorResponse(call,
                         HandleError(ResponseCode::kOperationNotSupported,
                                     absl::StrCat("no route for ", request.method, " ",
                                                  std::string(call->path))),
                         "", 404);
  }
  *route_label = std::string(route->label);
  bool allowed = false;
  for (std::string_view m : route->methods) allowed |= (m == request.method);
  if (!allowed) {
    call->SetReason("method_not_allowed");
    std::vector<std::string> methods(route->methods.begin(), route->methods.end());
    std::string allow = absl::StrJoin(methods, ", ");
    net::HttpResponse response =
        ErrorResponse(call,
                      HandleError(ResponseCode::kOperationNotSupported,
                                  absl::StrCat("method ", request.method, " is not allowed on ",
                                               std::string(route->path), "; allowed: ", allow)),
                      "", 405);
    response.headers.emplace_back("Allow", allow);
    return response;
  }
  const bool authenticated_route = auth.enabled && route->id == RouteId::kHandle &&
                                   (request.method == "PUT" || request.method == "DELETE");
  if (authenticated_route) {
    absl::StatusOr<ident::authz::AdminIdentity> who = Authenticate(auth, request);
    if (!who.ok()) {
      ResponseCode code = ident::ResponseCodeOf(who.status());
      if (code != ResponseCode::kAuthenticationNeeded &&
          code != ResponseCode::kAuthenticationFailed) {
        return ErrorResponse(call, who.status(), "");
      }
      const bool missing = code == ResponseCode::kAuthenticationNeeded;
      call->SetReason(missing ? "auth_required" : "auth_failed");
      if (ctx.metrics != nullptr) {
        ctx.metrics
            ->GetCounter("qilian_rest_auth_failures_total",
                         "REST writes refused by [auth] rest, by reason",
                         {{"reason", missing ? "credentials_missing" : "credentials_wrong"}})
            .Inc();
      }
      net::HttpResponse response = ErrorResponse(call, who.status(), "");
      response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"qilian\"");
      return response;
    }
    call->admin = std::move(*who);
  } else if (IsWrite(request.method) && options.writes_from_loopback_only &&
             !request.remote_is_loopback) {
    call->SetReason("forbidden");
    return ErrorResponse(
        call,
        HandleError(ResponseCode::kInsufficientPermissions,
                    "writes are accepted only from loopback until authentication is configured"),
        "");
  }
  switch (route->id) {
    case RouteId::kHandle:
      if (request.method == "GET") return GetHandle(ctx, call, param);
      if (request.method == "PUT") return PutHandle(ctx, call, param);
      return DeleteHandle(ctx, call, param);
    case RouteId::kHandles:
      return ListHandles(ctx, call);
    case RouteId::kHealthz:
      return Healthz(ctx, call);
    case RouteId::kMetrics:
      return Metrics(ctx, call);
    case RouteId::kOpenApi:
      return OpenApi(ctx, call);
    case RouteId::kEnterprise:
      return GetEnterprise(ctx, call, param);
    case RouteId::kEnterprises:
      if (request.method == "POST") return CreateEnterprise(ctx, call);
      return ListEnterprises(ctx, call);
    case RouteId::kStats:
      return GetStats(ctx, call);
    case RouteId::kStatsSummary:
      return GetStatsSummary(ctx, call);
    case RouteId::kStatsReports:
      return PostStatsReport(ctx, call);
    case RouteId::kStatsNodes:
      return GetStatsNodes(ctx, call);
    case RouteId::kStatsReportNow:
      return PostStatsReportNow(ctx, call);
  }
  return ErrorResponse(call, HandleError(ResponseCode::kError, "unreachable route"), "");
}

RestApi::RestApi(ident::Processor* processor, MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>()) {
  const ident::ProcessorOptions& p = processor->options();
  impl_->options.writes_from_loopback_only = p.writes_from_loopback_only;
  impl_->options.max_page_size = p.max_page_size;
  impl_->options.default_page_size = p.default_page_size;
  impl_->ctx = ApiContext{processor, metrics, &impl_->options};
}

RestApi::RestApi(ident::Registry* registry, MetricsRegistry* metrics, RestOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  ident::ProcessorOptions p;
  p.writes_from_loopback_only = impl_->options.writes_from_loopback_only;
  p.max_page_size = impl_->options.max_page_size;
  p.default_page_size = impl_->options.default_page_size;
  impl_->owned_processor = std::make_unique<ident::Processor>(registry, metrics, std::move(p));
  impl_->ctx = ApiContext{impl_->owned_processor.get(), metrics, &impl_->options};
}

RestApi::~RestApi() = default;

void RestApi::SetEnterprises(tenant::EnterpriseRegistry* enterprises) {
  impl_->ctx.enterprises = enterprises;
}

void RestApi::SetAuth(RestAuthOptions auth) {
  impl_->auth = std::move(auth);
  if (impl_->auth.registry == nullptr) impl_->auth.enabled = false;
  impl_->ctx.auth = &impl_->auth;
}

void RestApi::SetStats(StatsEndpoints stats) {
  impl_->stats = std::move(stats);
  impl_->ctx.stats = &impl_->stats;
}

net::HttpResponse RestApi::Handle(const net::HttpRequest& request) {
  Call call;
  call.request = &request;
  auto [path, query] = SplitTarget(request.target);
  call.path = path;
  call.query = query;
  std::string route_label = "unknown";
  net::HttpResponse response = impl_->Dispatch(&call, &route_label);

  if (MetricsRegistry* metrics = impl_->ctx.metrics; metrics != nullptr) {
    metrics
        ->GetCounter("qilian_http_requests_total",
                     "REST requests answered, by route, method and HTTP status",
                     {{"route", route_label},
                      {"method", MethodLabel(request.method)},
                      {"code", absl::StrCat(response.status)}})
        .Inc();
    if (response.status >= 400) {
      metrics
          ->GetCounter("qilian_rest_errors_total", "REST requests rejected, by reason",
                       {{"reason", call.error_reason.empty() ? "other" : call.error_reason}})
          .Inc();
    }
  }
  return response;
}

bool RestApi::MayBlock(const net::HttpRequest& request) { return IsWrite(request.method); }

}  // namespace qilian::api
