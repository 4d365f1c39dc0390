#include "platform/thing_model/compatibility.h"

#include <algorithm>
#include <cmath>

#include "platform/thing_model/str_cat.h"

namespace qilian::platform {

namespace {

class Comparer {
 public:
  explicit Comparer(std::vector<BreakingChange>* out) : out_(out) {}

  void Add(std::string path, std::string reason) {
    out_->push_back({std::move(path), std::move(reason)});
  }

  void Types(const DataType& from, const DataType& to, const std::string& path) {
    if (from.kind != to.kind && !Widens(from.kind, to.kind)) {
      Add(path, Cat("type changed from ", TypeKindName(from.kind), " to ", TypeKindName(to.kind)));
      return;
    }
    switch (to.kind) {
      case TypeKind::kInt:
      case TypeKind::kLong:
      case TypeKind::kFloat:
      case TypeKind::kDouble:
        Numbers(from, to, path);
        break;
      case TypeKind::kEnum:
        for (const EnumItem& item : from.items) {
          bool kept = std::binary_search(
              to.items.begin(), to.items.end(), item,
              [](const EnumItem& a, const EnumItem& b) { return a.value < b.value; });
          if (!kept) Add(path, Cat("enum value ", item.value, " removed"));
        }
        break;
      case TypeKind::kText:
        if (to.max_length < from.max_length) {
          Add(path, Cat("maximum length reduced from ", from.max_length, " to ", to.max_length));
        }
        break;
      case TypeKind::kStruct:
        Fields(from.fields, to.fields, path);
        break;
      case TypeKind::kArray:
        if (to.size < from.size) {
          Add(path, Cat("maximum size reduced from ", from.size, " to ", to.size));
        }
        Types(from.element.front(), to.element.front(), path + "[]");
        break;
      case TypeKind::kBool:
      case TypeKind::kDate:
      case TypeKind::kGeoPoint:
        break;
    }
  }

  // Old values must all be present, with compatible types; new ones would
  // be missing from what old devices send.
  void Fields(const std::vector<Field>& from, const std::vector<Field>& to,
              const std::string& path) {
    for (const Field& old_field : from) {
      const Field* match = Find(to, old_field.identifier);
      std::string where = Cat(path, ".", old_field.identifier);
      if (match == nullptr) {
        Add(where, "removed");
      } else {
        Types(old_field.type, match->type, where);
      }
    }
    for (const Field& new_field : to) {
      if (Find(from, new_field.identifier) == nullptr) {
        Add(Cat(path, ".", new_field.identifier), "added (a value must carry every field)");
      }
    }
  }

 private:
  static bool Widens(TypeKind from, TypeKind to) {
    return (from == TypeKind::kInt && to == TypeKind::kLong) ||
           (from == TypeKind::kFloat && to == TypeKind::kDouble);
  }

  static const Field* Find(const std::vector<Field>& fields, const std::string& id) {
    for (const Field& field : fields) {
      if (field.identifier == id) return &field;
    }
    return nullptr;
  }

  static std::string Num(TypeKind kind, double v) {
    if (IsIntegral(kind)) return Cat(static_cast<int64_t>(v));
    return Cat(v);
  }

  // Whether x is a whole multiple of `step` (within rounding for reals).
  static bool Multiple(double x, double step) {
    double q = x / step;
    return std::fabs(q - std::nearbyint(q)) <= 1e-6 + std::fabs(q) * 1e-12;
  }

  void Numbers(const DataType& from, const DataType& to, const std::string& path) {
    if (!from.unit.empty() && from.unit != to.unit) {
      Add(path, Cat("unit changed from '", from.unit, "' to '", to.unit, "'"));
    }
    if (to.min && (!from.min || *to.min > *from.min)) {
      Add(path, from.min ? Cat("minimum raised from ", Num(from.kind, *from.min), " to ",
                               Num(to.kind, *to.min))
                         : Cat("minimum ", Num(to.kind, *to.min), " added"));
    }
    if (to.max && (!from.max || *to.max < *from.max)) {
      Add(path, from.max ? Cat("maximum lowered from ", Num(from.kind, *from.max), " to ",
                               Num(to.kind, *to.max))
                         : Cat("maximum ", Num(to.kind, *to.max), " added"));
    }
    if (to.step) {
      // Every old value min + k * step must stay on the new grid.
      bool integral_any = !from.step && IsIntegral(from.kind) && *to.step == 1;
      bool kept = from.step && Multiple(*from.step, *to.step) &&
                  Multiple(from.min.value_or(0) - to.min.value_or(0), *to.step);
      if (!integral_any && !kept) {
        Add(path, from.step
                      ? Cat("step changed from ", Num(from.kind, *from.step), " from ",
                            Num(from.kind, from.min.value_or(0)), " to ", Num(to.kind, *to.step),
                            " from ", Num(to.kind, to.min.value_or(0)))
                      : Cat("step ", Num(to.kind, *to.step), " added"));
      }
    }
  }

  std::vector<BreakingChange>* out_;
};

template <typename T>
const T* FindById(const std::vector<T>& list, const std::string& id) {
  for (const T& entry : list) {
    if (entry.identifier == id) return &entry;
  }
  return nullptr;
}

}  // namespace

std::vector<BreakingChange> FindBreakingChanges(const ThingModel& from, const ThingModel& to) {
  std::vector<BreakingChange> changes;
  Comparer compare(&changes);
  for (const Property& old_property : from.properties) {
    std::string path = Cat("properties.", old_property.identifier);
    const Property* property = FindById(to.properties, old_property.identifier);
    if (property == nullptr) {
      compare.Add(path, "removed");
      continue;
    }
    if (old_property.access == Access::kReadWrite && property->access == Access::kRead) {
      compare.Add(path, "access narrowed from rw to r");
    }
    compare.Types(old_property.type, property->type, path);
  }
  for (const Event& old_event : from.events) {
    std::string path = Cat("events.", old_event.identifier);
    const Event* event = FindById(to.events, old_event.identifier);
    if (event == nullptr) {
      compare.Add(path, "removed");
      continue;
    }
    compare.Fields(old_event.output, event->output, path + ".output");
  }
  for (const Service& old_service : from.services) {
    std::string path = Cat("services.", old_service.identifier);
    const Service* service = FindById(to.services, old_service.identifier);
    if (service == nullptr) {
      compare.Add(path, "removed");
      continue;
    }
    if (service->call_type != old_service.call_type) {
      compare.Add(path, service->call_type == CallType::kSync
                            ? "call type changed from async to sync"
                            : "call type changed from sync to async");
    }
    compare.Fields(old_service.input, service->input, path + ".input");
    compare.Fields(old_service.output, service->output, path + ".output");
  }
  return changes;
}

absl::Status CheckNewRevision(const ThingModel& current, const ThingModel& next) {
  if (next.version < current.version) {
    return absl::InvalidArgumentError(
        Cat("version: ", next.version, " is older than the current version ", current.version));
  }
  if (next.version > current.version) return absl::OkStatus();
  std::vector<BreakingChange> changes = FindBreakingChanges(current, next);
  if (changes.empty()) return absl::OkStatus();
  std::string message =
      Cat("version: ", next.version, " has breaking changes, it needs a version above ",
          current.version, ": ");
  for (size_t i = 0; i < changes.size(); ++i) {
    Append(&message, i == 0 ? "" : "; ", changes[i].path, ": ", changes[i].reason);
  }
  return absl::FailedPreconditionError(message);
}

}  // namespace qilian::platform
