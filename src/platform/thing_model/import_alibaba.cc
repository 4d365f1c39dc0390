// Alibaba Cloud IoT Platform TSL (物模型 TSL) to our format. The source
// format: {"schema", "profile": {"productKey"}, "properties": [{"identifier",
// "name", "accessMode": "r"|"rw", "required", "desc", "dataType": {"type",
// "specs"}}], "events": [{"identifier", "name", "type", "method",
// "outputData": [...]}], "services": [{"identifier", "name", "callType",
// "method", "inputData": [...], "outputData": [...]}]}; numbers inside specs
// are usually strings. The mapping table is in docs/thing-model.md.
#include <string>

#include "core/status.h"
#include "platform/thing_model/import.h"
#include "platform/thing_model/import_util.h"
#include "platform/thing_model/str_cat.h"

namespace qilian::platform {

using nlohmann::json;
using namespace import_internal;  // NOLINT: the importer's own helpers

namespace {

class AlibabaImporter : public Importer {
 public:
  absl::StatusOr<json> Type(const json& data_type, const std::string& path, size_t depth) {
    if (!data_type.is_object()) return Error(path, "must be an object");
    if (depth > kMaxTypeDepth) {
      return Error(path, Cat("types nested deeper than ", kMaxTypeDepth, " levels"));
    }
    DropOthers(data_type, path, {"type", "specs"});
    QL_ASSIGN_OR_RETURN(std::string type, String(data_type, "type", path));
    static const json kNone = json::object();
    auto found = data_type.find("specs");
    const json& specs = found == data_type.end() || found->is_null() ? kNone : *found;
    std::string specs_path = Sub(path, "specs");
    json out_specs = json::object();
    if (type == "int" || type == "float" || type == "double") {
      if (!specs.is_object()) return Error(specs_path, "must be an object");
      DropOthers(specs, specs_path, {"min", "max", "step", "unit", "unitName"});
      for (const char* key : {"min", "max", "step"}) {
        auto it = specs.find(key);
        if (it == specs.end() || it->is_null() ||
            (it->is_string() && it->get_ref<const std::string&>().empty())) {
          continue;
        }
        QL_ASSIGN_OR_RETURN(out_specs[key], Number(*it, Sub(specs_path, key), type == "int"));
      }
      QL_ASSIGN_OR_RETURN(std::string unit, String(specs, "unit", specs_path));
      if (!unit.empty()) out_specs["unit"] = unit;
      if (specs.contains("unitName")) {
        Warn(Sub(specs_path, "unitName"), "display name of the unit, dropped (the unit is kept)");
      }
    } else if (type == "bool" || type == "enum") {
      if (!specs.is_object()) return Error(specs_path, "must be an object");
      json items = json::array();
      for (const auto& [key, text] : specs.items()) {
        std::string where = Sub(specs_path, key);
        if (!text.is_string()) return Error(where, "must be a string");
        if (type == "bool") {
          if (key == "0")
            out_specs["falseText"] = text;
          else if (key == "1")
            out_specs["trueText"] = text;
          else
            Warn(where, "not 0 or 1, dropped");
          continue;
        }
        QL_ASSIGN_OR_RETURN(json value, Number(json(key), where, true));
        items.push_back({{"value", value}, {"name", {{"zh", text}}}});
      }
      if (type == "enum") out_specs["items"] = std::move(items);
    } else if (type == "text") {
      if (!specs.is_object()) return Error(specs_path, "must be an object");
      DropOthers(specs, specs_path, {"length"});
      if (auto it = specs.find("length"); it != specs.end() && !it->is_null()) {
        QL_ASSIGN_OR_RETURN(out_specs["maxLength"], Number(*it, Sub(specs_path, "length"), true));
      }
    } else if (type == "date") {
      DropOthers(specs, specs_path, {});
    } else if (type == "struct") {
      if (!specs.is_array()) return Error(specs_path, "must be an array of fields");
      QL_ASSIGN_OR_RETURN(out_specs["fields"], Params(specs, specs_path, depth));
    } else if (type == "array") {
      if (!specs.is_object()) return Error(specs_path, "must be an object");
      DropOthers(specs, specs_path, {"size", "item"});
      if (auto it = specs.find("size"); it != specs.end() && !it->is_null()) {
        QL_ASSIGN_OR_RETURN(out_specs["size"], Number(*it, Sub(specs_path, "size"), true));
      }
      auto item = specs.find("item");
      if (item == specs.end()) return Error(Sub(specs_path, "item"), "missing");
      QL_ASSIGN_OR_RETURN(out_specs["item"], Type(*item, Sub(specs_path, "item"), depth + 1));
    } else {
      return Error(Sub(path, "type"),
                   Cat("unsupported type '", type,
                       "' (int, float, double, bool, enum, text, date, struct, array)"));
    }
    json out = {{"type", type}};
    if (!out_specs.empty()) out["specs"] = std::move(out_specs);
    return out;
  }

