// How the `qilian` command turns flags and files into REST value objects,
// and REST values back into text for a terminal. Pure functions, no I/O
// except ReadValuesSource, so each rule is unit-tested (value_args_test.cc).
//
// Value objects are the Handle.Net v9 JSON shape that docs/api.md defines:
//   {"index":1,"type":"URL","data":{"format":"string","value":"..."},"ttl":86400}
#ifndef QILIAN_CLI_VALUE_ARGS_H_
#define QILIAN_CLI_VALUE_ARGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace qilian::cli {

// The admin permissions an --admin flag grants when it names none: what
// Handle.Net's tools give a handle's own admin (everything except derived
// prefixes and listing), written as its 12-character bit string, most
// significant bit (list handles, 0x800) first.
inline constexpr std::string_view kDefaultAdminPermissions = "011111110011";

// Parses `--value INDEX:TYPE:DATA` (DATA is a UTF-8 string and may itself
// contain ':'). Errors are InvalidArgument with a message that names the
// flag, e.g. `malformed --value "x": expected INDEX:TYPE:DATA`.
absl::StatusOr<nlohmann::json> ParseValueFlag(std::string_view spec,
                                              std::optional<uint32_t> ttl);

// Parses `--admin INDEX:HANDLE:ADMIN_INDEX[:PERMISSIONS]` into an HS_ADMIN
// value with data format "admin". HANDLE may contain ':'; PERMISSIONS is a
// 12-character string of 0/1 or a hex mask such as 0x0fff.
absl::StatusOr<nlohmann::json> ParseAdminFlag(std::string_view spec,
                                              std::optional<uint32_t> ttl);

// Parses a values document: {"values":[...]} or a bare [...] array. Returns
// the array. `source` names the input in messages ("values.json", "stdin").
absl::StatusOr<nlohmann::json> ParseValuesDocument(std::string_view text,
                                                   std::string_view source);

// Reads a whole file, or standard input for "-".
absl::StatusOr<std::string> ReadValuesSource(const std::string& path);

// The value's data as one line of text: the string itself for "string",
// "hex:..." / "base64:..." for binary data, "handle=H index=N
// permissions=B" for "admin", compact JSON otherwise. Control characters are
// escaped so one value stays on one line.
std::string RenderData(const nlohmann::json& data);

// An aligned table of values, columns INDEX, TYPE, DATA, TTL, with a header
// line; every line ends in '\n'. CJK characters count as two columns.
std::string FormatValuesTable(const nlohmann::json& values);

bool IsValidUtf8(std::string_view text);

}  // namespace qilian::cli

#endif  // QILIAN_CLI_VALUE_ARGS_H_
