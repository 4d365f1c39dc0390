#include "perf/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace qilian::perf {

absl::StatusOr<LoopbackAddress> ParseLoopback(std::string_view host_in, uint16_t port) {
  std::string host(host_in);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  if (port == 0) return absl::InvalidArgumentError("port must be 1-65535");
  LoopbackAddress out;
  const std::string refused =
      " is not a loopback address: qilian-perf only sends to 127.0.0.0/8 and ::1";
  in_addr v4{};
  in6_addr v6{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    if ((ntohl(v4.s_addr) >> 24) != 127) return absl::InvalidArgumentError(host + refused);
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.addr);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    sin->sin_addr = v4;
    out.len = sizeof(sockaddr_in);
    out.text = host + ":" + std::to_string(port);
    return out;
  }
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    bool loopback = IN6_IS_ADDR_LOOPBACK(&v6) ||
                    (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
    if (!loopback) return absl::InvalidArgumentError(host + refused);
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sin6->sin6_addr = v6;
    out.len = sizeof(sockaddr_in6);
    out.text = "[" + host + "]:" + std::to_string(port);
    return out;
  }
  return absl::InvalidArgumentError("\"" + host +
                                    "\" is not a numeric address; qilian-perf takes "
                                    "127.0.0.0/8, ::1 or localhost");
}

}  // namespace qilian::perf
