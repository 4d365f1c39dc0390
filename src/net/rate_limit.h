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
//
// NetworkBuckets is a bounded table of token buckets keyed exactly by
// (source network, tag), with eviction of the least recently used entry of
// a small set, so a busy network keeps its own bucket and memory stays at
// table_size entries. Two limiters are built on it:
//   - ResponseRateLimiter, the same idea as SourceRateLimiter applied to
//     every UDP answer, after DNS response-rate limiting (BIND's and Knot's
//     RRL): a bucket per (source network, kind of answer), one token per
//     answer; answers over the rate are mostly dropped, except that every
//     `slip`-th is replaced by a tiny truncated (TC) reply. A real client
//     behind a forged-upon network then retries over TCP, which cannot be
//     forged, while the victim of a reflection attack receives almost
//     nothing.
//   - the UDP amplification budget (net/handle_udp_server.h): a bucket of
//     octets per source network, from which an answer larger than the
//     amplification bound draws its excess octets.
#ifndef QILIAN_NET_RATE_LIMIT_H_
#define QILIAN_NET_RATE_LIMIT_H_

#include <array>
#include <atomic>
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

struct NetworkBucketOptions {
  double rate_per_second = 1000;  // tokens added per second
  double burst = 1000;            // bucket size; a network seen anew starts full
  size_t table_size = 65536;      // buckets held at most (rounded up to a multiple of kWays)
  int ipv4_prefix_bits = 24;
  int ipv6_prefix_bits = 56;
};

class NetworkBuckets {
 public:
  static constexpr size_t kWays = 4;  // entries per set; the LRU of a full set is evicted

  struct Take {
    bool taken = false;
    uint32_t refusals = 0;  // refusals this bucket has counted, this one included
  };

  // `clock` must outlive the table; nullptr means Clock::Real().
  explicit NetworkBuckets(NetworkBucketOptions options, const Clock* clock = nullptr);
  ~NetworkBuckets();
  NetworkBuckets(const NetworkBuckets&) = delete;
  NetworkBuckets& operator=(const NetworkBuckets&) = delete;

  // Takes `cost` tokens from the bucket of (`address`'s network, `tag`)
  // when it holds that many; otherwise takes nothing and counts a refusal.
  // `address` is 4 octets (IPv4) or 16 (IPv6; IPv4-mapped addresses count
  // as IPv4), in network order. A cost above the burst is never taken.
  // Thread-safe.
  Take TryTake(std::span<const uint8_t> address, uint8_t tag, double cost);

  // Entries replaced to make room for another key, since construction.
  uint64_t evictions() const;

 private:
  struct Entry {
    std::array<uint8_t, 18> key{};  // tag, family, network octets
    bool used = false;
    double tokens = 0;
    int64_t last_ns = 0;
    uint32_t refusals = 0;
  };
  static constexpr size_t kShards = 64;

  const NetworkBucketOptions options_;
  const Clock* const clock_;
  size_t sets_;
  std::vector<Entry> entries_;
  std::unique_ptr<std::mutex[]> shard_mu_;
  std::atomic<uint64_t> evictions_{0};
};

// What an answer is, for response-rate limiting: separate buckets so that a
// flood of one kind (say, lookups of names that do not exist) does not
// starve another.
enum class ResponseKind : uint8_t {
  kAnswer = 0,    // a successful reply
  kNotFound = 1,  // HANDLE NOT FOUND (100) or VALUES NOT FOUND (200)
  kError = 2,     // any other error
};
const char* ResponseKindName(ResponseKind kind);

struct ResponseRateLimitOptions {
  bool enabled = false;
  uint32_t responses_per_second = 1000;  // per network and kind; 0: nothing is sent in full
  uint32_t burst = 0;                    // bucket size; 0: responses_per_second
  // Of the answers over the limit, every slip-th is sent as a TC-only reply
  // and the others are dropped. 0: drop all; 1: a TC reply for each.
  uint32_t slip = 2;
  size_t table_size = 65536;  // buckets held at most (rounded up to a multiple of kWays)
  int ipv4_prefix_bits = 24;
  int ipv6_prefix_bits = 56;
};

enum class RrlAction { kSend, kSlip, kDrop };

class ResponseRateLimiter {
 public:
  static constexpr size_t kWays = NetworkBuckets::kWays;

  // `clock` must outlive the limiter; nullptr means Clock::Real().
  explicit ResponseRateLimiter(ResponseRateLimitOptions options, const Clock* clock = nullptr);
  ~ResponseRateLimiter();
  ResponseRateLimiter(const ResponseRateLimiter&) = delete;
  ResponseRateLimiter& operator=(const ResponseRateLimiter&) = delete;

  // What to do with an answer of `kind` to `address` (as for
  // SourceRateLimiter::Allow). Always kSend when disabled. Thread-safe.
  RrlAction Check(std::span<const uint8_t> address, ResponseKind kind);

  // Entries replaced to make room for another key, since construction.
  uint64_t evictions() const { return buckets_.evictions(); }

 private:
  const ResponseRateLimitOptions options_;
  NetworkBuckets buckets_;
};

}  // namespace qilian::net

#endif  // QILIAN_NET_RATE_LIMIT_H_