  // inputData, outputData, struct specs: [{"identifier", "name", "dataType"}].
  absl::StatusOr<json> Params(const json& list, const std::string& path, size_t depth) {
    json out = json::array();
    for (size_t i = 0; i < list.size(); ++i) {
      std::string where = At(path, i);
      const json& param = list[i];
      if (!param.is_object()) return Error(where, "must be an object");
      DropOthers(param, where, {"identifier", "name", "dataType"});
      QL_ASSIGN_OR_RETURN(std::string id, String(param, "identifier", where));
      QL_ASSIGN_OR_RETURN(json name, Name(param, "name", where, id));
      auto type = param.find("dataType");
      if (type == param.end()) return Error(Sub(where, "dataType"), "missing");
      QL_ASSIGN_OR_RETURN(json data_type, Type(*type, Sub(where, "dataType"), depth + 1));
      out.push_back({{"identifier", id}, {"name", name}, {"dataType", data_type}});
    }
    return out;
  }

  absl::StatusOr<json> ParamList(const json& entry, std::string_view key, const std::string& path) {
    QL_ASSIGN_OR_RETURN(const json* list, ArrayMember(entry, key, path));
    return Params(*list, Sub(path, key), 0);
  }

  // identifier, name, desc: common to properties, events and services.
  absl::StatusOr<json> Head(const json& entry, const std::string& path) {
    if (!entry.is_object()) return Error(path, "must be an object");
    QL_ASSIGN_OR_RETURN(std::string id, String(entry, "identifier", path));
    QL_ASSIGN_OR_RETURN(json name, Name(entry, "name", path, id));
    json out = {{"identifier", id}, {"name", name}};
    QL_ASSIGN_OR_RETURN(std::string desc, String(entry, "desc", path));
    if (!desc.empty()) out["description"] = desc;
    if (entry.contains("required")) {
      Warn(Sub(path, "required"), "standard-feature flag, no equivalent, dropped");
    }
    return out;
  }

  // The property post event and the property get/set services are part of
  // every Alibaba TSL; Qilian has them built in (properties/report, read,
  // write topics).
  bool SkipSystem(const json& entry, const std::string& path, std::string_view kind) {
    auto method = entry.find("method");
    if (method == entry.end() || !method->is_string()) return false;
    const std::string& name = method->get_ref<const std::string&>();
    if (name != "thing.event.property.post" && name != "thing.service.property.set" &&
        name != "thing.service.property.get") {
      return false;
    }
    Warn(path, Cat("system ", kind, " '", name, "' skipped (built into Qilian's property topics)"));
    return true;
  }

  void WarnMethod(const json& entry, const std::string& path) {
    if (entry.contains("method")) {
      Warn(Sub(path, "method"), "Alibaba topic method, dropped (Qilian topics are by identifier)");
    }
  }

