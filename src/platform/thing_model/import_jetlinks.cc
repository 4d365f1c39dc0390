// JetLinks device metadata (物模型) to our format. The source format:
// {"properties": [{"id", "name", "description", "valueType": {"type", ...},
// "expands": {"readOnly", "type", "source", ...}}], "functions": [{"id",
// "name", "async", "inputs": [...], "output": {valueType}}], "events":
// [{"id", "name", "expands": {"level"}, "valueType": {"type": "object",
// "properties": [...]}}], "tags": [...]}. The mapping table is in
// docs/thing-model.md.
#include <string>

#include "core/status.h"
#include "platform/thing_model/import.h"
#include "platform/thing_model/import_util.h"
#include "platform/thing_model/str_cat.h"

namespace qilian::platform {

using nlohmann::json;
using namespace import_internal;  // NOLINT: the importer's own helpers

namespace {

bool IsTrue(const json& value) {
  return (value.is_boolean() && value.get<bool>()) || (value.is_string() && value == "true");
}

class JetLinksImporter : public Importer {
 public:
  absl::StatusOr<json> Type(const json& value_type, const std::string& path, size_t depth) {
    if (!value_type.is_object()) return Error(path, "must be an object");
    if (depth > kMaxTypeDepth) {
      return Error(path, Cat("types nested deeper than ", kMaxTypeDepth, " levels"));
    }
    QL_ASSIGN_OR_RETURN(std::string type, String(value_type, "type", path));
    json specs = json::object();
    std::string ours = type;
    if (type == "int" || type == "long" || type == "float" || type == "double") {
      DropOthers(value_type, path,
                 {"type", "min", "max", "minValue", "maxValue", "unit", "scale", "expands"});
      for (auto [key, alias] : {std::pair{"min", "minValue"}, std::pair{"max", "maxValue"}}) {
        for (const char* name : {key, alias}) {
          auto it = value_type.find(name);
          if (it == value_type.end() || it->is_null()) continue;
          QL_ASSIGN_OR_RETURN(specs[key],
                              Number(*it, Sub(path, name), type == "int" || type == "long"));
        }
      }
      QL_ASSIGN_OR_RETURN(std::string unit, String(value_type, "unit", path));
      if (!unit.empty()) specs["unit"] = unit;
      if (value_type.contains("scale")) {
        Warn(Sub(path, "scale"), "display precision, dropped");
      }
    } else if (type == "boolean") {
      ours = "bool";
      DropOthers(value_type, path, {"type", "trueText", "falseText", "expands"});
      QL_ASSIGN_OR_RETURN(std::string on, String(value_type, "trueText", path));
      QL_ASSIGN_OR_RETURN(std::string off, String(value_type, "falseText", path));
      if (!on.empty()) specs["trueText"] = on;
      if (!off.empty()) specs["falseText"] = off;
    } else if (type == "enum") {
      DropOthers(value_type, path, {"type", "elements", "expands"});
      QL_ASSIGN_OR_RETURN(const json* elements, ArrayMember(value_type, "elements", path));
      json items = json::array();
      for (size_t i = 0; i < elements->size(); ++i) {
        std::string where = At(Sub(path, "elements"), i);
        const json& element = (*elements)[i];
        if (!element.is_object()) return Error(where, "must be an object");
        DropOthers(element, where, {"value", "text"});
        auto value = element.find("value");
        if (value == element.end()) return Error(Sub(where, "value"), "missing");
        auto number = Number(*value, Sub(where, "value"), true);
        if (!number.ok()) {
          return Error(Sub(where, "value"), Cat(value->dump(),
                                                " is not an integer (Qilian enum values are "
                                                "integers)"));
        }
        QL_ASSIGN_OR_RETURN(std::string text, String(element, "text", where));
        items.push_back({{"value", *number}, {"name", {{"zh", text}}}});
      }
      specs["items"] = std::move(items);
    } else if (type == "string") {
      ours = "text";
      DropOthers(value_type, path, {"type", "maxLength", "expands"});
      const json* length = nullptr;
      if (auto it = value_type.find("maxLength"); it != value_type.end()) length = &*it;
      auto expands = value_type.find("expands");
      if (expands != value_type.end() && expands->is_object()) {
        if (auto it = expands->find("maxLength"); it != expands->end()) length = &*it;
      }
      if (length != nullptr && !length->is_null()) {
        QL_ASSIGN_OR_RETURN(specs["maxLength"], Number(*length, Sub(path, "maxLength"), true));
      }
    } else if (type == "date") {
      DropOthers(value_type, path, {"type", "expands"});
    } else if (type == "object") {
      ours = "struct";
      DropOthers(value_type, path, {"type", "properties", "expands"});
      QL_ASSIGN_OR_RETURN(const json* fields, ArrayMember(value_type, "properties", path));
      QL_ASSIGN_OR_RETURN(specs["fields"], Params(*fields, Sub(path, "properties"), depth));
    } else if (type == "array") {
      DropOthers(value_type, path, {"type", "elementType", "expands"});
      auto element = value_type.find("elementType");
      if (element == value_type.end()) return Error(Sub(path, "elementType"), "missing");
      QL_ASSIGN_OR_RETURN(specs["item"], Type(*element, Sub(path, "elementType"), depth + 1));
    } else if (type == "geoPoint") {
      DropOthers(value_type, path, {"type", "expands"});
    } else {
      return Error(Sub(path, "type"),
                   Cat("unsupported type '", type,
                       "' (int, long, float, double, boolean, enum, string, date, "
                       "object, array, geoPoint)"));
    }
    if (auto expands = value_type.find("expands"); expands != value_type.end()) {
      DropOthers(*expands, Sub(path, "expands"), {"maxLength"});
    }
    json out = {{"type", ours}};
    if (!specs.empty()) out["specs"] = std::move(specs);
    return out;
  }

