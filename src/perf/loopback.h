// qilian-perf only ever loads a server on this machine: the target address
// must be numeric loopback (127.0.0.0/8, ::1, or ::ffff:127.x.x.x), so a
// typo cannot turn the load generator on somebody else's host.
#ifndef QILIAN_PERF_LOOPBACK_H_
#define QILIAN_PERF_LOOPBACK_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace qilian::perf {

struct LoopbackAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;  // "127.0.0.1:2641" or "[::1]:2641"
};

// Accepts "localhost" (as 127.0.0.1) and numeric addresses, IPv6 with or
// without brackets. InvalidArgument for anything else, e.g.
// "10.0.0.1 is not a loopback address: qilian-perf only sends to
// 127.0.0.0/8 and ::1".
absl::StatusOr<LoopbackAddress> ParseLoopback(std::string_view host, uint16_t port);

}  // namespace qilian::perf

#endif  // QILIAN_PERF_LOOPBACK_H_
