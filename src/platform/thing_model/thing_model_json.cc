#include "platform/thing_model/thing_model_json.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "core/status.h"
#include "platform/thing_model/str_cat.h"

namespace qilian::platform {

using nlohmann::json;

namespace {

constexpr std::string_view kTypeNames[] = {"int",  "long", "float",  "double", "bool",    "enum",
                                           "text", "date", "struct", "array",  "geoPoint"};

absl::Status Error(std::string_view path, std::string_view message) {
  return absl::InvalidArgumentError(Cat(path, ": ", message));
}

std::string Sub(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return Cat(path, ".", key);
}

std::string Index(std::string_view path, size_t i) { return Cat(path, "[", i, "]"); }

// Refuses keys outside `allowed`: a misspelt key must not pass unnoticed.
absl::Status CheckKeys(const json& object, std::string_view path,
                       std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view name : allowed) known = known || key == name;
    if (!known) return Error(Sub(path, key), "unknown key");
  }
  return absl::OkStatus();
}

absl::Status RequireObject(const json& value, std::string_view path) {
  return value.is_object() ? absl::OkStatus() : Error(path, "must be an object");
}

// Reads an optional string member; `max_bytes` bounds it.
absl::Status OptionalString(const json& object, std::string_view key, std::string_view path,
                            size_t max_bytes, std::string* out) {
  auto it = object.find(key);
  if (it == object.end()) return absl::OkStatus();
  std::string where = Sub(path, key);
  if (!it->is_string()) return Error(where, "must be a string");
  const auto& text = it->get_ref<const std::string&>();
  if (text.size() > max_bytes) {
    return Error(where, Cat("longer than ", max_bytes, " bytes"));
  }
  *out = text;
  return absl::OkStatus();
}

// A JSON integer as int64 (documents built in code hold signed integers,
// parsed ones unsigned where non-negative); nothing for other values.
std::optional<int64_t> AsInteger(const json& value) {
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (value.is_number_integer()) return value.get<int64_t>();
  return std::nullopt;
}

bool IsIdentifier(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdentifierLength) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(id[0])) return false;
  for (char c : id) {
    if (!letter(c) && !(c >= '0' && c <= '9') && c != '-') return false;
  }
  return true;
}

absl::Status ReadIdentifier(const json& object, std::string_view path, std::string* out) {
  std::string where = Sub(path, "identifier");
  auto it = object.find("identifier");
  if (it == object.end()) return Error(where, "missing");
  if (!it->is_string()) return Error(where, "must be a string");
  const auto& id = it->get_ref<const std::string&>();
  if (!IsIdentifier(id)) {
    return Error(where, Cat("'", id.substr(0, kMaxIdentifierLength + 1),
                            "' is not an identifier (letters, digits, '_', '-', starting "
                            "with a letter or '_', at most ",
                            kMaxIdentifierLength, " characters)"));
  }
  *out = id;
  return absl::OkStatus();
}

absl::Status ReadName(const json& object, std::string_view path, LocalizedName* out) {
  std::string where = Sub(path, "name");
  auto it = object.find("name");
  if (it == object.end()) return Error(where, "missing");
  QL_RETURN_IF_ERROR(RequireObject(*it, where));
  QL_RETURN_IF_ERROR(CheckKeys(*it, where, {"zh", "en"}));
  QL_RETURN_IF_ERROR(OptionalString(*it, "zh", where, kMaxNameLength, &out->zh));
  QL_RETURN_IF_ERROR(OptionalString(*it, "en", where, kMaxNameLength, &out->en));
  if (out->zh.empty()) return Error(Sub(where, "zh"), "missing");
  return absl::OkStatus();
}

// Tracks identifiers of one list, for "duplicate" errors naming both places.
class UniqueIds {
 public:
  absl::Status Add(const std::string& id, std::string_view list_path, size_t index) {
    auto [it, inserted] = first_.try_emplace(id, index);
    if (inserted) return absl::OkStatus();
    return Error(Sub(Index(list_path, index), "identifier"),
                 Cat("duplicate '", id, "' (also ", Index(list_path, it->second), ")"));
  }

