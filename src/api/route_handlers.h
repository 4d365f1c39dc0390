// Internal to the api module: the per-request context and the handler of
// each route, called by RestApi's router (rest_api.cc) once the route, the
// method and the write permission have been checked.
#ifndef QILIAN_API_ROUTE_HANDLERS_H_
#define QILIAN_API_ROUTE_HANDLERS_H_

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "api/rest_api.h"
#include "ident/caller.h"
#include "net/http_message.h"
#include "nlohmann/json.hpp"

namespace qilian::api {

struct ApiContext {
  ident::Processor* processor;
  MetricsRegistry* metrics;  // may be null
  const RestOptions* options;
  tenant::EnterpriseRegistry* enterprises = nullptr;  // null: onboarding off
  platform::ProductRegistry* products = nullptr;      // null: product routes answer 501
  platform::DeviceRegistry* devices = nullptr;        // null: device routes answer 501
  platform::ShadowStore* shadow = nullptr;  // null: shadow, property and function routes answer 501
  // null: the telemetry and line-protocol routes answer 501.
  platform::telemetry::TelemetryService* telemetry = nullptr;
  size_t telemetry_max_body_bytes = 32 << 20;  // [tsdb] max_write_body_bytes, decompressed
  const StatsEndpoints* stats = nullptr;  // null: statistics routes answer 501
  const RestAuthOptions* auth = nullptr;  // null: every caller anonymous
  // null: the sensor and security event routes answer 501.
  security::events::SensorRegistry* sensors = nullptr;
  security::events::EventStore* security_events = nullptr;
  // null: the template routes answer 501.
  ident::templates::TemplateStore* templates = nullptr;
};

// One request on its way through the routes.
struct Call {
  const net::HttpRequest* request;
  std::string_view path;   // raw, before percent-decoding
  std::string_view query;  // raw, after '?'
  // Why the request was rejected, for qilian_rest_errors_total{reason};
  // the first reason set wins. Left empty, it is derived from the
  // response code.
  std::string error_reason;
  // Who is calling (api/credentials.h); anonymous without credentials.
  ident::Caller caller;

