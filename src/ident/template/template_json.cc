#include "ident/template/template_json.h"

#include <cmath>
#include <initializer_list>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/template/field_check.h"
#include "tenant/field_error.h"
#include "tenant/industry.h"

namespace qilian::ident::templates {
namespace {

using json = nlohmann::ordered_json;

absl::Status Bad(std::string_view path, std::string_view problem) {
  return tenant::FieldError(path, problem);
}

std::string Path(std::string_view parent, std::string_view member) {
  return parent.empty() ? std::string(member)
                        : absl::StrCat(std::string(parent), ".", std::string(member));
}

absl::Status KnownOnly(const json& object, std::string_view parent,
                       std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (std::string_view k : known) found = found || k == key;
    if (!found) return Bad(Path(parent, key), "is not a known member");
  }
  return absl::OkStatus();
}

const json* Member(const json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

absl::Status String(const json& object, const char* name, std::string_view parent,
                    std::string* out, bool required) {
  const json* v = Member(object, name);
  if (v == nullptr) {
    return required ? Bad(Path(parent, name), "is required") : absl::OkStatus();
  }
  if (!v->is_string()) return Bad(Path(parent, name), "must be a string");
  *out = v->get<std::string>();
  return absl::OkStatus();
}

absl::Status Bool(const json& object, const char* name, std::string_view parent, bool* out) {
  const json* v = Member(object, name);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_boolean()) return Bad(Path(parent, name), "must be true or false");
  *out = v->get<bool>();
  return absl::OkStatus();
}

absl::Status Unsigned(const json& object, const char* name, std::string_view parent,
                      uint64_t max, std::optional<uint64_t>* out) {
  const json* v = Member(object, name);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_number_unsigned() || v->get<uint64_t>() > max) {
    return Bad(Path(parent, name), absl::StrCat("must be an integer 0..", max));
  }
  *out = v->get<uint64_t>();
  return absl::OkStatus();
}

absl::Status Number(const json& object, const char* name, std::string_view parent,
                    std::optional<double>* out) {
  const json* v = Member(object, name);
  if (v == nullptr) return absl::OkStatus();
  if (!v->is_number() || !std::isfinite(v->get<double>())) {
    return Bad(Path(parent, name), "must be a number");
  }
  *out = v->get<double>();
  return absl::OkStatus();
}

absl::Status Int64(const json& object, const char* name, std::string_view parent,
                   int64_t* out) {
  const json* v = Member(object, name);
  if (v == nullptr) return Bad(Path(parent, name), "is required");
  if (!v->is_number_integer()) return Bad(Path(parent, name), "must be an integer");
  *out = v->get<int64_t>();
  return absl::OkStatus();
}

absl::Status Description(const json& object, std::string_view parent, std::string* zh,
                         std::string* en) {
  const json* v = Member(object, "description");
  if (v == nullptr) return absl::OkStatus();
  const std::string path = Path(parent, "description");
  if (!v->is_object()) return Bad(path, "must be an object {\"zh\": ..., \"en\": ...}");
  QL_RETURN_IF_ERROR(KnownOnly(*v, path, {"zh", "en"}));
  QL_RETURN_IF_ERROR(String(*v, "zh", path, zh, false));
  QL_RETURN_IF_ERROR(String(*v, "en", path, en, false));
  if (!zh->empty()) {
    QL_RETURN_IF_ERROR(tenant::CheckDisplayText(Path(path, "zh"), *zh, kMaxDescriptionChars));
  }
  if (!en->empty()) {
    QL_RETURN_IF_ERROR(tenant::CheckDisplayText(Path(path, "en"), *en, kMaxDescriptionChars));
  }
  return absl::OkStatus();
}

bool HasLength(FieldType t) {
  return t == FieldType::kString || t == FieldType::kUrl || t == FieldType::kHandle;
}
bool IsNumeric(FieldType t) { return t == FieldType::kInteger || t == FieldType::kDecimal; }

std::string TypeNames() {
  std::vector<std::string> names;
  for (FieldType t : {FieldType::kString, FieldType::kInteger, FieldType::kDecimal,
                      FieldType::kDateTime, FieldType::kEnum, FieldType::kBoolean,
                      FieldType::kHandle, FieldType::kUrl, FieldType::kGeoPoint}) {
    names.emplace_back(FieldTypeName(t));
  }
  return absl::StrJoin(names, ", ");
}