 private:
  absl::flat_hash_map<std::string, size_t> first_;
};

absl::Status ReadNumber(const json& specs, std::string_view key, std::string_view path,
                        TypeKind kind, std::optional<double>* out) {
  auto it = specs.find(key);
  if (it == specs.end()) return absl::OkStatus();
  std::string where = Sub(path, key);
  if (IsIntegral(kind)) {
    if (!it->is_number_integer()) return Error(where, "must be an integer");
    std::optional<int64_t> value = AsInteger(*it);
    const int64_t exact = static_cast<int64_t>(kMaxExactInteger);
    const int64_t low = kind == TypeKind::kInt ? INT32_MIN : -exact;
    const int64_t high = kind == TypeKind::kInt ? INT32_MAX : exact;
    if (!value || *value < low || *value > high) {
      return Error(where, Cat("out of the range of ", TypeKindName(kind)));
    }
    *out = static_cast<double>(*value);
    return absl::OkStatus();
  }
  if (!it->is_number()) return Error(where, "must be a number");
  double value = it->get<double>();
  if (kind == TypeKind::kFloat && std::fabs(value) > FLT_MAX) {
    return Error(where, "out of the range of float");
  }
  *out = value;
  return absl::OkStatus();
}

absl::Status ReadNumericSpecs(const json& specs, std::string_view path, DataType* type) {
  QL_RETURN_IF_ERROR(CheckKeys(specs, path, {"unit", "min", "max", "step"}));
  QL_RETURN_IF_ERROR(OptionalString(specs, "unit", path, kMaxUnitLength, &type->unit));
  QL_RETURN_IF_ERROR(ReadNumber(specs, "min", path, type->kind, &type->min));
  QL_RETURN_IF_ERROR(ReadNumber(specs, "max", path, type->kind, &type->max));
  QL_RETURN_IF_ERROR(ReadNumber(specs, "step", path, type->kind, &type->step));
  if (type->min && type->max && *type->max < *type->min) {
    return Error(Sub(path, "max"), "is below min");
  }
  if (type->step && !(*type->step > 0)) return Error(Sub(path, "step"), "must be positive");
  return absl::OkStatus();
}

absl::Status ReadSize(const json& specs, std::string_view key, std::string_view path, uint32_t max,
                      uint32_t* out) {
  auto it = specs.find(key);
  if (it == specs.end()) return absl::OkStatus();
  std::string where = Sub(path, key);
  std::optional<int64_t> size = AsInteger(*it);
  if (!size || *size < 1 || *size > max) {
    return Error(where, Cat("must be an integer from 1 to ", max));
  }
  *out = static_cast<uint32_t>(*size);
  return absl::OkStatus();
}

absl::StatusOr<DataType> ReadType(const json& value, std::string_view path, size_t depth);

absl::StatusOr<std::vector<Field>> ReadFields(const json& value, std::string_view path, size_t max,
                                              size_t depth) {
  if (!value.is_array()) return Error(path, "must be an array");
  if (value.size() > max) return Error(path, Cat("more than ", max, " entries"));
  std::vector<Field> fields;
  fields.reserve(value.size());
  UniqueIds ids;
  for (size_t i = 0; i < value.size(); ++i) {
    std::string where = Index(path, i);
    const json& entry = value[i];
    QL_RETURN_IF_ERROR(RequireObject(entry, where));
    QL_RETURN_IF_ERROR(CheckKeys(entry, where, {"identifier", "name", "dataType", "description"}));
    Field field;
    QL_RETURN_IF_ERROR(ReadIdentifier(entry, where, &field.identifier));
    QL_RETURN_IF_ERROR(ids.Add(field.identifier, path, i));
    QL_RETURN_IF_ERROR(ReadName(entry, where, &field.name));
    QL_RETURN_IF_ERROR(
        OptionalString(entry, "description", where, kMaxDescriptionLength, &field.description));
    auto type = entry.find("dataType");
    if (type == entry.end()) return Error(Sub(where, "dataType"), "missing");
    QL_ASSIGN_OR_RETURN(field.type, ReadType(*type, Sub(where, "dataType"), depth + 1));
    fields.push_back(std::move(field));
  }
  return fields;
}

