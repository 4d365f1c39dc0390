#include "security/common/address.h"

#include <arpa/inet.h>

#include <algorithm>

namespace qilian::security {
namespace {
constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
}  // namespace

IpAddress IpAddress::FromV4(std::span<const uint8_t, 4> b) {
  IpAddress a;
  std::copy(std::begin(kV4MappedPrefix), std::end(kV4MappedPrefix), a.bytes.begin());
  std::copy(b.begin(), b.end(), a.bytes.begin() + 12);
  return a;
}

IpAddress IpAddress::FromV6(std::span<const uint8_t, 16> b) {
  IpAddress a;
  std::copy(b.begin(), b.end(), a.bytes.begin());
  return a;
}

bool IpAddress::is_v4() const {
  return std::equal(std::begin(kV4MappedPrefix), std::end(kV4MappedPrefix), bytes.begin());
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  }
  return buf;
}

}  // namespace qilian::security
