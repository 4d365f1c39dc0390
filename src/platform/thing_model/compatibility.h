// Compatibility between two versions of a product's thing model
// (docs/thing-model.md, "Compatibility"). A change is breaking when data
// that devices or callers produce under the old model could be refused (or
// mean something else) under the new one: a property removed, a type
// changed, a range narrowed, an enum item removed, a unit changed, a struct
// field or parameter added or removed. Adding properties, events and
// services, widening ranges, adding enum items and renaming display names
// are compatible. A breaking change needs a new version number.
#ifndef QILIAN_PLATFORM_THING_MODEL_COMPATIBILITY_H_
#define QILIAN_PLATFORM_THING_MODEL_COMPATIBILITY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "platform/thing_model/thing_model.h"

namespace qilian::platform {

struct BreakingChange {
  // "properties.flow", "properties.position.lat", "events.overheat.output.t",
  // "services.setSpeed.input.rpm"; "[]" stands for an array's elements.
  std::string path;
  std::string reason;  // "maximum lowered from 500 to 400"
  bool operator==(const BreakingChange&) const = default;
};

// Every breaking change from `from` to `to`, in model order (properties,
// events, services). Empty when `to` accepts all that `from` accepted.
std::vector<BreakingChange> FindBreakingChanges(const ThingModel& from, const ThingModel& to);

// Whether `next` may replace `current`: InvalidArgument if its version is
// lower; FailedPrecondition "version: N has breaking changes, it needs a
// version above N: <path>: <reason>; ..." if it keeps the version number
// but breaks; OK otherwise.
absl::Status CheckNewRevision(const ThingModel& current, const ThingModel& next);

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_THING_MODEL_COMPATIBILITY_H_
