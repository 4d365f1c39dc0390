// Transport-neutral HTTP request and response, the seam between the HTTP
// server (net/http_server.h, Boost.Beast) and the REST routes (api/). Routes
// never see Beast types, so they are tested without sockets.
#ifndef QILIAN_NET_HTTP_MESSAGE_H_
#define QILIAN_NET_HTTP_MESSAGE_H_

#include <string>
#include <utility>
#include <vector>

namespace qilian::net {

struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // raw request target as received, e.g. "/api/handles/88.999%2Fa?index=1"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string remote_address;  // textual IP of the peer
  bool remote_is_loopback = false;
  // Whether the request arrived over TLS (net/http_server.h).
  bool tls = false;
  // The subject (RFC 2253 string, last RDN first, e.g. "CN=client-1,O=Acme") of the client
  // certificate the TLS handshake verified against tls_client_ca; empty when
  // none was sent or TLS is off.
  std::string tls_client_subject;

  // The first header with this (lower-case) name, or nullptr.
  const std::string* Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return &v;
    }
    return nullptr;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

}  // namespace qilian::net

#endif  // QILIAN_NET_HTTP_MESSAGE_H_