  // inputs, object properties: [{"id", "name", "valueType"}].
  absl::StatusOr<json> Params(const json& list, const std::string& path, size_t depth) {
    json out = json::array();
    for (size_t i = 0; i < list.size(); ++i) {
      std::string where = At(path, i);
      QL_ASSIGN_OR_RETURN(json param, Head(list[i], where));
      DropOthers(list[i], where, {"id", "name", "description", "valueType"});
      auto type = list[i].find("valueType");
      if (type == list[i].end()) return Error(Sub(where, "valueType"), "missing");
      QL_ASSIGN_OR_RETURN(param["dataType"], Type(*type, Sub(where, "valueType"), depth + 1));
      out.push_back(std::move(param));
    }
    return out;
  }

  // An event's valueType or a function's output: an object's properties
  // become parameters; any other type becomes the one parameter `name`.
  absl::StatusOr<json> Output(const json& value_type, const std::string& path,
                              std::string_view name) {
    auto kind = value_type.is_object() ? value_type.find("type") : value_type.end();
    if (kind != value_type.end() && *kind == "object") {
      DropOthers(value_type, path, {"type", "properties"});
      QL_ASSIGN_OR_RETURN(const json* fields, ArrayMember(value_type, "properties", path));
      return Params(*fields, Sub(path, "properties"), 0);
    }
    QL_ASSIGN_OR_RETURN(json type, Type(value_type, path, 1));
    Warn(path, Cat("a single value, imported as the parameter '", name, "'"));
    return json::array({{{"identifier", name}, {"name", {{"zh", name}}}, {"dataType", type}}});
  }

  absl::StatusOr<json> Head(const json& entry, const std::string& path) {
    if (!entry.is_object()) return Error(path, "must be an object");
    QL_ASSIGN_OR_RETURN(std::string id, String(entry, "id", path));
    QL_ASSIGN_OR_RETURN(json name, Name(entry, "name", path, id));
    json out = {{"identifier", id}, {"name", name}};
    QL_ASSIGN_OR_RETURN(std::string description, String(entry, "description", path));
    if (!description.empty()) out["description"] = description;
    return out;
  }

