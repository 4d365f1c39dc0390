// Token buckets per source network, for the replies a UDP server sends to
// requests it could not serve. UDP sources can be forged, so an error reply
// is potentially a reflected packet aimed at someone else; bounding them
// per network bounds what any one victim network can receive from us.
//
// Sources are grouped by network (IPv4 /24, IPv6 /56 by default) because an
// attacker who forges addresses can spread them over a victim's whole
// network. Buckets live in a fixed table indexed by a per-process seeded
// hash of the network: memory is fixed, nothing is ever evicted, and two
// networks that collide share one bucket (which only ever limits more).
#ifndef QILIAN_NET_RATE_LIMIT_H_
#define QILIAN_NET_RATE_LIMIT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "core/clock.h"

namespace qilian::net {

struct SourceRateLimitOptions {
  uint32_t rate_per_second = 100;  // 0: nothing is ever allowed
  uint32_t burst = 200;            // bucket size: allowed at once after a quiet spell
  size_t slots = 16384;            // buckets in the table
  int ipv4_prefix_bits = 24;
  int ipv6_prefix_bits = 56;
};

class SourceRateLimiter {
 public:
  // `clock` must outlive the limiter; nullptr means Clock::Real().
  explicit SourceRateLimiter(SourceRateLimitOptions options, const Clock* clock = nullptr);
  ~SourceRateLimiter();
  SourceRateLimiter(const SourceRateLimiter&) = delete;
  SourceRateLimiter& operator=(const SourceRateLimiter&) = delete;

  // Takes one token from the bucket of `address`'s network; false when it
  // is empty. `address` is 4 octets (IPv4) or 16 (IPv6; IPv4-mapped
  // addresses count as IPv4), in network order. Thread-safe.
  bool Allow(std::span<const uint8_t> address);

 private:
  struct Bucket {
    double tokens = 0;
    int64_t last_ns = 0;
    bool used = false;
  };
  static constexpr size_t kShards = 64;

  size_t SlotFor(std::span<const uint8_t> address) const;

  const SourceRateLimitOptions options_;
  const Clock* const clock_;
  std::vector<Bucket> buckets_;
  std::unique_ptr<std::mutex[]> shard_mu_;
};

}  // namespace qilian::net

#endif  // QILIAN_NET_RATE_LIMIT_H_
