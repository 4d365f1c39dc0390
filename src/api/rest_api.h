// The REST API (Handle.Net v9 shape, docs/api.md): routes from an HTTP
// request to the identifier processor (ident/processor.h, the same one the
// native UDP and TCP front doors call) and back, plus /healthz, /metrics and
// /api/openapi.json. Transport-neutral: the HTTP server hands over an
// HttpRequest and sends the HttpResponse; nothing here touches sockets.
#ifndef QILIAN_API_REST_API_H_
#define QILIAN_API_REST_API_H_

#include <cstddef>
#include <memory>

#include "api/console_routes.h"
#include "api/stats_routes.h"
#include "core/metrics.h"
#include "api/credentials.h"
#include "ident/authz/audit_log.h"
#include "ident/authz/auth_throttle.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "net/http_message.h"

namespace qilian::tenant {
class EnterpriseRegistry;
}  // namespace qilian::tenant
namespace qilian::platform {
class ProductRegistry;
class DeviceRegistry;
class ShadowStore;
namespace telemetry {
class TelemetryService;
}  // namespace telemetry
}  // namespace qilian::platform
namespace qilian::ident::templates {
class TemplateStore;
}  // namespace qilian::ident::templates
namespace qilian::security::events {
class SensorRegistry;
class EventStore;
}  // namespace qilian::security::events

namespace qilian::api {

struct RestOptions {
  size_t max_page_size = 10000;
  size_t default_page_size = 100;
};

// Authentication of REST callers (docs/api.md "Authentication"): every
// request's Authorization header becomes the Caller the processor and the
// node routes decide with (api/credentials.h); without one the caller is
// anonymous, who may only read public values. Failed authentications are
// refused with 401 and audited.
struct RestAuthOptions {
  CredentialOptions credentials;  // pointers must outlive the RestApi
  ident::authz::AuditLog* audit = nullptr;
  // Refuses credentials (406) for an identity or address after repeated
  // failures; null: no throttling.
  ident::authz::AuthThrottle* throttle = nullptr;
};

class RestApi {
 public:
  // Handle routes go through `processor`, shared with the native front
  // doors; who may write is the processor's access policy, page sizes its
  // options (default_page_size, max_page_size).
  RestApi(ident::Processor* processor, MetricsRegistry* metrics);
  // Builds a private Processor over `registry` from `options` (no HS_SITE).
  // For tests and for a daemon that has no native front door.
  RestApi(ident::Registry* registry, MetricsRegistry* metrics, RestOptions options);
  ~RestApi();

  net::HttpResponse Handle(const net::HttpRequest& request);

  // Serves /api/enterprises from `enterprises` (which must outlive this
  // object). Without it those routes answer 501. Call before serving.
  void SetEnterprises(tenant::EnterpriseRegistry* enterprises);

  // Serves /api/products... and /api/starter-products from `products`
  // (which must outlive this object); tenancy needs SetEnterprises too.
  // Without it those routes answer 501. Call before serving.
  void SetProducts(platform::ProductRegistry* products);

  // Serves /api/devices... from `devices` (which must outlive this object);
  // tenancy needs SetEnterprises too. Without it those routes answer 501.
  // Call before serving.
  void SetDevices(platform::DeviceRegistry* devices);

  // Serves /api/devices/{id}/shadow, /properties and /functions/{fn} from
  // `shadow` (which must outlive this object); needs SetDevices too.
  // Without it those routes answer 501 (a node without the MQTT broker).
  // Call before serving.
  void SetDeviceShadow(platform::ShadowStore* shadow);

  // Serves POST /write and /api/v2/write (InfluxDB line protocol) and
  // /api/telemetry/... from `telemetry` (which must outlive this object),
  // taking line-protocol bodies up to `max_write_body_bytes` once
  // decompressed; needs SetEnterprises too. Without it those routes answer
  // 501. Call before serving.
  void SetTelemetry(platform::telemetry::TelemetryService* telemetry,
                    size_t max_write_body_bytes);

  // Serves /api/enterprises/{id}/sensors... and /api/security/events from
  // `sensors` and `events` (which must outlive this object); tenancy needs
  // SetEnterprises too. Without it those routes answer 501. Call before
  // serving.
  void SetSecurityEvents(security::events::SensorRegistry* sensors,
                         security::events::EventStore* events);

  // Serves /api/prefixes/{prefix}/templates... from `templates` (which must
  // outlive this object). Without it those routes answer 501. Call before
  // serving.
  void SetTemplates(ident::templates::TemplateStore* templates);

  // Serves /api/stats... from `stats` (whose pointers must outlive this
  // object). Without it those routes answer 501. Call before serving.
  void SetStats(StatsEndpoints stats);

  // Serves /api/login, /api/logout, /api/me, /api/users... and /api/audit
  // from `console` (whose pointers must outlive this object). Without it
  // those routes answer 501 (/api/me works regardless). Call before serving.
  void SetConsole(ConsoleEndpoints console);

  // Sets how callers authenticate. Without it every caller is anonymous.
  // Call before serving.
  void SetAuth(RestAuthOptions auth);

  // Whether handling `request` may block on durable storage (any write), so
  // the server should run it off its I/O threads.
  static bool MayBlock(const net::HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::api

#endif  // QILIAN_API_REST_API_H_
