// An IPv4 or IPv6 address as the sensor keys flows and writes events: 16
// bytes, IPv4 stored v4-mapped (::ffff:a.b.c.d) so one type and one hash
// serve both families without a variant.
#ifndef QILIAN_SECURITY_COMMON_ADDRESS_H_
#define QILIAN_SECURITY_COMMON_ADDRESS_H_

#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string>

namespace qilian::security {

struct IpAddress {
  std::array<uint8_t, 16> bytes{};

  static IpAddress FromV4(std::span<const uint8_t, 4> b);
  static IpAddress FromV6(std::span<const uint8_t, 16> b);
  bool is_v4() const;
  // Dotted quad for IPv4, RFC 5952 text for IPv6.
  std::string ToString() const;

  auto operator<=>(const IpAddress&) const = default;
  bool operator==(const IpAddress&) const = default;

  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine_contiguous(std::move(h), a.bytes.data(), a.bytes.size());
  }
};

// Packet timestamps: nanoseconds since the Unix epoch, as libpcap reports
// them with nanosecond precision requested.
using TimeNs = int64_t;
constexpr TimeNs kNsPerSecond = 1'000'000'000;

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_COMMON_ADDRESS_H_
