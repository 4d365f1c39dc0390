#include "api/routes.h"

namespace qilian::api {

const std::vector<RouteInfo>& Routes() {
  static const std::vector<RouteInfo> routes = {
      {RouteId::kHandle, "/api/handles/{handle}", "handle", {"GET", "PUT", "POST", "DELETE"}},
      {RouteId::kHandles, "/api/handles", "handles", {"GET"}},
      {RouteId::kHealthz, "/healthz", "healthz", {"GET"}},
      {RouteId::kMetrics, "/metrics", "metrics", {"GET"}},
      {RouteId::kOpenApi, "/api/openapi.json", "openapi", {"GET"}},
      {RouteId::kEnterprise, "/api/enterprises/{id}", "enterprise", {"GET"}},
      {RouteId::kEnterprises, "/api/enterprises", "enterprises", {"GET", "POST"}},
      {RouteId::kProducts, "/api/products", "products", {"GET", "POST"}},
      // Before kProduct, whose trailing {id} would match it too.
      {RouteId::kProductModel, "/api/products/{id}/model", "product_model", {"GET", "PUT"}},
      {RouteId::kProduct, "/api/products/{id}", "product", {"GET", "DELETE"}},
      {RouteId::kStarterProducts, "/api/starter-products", "starter_products", {"GET"}},
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

const RouteInfo* MatchRoute(std::string_view path, std::string_view* param) {
  for (const RouteInfo& route : Routes()) {
    size_t brace = route.path.find('{');
    if (brace == std::string_view::npos) {
      if (path == route.path) return &route;
      continue;
    }
    std::string_view fixed = route.path.substr(0, brace);
    std::string_view tail = route.path.substr(route.path.find('}', brace) + 1);
    if (!tail.empty()) {
      if (path.size() > fixed.size() + tail.size() && path.substr(0, fixed.size()) == fixed &&
          path.substr(path.size() - tail.size()) == tail) {
        std::string_view middle =
            path.substr(fixed.size(), path.size() - fixed.size() - tail.size());
        if (middle.find('/') == std::string_view::npos) {
          *param = middle;
          return &route;
        }
      }
      continue;
    }
    if (path.size() >= fixed.size() && path.substr(0, fixed.size()) == fixed) {
      *param = path.substr(fixed.size());
      return &route;
    }
  }
  return nullptr;
}

}  // namespace qilian::api
