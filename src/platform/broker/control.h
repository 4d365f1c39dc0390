// The commands of the plugin's control topic, $CONTROL/qilian-devices/v1
// (docs/broker.md, "Commands"): a message {"commands": [...]} in, a message
// {"responses": [...]} out, one response per command in order, echoing the
// command's correlationData. Each command is checked whole before it
// changes anything (a bad device in an upsert refuses the whole command),
// and a message that is not {"commands": [objects...]} changes nothing.
// Pure: the plugin glue publishes the response, closes the connections
// named in `disconnect` and saves the state when `changed`.
#ifndef QILIAN_PLATFORM_BROKER_CONTROL_H_
#define QILIAN_PLATFORM_BROKER_CONTROL_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "nlohmann/json.hpp"
#include "platform/broker/device_table.h"

namespace qilian::broker {

inline constexpr size_t kMaxTransactionIdLength = 64;

struct ControlOutcome {
  std::string response;                 // the JSON to publish on the response topic
  std::vector<std::string> disconnect;  // devices removed, disabled or re-keyed
  bool changed = false;                 // the table changed
};

class ControlProcessor {
 public:
  // `runtime_stats` adds what only the glue knows (connections, state file)
  // to getStats' data.
  ControlProcessor(DeviceTable& table, std::function<nlohmann::json()> runtime_stats);

  // `authorised`: the sender is the admin client. Anyone else gets every
  // command refused (permission_denied) and changes nothing.
  ControlOutcome Handle(std::string_view payload, bool authorised);

  // The replaceAll transaction in progress, if any, and how many devices it
  // holds so far.
  std::optional<std::string> staged_transaction() const;
  size_t staged_devices() const { return staged_ ? staged_->devices.size() : 0; }

 private:
  struct Staged {
    std::string transaction;
    DeviceTable::Map devices;
  };
  struct Error {
    const char* code;
    std::string message;
  };
  using Result = std::variant<nlohmann::json, Error>;

  static std::optional<Error> DevicesOf(const nlohmann::json& command, DeviceTable::Map& out);
  Result Run(const nlohmann::json& command, ControlOutcome& out);
  Result Upsert(const nlohmann::json& command, ControlOutcome& out);
  Result Remove(const nlohmann::json& command, ControlOutcome& out);
  Result ReplaceAll(const nlohmann::json& command, ControlOutcome& out);
  Result Commit(DeviceTable::Map devices, ControlOutcome& out);
  nlohmann::json Stats() const;

  DeviceTable& table_;
  std::function<nlohmann::json()> runtime_stats_;
  std::optional<Staged> staged_;
};

// Parses a JSON array of {"username", "salt", "hash", "enabled"} into
// `out` (which may already hold devices: a username in it is a duplicate).
// On failure returns the error naming the element ("devices[3].salt: ...")
// and leaves `out` as it was.
std::optional<std::string> ParseDevices(const nlohmann::json& devices, std::string_view field,
                                        DeviceTable::Map& out);

}  // namespace qilian::broker

#endif  // QILIAN_PLATFORM_BROKER_CONTROL_H_