  absl::StatusOr<std::string> Access(const json& entry, const std::string& path) {
    std::string where = Sub(path, "expands");
    auto expands = entry.find("expands");
    if (expands == entry.end() || !expands->is_object()) {
      Warn(where, "no readOnly or type given, imported as read-only 'r'");
      return std::string("r");
    }
    DropOthers(*expands, where, {"readOnly", "type"});
    if (auto read_only = expands->find("readOnly"); read_only != expands->end()) {
      return std::string(IsTrue(*read_only) ? "r" : "rw");
    }
    if (auto modes = expands->find("type"); modes != expands->end() && modes->is_array()) {
      for (const json& mode : *modes) {
        if (mode == "write") return std::string("rw");
      }
      return std::string("r");
    }
    Warn(where, "no readOnly or type given, imported as read-only 'r'");
    return std::string("r");
  }

  absl::StatusOr<ImportResult> Run(const json& source, uint32_t version) {
    DropOthers(source, "", {"properties", "functions", "events"});
    json properties = json::array();
    QL_ASSIGN_OR_RETURN(const json* source_properties, ArrayMember(source, "properties", ""));
    for (size_t i = 0; i < source_properties->size(); ++i) {
      std::string path = At("properties", i);
      const json& entry = (*source_properties)[i];
      QL_ASSIGN_OR_RETURN(json property, Head(entry, path));
      DropOthers(entry, path, {"id", "name", "description", "valueType", "expands"});
      QL_ASSIGN_OR_RETURN(property["access"], Access(entry, path));
      auto type = entry.find("valueType");
      if (type == entry.end()) return Error(Sub(path, "valueType"), "missing");
      QL_ASSIGN_OR_RETURN(property["dataType"], Type(*type, Sub(path, "valueType"), 1));
      properties.push_back(std::move(property));
    }
    json events = json::array();
    QL_ASSIGN_OR_RETURN(const json* source_events, ArrayMember(source, "events", ""));
    for (size_t i = 0; i < source_events->size(); ++i) {
      std::string path = At("events", i);
      const json& entry = (*source_events)[i];
      QL_ASSIGN_OR_RETURN(json event, Head(entry, path));
      DropOthers(entry, path, {"id", "name", "description", "valueType", "expands"});
      std::string level = "info";
      if (auto expands = entry.find("expands"); expands != entry.end() && expands->is_object()) {
        DropOthers(*expands, Sub(path, "expands"), {"level"});
        QL_ASSIGN_OR_RETURN(std::string source_level, String(*expands, "level", path));
        if (source_level == "warn") {
          level = "alert";
        } else if (source_level == "urgent") {
          level = "error";
        } else if (!source_level.empty() && source_level != "ordinary") {
          return Error(Sub(path, "expands.level"),
                       Cat("unknown level '", source_level, "' (ordinary, warn, urgent)"));
        }
      }
      event["type"] = level;
      event["output"] = json::array();
      if (auto type = entry.find("valueType"); type != entry.end()) {
        QL_ASSIGN_OR_RETURN(event["output"], Output(*type, Sub(path, "valueType"), "value"));
      }
      events.push_back(std::move(event));
    }
    json services = json::array();
    QL_ASSIGN_OR_RETURN(const json* functions, ArrayMember(source, "functions", ""));
    for (size_t i = 0; i < functions->size(); ++i) {
      std::string path = At("functions", i);
      const json& entry = (*functions)[i];
      QL_ASSIGN_OR_RETURN(json service, Head(entry, path));
      DropOthers(entry, path, {"id", "name", "description", "async", "inputs", "output"});
      auto async = entry.find("async");
      service["callType"] = async != entry.end() && IsTrue(*async) ? "async" : "sync";
      QL_ASSIGN_OR_RETURN(const json* inputs, ArrayMember(entry, "inputs", path));
      QL_ASSIGN_OR_RETURN(service["input"], Params(*inputs, Sub(path, "inputs"), 0));
      service["output"] = json::array();
      if (auto output = entry.find("output"); output != entry.end() && !output->is_null()) {
        QL_ASSIGN_OR_RETURN(service["output"], Output(*output, Sub(path, "output"), "result"));
      }
      services.push_back(std::move(service));
    }
    return Finish(version, std::move(properties), std::move(events), std::move(services));
  }
};

}  // namespace

absl::StatusOr<ImportResult> ImportJetLinksMetadata(std::string_view text, uint32_t version) {
  QL_ASSIGN_OR_RETURN(json source, ParseSource(text));
  JetLinksImporter importer;
  return importer.Run(source, version);
}

}  // namespace qilian::platform
