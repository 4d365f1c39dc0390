#include "net/rate_limit.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/hash/hash.h"

namespace qilian::net {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

SourceRateLimiter::SourceRateLimiter(SourceRateLimitOptions options, const Clock* clock)
    : options_(options),
      clock_(clock != nullptr ? clock : &Clock::Real()),
      buckets_(std::max<size_t>(options.slots, 1)),
      shard_mu_(std::make_unique<std::mutex[]>(kShards)) {}

SourceRateLimiter::~SourceRateLimiter() = default;

size_t SourceRateLimiter::SlotFor(std::span<const uint8_t> address) const {
  // The network: the address with the host bits cleared, plus its family.
  std::array<uint8_t, 17> key{};
  std::span<const uint8_t> a = address;
  int bits;
  if (a.size() == 16 && std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), a.begin())) {
    a = a.subspan(12);
  }
  if (a.size() == 4) {
    key[0] = 4;
    bits = options_.ipv4_prefix_bits;
  } else {
    key[0] = 6;
    bits = options_.ipv6_prefix_bits;
    a = a.first(std::min<size_t>(a.size(), 16));
  }
  for (size_t i = 0; i < a.size(); ++i) {
    int keep = std::clamp(bits - static_cast<int>(i) * 8, 0, 8);
    uint8_t mask = keep == 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
    key[i + 1] = a[i] & mask;
  }
  size_t h = absl::HashOf(key);
  return h % buckets_.size();
}

bool SourceRateLimiter::Allow(std::span<const uint8_t> address) {
  if (options_.rate_per_second == 0) return false;
  size_t slot = SlotFor(address);
  int64_t now = absl::ToUnixNanos(clock_->Now());
  std::lock_guard<std::mutex> lock(shard_mu_[slot % kShards]);
  Bucket& b = buckets_[slot];
  const double burst = static_cast<double>(options_.burst);
  if (!b.used) {
    b.used = true;
    b.tokens = burst;
  } else if (now > b.last_ns) {
    double refill = static_cast<double>(now - b.last_ns) * 1e-9 * options_.rate_per_second;
    b.tokens = std::min(burst, b.tokens + refill);
  }
  b.last_ns = std::max(b.last_ns, now);
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace qilian::net
