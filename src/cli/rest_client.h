// A small synchronous HTTP/1.1 client for the `qilian` command: one
// keep-alive connection to one qiliand, a deadline on every step, and errors
// as absl::Status whose messages are ready for a person to read.
//
// https:// URLs go over TLS 1.2 or later (1.3 when the server offers it),
// always verified: the certificate chain against the system store or a given
// CA bundle, and the URL's host (a DNS name or an IP address) against the
// certificate. There is deliberately no way to turn verification off. The
// plain http:// path never touches OpenSSL.
#ifndef QILIAN_CLI_REST_CLIENT_H_
#define QILIAN_CLI_REST_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace qilian::cli {

// Where the server is: parsed from `--server`, e.g. "http://127.0.0.1:8000",
// "https://localhost:8000" or "http://[::1]:8000/base".
struct ServerUrl {
  std::string host;       // without brackets for IPv6
  std::string port;       // decimal
  std::string base_path;  // "" or "/base" (no trailing slash)
  std::string text;       // "http[s]://host:port[/base]" for messages
  bool tls = false;       // https://

  // An InvalidArgument error for anything but http[s]://HOST[:PORT][/PATH]
  // (default port 80, or 443 for https; no scheme means http).
  static absl::StatusOr<ServerUrl> Parse(std::string_view url);
};

// How https:// servers are verified.
struct TlsClientOptions {
  // PEM file of the CAs to trust instead of the system store (OpenSSL's
  // default paths, which honour $SSL_CERT_FILE / $SSL_CERT_DIR). Empty:
  // the system store.
  std::string ca_file;
};

struct HttpReply {
  int status = 0;
  std::string body;
  // The reply's header fields, names as the server spelled them.
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header named `name` (any case); "" when absent.
  std::string Header(std::string_view name) const;
};

// Percent-encodes a handle for the URL path: every byte but unreserved
// characters (RFC 3986: ALPHA DIGIT - . _ ~) and '/' becomes %XX, so '?',
// '#', '%', spaces and non-ASCII bytes reach the server intact.
std::string EncodePathSegment(std::string_view handle);

// Percent-encodes a query parameter name or value (unreserved bytes kept).
std::string EncodeQueryComponent(std::string_view text);

// Joins name=value pairs into "?a=1&b=2" (empty string for no pairs).
std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params);

// `data` as one gzip member (what Content-Encoding: gzip carries).
absl::StatusOr<std::string> Gzip(std::string_view data);

class RestClient {
 public:
  RestClient(ServerUrl server, std::chrono::milliseconds timeout);
  // `tls` matters only for an https:// server.
  RestClient(ServerUrl server, std::chrono::milliseconds timeout, TlsClientOptions tls);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // Sends one request; `target` is the path and query below the server's
  // base path, e.g. "/api/handles/88.999/a?index=1". Any HTTP status is a
  // successful exchange; errors are Unavailable (cannot connect, connection
  // lost, TLS handshake or certificate verification failed) or
  // DeadlineExceeded (no answer within the timeout), with messages like
  // "cannot connect to http://127.0.0.1:8000: Connection refused" or
  // "cannot verify the certificate of https://127.0.0.1:8443: self-signed
  // certificate"; InvalidArgument when the CA file cannot be loaded.
  absl::StatusOr<HttpReply> Send(std::string_view method, std::string_view target,
                                 std::string_view body);

  const ServerUrl& server() const { return server_; }

  // How long each step (connect, send, the reply) may take; later
  // requests use a new value (a device call waits longer than a read).
  std::chrono::milliseconds timeout() const;
  void set_timeout(std::chrono::milliseconds timeout);

  // An Authorization header value sent with every later request (""
  // sends none): writes and listings need one, and reads with one may see
  // values without public read.
  void set_authorization(std::string value) { authorization_ = std::move(value); }

  // The Content-Type of later request bodies ("application/json" unless
  // set; "text/csv" for a device import).
  void set_content_type(std::string value) { content_type_ = std::move(value); }

  // The Content-Encoding of later request bodies ("" sends none; "gzip"
  // for `qilian telemetry write --gzip`).
  void set_content_encoding(std::string value) { content_encoding_ = std::move(value); }

 private:
  struct Impl;
  // Opens the connection (and for https:// completes a verified handshake).
  absl::Status Connect();

  ServerUrl server_;
  std::string authorization_;
  std::string content_type_ = "application/json";
  std::string content_encoding_;
  TlsClientOptions tls_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::cli

#endif  // QILIAN_CLI_REST_CLIENT_H_