absl::Status ReadEnumItems(const json& specs, std::string_view path, DataType* type) {
  std::string where = Sub(path, "items");
  auto it = specs.find("items");
  if (it == specs.end()) return Error(where, "missing");
  if (!it->is_array()) return Error(where, "must be an array");
  if (it->empty()) return Error(where, "must not be empty");
  if (it->size() > kMaxEnumItems) {
    return Error(where, Cat("more than ", kMaxEnumItems, " entries"));
  }
  absl::flat_hash_map<int64_t, size_t> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    std::string item_path = Index(where, i);
    const json& entry = (*it)[i];
    QL_RETURN_IF_ERROR(RequireObject(entry, item_path));
    QL_RETURN_IF_ERROR(CheckKeys(entry, item_path, {"value", "name"}));
    EnumItem item;
    auto value = entry.find("value");
    if (value == entry.end()) return Error(Sub(item_path, "value"), "missing");
    std::optional<int64_t> number = AsInteger(*value);
    if (!number || *number < INT32_MIN || *number > INT32_MAX) {
      return Error(Sub(item_path, "value"), "must be a 32-bit integer");
    }
    item.value = *number;
    auto [first, inserted] = seen.try_emplace(item.value, i);
    if (!inserted) {
      return Error(Sub(item_path, "value"),
                   Cat("duplicate ", item.value, " (also ", Index(where, first->second), ")"));
    }
    QL_RETURN_IF_ERROR(ReadName(entry, item_path, &item.name));
    type->items.push_back(std::move(item));
  }
  std::sort(type->items.begin(), type->items.end(),
            [](const EnumItem& a, const EnumItem& b) { return a.value < b.value; });
  return absl::OkStatus();
}

absl::StatusOr<DataType> ReadType(const json& value, std::string_view path, size_t depth) {
  QL_RETURN_IF_ERROR(RequireObject(value, path));
  if (depth > kMaxTypeDepth) {
    return Error(path, Cat("types nested deeper than ", kMaxTypeDepth, " levels"));
  }
  QL_RETURN_IF_ERROR(CheckKeys(value, path, {"type", "specs"}));
  std::string type_path = Sub(path, "type");
  auto name = value.find("type");
  if (name == value.end()) return Error(type_path, "missing");
  if (!name->is_string()) return Error(type_path, "must be a string");
  auto kind = TypeKindFromName(name->get_ref<const std::string&>());
  if (!kind) {
    return Error(type_path, Cat("unknown type '", name->get_ref<const std::string&>(),
                                "' (int, long, float, double, bool, enum, text, date, "
                                "struct, array, geoPoint)"));
  }
  DataType type;
  type.kind = *kind;
  std::string specs_path = Sub(path, "specs");
  static const json kEmpty = json::object();
  auto found = value.find("specs");
  const json& specs = found == value.end() ? kEmpty : *found;
  QL_RETURN_IF_ERROR(RequireObject(specs, specs_path));
  switch (type.kind) {
    case TypeKind::kInt:
    case TypeKind::kLong:
    case TypeKind::kFloat:
    case TypeKind::kDouble:
      QL_RETURN_IF_ERROR(ReadNumericSpecs(specs, specs_path, &type));
      break;
    case TypeKind::kBool:
      QL_RETURN_IF_ERROR(CheckKeys(specs, specs_path, {"trueText", "falseText"}));
      QL_RETURN_IF_ERROR(
          OptionalString(specs, "trueText", specs_path, kMaxNameLength, &type.true_text));
      QL_RETURN_IF_ERROR(
          OptionalString(specs, "falseText", specs_path, kMaxNameLength, &type.false_text));
      break;
    case TypeKind::kEnum:
      QL_RETURN_IF_ERROR(CheckKeys(specs, specs_path, {"items"}));
      QL_RETURN_IF_ERROR(ReadEnumItems(specs, specs_path, &type));
      break;
    case TypeKind::kText:
      QL_RETURN_IF_ERROR(CheckKeys(specs, specs_path, {"maxLength"}));
      QL_RETURN_IF_ERROR(
          ReadSize(specs, "maxLength", specs_path, kMaxTextLength, &type.max_length));
      break;
    case TypeKind::kDate:
    case TypeKind::kGeoPoint:
      QL_RETURN_IF_ERROR(CheckKeys(specs, specs_path, {}));
      break;
    case TypeKind::kStruct: {
      QL_RETURN_IF_ERROR(CheckKeys(specs, specs_path, {"fields"}));
      auto fields = specs.find("fields");
      std::string fields_path = Sub(specs_path, "fields");
      if (fields == specs.end()) return Error(fields_path, "missing");
      QL_ASSIGN_OR_RETURN(type.fields, ReadFields(*fields, fields_path, kMaxStructFields, depth));
      if (type.fields.empty()) return Error(fields_path, "must not be empty");
      break;
    }
    case TypeKind::kArray: {
      QL_RETURN_IF_ERROR(CheckKeys(specs, specs_path, {"size", "item"}));
      QL_RETURN_IF_ERROR(ReadSize(specs, "size", specs_path, kMaxArraySize, &type.size));
      auto item = specs.find("item");
      if (item == specs.end()) return Error(Sub(specs_path, "item"), "missing");
      QL_ASSIGN_OR_RETURN(DataType element, ReadType(*item, Sub(specs_path, "item"), depth + 1));
      type.element.push_back(std::move(element));
      break;
    }
  }
  return type;
}

