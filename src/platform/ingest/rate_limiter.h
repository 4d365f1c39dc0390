// Per-device token buckets for MQTT ingestion (docs/mqtt.md, rate_limited):
// each device may send `rate` messages per second on average and `burst` at
// once. Sharded so that ingestion threads rarely share a lock; a device's
// bucket is created on its first message and holds 16 bytes besides its key.
#ifndef QILIAN_PLATFORM_INGEST_RATE_LIMITER_H_
#define QILIAN_PLATFORM_INGEST_RATE_LIMITER_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/time/time.h"

namespace qilian::platform {

class DeviceRateLimiter {
 public:
  // `rate` tokens per second, at most `burst` saved; rate <= 0 admits all.
  DeviceRateLimiter(double rate, double burst, size_t shards = 64);
  ~DeviceRateLimiter();

  // Takes a token from the device's bucket at time `now`; false if empty.
  bool Admit(uint64_t enterprise, std::string_view device_id, absl::Time now);

  size_t device_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_INGEST_RATE_LIMITER_H_
