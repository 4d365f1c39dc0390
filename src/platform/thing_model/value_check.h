// Checking device data against a thing model (docs/thing-model.md, "Value
// rules"): a property value, an event's output parameters, a service's input
// or output parameters. This is what every device message goes through, so
// a check that passes allocates nothing: identifiers are found in hash maps
// built once per model, enum values by binary search over the sorted items,
// struct fields by the parsed object's own lookup, and the path of an error
// is only put together when there is an error.
//
// Errors: NotFound "<id>: no such property|event|service";
// FailedPrecondition "<id>: property is read-only" (CheckPropertyWrite);
// InvalidArgument "<path>: <reason>" for a value, where the path starts with
// the property, event or service identifier and goes down through struct
// fields (".field") and array elements ("[3]").
#ifndef QILIAN_PLATFORM_THING_MODEL_VALUE_CHECK_H_
#define QILIAN_PLATFORM_THING_MODEL_VALUE_CHECK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "platform/thing_model/thing_model.h"

namespace qilian::platform {

// Checks `value` against `type`; `path` names it in errors.
absl::Status CheckValue(const DataType& type, const nlohmann::json& value, std::string_view path);

// The ISO 8601 forms a date value may take: YYYY-MM-DDThh:mm:ss, optional
// fraction of 1 to 9 digits, then Z or ±hh:mm. Returns epoch milliseconds,
// or nothing if `text` is not such a date-time.
std::optional<int64_t> ParseIsoDateTime(std::string_view text);

// A model compiled for checking: owns its model, immutable, safe to share
// between threads.
class ModelIndex {
 public:
  explicit ModelIndex(ThingModel model);
  ModelIndex(const ModelIndex&) = delete;
  ModelIndex& operator=(const ModelIndex&) = delete;

  const ThingModel& model() const { return model_; }
  const Property* FindProperty(std::string_view identifier) const;
  const Event* FindEvent(std::string_view identifier) const;
  const Service* FindService(std::string_view identifier) const;

  // A reported (or read) property value.
  absl::Status CheckProperty(std::string_view identifier, const nlohmann::json& value) const;
  // A value written to the device: as CheckProperty, and the property must
  // be "rw".
  absl::Status CheckPropertyWrite(std::string_view identifier, const nlohmann::json& value) const;
  // An event's output parameters, as one JSON object keyed by identifier.
  absl::Status CheckEvent(std::string_view identifier, const nlohmann::json& output) const;
  // A service call's input parameters, and its reply's output parameters.
  absl::Status CheckServiceInput(std::string_view identifier, const nlohmann::json& input) const;
  absl::Status CheckServiceOutput(std::string_view identifier, const nlohmann::json& output) const;

 private:
  using Index = absl::flat_hash_map<std::string, uint32_t>;
  ThingModel model_;
  Index properties_;
  Index events_;
  Index services_;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_THING_MODEL_VALUE_CHECK_H_