template <typename T>
absl::Status ReadList(const json& model, std::string_view key, size_t max,
                      absl::Status (*read)(const json&, const std::string&, T*),
                      std::vector<T>* out) {
  auto it = model.find(key);
  if (it == model.end()) return absl::OkStatus();
  if (!it->is_array()) return Error(key, "must be an array");
  if (it->size() > max) return Error(key, Cat("more than ", max, " entries"));
  UniqueIds ids;
  out->reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    std::string where = Index(key, i);
    QL_RETURN_IF_ERROR(RequireObject((*it)[i], where));
    T entry;
    QL_RETURN_IF_ERROR(ReadIdentifier((*it)[i], where, &entry.identifier));
    QL_RETURN_IF_ERROR(ids.Add(entry.identifier, key, i));
    QL_RETURN_IF_ERROR(ReadName((*it)[i], where, &entry.name));
    QL_RETURN_IF_ERROR(
        OptionalString((*it)[i], "description", where, kMaxDescriptionLength, &entry.description));
    QL_RETURN_IF_ERROR(read((*it)[i], where, &entry));
    out->push_back(std::move(entry));
  }
  return absl::OkStatus();
}

// Reads a required string member that must be one of `choices`.
absl::StatusOr<size_t> ReadChoice(const json& object, std::string_view key, std::string_view path,
                                  std::initializer_list<std::string_view> choices) {
  std::string where = Sub(path, key);
  auto it = object.find(key);
  if (it == object.end()) return Error(where, "missing");
  if (it->is_string()) {
    size_t i = 0;
    for (std::string_view choice : choices) {
      if (it->get_ref<const std::string&>() == choice) return i;
      ++i;
    }
  }
  std::string list;
  for (std::string_view choice : choices) Append(&list, list.empty() ? "" : " or ", choice);
  return Error(where, Cat("must be ", list));
}

absl::Status ReadPropertyRest(const json& entry, const std::string& path, Property* property) {
  QL_RETURN_IF_ERROR(
      CheckKeys(entry, path, {"identifier", "name", "description", "dataType", "access"}));
  QL_ASSIGN_OR_RETURN(size_t access, ReadChoice(entry, "access", path, {"r", "rw"}));
  property->access = static_cast<Access>(access);
  auto type = entry.find("dataType");
  if (type == entry.end()) return Error(Sub(path, "dataType"), "missing");
  QL_ASSIGN_OR_RETURN(property->type, ReadType(*type, Sub(path, "dataType"), 1));
  return absl::OkStatus();
}

