// qilian-sensor's delivery options (docs/security/delivery.md, "Options"),
// kept here so that main.cc only adds them, starts delivery and finishes it.
//
//   --deliver https://HOST:PORT --sensor-token-file FILE --spool DIR
//   [--ca-file PEM] [--spool-max-mib N] [--flush-timeout SECONDS] [--flush-only]
#ifndef QILIAN_SECURITY_DELIVERY_DELIVERY_FLAGS_H_
#define QILIAN_SECURITY_DELIVERY_DELIVERY_FLAGS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "security/delivery/delivery.h"

namespace qilian::security {

// Exit status of qilian-sensor when the node refused the token (401/403)
// or set events aside as malformed (400): a person must look.
inline constexpr int kExitDeliveryRefused = 3;

struct DeliveryFlags {
  std::string url;
  std::string token_file;
  std::string ca_file;
  std::string spool_dir;
  uint64_t spool_max_mib = 1024;
  double flush_timeout_s = 10;
  bool flush_only = false;

  bool enabled() const { return !url.empty() || flush_only; }
};

void AddDeliveryFlags(CLI::App* app, DeliveryFlags* flags);

// Checks the flags together, reads the token file and starts delivery.
// InvalidArgument with a message for a person ("--deliver needs
// --sensor-token-file", "cannot read sensor token file F: ..."); the
// spool's own errors (another process has it, ...).
absl::StatusOr<std::unique_ptr<EventDelivery>> StartDelivery(
    const DeliveryFlags& flags, std::function<void(const std::string&)> log);

// Delivers what it can within --flush-timeout, prints the delivery summary
// to `out`, and returns the exit status: kExitDeliveryRefused when the node
// refused the token or rejected events, else `status`.
int FinishDelivery(EventDelivery* delivery, const DeliveryFlags& flags, std::ostream& out,
                   int status);

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DELIVERY_DELIVERY_FLAGS_H_
