// The REST API (Handle.Net v9 shape, docs/api.md): routes from an HTTP
// request to the identifier registry and back, plus /healthz, /metrics and
// /api/openapi.json. Transport-neutral: the HTTP server hands over an
// HttpRequest and sends the HttpResponse; nothing here touches sockets.
#ifndef QILIAN_API_REST_API_H_
#define QILIAN_API_REST_API_H_

#include <cstddef>
#include <memory>

#include "core/metrics.h"
#include "ident/registry.h"
#include "net/http_message.h"

namespace qilian::api {

struct RestOptions {
  // Until authentication lands, writes are accepted only from loopback.
  bool writes_from_loopback_only = true;
  size_t max_page_size = 10000;
  size_t default_page_size = 100;
};

class RestApi {
 public:
  RestApi(ident::Registry* registry, MetricsRegistry* metrics, RestOptions options);
  ~RestApi();

  net::HttpResponse Handle(const net::HttpRequest& request);

  // Whether handling `request` may block on durable storage (any write), so
  // the server should run it off its I/O threads.
  static bool MayBlock(const net::HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::api

#endif  // QILIAN_API_REST_API_H_