absl::Status ReadParams(const json& entry, std::string_view key, const std::string& path,
                        std::vector<Field>* out) {
  auto it = entry.find(key);
  if (it == entry.end()) return absl::OkStatus();
  QL_ASSIGN_OR_RETURN(*out, ReadFields(*it, Sub(path, key), kMaxParameters, 0));
  return absl::OkStatus();
}

absl::Status ReadEventRest(const json& entry, const std::string& path, Event* event) {
  QL_RETURN_IF_ERROR(
      CheckKeys(entry, path, {"identifier", "name", "description", "type", "output"}));
  QL_ASSIGN_OR_RETURN(size_t level, ReadChoice(entry, "type", path, {"info", "alert", "error"}));
  event->level = static_cast<EventLevel>(level);
  return ReadParams(entry, "output", path, &event->output);
}

absl::Status ReadServiceRest(const json& entry, const std::string& path, Service* service) {
  QL_RETURN_IF_ERROR(
      CheckKeys(entry, path, {"identifier", "name", "description", "callType", "input", "output"}));
  QL_ASSIGN_OR_RETURN(size_t call, ReadChoice(entry, "callType", path, {"sync", "async"}));
  service->call_type = static_cast<CallType>(call);
  QL_RETURN_IF_ERROR(ReadParams(entry, "input", path, &service->input));
  return ReadParams(entry, "output", path, &service->output);
}

json NameToJson(const LocalizedName& name) {
  json out = {{"zh", name.zh}};
  if (!name.en.empty()) out["en"] = name.en;
  return out;
}

json Bound(TypeKind kind, double value) {
  if (IsIntegral(kind)) return json(static_cast<int64_t>(value));
  return json(value);
}

json FieldsToJson(const std::vector<Field>& fields) {
  json out = json::array();
  for (const Field& field : fields) {
    json entry = {{"identifier", field.identifier},
                  {"name", NameToJson(field.name)},
                  {"dataType", DataTypeToJson(field.type)}};
    if (!field.description.empty()) entry["description"] = field.description;
    out.push_back(std::move(entry));
  }
  return out;
}

template <typename T>
json HeadToJson(const T& entry) {
  json out = {{"identifier", entry.identifier}, {"name", NameToJson(entry.name)}};
  if (!entry.description.empty()) out["description"] = entry.description;
  return out;
}

}  // namespace

std::string_view TypeKindName(TypeKind kind) { return kTypeNames[static_cast<size_t>(kind)]; }

std::optional<TypeKind> TypeKindFromName(std::string_view name) {
  for (size_t i = 0; i < std::size(kTypeNames); ++i) {
    if (kTypeNames[i] == name) return static_cast<TypeKind>(i);
  }
  return std::nullopt;
}

bool DataType::operator==(const DataType& other) const {
  return kind == other.kind && unit == other.unit && min == other.min && max == other.max &&
         step == other.step && true_text == other.true_text && false_text == other.false_text &&
         items == other.items && max_length == other.max_length && fields == other.fields &&
         element == other.element && size == other.size;
}

absl::StatusOr<json> ParseJsonText(std::string_view text) {
  if (text.size() > kMaxModelBytes) {
    return Error("model", Cat("longer than ", kMaxModelBytes, " bytes"));
  }
  // nlohmann's parser recurses per level: bound the nesting before it runs.
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonNesting) {
        return Error("model", Cat("nested deeper than ", kMaxJsonNesting, " levels"));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Error("model", "malformed JSON");
  return parsed;
}

absl::StatusOr<DataType> DataTypeFromJson(const json& value, std::string_view path) {
  return ReadType(value, path, 1);
}

