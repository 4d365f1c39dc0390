// The native-protocol transport of `qilian resolve` and `qilian siteinfo`:
// one request to one Handle server over UDP (with client-side reassembly
// of fragmented replies, cli/udp_reassembler.h) or TCP (one message framed
// by its envelope). Bytes in, bytes out: building and reading messages is
// ident/wire/client.h's job. Errors are absl::Status with messages ready
// for a person: Unavailable ("cannot connect to 127.0.0.1:2641: Connection
// refused"), DeadlineExceeded ("no answer from ... within 5s"),
// InvalidArgument for a malformed --server.
#ifndef QILIAN_CLI_HANDLE_CLIENT_H_
#define QILIAN_CLI_HANDLE_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace qilian::cli {

inline constexpr char kDefaultHandleServer[] = "127.0.0.1:2641";

// HOST:PORT, HOST an IPv4 address, a name, or [IPv6].
struct HandleServerAddress {
  std::string host;  // without brackets
  std::string port;
  std::string text;  // as given, for messages

  static absl::StatusOr<HandleServerAddress> Parse(std::string_view text);
};

struct UdpExchange {
  std::string message;     // the whole reply, reassembled
  size_t datagrams = 0;    // how many datagrams carried it
  bool use_tcp = false;    // the server set the truncated flag on a lone datagram,
                           // or the reply is larger than the client reassembles
};

// Sends `request` (whose envelope carries `request_id`) and waits for the
// matching reply, sending again after a third of the timeout without one.
absl::StatusOr<UdpExchange> ExchangeUdp(const HandleServerAddress& server,
                                        std::string_view request, uint32_t request_id,
                                        std::chrono::milliseconds timeout);

// One request and one reply over a fresh TCP connection.
absl::StatusOr<std::string> ExchangeTcp(const HandleServerAddress& server,
                                        std::string_view request,
                                        std::chrono::milliseconds timeout);

// A TCP connection kept for several request/reply exchanges (a write and
// its challenge answer). A connection the server closed before replying is
// opened again once, and the request sent again.
class HandleTcpConnection {
 public:
  HandleTcpConnection(HandleServerAddress server, std::chrono::milliseconds timeout);
  ~HandleTcpConnection();
  HandleTcpConnection(const HandleTcpConnection&) = delete;
  HandleTcpConnection& operator=(const HandleTcpConnection&) = delete;

  // Sends `request` and returns the one reply message (envelope included);
  // errors as ExchangeTcp's. `timeout` applies to each exchange.
  absl::StatusOr<std::string> Exchange(std::string_view request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::cli

#endif  // QILIAN_CLI_HANDLE_CLIENT_H_
