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
#include "api/session_routes.h"
#include "api/value_json.h"
#include "tenant/field_error.h"
#include "core/status.h"
#include "ident/auth/seckey_lookup.h"
#include "ident/handle_name.h"
#include "ident/response_code.h"
#include "security/events/sensor_registry.h"

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

}  // namespace

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
    case ResponseCode::kProtocolError:
      return "bad_param";
    case ResponseCode::kInvalidValue:
      return "bad_value";
    case ResponseCode::kServerNotResponsible:
      return "not_responsible";
    case ResponseCode::kAuthenticationNeeded:
      return "auth_required";
    case ResponseCode::kAuthenticationFailed:
    case ResponseCode::kInvalidCredential:
    case ResponseCode::kAuthenticationTimeout:
    case ResponseCode::kAuthenticationError:
      return "auth_failed";
    case ResponseCode::kInvalidAdmin:
    case ResponseCode::kInsufficientPermissions:
      return "forbidden";
    case ResponseCode::kIdisQuotaExceeded:
    case ResponseCode::kIdisRateLimited:
    case ResponseCode::kIdisIdentifierLimit:
      return "quota";
    case ResponseCode::kError:
      return "internal";
    default:
      return "other";
  }
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
  if (auto field = tenant::FieldOf(status)) body["field"] = *field;
  body["message"] = std::string(status.message());
  net::HttpResponse response =
      JsonResponse(http_status != 0 ? http_status : ident::HttpStatusOf(code), body);
  if (response.status == 401) {
    // RFC 9110 11.6.1: a 401 names the schemes that would be accepted.
    response.headers.emplace_back("WWW-Authenticate", "Basic realm=\"qilian\"");
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"qilian\"");
    // The Handle.Net session scheme (POST /api/sessions for a nonce). No
    // session is made for the 401 itself, as Handle.Net does: anonymous
    // requests could then fill the session table.
    response.headers.emplace_back("WWW-Authenticate", "Handle realm=\"qilian\"");
  }
  return response;
}

namespace {

// The deepest bracket nesting of `text`, strings skipped.
size_t Nesting(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseObjectBody(Call* call, size_t max_bytes, size_t max_nesting) {
  const std::string& body = call->request->body;
  if (body.size() > max_bytes) {
    return call->Reject("bad_body", HandleError(ResponseCode::kProtocolError,
                                                absl::StrCat("request body is longer than ",
                                                             max_bytes, " bytes")));
  }
  if (max_nesting != 0 && Nesting(body) > max_nesting) {
    return call->Reject("malformed_json",
                        HandleError(ResponseCode::kProtocolError,
                                    absl::StrCat("request body nests deeper than ", max_nesting,
                                                 " levels")));
  }
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return call->Reject("malformed_json",
                        HandleError(ResponseCode::kProtocolError, "request body is not valid JSON"));
  }
  if (!doc.is_object()) {
    return call->Reject("malformed_json", HandleError(ResponseCode::kProtocolError,
                                                      "request body must be a JSON object"));
  }
  return doc;
}

absl::Status BadParam(Call* call, std::string_view message) {
  return call->Reject("bad_param", HandleError(ResponseCode::kProtocolError, message));
}

absl::StatusOr<std::map<std::string, std::string>> Params(
    Call* call, std::initializer_list<std::string_view> known) {
  auto parsed = ParseQuery(call->query);
  if (!parsed) return BadParam(call, "query has an invalid percent-escape");
  std::map<std::string, std::string> out;
  for (QueryParam& p : *parsed) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || p.name == k;
    if (!ok) {
      return call->Reject("unknown_param",
                          HandleError(ResponseCode::kProtocolError,
                                      absl::StrCat("unknown query parameter '",
                                                   tenant::Excerpt(p.name), "'")));
    }
    if (out.contains(p.name)) {
      return BadParam(call, absl::StrCat(p.name, " is given more than once"));
    }
    out[p.name] = std::move(p.value);
  }
  return out;
}

void AttributeRequest(const Call& call, ident::Request* request) {
  request->peer = PeerOf(*call.request);
  request->caller = call.caller;
  if (call.caller.anonymous() && request->op == ident::OpCode::kResolution) {
    request->op_flags |= ident::op_flag::kPublicOnly;
  }
}

absl::Status RequireOperator(const Call& call) {
  if (call.caller.anonymous()) {
    return HandleError(ResponseCode::kAuthenticationNeeded, "authentication required");
  }
  if (!call.caller.principal.has_value() ||
      call.caller.principal->role != ident::Role::kOperator) {
    return HandleError(ResponseCode::kInsufficientPermissions,
                       absl::StrCat(call.caller.actor, " is not an operator of this node"));
  }
  return absl::OkStatus();
}

ident::Peer PeerOf(const net::HttpRequest& request) {
  return ident::Peer{request.remote_address, request.remote_is_loopback, ident::Transport::kHttp};
}

