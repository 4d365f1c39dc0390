// The authenticated-create load of qilian-perf (--create, docs/
// benchmarks.md): N TCP connections, one thread each, each creating
// handles one at a time as an administrator, either in one session per
// connection (opcode 400 with an X25519 key; its first create is challenged
// and answered once, which proves the session; every create
// carries an HS_MAC credential) or with a 402 challenge and an HMAC-SHA256
// (0x13) answer for every create.
#ifndef QILIAN_PERF_AUTH_LOAD_H_
#define QILIAN_PERF_AUTH_LOAD_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "perf/load_generator.h"
#include "perf/loopback.h"

namespace qilian::perf {

struct AuthLoadOptions {
  LoopbackAddress server;
  uint32_t connections = 4;
  double duration_seconds = 10;
  std::string identity_handle;  // e.g. 0.NA/88.999
  uint32_t identity_index = 300;
  std::string secret;
  // Handles are <prefix>/<run tag>-<connection>-<n>.
  std::string prefix;
  bool session = true;  // false: a challenge for every create
  double timeout_seconds = 5;
  const std::atomic<bool>* stop = nullptr;
};

// Runs the load; `answered` counts creates that got any final reply and
// codes[] their response codes. Fails if no connection could authenticate.
absl::StatusOr<LoadStats> RunAuthLoad(const AuthLoadOptions& options);

}  // namespace qilian::perf

#endif  // QILIAN_PERF_AUTH_LOAD_H_
