#include "platform/ingest/rate_limiter.h"

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"

namespace qilian::platform {

namespace {

struct Bucket {
  double tokens;
  int64_t last_ns;
};

// Keyed by enterprise id (8 bytes, big-endian) + device id, so that one
// string holds the key and lookups by string_view allocate nothing.
struct Shard {
  std::mutex mu;
  absl::flat_hash_map<std::string, Bucket> buckets;
};

}  // namespace

struct DeviceRateLimiter::Impl {
  double rate;
  double burst;
  std::vector<Shard> shards;
  Impl(double r, double b, size_t n)
      : rate(r), burst(std::max(b, 1.0)), shards(std::max<size_t>(n, 1)) {}
};

DeviceRateLimiter::DeviceRateLimiter(double rate, double burst, size_t shards)
    : impl_(std::make_unique<Impl>(rate, burst, shards)) {}

DeviceRateLimiter::~DeviceRateLimiter() = default;

bool DeviceRateLimiter::Admit(uint64_t enterprise, std::string_view device_id, absl::Time now) {
  if (impl_->rate <= 0) return true;
  thread_local std::string key;  // reused: no allocation per message
  key.clear();
  for (int i = 0; i < 8; ++i) key.push_back(static_cast<char>(enterprise >> (56 - 8 * i)));
  key.append(device_id);
  const absl::string_view k(key.data(), key.size());
  Shard& shard = impl_->shards[absl::HashOf(k) % impl_->shards.size()];
  const int64_t now_ns = absl::ToUnixNanos(now);
  std::lock_guard lock(shard.mu);
  auto it = shard.buckets.find(k);
  if (it == shard.buckets.end()) {
    it = shard.buckets.emplace(key, Bucket{impl_->burst, now_ns}).first;
  }
  Bucket& b = it->second;
  if (now_ns > b.last_ns) {
    b.tokens = std::min(impl_->burst, b.tokens + (now_ns - b.last_ns) * 1e-9 * impl_->rate);
    b.last_ns = now_ns;
  }
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

size_t DeviceRateLimiter::device_count() const {
  size_t n = 0;
  for (Shard& shard : impl_->shards) {
    std::lock_guard lock(shard.mu);
    n += shard.buckets.size();
  }
  return n;
}

}  // namespace qilian::platform