absl::Status StatusOf(const ident::Response& response) {
  if (response.ok()) return absl::OkStatus();
  // The processor's own Status keeps its payloads (the field of a template
  // refusal); a Response built elsewhere has only code and message.
  if (!response.status.ok()) return response.status;
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
  ConsoleEndpoints console;

  net::HttpResponse Dispatch(Call* call, std::string* route_label);
};

net::HttpResponse RestApi::Impl::Dispatch(Call* call, std::string* route_label) {
  const net::HttpRequest& request = *call->request;
  RouteParams params;
  const RouteInfo* route = MatchRoute(call->path, &params);
  const std::string_view param = params[0];
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
  static const RestAuthOptions kNoAuth;
  const RestAuthOptions& authn = ctx.auth != nullptr ? *ctx.auth : kNoAuth;
  const bool has_credentials =
      request.Header("authorization") != nullptr || !InfluxQueryCredentials(request).empty();
  const std::string claimed =
      has_credentials ? ClaimedActor(authn.credentials, request) : std::string();
  absl::StatusOr<ident::Caller> caller = ident::Caller::Anonymous();
  if (has_credentials && authn.throttle != nullptr) {
    if (absl::Status s = authn.throttle->Check(claimed, request.remote_address); !s.ok()) {
      caller = s;
    }
  }
  if (caller.ok() && has_credentials) {
    caller = AuthenticateRequest(authn.credentials, request);
    if (authn.throttle != nullptr) {
      const ResponseCode code = ident::ResponseCodeOf(caller.status());
      if (caller.ok()) {
        authn.throttle->Succeeded(claimed, request.remote_address);
      } else if (code == ResponseCode::kAuthenticationFailed) {
        // A wrong secret, signature or token is a guess; an expired token
        // or session (405) is not, and must not lock its user out.
        authn.throttle->Failed(claimed, request.remote_address);
      }
    }
  }
  if (!caller.ok()) {
    const ResponseCode code = ident::ResponseCodeOf(caller.status());
    const bool missing = code == ResponseCode::kAuthenticationNeeded;
    call->SetReason(missing ? "auth_malformed" : "auth_failed");
    if (ctx.metrics != nullptr) {
      ctx.metrics
          ->GetCounter("qilian_rest_auth_failures_total",
                       "REST requests whose credentials did not verify, by reason",
                       {{"reason", missing ? "malformed" : "wrong"}})
          .Inc();
    }
    if (authn.audit != nullptr && code != ResponseCode::kError) {
      ident::authz::AuditEvent event;
      event.time = absl::Now();
      event.actor = claimed;
      event.action = "authentication failed";
      event.target = std::string(call->path);
      event.peer = request.remote_address;
      event.transport = request.tls ? "https" : "http";
      event.result = static_cast<uint32_t>(code);
      event.detail = std::string(caller.status().message());
      (void)authn.audit->Append(std::move(event));
    }
    return ErrorResponse(call, caller.status(), "");
  }
  call->caller = *std::move(caller);
  // A sensor's token delivers events and does nothing else
  // (docs/security/events-api.md).
  if (security::events::IsSensorCaller(call->caller) &&
      !(route->id == RouteId::kSecurityEvents && request.method == "POST")) {
    return ErrorResponse(call,
                         HandleError(ResponseCode::kInsufficientPermissions,
                                     absl::StrCat(call->caller.actor,
                                                  " is a sensor: it may only post events")),
                         "");
  }
  switch (route->id) {
    case RouteId::kHandle:
      if (request.method == "GET") return GetHandle(ctx, call, param);
      if (request.method == "PUT") return PutHandle(ctx, call, param);
      if (request.method == "POST") return PostHandle(ctx, call, param);
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
    case RouteId::kProducts:
      if (request.method == "POST") return CreateProduct(ctx, call);
      return ListProducts(ctx, call);
    case RouteId::kProduct:
      if (request.method == "DELETE") return DeleteProduct(ctx, call, param);
      if (request.method == "PUT") return UpdateProduct(ctx, call, param);
      return GetProduct(ctx, call, param);
    case RouteId::kDevices:
      if (request.method == "POST") return CreateDevice(ctx, call);
      return ListDevices(ctx, call);
    case RouteId::kDevice:
      if (request.method == "DELETE") return DeleteDevice(ctx, call, param);
      if (request.method == "PUT") return UpdateDevice(ctx, call, param);
      return GetDevice(ctx, call, param);
    case RouteId::kDeviceImport:
      return ImportDevices(ctx, call);
    case RouteId::kDeviceRegister:
      return RegisterDevice(ctx, call);
    case RouteId::kDeviceSecret:
      return RotateDeviceSecret(ctx, call, param);
    case RouteId::kDeviceShadow:
      if (request.method == "PUT") return UpdateDeviceShadow(ctx, call, param);
      return GetDeviceShadow(ctx, call, param);
    case RouteId::kDeviceProperties:
      if (request.method == "PUT") return WriteDeviceProperties(ctx, call, param);
      return GetDeviceProperties(ctx, call, param);
    case RouteId::kInfluxWrite:
    case RouteId::kInfluxWriteV2:
      return WriteLineProtocol(ctx, call);
    case RouteId::kTelemetryQuery:
      return QueryTelemetry(ctx, call);
    case RouteId::kTelemetryExport:
      return ExportTelemetry(ctx, call);
    case RouteId::kTelemetrySeries:
      return ListTelemetrySeries(ctx, call);
    case RouteId::kTelemetryRetention:
      if (request.method == "PUT") return PutTelemetryRetention(ctx, call);
      return GetTelemetryRetention(ctx, call);
    case RouteId::kTelemetryCompact:
      return CompactTelemetry(ctx, call);
    case RouteId::kDeviceFunction:
      return InvokeDeviceFunction(ctx, call, param, params[1]);
    case RouteId::kProductModel:
      if (request.method == "PUT") return PutProductModel(ctx, call, param);
      return GetProductModel(ctx, call, param);
    case RouteId::kStarterProducts:
      return ListStarterProducts(ctx, call);
    case RouteId::kSensors:
      if (request.method == "POST") return CreateSensor(ctx, call, param);
      return ListSensors(ctx, call, param);
    case RouteId::kSensor:
      if (request.method == "DELETE") return DeleteSensor(ctx, call, param, params[1]);
      return GetSensor(ctx, call, param, params[1]);
    case RouteId::kSensorToken:
      return RotateSensorToken(ctx, call, param, params[1]);
    case RouteId::kSecurityEvents:
      if (request.method == "POST") return PostSecurityEvents(ctx, call);
      return QuerySecurityEvents(ctx, call);
    case RouteId::kTemplates:
      if (request.method == "POST") return CreateTemplate(ctx, call, param);
      return ListTemplates(ctx, call, param);
    case RouteId::kTemplate:
      return GetTemplate(ctx, call, param, params[1], "");
    case RouteId::kTemplateVersions:
      if (request.method == "POST") return AddTemplateVersion(ctx, call, param, params[1]);
      return ListTemplateVersions(ctx, call, param, params[1]);
    case RouteId::kTemplateVersion:
      if (request.method == "PUT") {
        return UpdateTemplateVersion(ctx, call, param, params[1], params[2]);
      }
      return GetTemplate(ctx, call, param, params[1], params[2]);
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
    case RouteId::kLogin:
    case RouteId::kLogout:
    case RouteId::kMe:
    case RouteId::kUsers:
    case RouteId::kUser:
    case RouteId::kUserPassword:
    case RouteId::kAudit:
      return HandleConsoleRoute(console, call, route->id, param);
    case RouteId::kSessions:
    case RouteId::kSession:
      return HandleSessionRoute(authn.credentials.sessions, call, route->id);
  }
  return ErrorResponse(call, HandleError(ResponseCode::kError, "unreachable route"), "");
}

