// The REST API (Handle.Net v9 shape, docs/api.md): routes from an HTTP
// request to the identifier processor (ident/processor.h, the same one the
// native UDP and TCP front doors call) and back, plus /healthz, /metrics and
// /api/openapi.json. Transport-neutral: the HTTP server hands over an
// HttpRequest and sends the HttpResponse; nothing here touches sockets.
#ifndef QILIAN_API_REST_API_H_
#define QILIAN_API_REST_API_H_

#include <cstddef>
#include <memory>

#include "api/stats_routes.h"
#include "core/metrics.h"
#include "ident/authz/admin_check.h"
#include "ident/processor.h"
#include "ident/registry.h"
#include "net/http_message.h"

namespace qilian::tenant {
class EnterpriseRegistry;
}  // namespace qilian::tenant

namespace qilian::api {

struct RestOptions {
  // Until authentication lands, writes are accepted only from loopback.
  bool writes_from_loopback_only = true;
  size_t max_page_size = 10000;
  size_t default_page_size = 100;
};

// HTTP Basic authentication of handle writes ([auth] rest, docs/api.md
// "Authentication"). Enabled, PUT and DELETE on /api/handles/... need
// `Authorization: Basic base64("<index>%3A<handle>:<secret>")`, checked
// against that identity's HS_SECKEY in `registry`, and HS_ADMIN permission
// for the operation; they are then accepted from any address. Other write
// routes keep the loopback rule.
struct RestAuthOptions {
  bool enabled = false;
  const ident::Registry* registry = nullptr;  // must outlive the RestApi
  ident::authz::AdminCheckOptions admin_check;
};

class RestApi {
 public:
  // Handle routes go through `processor`, shared with the native front
  // doors; the write rule and page sizes are the processor's options
  // (writes_from_loopback_only, default_page_size, max_page_size).
  RestApi(ident::Processor* processor, MetricsRegistry* metrics);
  // Builds a private Processor over `registry` from `options` (no HS_SITE).
  // For tests and for a daemon that has no native front door.
  RestApi(ident::Registry* registry, MetricsRegistry* metrics, RestOptions options);
  ~RestApi();

  net::HttpResponse Handle(const net::HttpRequest& request);

  // Serves /api/enterprises from `enterprises` (which must outlive this
  // object). Without it those routes answer 501. Call before serving.
  void SetEnterprises(tenant::EnterpriseRegistry* enterprises);

  // Serves /api/stats... from `stats` (whose pointers must outlive this
  // object). Without it those routes answer 501. Call before serving.
  void SetStats(StatsEndpoints stats);

  // Turns on Basic authentication of handle writes. Call before serving.
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
