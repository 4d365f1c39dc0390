// JSON form of handle values, in the shape of the Handle.Net v9 REST API
// (docs/api.md "Values"): the mapping between request/response bodies and
// ident::HandleValue. Pure functions, no I/O; every error is an absl::Status
// carrying a Handle response code, with a message that names the place in
// the body ("values[2].data.format: unknown data format 'foo'").
//
// Body syntax errors (malformed JSON, nesting too deep) carry
// ResponseCode::kProtocolError (4); everything else about the content of a
// body carries ResponseCode::kInvalidValue (202). Both are HTTP 400.
#ifndef QILIAN_API_VALUE_JSON_H_
#define QILIAN_API_VALUE_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ident/handle_value.h"
#include "nlohmann/json.hpp"

namespace qilian::api {

// Deeper bodies are refused before they are built into a DOM.
inline constexpr size_t kMaxJsonDepth = 64;

// Parses a request body without exceptions. Errors: "body: empty",
// "body: malformed JSON at byte N" (N as counted by the parser, 1-based),
// "body: nested deeper than 64 levels".
absl::StatusOr<nlohmann::json> ParseJsonBody(std::string_view body);

// One value object. `where` names it in error messages ("values[0]").
absl::StatusOr<ident::HandleValue> ValueFromJson(const nlohmann::json& json,
                                                 std::string_view where);

// A `"values"` array: at most ident::kMaxValuesPerHandle values, indexes
// unique.
absl::StatusOr<std::vector<ident::HandleValue>> ValuesFromJson(const nlohmann::json& values);

// A whole PUT body `{"values":[...]}`: ParseJsonBody then ValuesFromJson.
absl::StatusOr<std::vector<ident::HandleValue>> ValuesFromBody(std::string_view body);

// The output form. The data format is chosen by type: HS_ADMIN -> admin,
// HS_VLIST -> vlist, HS_SITE -> site (each only if the data decodes),
// HS_PUBKEY/HS_SECKEY -> key, printable UTF-8 -> string, otherwise base64.
nlohmann::json ValueToJson(const ident::HandleValue& value);

// Appends exactly DumpJson(ValueToJson(value)) to `out`, writing text
// values directly instead of building a DOM: resolution answers are mostly
// such values, and the DOM was the largest cost of a REST resolution.
void AppendValueJson(const ident::HandleValue& value, std::string* out);

// "2026-11-28T18:00:00Z" for seconds since the epoch.
std::string FormatTimestamp(uint32_t seconds);

// Serializes without throwing: invalid UTF-8 (which only stored data from
// other front doors can hold) is replaced by U+FFFD.
std::string DumpJson(const nlohmann::json& json);

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates, or code
// points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace qilian::api

#endif  // QILIAN_API_VALUE_JSON_H_
