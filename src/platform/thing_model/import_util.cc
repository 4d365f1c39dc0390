#include "platform/thing_model/import_util.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "core/status.h"
#include "platform/thing_model/str_cat.h"
#include "platform/thing_model/thing_model_json.h"

namespace qilian::platform::import_internal {

using nlohmann::json;

std::string Sub(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return Cat(path, ".", key);
}

std::string At(std::string_view path, size_t index) { return Cat(path, "[", index, "]"); }

absl::Status Error(std::string_view path, std::string_view message) {
  return absl::InvalidArgumentError(Cat(path, ": ", message));
}

void Importer::Warn(std::string_view path, std::string_view message) {
  warnings_.push_back(Cat(path, ": ", message));
}

void Importer::DropOthers(const json& object, std::string_view path,
                          std::initializer_list<std::string_view> mapped) {
  if (!object.is_object()) return;
  for (const auto& [key, unused] : object.items()) {
    bool known = false;
    for (std::string_view name : mapped) known = known || key == name;
    if (!known) Warn(Sub(path, key), "no equivalent, dropped");
  }
}

absl::StatusOr<json> Importer::Number(const json& value, std::string_view path, bool integral) {
  if (value.is_number_integer()) return value;
  if (value.is_number_float()) {
    if (integral) return Error(path, Cat(value.dump(), " is not an integer"));
    return value;
  }
  if (!value.is_string()) return Error(path, "must be a number or a numeric string");
  const std::string& text = value.get_ref<const std::string&>();
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (begin != end && *begin == '+') ++begin;
  int64_t whole;
  auto [ptr, ec] = std::from_chars(begin, end, whole);
  if (ec == std::errc() && ptr == end) return json(whole);
  if (integral) return Error(path, Cat("'", text, "' is not an integer"));
  double real;
  auto [rptr, rec] = std::from_chars(begin, end, real);
  if (rec != std::errc() || rptr != end || begin == end || !std::isfinite(real)) {
    return Error(path, Cat("'", text, "' is not a number"));
  }
  return json(real);
}

absl::StatusOr<std::string> Importer::String(const json& object, std::string_view key,
                                             std::string_view path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Error(Sub(path, key), "must be a string");
  return it->get<std::string>();
}

absl::StatusOr<json> Importer::Name(const json& object, std::string_view key, std::string_view path,
                                    const std::string& identifier) {
  QL_ASSIGN_OR_RETURN(std::string name, String(object, key, path));
  if (name.empty()) {
    Warn(Sub(path, key), "missing, the identifier is used as the name");
    name = identifier;
  }
  return json{{"zh", name}};
}

absl::StatusOr<ImportResult> Importer::Finish(uint32_t version, json properties, json events,
                                              json services) {
  json ours = {{"version", version},
               {"properties", std::move(properties)},
               {"events", std::move(events)},
               {"services", std::move(services)}};
  auto model = ThingModelFromJson(ours);
  if (!model.ok()) {
    return absl::InvalidArgumentError(Cat("imported model: ", model.status().message()));
  }
  return ImportResult{std::move(*model), std::move(warnings_)};
}

absl::StatusOr<json> ParseSource(std::string_view text) {
  QL_ASSIGN_OR_RETURN(json source, ParseJsonText(text));
  if (!source.is_object()) return Error("model", "must be an object");
  return source;
}

absl::StatusOr<const json*> ArrayMember(const json& object, std::string_view key,
                                        std::string_view path) {
  static const json kEmpty = json::array();
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return &kEmpty;
  if (!it->is_array()) return Error(Sub(path, key), "must be an array");
  return &*it;
}

}  // namespace qilian::platform::import_internal
