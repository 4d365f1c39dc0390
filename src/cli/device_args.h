// The local half of `qilian device` (docs/cli.md): request bodies and
// targets, the text forms of the /api/devices replies, splitting a large
// CSV into requests that fit the server's body limit, and the fleet file
// of `import --secrets-out`. No I/O, so it is unit-tested apart from the
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

}  // namespace qilian::cli

#endif  // QILIAN_CLI_DEVICE_ARGS_H_
