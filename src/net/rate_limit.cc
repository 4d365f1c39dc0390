#include "net/rate_limit.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/hash/hash.h"

namespace qilian::net {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// The network of `address`: its family, then the address with the host
// bits cleared.
std::array<uint8_t, 17> NetworkKey(std::span<const uint8_t> address, int ipv4_bits,
                                   int ipv6_bits) {
  std::array<uint8_t, 17> key{};
  std::span<const uint8_t> a = address;
  int bits;
  if (a.size() == 16 && std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), a.begin())) {
    a = a.subspan(12);
  }
  if (a.size() == 4) {
    key[0] = 4;
    bits = ipv4_bits;
  } else {
    key[0] = 6;
    bits = ipv6_bits;
    a = a.first(std::min<size_t>(a.size(), 16));
  }
  for (size_t i = 0; i < a.size(); ++i) {
    int keep = std::clamp(bits - static_cast<int>(i) * 8, 0, 8);
    uint8_t mask = keep == 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
    key[i + 1] = a[i] & mask;
  }
  return key;
}

}  // namespace

SourceRateLimiter::SourceRateLimiter(SourceRateLimitOptions options, const Clock* clock)
    : options_(options),
      clock_(clock != nullptr ? clock : &Clock::Real()),
      buckets_(std::max<size_t>(options.slots, 1)),
      shard_mu_(std::make_unique<std::mutex[]>(kShards)) {}

SourceRateLimiter::~SourceRateLimiter() = default;

size_t SourceRateLimiter::SlotFor(std::span<const uint8_t> address) const {
  std::array<uint8_t, 17> key =
      NetworkKey(address, options_.ipv4_prefix_bits, options_.ipv6_prefix_bits);
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

const char* ResponseKindName(ResponseKind kind) {
  switch (kind) {
    case ResponseKind::kAnswer: return "answer";
    case ResponseKind::kNotFound: return "not_found";
    case ResponseKind::kError: return "error";
  }
  return "error";
}

NetworkBuckets::NetworkBuckets(NetworkBucketOptions options, const Clock* clock)
    : options_(options),
      clock_(clock != nullptr ? clock : &Clock::Real()),
      sets_(std::max<size_t>(1, (options.table_size + kWays - 1) / kWays)),
      entries_(sets_ * kWays),
      shard_mu_(std::make_unique<std::mutex[]>(kShards)) {}

NetworkBuckets::~NetworkBuckets() = default;

uint64_t NetworkBuckets::evictions() const { return evictions_.load(); }

NetworkBuckets::Take NetworkBuckets::TryTake(std::span<const uint8_t> address, uint8_t tag,
                                             double cost) {
  std::array<uint8_t, 18> key{};
  std::array<uint8_t, 17> network =
      NetworkKey(address, options_.ipv4_prefix_bits, options_.ipv6_prefix_bits);
  key[0] = tag;
  std::copy(network.begin(), network.end(), key.begin() + 1);
  const size_t set = absl::HashOf(key) % sets_;
  const int64_t now = absl::ToUnixNanos(clock_->Now());

  std::lock_guard<std::mutex> lock(shard_mu_[set % kShards]);
  Entry* ways = &entries_[set * kWays];
  Entry* e = nullptr;
  for (size_t i = 0; i < kWays && e == nullptr; ++i) {
    if (ways[i].used && ways[i].key == key) e = &ways[i];
  }
  if (e == nullptr) {
    // A new key takes a free way, or the one seen least recently: a network
    // that keeps sending keeps its bucket, and memory never grows.
    Entry* victim = &ways[0];
    for (size_t i = 0; i < kWays; ++i) {
      if (!ways[i].used) {
        victim = &ways[i];
        break;
      }
      if (ways[i].last_ns < victim->last_ns) victim = &ways[i];
    }
    if (victim->used) evictions_.fetch_add(1);
    *victim = Entry{};
    victim->used = true;
    victim->key = key;
    victim->tokens = options_.burst;
    victim->last_ns = now;
    e = victim;
  } else if (now > e->last_ns) {
    e->tokens = std::min(options_.burst, e->tokens + static_cast<double>(now - e->last_ns) *
                                                         1e-9 * options_.rate_per_second);
  }
  e->last_ns = std::max(e->last_ns, now);
  if (e->tokens >= cost) {
    e->tokens -= cost;
    return {true, e->refusals};
  }
  ++e->refusals;
  return {false, e->refusals};
}

namespace {

NetworkBucketOptions RrlBuckets(const ResponseRateLimitOptions& o) {
  NetworkBucketOptions b;
  b.rate_per_second = o.responses_per_second;
  b.burst = o.burst != 0 ? o.burst : o.responses_per_second;
  b.table_size = o.table_size;
  b.ipv4_prefix_bits = o.ipv4_prefix_bits;
  b.ipv6_prefix_bits = o.ipv6_prefix_bits;
  return b;
}

}  // namespace

ResponseRateLimiter::ResponseRateLimiter(ResponseRateLimitOptions options, const Clock* clock)
    : options_(options), buckets_(RrlBuckets(options), clock) {}

ResponseRateLimiter::~ResponseRateLimiter() = default;

RrlAction ResponseRateLimiter::Check(std::span<const uint8_t> address, ResponseKind kind) {
  if (!options_.enabled) return RrlAction::kSend;
  NetworkBuckets::Take t = buckets_.TryTake(address, static_cast<uint8_t>(kind), 1.0);
  if (t.taken) return RrlAction::kSend;
  if (options_.slip == 0) return RrlAction::kDrop;
  return t.refusals % options_.slip == 0 ? RrlAction::kSlip : RrlAction::kDrop;
}

}  // namespace qilian::net
