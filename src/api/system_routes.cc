// /healthz, /metrics and /api/openapi.json.
#include "api/query.h"
#include "api/route_handlers.h"
#include "absl/strings/str_cat.h"
#include "ident/response_code.h"

namespace qilian::api {

absl::Status RequireNoQuery(Call* call) {
  auto params = ParseQuery(call->query);
  if (!params) {
    return call->Reject("bad_param", ident::HandleError(ident::ResponseCode::kProtocolError,
                                                        "query has an invalid percent-escape"));
  }
  if (!params->empty()) {
    return call->Reject(
        "unknown_param",
        ident::HandleError(ident::ResponseCode::kProtocolError,
                           absl::StrCat("unknown query parameter '", params->front().name, "'")));
  }
  return absl::OkStatus();
}

net::HttpResponse Healthz(const ApiContext& ctx, Call* call) {
  absl::Status status = RequireNoQuery(call);
  if (!status.ok()) return ErrorResponse(call, status, "");
  return JsonResponse(200, {{"status", "ok"}});
}

net::HttpResponse Metrics(const ApiContext& ctx, Call* call) {
  absl::Status status = RequireNoQuery(call);
  if (!status.ok()) return ErrorResponse(call, status, "");
  net::HttpResponse response;
  response.status = 200;
  response.content_type = "text/plain; version=0.0.4";
  if (ctx.metrics != nullptr) response.body = ctx.metrics->RenderPrometheus();
  return response;
}

net::HttpResponse OpenApi(const ApiContext& ctx, Call* call) {
  absl::Status status = RequireNoQuery(call);
  if (!status.ok()) return ErrorResponse(call, status, "");
  net::HttpResponse response;
  response.status = 200;
  response.body = std::string(OpenApiDocument());
  return response;
}

}  // namespace qilian::api