  absl::StatusOr<ImportResult> Run(const json& source, uint32_t version) {
    DropOthers(source, "", {"properties", "events", "services", "profile"});
    if (auto profile = source.find("profile"); profile != source.end()) {
      if (profile->is_object()) {
        DropOthers(*profile, "profile", {});
      } else {
        Warn("profile", "no equivalent, dropped");
      }
    }
    json properties = json::array();
    QL_ASSIGN_OR_RETURN(const json* source_properties, ArrayMember(source, "properties", ""));
    for (size_t i = 0; i < source_properties->size(); ++i) {
      std::string path = At("properties", i);
      const json& entry = (*source_properties)[i];
      QL_ASSIGN_OR_RETURN(json property, Head(entry, path));
      DropOthers(entry, path, {"identifier", "name", "desc", "required", "accessMode", "dataType"});
      std::string_view access = "r";
      if (auto mode = entry.find("accessMode"); mode != entry.end() && !mode->is_null()) {
        if (!mode->is_string()) return Error(Sub(path, "accessMode"), "must be a string");
        access = mode->get_ref<const std::string&>();
      }
      if (access == "w") {
        Warn(Sub(path, "accessMode"), "write-only 'w' imported as 'rw'");
        access = "rw";
      } else if (access != "r" && access != "rw") {
        return Error(Sub(path, "accessMode"), Cat("unknown access mode '", access, "'"));
      }
      property["access"] = std::string(access);
      auto type = entry.find("dataType");
      if (type == entry.end()) return Error(Sub(path, "dataType"), "missing");
      QL_ASSIGN_OR_RETURN(property["dataType"], Type(*type, Sub(path, "dataType"), 1));
      properties.push_back(std::move(property));
    }
    json events = json::array();
    QL_ASSIGN_OR_RETURN(const json* source_events, ArrayMember(source, "events", ""));
    for (size_t i = 0; i < source_events->size(); ++i) {
      std::string path = At("events", i);
      const json& entry = (*source_events)[i];
      if (entry.is_object() && SkipSystem(entry, path, "event")) continue;
      QL_ASSIGN_OR_RETURN(json event, Head(entry, path));
      DropOthers(entry, path,
                 {"identifier", "name", "desc", "required", "type", "method", "outputData"});
      WarnMethod(entry, path);
      QL_ASSIGN_OR_RETURN(std::string level, String(entry, "type", path));
      event["type"] = level.empty() ? "info" : level;
      QL_ASSIGN_OR_RETURN(event["output"], ParamList(entry, "outputData", path));
      events.push_back(std::move(event));
    }
    json services = json::array();
    QL_ASSIGN_OR_RETURN(const json* source_services, ArrayMember(source, "services", ""));
    for (size_t i = 0; i < source_services->size(); ++i) {
      std::string path = At("services", i);
      const json& entry = (*source_services)[i];
      if (entry.is_object() && SkipSystem(entry, path, "service")) continue;
      QL_ASSIGN_OR_RETURN(json service, Head(entry, path));
      DropOthers(entry, path,
                 {"identifier", "name", "desc", "required", "callType", "method", "inputData",
                  "outputData"});
      WarnMethod(entry, path);
      QL_ASSIGN_OR_RETURN(std::string call, String(entry, "callType", path));
      service["callType"] = call.empty() ? "async" : call;
      QL_ASSIGN_OR_RETURN(service["input"], ParamList(entry, "inputData", path));
      QL_ASSIGN_OR_RETURN(service["output"], ParamList(entry, "outputData", path));
      services.push_back(std::move(service));
    }
    return Finish(version, std::move(properties), std::move(events), std::move(services));
  }
};

}  // namespace

absl::StatusOr<ImportResult> ImportAlibabaTsl(std::string_view text, uint32_t version) {
  QL_ASSIGN_OR_RETURN(json source, ParseSource(text));
  AlibabaImporter importer;
  return importer.Run(source, version);
}

}  // namespace qilian::platform