absl::StatusOr<ThingModel> ThingModelFromJson(const json& value) {
  QL_RETURN_IF_ERROR(RequireObject(value, "model"));
  for (const auto& [key, unused] : value.items()) {
    if (key != "version" && key != "description" && key != "properties" && key != "events" &&
        key != "services") {
      return Error(key, "unknown key");
    }
  }
  ThingModel model;
  auto version = value.find("version");
  if (version == value.end()) return Error("version", "missing");
  std::optional<int64_t> number = AsInteger(*version);
  if (!number || *number < 1 || *number > UINT32_MAX) {
    return Error("version", "must be an integer from 1 to 4294967295");
  }
  model.version = static_cast<uint32_t>(*number);
  QL_RETURN_IF_ERROR(
      OptionalString(value, "description", "", kMaxDescriptionLength, &model.description));
  QL_RETURN_IF_ERROR(ReadList<Property>(value, "properties", kMaxProperties, &ReadPropertyRest,
                                        &model.properties));
  QL_RETURN_IF_ERROR(ReadList<Event>(value, "events", kMaxEvents, &ReadEventRest, &model.events));
  QL_RETURN_IF_ERROR(
      ReadList<Service>(value, "services", kMaxServices, &ReadServiceRest, &model.services));
  return model;
}

absl::StatusOr<ThingModel> ParseThingModel(std::string_view text) {
  QL_ASSIGN_OR_RETURN(json parsed, ParseJsonText(text));
  return ThingModelFromJson(parsed);
}

json DataTypeToJson(const DataType& type) {
  json specs = json::object();
  switch (type.kind) {
    case TypeKind::kInt:
    case TypeKind::kLong:
    case TypeKind::kFloat:
    case TypeKind::kDouble:
      if (!type.unit.empty()) specs["unit"] = type.unit;
      if (type.min) specs["min"] = Bound(type.kind, *type.min);
      if (type.max) specs["max"] = Bound(type.kind, *type.max);
      if (type.step) specs["step"] = Bound(type.kind, *type.step);
      break;
    case TypeKind::kBool:
      if (!type.true_text.empty()) specs["trueText"] = type.true_text;
      if (!type.false_text.empty()) specs["falseText"] = type.false_text;
      break;
    case TypeKind::kEnum: {
      json items = json::array();
      for (const EnumItem& item : type.items) {
        items.push_back({{"value", item.value}, {"name", NameToJson(item.name)}});
      }
      specs["items"] = std::move(items);
      break;
    }
    case TypeKind::kText:
      specs["maxLength"] = type.max_length;
      break;
    case TypeKind::kDate:
    case TypeKind::kGeoPoint:
      break;
    case TypeKind::kStruct:
      specs["fields"] = FieldsToJson(type.fields);
      break;
    case TypeKind::kArray:
      specs["size"] = type.size;
      if (!type.element.empty()) specs["item"] = DataTypeToJson(type.element.front());
      break;
  }
  json out = {{"type", TypeKindName(type.kind)}};
  if (!specs.empty()) out["specs"] = std::move(specs);
  return out;
}

json ThingModelToJson(const ThingModel& model) {
  static constexpr std::string_view kAccess[] = {"r", "rw"};
  static constexpr std::string_view kLevels[] = {"info", "alert", "error"};
  static constexpr std::string_view kCalls[] = {"sync", "async"};
  json out = {{"version", model.version}};
  if (!model.description.empty()) out["description"] = model.description;
  json properties = json::array();
  for (const Property& property : model.properties) {
    json entry = HeadToJson(property);
    entry["access"] = kAccess[static_cast<size_t>(property.access)];
    entry["dataType"] = DataTypeToJson(property.type);
    properties.push_back(std::move(entry));
  }
  json events = json::array();
  for (const Event& event : model.events) {
    json entry = HeadToJson(event);
    entry["type"] = kLevels[static_cast<size_t>(event.level)];
    entry["output"] = FieldsToJson(event.output);
    events.push_back(std::move(entry));
  }
  json services = json::array();
  for (const Service& service : model.services) {
    json entry = HeadToJson(service);
    entry["callType"] = kCalls[static_cast<size_t>(service.call_type)];
    entry["input"] = FieldsToJson(service.input);
    entry["output"] = FieldsToJson(service.output);
    services.push_back(std::move(entry));
  }
  out["properties"] = std::move(properties);
  out["events"] = std::move(events);
  out["services"] = std::move(services);
  return out;
}

std::string EncodeThingModel(const ThingModel& model) {
  // Every string came through the parser (valid UTF-8) or from our own
  // code: replacing, not throwing, keeps the encoder total anyway.
  return ThingModelToJson(model).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace qilian::platform
