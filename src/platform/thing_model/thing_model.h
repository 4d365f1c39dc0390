// The thing model (物模型) of a product: what its devices report (properties,
// events) and what they can be asked to do (services), with the data type of
// every value. This header holds the plain data and the limits; the JSON
// format is in thing_model_json.h, value checks in value_check.h, version
// compatibility in compatibility.h, imports in import.h
// (docs/thing-model.md describes all of them).
//
// A ThingModel that came out of ParseThingModel satisfies every rule of the
// format: identifiers unique and well-formed, ranges ordered, enum items
// sorted by value and unique, limits respected. Other modules take models
// only from there (importers build our JSON and parse it too).
#ifndef QILIAN_PLATFORM_THING_MODEL_THING_MODEL_H_
#define QILIAN_PLATFORM_THING_MODEL_THING_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qilian::platform {

// Limits of the format. A model beyond any of them is refused with the path
// of the first offending element.
inline constexpr size_t kMaxModelBytes = 1 << 20;  // JSON text of one model
inline constexpr size_t kMaxJsonNesting = 32;      // brackets, before parsing
inline constexpr size_t kMaxProperties = 1024;
inline constexpr size_t kMaxEvents = 256;
inline constexpr size_t kMaxServices = 256;
inline constexpr size_t kMaxParameters = 64;  // per event/service list
inline constexpr size_t kMaxStructFields = 64;
inline constexpr size_t kMaxTypeDepth = 4;  // struct/array nesting
inline constexpr size_t kMaxEnumItems = 256;
inline constexpr size_t kMaxIdentifierLength = 64;  // [A-Za-z_][A-Za-z0-9_-]*
inline constexpr size_t kMaxNameLength = 128;       // bytes of UTF-8
inline constexpr size_t kMaxDescriptionLength = 1024;
inline constexpr size_t kMaxUnitLength = 32;
inline constexpr uint32_t kMaxTextLength = 10240;  // characters of a text value
inline constexpr uint32_t kMaxArraySize = 1024;    // elements of an array value
// Bounds and steps of int/long types are stored as doubles; they must be
// integers no larger than this in magnitude, so that they are exact.
inline constexpr double kMaxExactInteger = 9007199254740992.0;  // 2^53

enum class TypeKind : uint8_t {
  kInt,     // 32-bit signed integer
  kLong,    // 64-bit signed integer
  kFloat,   // IEEE single precision
  kDouble,  // IEEE double precision
  kBool,
  kEnum,      // an integer from a closed list of items
  kText,      // UTF-8 string of bounded length
  kDate,      // epoch milliseconds or ISO 8601 text
  kStruct,    // JSON object with named, typed fields
  kArray,     // JSON array of one element type, bounded size
  kGeoPoint,  // {"lon": x, "lat": y}, WGS 84 degrees
};

// "int", "long", ... as written in the format.
std::string_view TypeKindName(TypeKind kind);
std::optional<TypeKind> TypeKindFromName(std::string_view name);
inline bool IsNumeric(TypeKind kind) { return kind <= TypeKind::kDouble; }
inline bool IsIntegral(TypeKind kind) { return kind <= TypeKind::kLong; }

// A display name in Chinese (required) and English (optional, may be empty).
struct LocalizedName {
  std::string zh;
  std::string en;
  bool operator==(const LocalizedName&) const = default;
};

struct EnumItem {
  int64_t value = 0;
  LocalizedName name;
  bool operator==(const EnumItem&) const = default;
};

struct Field;

struct DataType {
  TypeKind kind = TypeKind::kInt;
  // int/long/float/double.
  std::string unit;
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> step;  // values are min (or 0) + k * step
  // bool: display texts, may be empty.
  std::string true_text;
  std::string false_text;
  // enum: sorted by value, values unique.
  std::vector<EnumItem> items;
  // text: maximum characters (code points).
  uint32_t max_length = kMaxTextLength;
  // struct: fields in declaration order.
  std::vector<Field> fields;
  // array: exactly one element type, and the maximum size.
  std::vector<DataType> element;
  uint32_t size = kMaxArraySize;

  bool operator==(const DataType&) const;
};

// A struct field, or a parameter of an event or a service.
struct Field {
  std::string identifier;
  LocalizedName name;
  DataType type;
  std::string description;
  bool operator==(const Field&) const = default;
};

enum class Access : uint8_t { kRead, kReadWrite };
enum class EventLevel : uint8_t { kInfo, kAlert, kError };
enum class CallType : uint8_t { kSync, kAsync };

struct Property {
  std::string identifier;
  LocalizedName name;
  DataType type;
  Access access = Access::kRead;
  std::string description;
  bool operator==(const Property&) const = default;
};

struct Event {
  std::string identifier;
  LocalizedName name;
  EventLevel level = EventLevel::kInfo;
  std::vector<Field> output;
  std::string description;
  bool operator==(const Event&) const = default;
};

struct Service {
  std::string identifier;
  LocalizedName name;
  CallType call_type = CallType::kAsync;
  std::vector<Field> input;
  std::vector<Field> output;
  std::string description;
  bool operator==(const Service&) const = default;
};

struct ThingModel {
  uint32_t version = 1;  // of this product's model; 1, 2, ...
  std::string description;
  std::vector<Property> properties;
  std::vector<Event> events;
  std::vector<Service> services;
  bool operator==(const ThingModel&) const = default;
};

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_THING_MODEL_THING_MODEL_H_
