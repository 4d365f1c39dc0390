#include "ident/template/template.h"

#include <charconv>

#include "absl/strings/str_cat.h"

namespace qilian::ident::templates {
namespace {

struct TypeName {
  FieldType type;
  std::string_view name;
};
constexpr TypeName kTypeNames[] = {
    {FieldType::kString, "string"},      {FieldType::kInteger, "integer"},
    {FieldType::kDecimal, "decimal"},    {FieldType::kDateTime, "date-time"},
    {FieldType::kEnum, "enum"},          {FieldType::kBoolean, "boolean"},
    {FieldType::kHandle, "handle"},      {FieldType::kUrl, "url"},
    {FieldType::kGeoPoint, "geo-point"},
};

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return IsLower(c) || (c >= 'A' && c <= 'Z'); }

}  // namespace

std::string_view FieldTypeName(FieldType type) {
  for (const auto& t : kTypeNames) {
    if (t.type == type) return t.name;
  }
  return "string";
}

std::optional<FieldType> ParseFieldType(std::string_view name) {
  for (const auto& t : kTypeNames) {
    if (t.name == name) return t.type;
  }
  return std::nullopt;
}

const Field* Template::FindField(std::string_view field_name) const {
  for (const auto& f : fields) {
    if (f.name == field_name) return &f;
  }
  return nullptr;
}

std::string TemplateRefText(std::string_view name, uint32_t version) {
  return absl::StrCat(std::string(name), "@", version);
}

std::optional<TemplateRef> ParseTemplateRef(std::string_view text) {
  const size_t at = text.rfind('@');
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view name = text.substr(0, at);
  std::string_view digits = text.substr(at + 1);
  if (!IsTemplateName(name) || digits.empty() || digits.size() > 7 || digits[0] == '0') {
    return std::nullopt;
  }
  uint32_t version = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (ec != std::errc() || end != digits.data() + digits.size() || version == 0 ||
      version > kMaxVersion) {
    return std::nullopt;
  }
  return TemplateRef{std::string(name), version};
}

bool IsTemplateName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  if (!IsLower(name[0]) && !IsDigit(name[0])) return false;
  for (char c : name) {
    if (!IsLower(c) && !IsDigit(c) && c != '-') return false;
  }
  return name.back() != '-';
}

bool IsFieldName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes || !IsAlpha(name[0])) return false;
  for (char c : name) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '_') return false;
  }
  // HS_ types belong to the Handle System (HS_ADMIN, HS_SITE ...).
  return !(name.size() >= 3 && (name[0] == 'H' || name[0] == 'h') &&
           (name[1] == 'S' || name[1] == 's') && name[2] == '_') &&
         name != kTemplateRefType;
}

}  // namespace qilian::ident::templates