  void SetReason(std::string_view reason) {
    if (error_reason.empty()) error_reason = std::string(reason);
  }
  absl::Status Reject(std::string_view reason, absl::Status status) {
    SetReason(reason);
    return status;
  }
};

net::HttpResponse JsonResponse(int http_status, const nlohmann::json& body);

// The label of qilian_rest_errors_total{reason} for a Handle code.
std::string ReasonOf(ident::ResponseCode code);

// A refused query parameter (400, code 4, reason bad_param).
absl::Status BadParam(Call* call, std::string_view message);

// The query as name -> value, refusing unknown and repeated names (400,
// code 4, reasons unknown_param / bad_param).
absl::StatusOr<std::map<std::string, std::string>> Params(
    Call* call, std::initializer_list<std::string_view> known);

// `{"responseCode":N,"handle":...,"field":...,"message":...}` with the HTTP
// status ident::HttpStatusOf gives for N, unless `http_status` overrides it.
// An empty `handle` is left out; `field` is there when the status names one
// (tenant/field_error.h). A 401 names the accepted schemes in
// WWW-Authenticate.
net::HttpResponse ErrorResponse(Call* call, const absl::Status& status, std::string_view handle,
                                int http_status = 0);

// The request body as a JSON object, parsed without exceptions: refused
// (code 4) when longer than `max_bytes` ("request body is longer than N
// bytes", reason bad_body), nested deeper than `max_nesting` brackets when
// that is not 0 (checked before parsing; "request body nests deeper than N
// levels"), not JSON ("request body is not valid JSON") or not an object
// ("request body must be a JSON object"), the last three with reason
// malformed_json.
absl::StatusOr<nlohmann::json> ParseObjectBody(Call* call, size_t max_bytes,
                                               size_t max_nesting = 0);

// The Peer of an HTTP request, for ident::Request.
ident::Peer PeerOf(const net::HttpRequest& request);

// An error Status carrying a failed Response's code and message.
absl::Status StatusOf(const ident::Response& response);

// HTTP status of a prefix referral (Handle code 303): 421 Misdirected
// Request. Not 303 See Other, which clients follow on their own to a
// Location that would answer with the prefix handle's values as if they
// were the handle's; not 200, which reads as success; not 404, which would
// be a silent not-found (docs/api.md).
inline constexpr int kReferralHttpStatus = 421;

// The REST answer for a failed Response: ErrorResponse, except that a
// referral (303) also carries `"referral": {"handle": "0.NA/P", "values":
// [...]}` with the site values a client follows, with status 421.
net::HttpResponse ProcessorErrorResponse(Call* call, const ident::Response& response,
                                         std::string_view handle);

// Sets `request`'s peer and caller from `call`. An anonymous REST read is a
// public-only (PO) read: REST has no flag for it, and an anonymous reader
// could not answer a challenge anyway.
void AttributeRequest(const Call& call, ident::Request* request);

// Refuses (401/402/403 as Handle codes) a caller that is not an operator:
// node-level changes (onboarding, statistics reports) are theirs.
absl::Status RequireOperator(const Call& call);

net::HttpResponse GetHandle(const ApiContext& ctx, Call* call, std::string_view raw_handle);
net::HttpResponse PutHandle(const ApiContext& ctx, Call* call, std::string_view raw_handle);
// Mints a handle under the stem in the path (POST /api/handles/88.999/).
net::HttpResponse PostHandle(const ApiContext& ctx, Call* call, std::string_view raw_stem);
net::HttpResponse DeleteHandle(const ApiContext& ctx, Call* call, std::string_view raw_handle);
net::HttpResponse ListHandles(const ApiContext& ctx, Call* call);

// /api/enterprises (enterprise_routes.cc).
net::HttpResponse CreateEnterprise(const ApiContext& ctx, Call* call);
net::HttpResponse GetEnterprise(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse ListEnterprises(const ApiContext& ctx, Call* call);

// /api/products... and /api/starter-products (product_routes.cc).
net::HttpResponse CreateProduct(const ApiContext& ctx, Call* call);
net::HttpResponse ListProducts(const ApiContext& ctx, Call* call);
net::HttpResponse GetProduct(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse DeleteProduct(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse GetProductModel(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse PutProductModel(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse ListStarterProducts(const ApiContext& ctx, Call* call);
net::HttpResponse UpdateProduct(const ApiContext& ctx, Call* call, std::string_view raw_id);

// /api/devices... (device_routes.cc).
net::HttpResponse CreateDevice(const ApiContext& ctx, Call* call);
net::HttpResponse ListDevices(const ApiContext& ctx, Call* call);
net::HttpResponse GetDevice(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse UpdateDevice(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse DeleteDevice(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse RotateDeviceSecret(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse ImportDevices(const ApiContext& ctx, Call* call);
net::HttpResponse RegisterDevice(const ApiContext& ctx, Call* call);
// /api/devices/{id}/shadow, /properties, /functions/{fn}
// (device_shadow_routes.cc).
net::HttpResponse GetDeviceShadow(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse UpdateDeviceShadow(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse GetDeviceProperties(const ApiContext& ctx, Call* call, std::string_view raw_id);
net::HttpResponse WriteDeviceProperties(const ApiContext& ctx, Call* call,
                                        std::string_view raw_id);
net::HttpResponse InvokeDeviceFunction(const ApiContext& ctx, Call* call, std::string_view raw_id,
                                       std::string_view raw_function);

// POST /write, /api/v2/write, /api/telemetry/... (telemetry_routes.cc).
net::HttpResponse WriteLineProtocol(const ApiContext& ctx, Call* call);
net::HttpResponse QueryTelemetry(const ApiContext& ctx, Call* call);
net::HttpResponse ExportTelemetry(const ApiContext& ctx, Call* call);
net::HttpResponse ListTelemetrySeries(const ApiContext& ctx, Call* call);
net::HttpResponse GetTelemetryRetention(const ApiContext& ctx, Call* call);
net::HttpResponse PutTelemetryRetention(const ApiContext& ctx, Call* call);
// Operators only: seals every head and compacts the store; 204.
net::HttpResponse CompactTelemetry(const ApiContext& ctx, Call* call);

// /api/enterprises/{id}/sensors... and /api/security/events
// (security_routes.cc).
net::HttpResponse CreateSensor(const ApiContext& ctx, Call* call, std::string_view raw_enterprise);
net::HttpResponse ListSensors(const ApiContext& ctx, Call* call, std::string_view raw_enterprise);
net::HttpResponse GetSensor(const ApiContext& ctx, Call* call, std::string_view raw_enterprise,
                            std::string_view raw_id);
net::HttpResponse DeleteSensor(const ApiContext& ctx, Call* call, std::string_view raw_enterprise,
                               std::string_view raw_id);
net::HttpResponse RotateSensorToken(const ApiContext& ctx, Call* call,
                                    std::string_view raw_enterprise, std::string_view raw_id);
net::HttpResponse PostSecurityEvents(const ApiContext& ctx, Call* call);
net::HttpResponse QuerySecurityEvents(const ApiContext& ctx, Call* call);

// /api/prefixes/{prefix}/templates... (template_routes.cc). An empty
// `raw_version` asks for the latest version.
net::HttpResponse CreateTemplate(const ApiContext& ctx, Call* call, std::string_view raw_prefix);
net::HttpResponse ListTemplates(const ApiContext& ctx, Call* call, std::string_view raw_prefix);
net::HttpResponse GetTemplate(const ApiContext& ctx, Call* call, std::string_view raw_prefix,
                              std::string_view name, std::string_view raw_version);
net::HttpResponse ListTemplateVersions(const ApiContext& ctx, Call* call,
                                       std::string_view raw_prefix, std::string_view name);
net::HttpResponse AddTemplateVersion(const ApiContext& ctx, Call* call,
                                     std::string_view raw_prefix, std::string_view name);
net::HttpResponse UpdateTemplateVersion(const ApiContext& ctx, Call* call,
                                        std::string_view raw_prefix, std::string_view name,
                                        std::string_view raw_version);

// /api/stats... (stats_routes.cc).
net::HttpResponse GetStats(const ApiContext& ctx, Call* call);
net::HttpResponse GetStatsSummary(const ApiContext& ctx, Call* call);
net::HttpResponse PostStatsReport(const ApiContext& ctx, Call* call);
net::HttpResponse GetStatsNodes(const ApiContext& ctx, Call* call);
net::HttpResponse PostStatsReportNow(const ApiContext& ctx, Call* call);

net::HttpResponse Healthz(const ApiContext& ctx, Call* call);
net::HttpResponse Metrics(const ApiContext& ctx, Call* call);
net::HttpResponse OpenApi(const ApiContext& ctx, Call* call);

// The OpenAPI 3.0 document served at /api/openapi.json (openapi.cc).
std::string_view OpenApiDocument();

// Refuses any query parameter a route does not take ("unknown query
// parameter 'foo'", code 4); used by routes that take none.
absl::Status RequireNoQuery(Call* call);

}  // namespace qilian::api

#endif  // QILIAN_API_ROUTE_HANDLERS_H_