absl::Status ParseLimits(const json& object, std::string_view parent, Field* field) {
  const json* v = Member(object, "limits");
  if (v == nullptr) return absl::OkStatus();
  const std::string path = Path(parent, "limits");
  if (!v->is_object()) return Bad(path, "must be an object");
  QL_RETURN_IF_ERROR(
      KnownOnly(*v, path, {"minLength", "maxLength", "minimum", "maximum", "pattern"}));
  Limits& l = field->limits;
  QL_RETURN_IF_ERROR(Unsigned(*v, "minLength", path, kMaxLengthLimit, &l.min_length));
  QL_RETURN_IF_ERROR(Unsigned(*v, "maxLength", path, kMaxLengthLimit, &l.max_length));
  QL_RETURN_IF_ERROR(Number(*v, "minimum", path, &l.minimum));
  QL_RETURN_IF_ERROR(Number(*v, "maximum", path, &l.maximum));
  QL_RETURN_IF_ERROR(String(*v, "pattern", path, &l.pattern, false));
  if ((l.min_length || l.max_length) && !HasLength(field->type)) {
    return Bad(Path(path, l.min_length ? "minLength" : "maxLength"),
               "applies only to string, url and handle fields");
  }
  if (l.min_length && l.max_length && *l.min_length > *l.max_length) {
    return Bad(Path(path, "minLength"), "is greater than maxLength");
  }
  if ((l.minimum || l.maximum) && !IsNumeric(field->type)) {
    return Bad(Path(path, l.minimum ? "minimum" : "maximum"),
               "applies only to integer and decimal fields");
  }
  if (l.minimum && l.maximum && *l.minimum > *l.maximum) {
    return Bad(Path(path, "minimum"), "is greater than maximum");
  }
  if (Member(*v, "pattern") != nullptr) {
    if (field->type != FieldType::kString) {
      return Bad(Path(path, "pattern"), "applies only to string fields");
    }
    if (l.pattern.empty()) return Bad(Path(path, "pattern"), "must not be empty");
    if (absl::Status s = CheckPattern(l.pattern); !s.ok()) {
      return Bad(Path(path, "pattern"), std::string(s.message()));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseEnumValues(const json& object, std::string_view parent, Field* field) {
  const json* v = Member(object, "values");
  const std::string path = Path(parent, "values");
  if (field->type != FieldType::kEnum) {
    return v == nullptr ? absl::OkStatus() : Bad(path, "applies only to enum fields");
  }
  if (v == nullptr) return Bad(path, "is required for an enum field");
  if (!v->is_array() || v->empty() || v->size() > kMaxEnumValues) {
    return Bad(path, absl::StrCat("must be an array of 1..", kMaxEnumValues, " strings"));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < v->size(); ++i) {
    const std::string at = absl::StrCat(path, "[", i, "]");
    const json& e = (*v)[i];
    if (!e.is_string()) return Bad(at, "must be a string");
    std::string text = e.get<std::string>();
    if (text.empty() || text.size() > kMaxEnumValueBytes || !IsValidUtf8(text) ||
        HasControlCharacter(text)) {
      return Bad(at, absl::StrCat("must be 1..", kMaxEnumValueBytes,
                                  " bytes of printable UTF-8"));
    }
    if (!seen.insert(text).second) {
      return Bad(at, absl::StrCat("'", tenant::Excerpt(text), "' appears more than once"));
    }
    field->enum_values.push_back(std::move(text));
  }
  return absl::OkStatus();
}

absl::StatusOr<Field> ParseField(const json& object, std::string_view path) {
  if (!object.is_object()) return Bad(path, "must be an object");
  QL_RETURN_IF_ERROR(KnownOnly(object, path,
                               {"name", "type", "required", "public", "limits", "values",
                                "unit", "description"}));
  Field field;
  QL_RETURN_IF_ERROR(String(object, "name", path, &field.name, true));
  if (!IsFieldName(field.name)) {
    return Bad(Path(path, "name"),
               absl::StrCat("'", tenant::Excerpt(field.name), "' must be 1..", kMaxNameBytes,
                            " letters, digits and '_', starting with a letter, not HS_* or "
                            "TEMPLATE"));
  }
  std::string type;
  QL_RETURN_IF_ERROR(String(object, "type", path, &type, true));
  std::optional<FieldType> parsed = ParseFieldType(type);
  if (!parsed) {
    return Bad(Path(path, "type"), absl::StrCat("'", tenant::Excerpt(type),
                                                "' is not one of ", TypeNames()));
  }
  field.type = *parsed;
  QL_RETURN_IF_ERROR(Bool(object, "required", path, &field.required));
  QL_RETURN_IF_ERROR(Bool(object, "public", path, &field.is_public));
  QL_RETURN_IF_ERROR(ParseLimits(object, path, &field));
  QL_RETURN_IF_ERROR(ParseEnumValues(object, path, &field));
  QL_RETURN_IF_ERROR(String(object, "unit", path, &field.unit, false));
  if (field.unit.size() > kMaxUnitBytes || !IsValidUtf8(field.unit) ||
      HasControlCharacter(field.unit)) {
    return Bad(Path(path, "unit"),
               absl::StrCat("must be at most ", kMaxUnitBytes, " bytes of printable UTF-8"));
  }
  QL_RETURN_IF_ERROR(Description(object, path, &field.description_zh, &field.description_en));
  return field;
}

}  // namespace

absl::StatusOr<nlohmann::ordered_json> ParseTemplateText(std::string_view text) {
  if (text.size() > kMaxTemplateBytes) {
    return Bad("body", absl::StrCat("is longer than ", kMaxTemplateBytes, " bytes"));
  }
  // nlohmann's parser keeps its own stack (no recursion); what lies deeper
  // than the bound is discarded as it is read, so a deep document never
  // becomes a deep DOM, and is then refused.
  bool too_deep = false;
  json parsed = json::parse(
      text.begin(), text.end(),
      [&too_deep](int depth, json::parse_event_t, json&) {
        if (static_cast<size_t>(depth) >= kMaxTemplateNesting) too_deep = true;
        return !too_deep;
      },
      false);
  if (too_deep) {
    return Bad("body", absl::StrCat("nests deeper than ", kMaxTemplateNesting, " levels"));
  }
  if (parsed.is_discarded()) return Bad("body", "is not valid JSON");
  if (!parsed.is_object()) return Bad("body", "must be a JSON object");
  return parsed;
}

absl::StatusOr<Template> TemplateFromJson(const nlohmann::ordered_json& object,
                                          JsonSource source) {
  if (!object.is_object()) return Bad("body", "must be a JSON object");
  if (source == JsonSource::kStored) {
    QL_RETURN_IF_ERROR(KnownOnly(object, "",
                                 {"prefix", "name", "version", "reference", "industry",
                                  "description", "fields", "createdAt", "updatedAt"}));
  } else {
    QL_RETURN_IF_ERROR(
        KnownOnly(object, "", {"name", "version", "industry", "description", "fields"}));
  }
  Template t;
  if (source == JsonSource::kStored) {
    QL_RETURN_IF_ERROR(String(object, "prefix", "", &t.prefix, true));
    QL_RETURN_IF_ERROR(Int64(object, "createdAt", "", &t.created_at));
    QL_RETURN_IF_ERROR(Int64(object, "updatedAt", "", &t.updated_at));
  }
  QL_RETURN_IF_ERROR(String(object, "name", "", &t.name, true));
  if (!IsTemplateName(t.name)) {
    return Bad("name", absl::StrCat("'", tenant::Excerpt(t.name), "' must be 1..",
                                    kMaxNameBytes,
                                    " characters of a-z, 0-9 and '-', starting with a letter "
                                    "or digit and not ending with '-'"));
  }
  if (const json* v = Member(object, "version"); v != nullptr) {
    if (!v->is_number_unsigned() || v->get<uint64_t>() < 1 || v->get<uint64_t>() > kMaxVersion) {
      return Bad("version", absl::StrCat("must be an integer 1..", kMaxVersion));
    }
    t.version = static_cast<uint32_t>(v->get<uint64_t>());
  }
  std::string industry;
  QL_RETURN_IF_ERROR(String(object, "industry", "", &industry, true));
  QL_ASSIGN_OR_RETURN(tenant::IndustryClass industry_class, tenant::ParseIndustry(industry));
  t.industry = industry_class.code;
  QL_RETURN_IF_ERROR(Description(object, "", &t.description_zh, &t.description_en));
  const json* fields = Member(object, "fields");
  if (fields == nullptr) return Bad("fields", "is required");
  if (!fields->is_array() || fields->empty() || fields->size() > kMaxFields) {
    return Bad("fields", absl::StrCat("must be an array of 1..", kMaxFields, " fields"));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < fields->size(); ++i) {
    const std::string path = absl::StrCat("fields[", i, "]");
    QL_ASSIGN_OR_RETURN(Field field, ParseField((*fields)[i], path));
    if (!names.insert(field.name).second) {
      return Bad(Path(path, "name"), absl::StrCat("'", field.name, "' appears more than once"));
    }
    t.fields.push_back(std::move(field));
  }
  return t;
}

nlohmann::ordered_json TemplateToJson(const Template& t) {
  auto description = [](const std::string& zh, const std::string& en) {
    json d = json::object();
    d["zh"] = zh;
    d["en"] = en;
    return d;
  };
  json out = json::object();
  out["prefix"] = t.prefix;
  out["name"] = t.name;
  out["version"] = t.version;
  out["reference"] = TemplateRefText(t.name, t.version);
  out["industry"] = t.industry;
  out["description"] = description(t.description_zh, t.description_en);
  json fields = json::array();
  for (const Field& f : t.fields) {
    json field = json::object();
    field["name"] = f.name;
    field["type"] = FieldTypeName(f.type);
    field["required"] = f.required;
    field["public"] = f.is_public;
    json limits = json::object();
    if (f.limits.min_length) limits["minLength"] = *f.limits.min_length;
    if (f.limits.max_length) limits["maxLength"] = *f.limits.max_length;
    if (f.limits.minimum) limits["minimum"] = *f.limits.minimum;
    if (f.limits.maximum) limits["maximum"] = *f.limits.maximum;
    if (!f.limits.pattern.empty()) limits["pattern"] = f.limits.pattern;
    if (!limits.empty()) field["limits"] = std::move(limits);
    if (f.type == FieldType::kEnum) field["values"] = f.enum_values;
    if (!f.unit.empty()) field["unit"] = f.unit;
    field["description"] = description(f.description_zh, f.description_en);
    fields.push_back(std::move(field));
  }
  out["fields"] = std::move(fields);
  out["createdAt"] = t.created_at;
  out["updatedAt"] = t.updated_at;
  return out;
}

}  // namespace qilian::ident::templates
