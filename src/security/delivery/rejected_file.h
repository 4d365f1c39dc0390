// Where events the node refused as malformed (HTTP 400) are set aside
// (docs/security/delivery.md, "Rejected events"): DIR/rejected/events.ndjson
// holds the lines exactly as they were sent, DIR/rejected/reasons.txt one
// "<id> <the node's message>" line each. Bounded: past kMaxRejectedBytes
// events are only counted.
#ifndef QILIAN_SECURITY_DELIVERY_REJECTED_FILE_H_
#define QILIAN_SECURITY_DELIVERY_REJECTED_FILE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace qilian::security {

inline constexpr uint64_t kMaxRejectedBytes = 64ull << 20;

class RejectedFile {
 public:
  explicit RejectedFile(std::string spool_dir) : dir_(std::move(spool_dir) + "/rejected") {}

  // Appends one refused event line and the reason; Unavailable when the
  // files cannot be written, ResourceExhausted past the bound.
  absl::Status Add(std::string_view id, std::string_view line, std::string_view reason);

  std::string events_path() const { return dir_ + "/events.ndjson"; }
  std::string reasons_path() const { return dir_ + "/reasons.txt"; }

 private:
  std::string dir_;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DELIVERY_REJECTED_FILE_H_
