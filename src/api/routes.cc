#include "api/routes.h"

namespace qilian::api {

const std::vector<RouteInfo>& Routes() {
  static const std::vector<RouteInfo> routes = {
      {RouteId::kHandle, "/api/handles/{handle}", "handle", {"GET", "PUT", "POST", "DELETE"}},
      {RouteId::kHandles, "/api/handles", "handles", {"GET"}},
      {RouteId::kHealthz, "/healthz", "healthz", {"GET"}},
      {RouteId::kMetrics, "/metrics", "metrics", {"GET"}},
      {RouteId::kOpenApi, "/api/openapi.json", "openapi", {"GET"}},
      // Before kEnterprise, whose trailing {id} would match them too.
      {RouteId::kSensorToken, "/api/enterprises/{id}/sensors/{sensor}/token", "sensor_token",
       {"POST"}},
      {RouteId::kSensor, "/api/enterprises/{id}/sensors/{sensor}", "sensor", {"GET", "DELETE"}},
      {RouteId::kSensors, "/api/enterprises/{id}/sensors", "sensors", {"GET", "POST"}},
      {RouteId::kEnterprise, "/api/enterprises/{id}", "enterprise", {"GET"}},
      // Most specific first: kTemplate's trailing {name} would match the rest.
      {RouteId::kTemplateVersion, "/api/prefixes/{prefix}/templates/{name}/versions/{version}",
       "template_version", {"GET", "PUT"}},
      {RouteId::kTemplateVersions, "/api/prefixes/{prefix}/templates/{name}/versions",
       "template_versions", {"GET", "POST"}},
      {RouteId::kTemplate, "/api/prefixes/{prefix}/templates/{name}", "template", {"GET"}},
      {RouteId::kTemplates, "/api/prefixes/{prefix}/templates", "templates", {"GET", "POST"}},
      {RouteId::kEnterprises, "/api/enterprises", "enterprises", {"GET", "POST"}},
      {RouteId::kProducts, "/api/products", "products", {"GET", "POST"}},
      // Before kProduct, whose trailing {id} would match it too.
      {RouteId::kProductModel, "/api/products/{id}/model", "product_model", {"GET", "PUT"}},
      {RouteId::kProduct, "/api/products/{id}", "product", {"GET", "PUT", "DELETE"}},
      {RouteId::kStarterProducts, "/api/starter-products", "starter_products", {"GET"}},
      {RouteId::kDevices, "/api/devices", "devices", {"GET", "POST"}},
      // Before kDevice, whose trailing {id} would match them too ("import"
      // and "register" are therefore not device ids).
      {RouteId::kDeviceImport, "/api/devices/import", "device_import", {"POST"}},
      {RouteId::kDeviceRegister, "/api/devices/register", "device_register", {"POST"}},
      {RouteId::kDeviceSecret, "/api/devices/{id}/secret", "device_secret", {"POST"}},
      {RouteId::kDeviceShadow, "/api/devices/{id}/shadow", "device_shadow", {"GET", "PUT"}},
      {RouteId::kDeviceProperties, "/api/devices/{id}/properties", "device_properties",
       {"GET", "PUT"}},
      {RouteId::kDeviceFunction, "/api/devices/{id}/functions/{fn}", "device_function", {"POST"}},
      {RouteId::kInfluxWrite, "/write", "influx_write", {"POST"}},
      {RouteId::kInfluxWriteV2, "/api/v2/write", "influx_write_v2", {"POST"}},
      {RouteId::kTelemetryQuery, "/api/telemetry/query", "telemetry_query", {"POST"}},
      {RouteId::kTelemetryExport, "/api/telemetry/export", "telemetry_export", {"POST"}},
      {RouteId::kTelemetrySeries, "/api/telemetry/series", "telemetry_series", {"GET"}},
      {RouteId::kTelemetryRetention, "/api/telemetry/retention", "telemetry_retention",
       {"GET", "PUT"}},
      {RouteId::kTelemetryCompact, "/api/telemetry/compact", "telemetry_compact", {"POST"}},
      {RouteId::kDevice, "/api/devices/{id}", "device", {"GET", "PUT", "DELETE"}},
      {RouteId::kSecurityEvents, "/api/security/events", "security_events", {"GET", "POST"}},
      {RouteId::kStats, "/api/stats", "stats", {"GET"}},
      {RouteId::kStatsSummary, "/api/stats/summary", "stats_summary", {"GET"}},
      {RouteId::kStatsReports, "/api/stats/reports", "stats_reports", {"POST"}},
      {RouteId::kStatsNodes, "/api/stats/nodes", "stats_nodes", {"GET"}},
      {RouteId::kStatsReportNow, "/api/stats/report-now", "stats_report_now", {"POST"}},
      {RouteId::kLogin, "/api/login", "login", {"POST"}},
      {RouteId::kLogout, "/api/logout", "logout", {"POST"}},
      {RouteId::kMe, "/api/me", "me", {"GET"}},
      {RouteId::kUsers, "/api/users", "users", {"GET", "POST"}},
      // Before kUser, whose trailing {name} would match it too.
      {RouteId::kUserPassword, "/api/users/{name}/password", "user_password", {"PUT"}},
      {RouteId::kUser, "/api/users/{name}", "user", {"GET", "DELETE"}},
      {RouteId::kAudit, "/api/audit", "audit", {"GET"}},
      {RouteId::kSessions, "/api/sessions", "sessions", {"POST"}},
      {RouteId::kSession, "/api/sessions/this", "session", {"GET", "PUT", "POST", "DELETE"}},
  };
  return routes;
}

namespace {

// Whether `path` matches `tmpl`, collecting the parameters.
bool MatchTemplate(std::string_view tmpl, std::string_view path, RouteParams* params) {
  params->size = 0;
  while (!tmpl.empty()) {
    const size_t brace = tmpl.find('{');
    const std::string_view literal = tmpl.substr(0, brace);
    if (!path.starts_with(literal)) return false;
    path.remove_prefix(literal.size());
    if (brace == std::string_view::npos) return path.empty();
    const size_t close = tmpl.find('}', brace);
    if (close == std::string_view::npos || params->size == RouteParams::kMax) return false;
    tmpl = tmpl.substr(close + 1);
    if (tmpl.empty()) {  // trailing: the rest of the path
      params->values[params->size++] = path;
      return true;
    }
    const size_t slash = path.find('/');
    const std::string_view segment = path.substr(0, slash);
    if (segment.empty() || slash == std::string_view::npos) return false;
    params->values[params->size++] = segment;
    path.remove_prefix(segment.size());
  }
  return path.empty();
}

}  // namespace

const RouteInfo* MatchRoute(std::string_view path, RouteParams* params) {
  for (const RouteInfo& route : Routes()) {
    if (MatchTemplate(route.path, path, params)) return &route;
  }
  params->size = 0;
  return nullptr;
}

const RouteInfo* MatchRoute(std::string_view path, std::string_view* param) {
  RouteParams params;
  const RouteInfo* route = MatchRoute(path, &params);
  if (route != nullptr) *param = params[0];
  return route;
}

}  // namespace qilian::api