RestApi::RestApi(ident::Processor* processor, MetricsRegistry* metrics)
    : impl_(std::make_unique<Impl>()) {
  const ident::ProcessorOptions& p = processor->options();
  impl_->options.max_page_size = p.max_page_size;
  impl_->options.default_page_size = p.default_page_size;
  impl_->ctx = ApiContext{processor, metrics, &impl_->options};
}

RestApi::RestApi(ident::Registry* registry, MetricsRegistry* metrics, RestOptions options)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  ident::ProcessorOptions p;
  p.max_page_size = impl_->options.max_page_size;
  p.default_page_size = impl_->options.default_page_size;
  impl_->owned_processor = std::make_unique<ident::Processor>(registry, metrics, std::move(p));
  impl_->ctx = ApiContext{impl_->owned_processor.get(), metrics, &impl_->options};
}

RestApi::~RestApi() = default;

void RestApi::SetEnterprises(tenant::EnterpriseRegistry* enterprises) {
  impl_->ctx.enterprises = enterprises;
}

void RestApi::SetProducts(platform::ProductRegistry* products) {
  impl_->ctx.products = products;
}

void RestApi::SetDevices(platform::DeviceRegistry* devices) { impl_->ctx.devices = devices; }

void RestApi::SetDeviceShadow(platform::ShadowStore* shadow) { impl_->ctx.shadow = shadow; }

void RestApi::SetTelemetry(platform::telemetry::TelemetryService* telemetry,
                           size_t max_write_body_bytes) {
  impl_->ctx.telemetry = telemetry;
  impl_->ctx.telemetry_max_body_bytes = max_write_body_bytes;
}

void RestApi::SetSecurityEvents(security::events::SensorRegistry* sensors,
                                security::events::EventStore* events) {
  impl_->ctx.sensors = sensors;
  impl_->ctx.security_events = events;
}

void RestApi::SetTemplates(ident::templates::TemplateStore* templates) {
  impl_->ctx.templates = templates;
}

void RestApi::SetAuth(RestAuthOptions auth) {
  impl_->auth = std::move(auth);
  impl_->ctx.auth = &impl_->auth;
}

void RestApi::SetConsole(ConsoleEndpoints console) { impl_->console = console; }

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
