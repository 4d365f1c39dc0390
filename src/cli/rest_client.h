// A small synchronous HTTP/1.1 client for the `qilian` command: one
// keep-alive connection to one qiliand, a deadline on every step, and errors
// as absl::Status whose messages are ready for a person to read. The command
// line needs nothing more; no TLS yet (the daemon serves plain HTTP).
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

// Where the server is: parsed from `--server`, e.g. "http://127.0.0.1:8000"
// or "http://[::1]:8000/base".
struct ServerUrl {
  std::string host;       // without brackets for IPv6
  std::string port;       // decimal
  std::string base_path;  // "" or "/base" (no trailing slash)
  std::string text;       // "http://host:port[/base]" for messages

  // An InvalidArgument error for anything but http://HOST[:PORT][/PATH].
  static absl::StatusOr<ServerUrl> Parse(std::string_view url);
};

struct HttpReply {
  int status = 0;
  std::string body;
};

// Percent-encodes a handle for the URL path: every byte but unreserved
// characters (RFC 3986: ALPHA DIGIT - . _ ~) and '/' becomes %XX, so '?',
// '#', '%', spaces and non-ASCII bytes reach the server intact.
std::string EncodePathSegment(std::string_view handle);

// Percent-encodes a query parameter name or value (unreserved bytes kept).
std::string EncodeQueryComponent(std::string_view text);

// Joins name=value pairs into "?a=1&b=2" (empty string for no pairs).
std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params);

class RestClient {
 public:
  RestClient(ServerUrl server, std::chrono::milliseconds timeout);
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // Sends one request; `target` is the path and query below the server's
  // base path, e.g. "/api/handles/88.999/a?index=1". Any HTTP status is a
  // successful exchange; errors are Unavailable (cannot connect, connection
  // lost) or DeadlineExceeded (no answer within the timeout), with messages
  // like "cannot connect to http://127.0.0.1:8000: Connection refused".
  absl::StatusOr<HttpReply> Send(std::string_view method, std::string_view target,
                                 std::string_view body);

  const ServerUrl& server() const { return server_; }

 private:
  struct Impl;
  ServerUrl server_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::cli

#endif  // QILIAN_CLI_REST_CLIENT_H_
