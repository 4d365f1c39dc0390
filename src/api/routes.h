// The REST route table: the one list the router matches requests against
// and the test checks /api/openapi.json against, so the served document
// cannot silently drift from what the server answers.
#ifndef QILIAN_API_ROUTES_H_
#define QILIAN_API_ROUTES_H_

#include <string_view>
#include <vector>

namespace qilian::api {

enum class RouteId { kHandle, kHandles, kHealthz, kMetrics, kOpenApi, kEnterprise, kEnterprises,
                     kStats, kStatsSummary, kStatsReports, kStatsNodes, kStatsReportNow,
                     // Console routes (console_routes.h).
                     kLogin, kLogout, kMe, kUsers, kUser, kUserPassword, kAudit,
                     // REST sessions (session_routes.h).
                     kSessions, kSession,
                     // Products (product_routes.cc).
                     kProducts, kProduct, kProductModel, kStarterProducts,
                     // Devices (device_routes.cc); shadow, properties and
                     // functions are reserved (501) until the MQTT path serves them.
                     kDevices, kDevice, kDeviceImport, kDeviceRegister, kDeviceSecret,
                     kDeviceShadow, kDeviceProperties, kDeviceFunction,
                     // Telemetry (telemetry_routes.cc): InfluxDB's write
                     // endpoints and Qilian's own.
                     kInfluxWrite, kInfluxWriteV2, kTelemetryQuery, kTelemetryExport,
                     kTelemetrySeries, kTelemetryRetention, kTelemetryCompact,
                     // Security events (security_routes.cc).
                     kSensors, kSensor, kSensorToken, kSecurityEvents,
                     // Identifier data templates (template_routes.cc).
                     kTemplates, kTemplate, kTemplateVersions, kTemplateVersion };

struct RouteInfo {
  RouteId id;
  // OpenAPI path template. A trailing "{param}" matches the rest of the
  // path (which may contain '/'), so "/api/handles/{handle}" matches
  // "/api/handles/88.999/a/b". A "{param}" followed by more text
  // ("/api/users/{name}/password") matches one non-empty segment without
  // '/'. A template may hold several ("/api/devices/{id}/functions/{fn}").
  std::string_view path;
  // The `route` label of qilian_http_requests_total.
  std::string_view label;
  std::vector<std::string_view> methods;
};

const std::vector<RouteInfo>& Routes();

// The raw texts a template's "{param}"s matched, in order.
struct RouteParams {
  static constexpr size_t kMax = 4;
  std::string_view values[kMax];
  size_t size = 0;
  std::string_view operator[](size_t i) const { return i < size ? values[i] : std::string_view(); }
};

// The first route (in table order) whose template matches `path` (the raw
// path, before any percent-decoding), or nullptr; `*params` receives what
// its "{param}"s matched.
const RouteInfo* MatchRoute(std::string_view path, RouteParams* params);
// The same, with only the first parameter.
const RouteInfo* MatchRoute(std::string_view path, std::string_view* param);

}  // namespace qilian::api

#endif  // QILIAN_API_ROUTES_H_
