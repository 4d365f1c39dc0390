#include "api/device_body.h"

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "tenant/field_error.h"

namespace qilian::api {
namespace {

using nlohmann::json;

absl::Status Bad(std::string_view field, std::string_view problem) {
  return tenant::FieldError(field, problem);
}

absl::Status KnownOnly(const json& object, std::string_view parent,
                       std::initializer_list<std::string_view> known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool found = false;
    for (std::string_view k : known) found = found || it.key() == k;
    if (!found) {
      std::string field =
          parent.empty()
              ? it.key()
              : absl::StrCat(absl::string_view(parent.data(), parent.size()), ".", it.key());
      return Bad(tenant::Excerpt(field), "is not a known field");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> String(const json& v, std::string_view field) {
  if (!v.is_string()) return Bad(field, "must be a string");
  return v.get<std::string>();
}

absl::StatusOr<platform::LocalizedName> Name(const json& v) {
  if (!v.is_object()) return Bad("name", "must be an object {\"zh\", \"en\"}");
  QL_RETURN_IF_ERROR(KnownOnly(v, "name", {"zh", "en"}));
  platform::LocalizedName name;
  if (auto it = v.find("zh"); it != v.end()) {
    QL_ASSIGN_OR_RETURN(name.zh, String(*it, "name.zh"));
  }
  if (auto it = v.find("en"); it != v.end()) {
    QL_ASSIGN_OR_RETURN(name.en, String(*it, "name.en"));
  }
  return name;
}

absl::StatusOr<platform::DeviceTags> Tags(const json& v) {
  if (!v.is_object()) return Bad("tags", "must be an object of strings");
  if (v.size() > platform::kMaxTags) {
    return Bad("tags", absl::StrCat("has ", v.size(), " tags; at most ", platform::kMaxTags));
  }
  platform::DeviceTags tags;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it->is_string()) {
      return Bad(absl::StrCat("tags.", tenant::Excerpt(it.key())), "must be a string");
    }
    tags[it.key()] = it->get<std::string>();
  }
  return tags;
}

absl::StatusOr<uint32_t> Version(const json& v) {
  if (!v.is_number_unsigned() || v.get<uint64_t>() == 0 || v.get<uint64_t>() > UINT32_MAX) {
    return Bad("modelVersion", "must be an integer in 1..4294967295");
  }
  return static_cast<uint32_t>(v.get<uint64_t>());
}

absl::StatusOr<bool> Bool(const json& v, std::string_view field) {
  if (!v.is_boolean()) return Bad(field, "must be true or false");
  return v.get<bool>();
}

}  // namespace

absl::StatusOr<platform::DeviceInput> DeviceInputFromJson(const json& doc) {
  if (!doc.is_object()) return Bad("body", "must be a JSON object");
  QL_RETURN_IF_ERROR(KnownOnly(
      doc, "", {"id", "product", "modelVersion", "name", "serial", "gateway", "tags", "enabled"}));
  platform::DeviceInput in;
  auto id = doc.find("id");
  if (id == doc.end()) return Bad("id", "is required");
  QL_ASSIGN_OR_RETURN(in.id, String(*id, "id"));
  auto product = doc.find("product");
  if (product == doc.end()) return Bad("product", "is required");
  QL_ASSIGN_OR_RETURN(in.product, String(*product, "product"));
  if (auto it = doc.find("modelVersion"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(in.model_version, Version(*it));
  }
  if (auto it = doc.find("name"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(in.name, Name(*it));
  }
  if (auto it = doc.find("serial"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(in.serial, String(*it, "serial"));
  }
  if (auto it = doc.find("gateway"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(in.gateway, String(*it, "gateway"));
  }
  if (auto it = doc.find("tags"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(in.tags, Tags(*it));
  }
  if (auto it = doc.find("enabled"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(in.enabled, Bool(*it, "enabled"));
  }
  return in;
}

absl::StatusOr<platform::DeviceUpdate> DeviceUpdateFromJson(const json& doc) {
  if (!doc.is_object()) return Bad("body", "must be a JSON object");
  for (const char* fixed : {"id", "product"}) {
    if (doc.contains(fixed)) {
      return Bad(fixed, "cannot be changed (delete the device and create it again)");
    }
  }
  QL_RETURN_IF_ERROR(
      KnownOnly(doc, "", {"modelVersion", "name", "serial", "gateway", "tags", "enabled"}));
  platform::DeviceUpdate up;
  if (auto it = doc.find("modelVersion"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(up.model_version, Version(*it));
  }
  if (auto it = doc.find("name"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(up.name, Name(*it));
  }
  if (auto it = doc.find("serial"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(up.serial, String(*it, "serial"));
  }
  if (auto it = doc.find("gateway"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(up.gateway, String(*it, "gateway"));
  }
  if (auto it = doc.find("tags"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(up.tags, Tags(*it));
  }
  if (auto it = doc.find("enabled"); it != doc.end()) {
    QL_ASSIGN_OR_RETURN(up.enabled, Bool(*it, "enabled"));
  }
  return up;
}

absl::StatusOr<platform::SelfRegistration> SelfRegistrationFromJson(const json& doc) {
  if (!doc.is_object()) return Bad("body", "must be a JSON object");
  QL_RETURN_IF_ERROR(
      KnownOnly(doc, "", {"productKey", "deviceId", "random", "signMethod", "sign"}));
  platform::SelfRegistration r;
  for (auto [name, out] : {std::pair<const char*, std::string*>{"productKey", &r.product_key},
                           {"deviceId", &r.device_id},
                           {"random", &r.random},
                           {"signMethod", &r.sign_method},
                           {"sign", &r.sign}}) {
    auto it = doc.find(name);
    if (it == doc.end()) return Bad(name, "is required");
    QL_ASSIGN_OR_RETURN(*out, String(*it, name));
  }
  return r;
}

}  // namespace qilian::api
