// What the console routes serve from (docs/console-users.md): password
// login and logout (/api/login, /api/logout), the caller (/api/me), console
// users (/api/users...) and the audit log (/api/audit). Any part may be
// missing; the routes that need it then answer 501.
#ifndef QILIAN_API_CONSOLE_ROUTES_H_
#define QILIAN_API_CONSOLE_ROUTES_H_

#include <string_view>

#include "api/routes.h"
#include "net/http_message.h"

namespace qilian::tenant {
class UserStore;
class TokenService;
class EnterpriseRegistry;
}  // namespace qilian::tenant

namespace qilian::ident::authz {
class AuditLog;
}  // namespace qilian::ident::authz

namespace qilian::api {

struct ConsoleEndpoints {
  tenant::UserStore* users = nullptr;
  tenant::TokenService* tokens = nullptr;
  const ident::authz::AuditLog* audit = nullptr;
  // For the prefix of a user's enterprise in responses; may be null.
  tenant::EnterpriseRegistry* enterprises = nullptr;
};

// Internal to the api module: RestApi's router hands every console route
// (kLogin, kLogout, kMe, kUsers, kUser, kUserPassword, kAudit) here once the
// route and method matched and the caller was established.
struct Call;
net::HttpResponse HandleConsoleRoute(const ConsoleEndpoints& console, Call* call, RouteId route,
                                     std::string_view param);

}  // namespace qilian::api

#endif  // QILIAN_API_CONSOLE_ROUTES_H_
