#include "api/rest_api.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "api/routes.h"
#include "api/value_json.h"
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

}  // namespace

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
  if (IsWrite(request.method) && options.writes_from_loopback_only &&
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
