// The simulator's engine: many MQTT connections per thread, each a
// libmosquitto client driven from the thread's own epoll loop
// (mosquitto_socket, mosquitto_loop_read/write/misc, mosquitto_want_write),
// never a thread per connection. A run has three phases: connect (at a
// bounded rate, round-robin over source addresses 127.0.0.2..), publish
// (for --duration or until --messages), drain (PUBACKs and queued data,
// then DISCONNECT). Devices answer properties/write, properties/read and
// function/invoke as docs/mqtt.md says. In sink mode the connections
// subscribe and count instead. docs/devsim.md.
#ifndef QILIAN_PLATFORM_DEVSIM_ENGINE_H_
#define QILIAN_PLATFORM_DEVSIM_ENGINE_H_

#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "platform/devsim/fleet.h"
#include "platform/devsim/options.h"
#include "platform/devsim/signal.h"

namespace qilian::platform::devsim {

// A fleet device with its compiled product.
struct SimDeviceSpec {
  const FleetDevice* identity = nullptr;
  std::shared_ptr<const ProductSignals> product;
};

// Runs to the end (or until RequestStop) and returns the summary
// (docs/devsim.md, "Output"). Progress lines go to stdout unless
// options.quiet. `password` is the sink's.
nlohmann::json RunPublisher(const Options& options, const std::vector<SimDeviceSpec>& devices);
nlohmann::json RunSink(const Options& options, const std::string& password);

// Async-signal-safe: ends the current phase and drains (SIGINT, SIGTERM).
void RequestStop();

// Raises RLIMIT_NOFILE's soft limit to the hard one (and the hard one to
// `wanted` where allowed); returns the soft limit in force.
long RaiseFileLimit(long wanted);

}  // namespace qilian::platform::devsim

#endif  // QILIAN_PLATFORM_DEVSIM_ENGINE_H_
