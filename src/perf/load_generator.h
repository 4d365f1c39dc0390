// The engine of qilian-perf: sends pre-encoded Handle requests to one
// server over UDP (sendmmsg/recvmmsg batches on connected sockets) or TCP
// (persistent connections, pipelined), keeps at most `max_in_flight`
// outstanding, optionally at a fixed rate, and records what came back.
// One thread per client socket; each owns its in-flight table, so nothing
// is shared until the per-thread results are merged.
#ifndef QILIAN_PERF_LOAD_GENERATOR_H_
#define QILIAN_PERF_LOAD_GENERATOR_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "perf/latency_histogram.h"
#include "perf/loopback.h"

namespace qilian::perf {

inline constexpr double kMaxDurationSeconds = 300;

struct LoadOptions {
  LoopbackAddress server;
  bool tcp = false;
  // Whole request messages with request id 0; the id is patched per send.
  std::vector<std::string> requests;
  double max_qps = 0;  // 0: as fast as the in-flight limit allows
  uint32_t max_in_flight = 100;
  double duration_seconds = 10;  // sending stops then; at most kMaxDurationSeconds
  uint32_t clients = 1;
  double timeout_seconds = 1;  // an answer later than this is lost
  bool decode = false;         // fully decode every reply with the client codec
  uint64_t seed = 1;
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT) to stop early
};

inline constexpr size_t kCodeSlots = 1024;

struct LoadStats {
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t lost = 0;          // no (whole) answer within the timeout
  uint64_t late = 0;          // answers that came after their request was counted lost
  uint64_t malformed = 0;     // replies that do not decode
  uint64_t send_errors = 0;   // e.g. ICMP port unreachable reported on a send
  uint64_t reconnects = 0;    // TCP connections the server closed
  std::array<uint64_t, kCodeSlots> codes{};  // by response code; higher codes in codes_other
  uint64_t codes_other = 0;
  LatencyHistogram latency;   // nanoseconds, answered requests only
  double send_seconds = 0;    // how long requests were being sent
  double elapsed_seconds = 0; // including waiting for the last answers
  std::string error;          // what ended a client early, if anything

  void Merge(const LoadStats& other);
};

// Runs the load and returns the merged results. Errors only for what stops
// the run before it starts (cannot create or connect a socket).
absl::StatusOr<LoadStats> RunLoad(const LoadOptions& options);

}  // namespace qilian::perf

#endif  // QILIAN_PERF_LOAD_GENERATOR_H_
