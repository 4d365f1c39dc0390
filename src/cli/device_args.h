// The local half of `qilian device` (docs/cli.md): request bodies and
// targets, the text forms of the /api/devices replies (the shadow too),
// the NAME=VALUE arguments of desired/write/invoke, splitting a large CSV
// into requests that fit the server's body limit, and the fleet file of
// `import --secrets-out`. No I/O, so it is unit-tested apart from the
// server.
#ifndef QILIAN_CLI_DEVICE_ARGS_H_
#define QILIAN_CLI_DEVICE_ARGS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace qilian::cli {

struct DeviceFieldArgs {
  std::optional<std::string> name_zh, name_en, serial, gateway;
  std::vector<std::string> tags;  // "name=value", each
  bool clear_tags = false;        // update: remove every tag
  std::optional<uint64_t> model_version;
  std::optional<bool> enabled;
};

// The POST /api/devices body. InvalidArgument for a --tag without '='
// ("--tag 'x' is not NAME=VALUE") or given twice.
absl::StatusOr<nlohmann::json> BuildDeviceCreateBody(std::string_view id, std::string_view product,
                                                     const DeviceFieldArgs& args);
// The PUT /api/devices/ID body; InvalidArgument when it would change
// nothing ("give at least one field to change").
absl::StatusOr<nlohmann::json> BuildDeviceUpdateBody(const DeviceFieldArgs& args);

// "/api/devices[/ID][SUFFIX]?enterprise=N&..." with the id percent-encoded.
std::string DeviceTarget(std::string_view id, std::string_view suffix,
                         std::optional<uint64_t> enterprise,
                         std::vector<std::pair<std::string, std::string>> query = {});

// A page of devices as a table: ENTERPRISE, ID, PRODUCT, VERSION, ENABLED,
// GATEWAY, NAME.
std::string FormatDevices(const nlohmann::json& devices);
// One device, "key: value" lines.
std::string FormatDevice(const nlohmann::json& device);

// One request's worth of a CSV: the header plus whole records, and the
// line of the file its first record is on.
struct CsvPiece {
  std::string text;
  size_t first_line = 2;
};

// Splits `csv` (header first) into pieces of at most `max_bytes` each
// (a single record longer than that travels alone), cutting only between
// records (a line break inside double quotes is no cut). InvalidArgument
// for a file with no header line.
absl::StatusOr<std::vector<CsvPiece>> SplitCsv(std::string_view csv, size_t max_bytes);

// The fleet file the device simulator reads: "product_key,device_id,
// secret,model" and one line per created device; `starters` maps a
// product id to its starter id (the model column; empty when none).
std::string FleetFile(const std::vector<nlohmann::json>& created_rows,
                      const std::map<std::string, std::string>& starters);

// --- The shadow, property writes and service calls ---

// A VALUE of NAME=VALUE: JSON when it parses as JSON (55, true, null,
// "text", {...}), else the text itself as a string.
nlohmann::json ParseLooseValue(std::string_view text);

// NAME=VALUE arguments as a JSON object. `noun` names them in messages
// ("property", "input"). InvalidArgument, exactly:
//   "malformed 'speed': expected PROPERTY=VALUE" (no '='; the noun in capitals)
//   "malformed '=5': the property name is empty"
//   "property 'speed' is given twice"
absl::StatusOr<nlohmann::json> ParseAssignments(const std::vector<std::string>& args,
                                                std::string_view noun);

// The bodies of PUT /api/devices/ID/shadow, PUT .../properties and POST
// .../functions/FN. desired and write need at least one assignment
// ("give at least one PROPERTY=VALUE"); `timeout_ms` is sent when set.
absl::StatusOr<nlohmann::json> BuildDesiredBody(const std::vector<std::string>& args,
                                                std::optional<uint64_t> version);
absl::StatusOr<nlohmann::json> BuildWriteBody(const std::vector<std::string>& args,
                                              std::optional<int64_t> timeout_ms);
absl::StatusOr<nlohmann::json> BuildInvokeBody(const std::vector<std::string>& args,
                                               std::optional<int64_t> timeout_ms);

// Epoch milliseconds as UTC "2026-12-07T16:40:01.250Z".
std::string FormatEpochMs(int64_t ms);

// An object's members as "a=1 b=\"x\"" (values as compact JSON, in key
// order); "none" for an empty object.
std::string FormatAssignments(const nlohmann::json& object);

// The shadow of GET /api/devices/ID/shadow:
//   online: true
//   lastSeen: 2026-12-07T16:40:01Z        ("-" when never seen)
//   desired version: 1
//   delta: valveOpening=55                ("none")
//   PROPERTY      VALUE  TIME                      DESIRED
//   flowRate      212.4  2026-12-07T16:40:01.250Z  -
// one row per property reported or desired; "-" where there is none.
std::string FormatShadow(const nlohmann::json& shadow);

// The reply of GET /api/devices/ID/properties: "online: B" and a table
// PROPERTY, VALUE, TIME.
std::string FormatProperties(const nlohmann::json& reply);

}  // namespace qilian::cli

#endif  // QILIAN_CLI_DEVICE_ARGS_H_
