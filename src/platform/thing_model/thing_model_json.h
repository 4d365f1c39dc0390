// The JSON format of thing models (docs/thing-model.md, "Format"): a strict
// parser and a canonical encoder. Pure functions, no I/O, no exceptions.
//
// Every error is InvalidArgument with a message that starts with the path of
// the offending element, e.g. "properties[3].dataType.specs.min: must be a
// number". The encoder writes the canonical form (keys sorted, defaults
// written out, empty optional strings left out), so
// ParseThingModel(EncodeThingModel(m)) == m for every parsed model m, and
// encoding a parsed text gives the same bytes as encoding it again.
#ifndef QILIAN_PLATFORM_THING_MODEL_THING_MODEL_JSON_H_
#define QILIAN_PLATFORM_THING_MODEL_THING_MODEL_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/thing_model/thing_model.h"

namespace qilian::platform {

// Parses JSON text without exceptions: at most kMaxModelBytes, nesting at
// most kMaxJsonNesting deep (checked before the DOM is built). Errors start
// with "model: ".
absl::StatusOr<nlohmann::json> ParseJsonText(std::string_view text);

// A whole model from text, or from an already parsed document.
absl::StatusOr<ThingModel> ParseThingModel(std::string_view text);
absl::StatusOr<ThingModel> ThingModelFromJson(const nlohmann::json& json);

// One data type object ({"type": ..., "specs": ...}); `path` prefixes errors.
absl::StatusOr<DataType> DataTypeFromJson(const nlohmann::json& json, std::string_view path);

nlohmann::json ThingModelToJson(const ThingModel& model);
nlohmann::json DataTypeToJson(const DataType& type);
// Canonical text: ThingModelToJson dumped with two-space indentation.
std::string EncodeThingModel(const ThingModel& model);

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_THING_MODEL_THING_MODEL_JSON_H_
