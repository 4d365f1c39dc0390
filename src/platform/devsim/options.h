// qilian-devsim's command line (docs/devsim.md, "Options"): parsed and
// checked here, apart from the engine, so that the checks are unit-tested.
#ifndef QILIAN_PLATFORM_DEVSIM_OPTIONS_H_
#define QILIAN_PLATFORM_DEVSIM_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/devsim/signal.h"

namespace qilian::platform::devsim {

enum class Format : uint8_t { kJson, kBatch };

inline constexpr double kMaxDurationSeconds = 7 * 86400;
inline constexpr int kMaxThreads = 256;
inline constexpr int kMaxSourceAddresses = 254;  // 127.0.0.2 .. 127.0.0.255
// Connections per source address before another is used. bind() to port 0
// takes the odd half of the ephemeral range (32768-60999: about 14,000
// ports per address) and slows down sharply once that half is used up, as
// it then searches the other half port by port: measured here, 14,000
// connections in 7 s at 2,000/s, the next 5,000 in 19 s.
inline constexpr size_t kConnectionsPerSourceAddress = 10000;

struct Options {
  // The fleet: a file, or generated.
  std::string fleet_file;
  size_t generate = 0;
  std::string starter;        // a starter id, resolved (see ResolveStarter)
  std::string product_key;
  std::string id_prefix = "sim-";
  uint64_t secret_seed = 0;   // 0: random secrets
  std::string fleet_out;      // write the generated fleet here and exit

  // The broker (loopback only).
  std::string host = "127.0.0.1";
  uint16_t port = 1883;
  std::string broker_env;     // scripts/broker's broker.env
  int threads = 1;
  double connect_rate = 2000;  // connections started per second, all threads
  double connect_timeout = 0;  // s for the connect phase; 0: 30 + devices / rate
  int source_addresses = 0;    // 0: one per kConnectionsPerSourceAddress
  int source_offset = -1;      // first address 127.0.0.(2 + offset); -1: by pid
  int keepalive = 60;

  // Publishing.
  double rate = 1;            // values per second per device
  double message_rate = 0;    // messages per second overall (replaces --rate)
  Format format = Format::kJson;
  size_t batch_samples = 100;
  int qos = 0;
  double duration = 10;       // seconds of publishing
  uint64_t messages = 0;      // stop after this many (0: no limit)
  FaultFractions faults;
  uint64_t seed = 1;
  double time_scale = 1;      // simulated seconds per real second
  // >= 0 (--sim-start): rows are stamped on the simulated clock, which
  // starts here (epoch ms) when publishing starts; --rate is then values per
  // simulated second.
  int64_t sim_start_ms = -1;
  double row_seconds = 0;     // > 0 (--row-seconds): rows this far apart, instead of --rate
  bool refuse_writes = false;
  double drain = 5;           // s to wait for PUBACKs and queued data at the end

  // Reference mode: count what a subscription receives.
  bool sink = false;
  int connections = 1;
  std::vector<std::string> topic_filters;
  std::string username;
  std::string password;
  std::string password_file;
  bool count_json_values = false;

  bool quiet = false;  // no progress lines
};

// argv as the program got it. InvalidArgument with a message for the user;
// Cancelled whose message is the help text for --help. Reads no file.
// `now_ms` (the wall clock, epoch ms) resolves --sim-start now-… and keeps
// the simulated clock from passing real time.
absl::StatusOr<Options> ParseOptions(int argc, const char* const* argv, int64_t now_ms);
absl::StatusOr<Options> ParseOptions(int argc, const char* const* argv);

// --sim-start's value: epoch milliseconds, an RFC 3339 time
// (2026-12-06T00:00:00Z), or now-<N><s|m|h|d> (now-1d, now-90m) before
// `now_ms`. InvalidArgument with a message for the user.
absl::StatusOr<int64_t> ParseSimStart(std::string_view text, int64_t now_ms);

// The starter library id for `name`: an exact id, or the one id that
// contains `name` ("pump" -> "centrifugal_pump"). InvalidArgument listing
// the ids otherwise.
absl::StatusOr<std::string> ResolveStarter(std::string_view name);

// Fills host, port and (for --sink, unless given) username and password
// file from the text of scripts/broker's broker.env (KEY='value' lines).
absl::Status ApplyBrokerEnv(std::string_view text, Options* options);

}  // namespace qilian::platform::devsim

#endif  // QILIAN_PLATFORM_DEVSIM_OPTIONS_H_
