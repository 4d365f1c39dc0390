// Identifier data templates (标识数据模板, docs/templates.md): the typed
// fields a record registered under a prefix carries, as IDIS secondary
// nodes define them per prefix. A template has a name, integer versions
// (each immutable in number, changeable only compatibly, compatibility.h),
// a GB/T 4754 industry class, and fields with a type, limits, a unit,
// bilingual descriptions and a public flag.
//
// This header is the model only: parsing is template_json.h, checking a
// value against a field field_check.h, storage template_store.h.
#ifndef QILIAN_IDENT_TEMPLATE_TEMPLATE_H_
#define QILIAN_IDENT_TEMPLATE_TEMPLATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qilian::ident::templates {

// Bounds of a template (also the strict parser's limits).
inline constexpr size_t kMaxFields = 128;
inline constexpr size_t kMaxNameBytes = 64;            // template and field names
inline constexpr size_t kMaxPatternBytes = 256;        // a field's regular expression
inline constexpr size_t kMaxEnumValues = 256;
inline constexpr size_t kMaxEnumValueBytes = 128;
inline constexpr size_t kMaxUnitBytes = 32;
inline constexpr size_t kMaxDescriptionChars = 512;    // per language
inline constexpr uint32_t kMaxVersion = 1000000;
// The largest length limit a field may declare (a value's data is bounded
// by the registry's kMaxValueDataBytes anyway).
inline constexpr uint64_t kMaxLengthLimit = 65536;

// Where a record keeps its template (docs/templates.md "Reserved index"):
// index 1000 holds the reference "<name>@<version>" in a value of type
// TEMPLATE; fields sit at index 2000 and above, one value per field, its
// type the field's name and its data the canonical text of the value.
// (IDIS SNMS reserves 1000, 1001 and 1999 and numbers template items from
// 2000.)
inline constexpr uint32_t kTemplateRefIndex = 1000;
inline constexpr std::string_view kTemplateRefType = "TEMPLATE";
inline constexpr uint32_t kFirstFieldIndex = 2000;

enum class FieldType {
  kString,
  kInteger,
  kDecimal,
  kDateTime,  // RFC 3339
  kEnum,
  kBoolean,
  kHandle,    // an identifier reference "prefix/suffix"
  kUrl,
  kGeoPoint,  // "lat,lon"
};

// "string", "integer", "decimal", "date-time", "enum", "boolean", "handle",
// "url", "geo-point": the JSON names.
std::string_view FieldTypeName(FieldType type);
std::optional<FieldType> ParseFieldType(std::string_view name);

struct Limits {
  // Length in characters (code points) of the canonical text: string,
  // url, handle.
  std::optional<uint64_t> min_length;
  std::optional<uint64_t> max_length;
  // Numeric range, inclusive: integer, decimal.
  std::optional<double> minimum;
  std::optional<double> maximum;
  // RE2 syntax, matched against the whole text: string only.
  std::string pattern;
  bool operator==(const Limits&) const = default;
};

struct Field {
  std::string name;  // [A-Za-z][A-Za-z0-9_]*, not starting with "HS_"
  FieldType type = FieldType::kString;
  bool required = false;
  bool is_public = true;  // stored with public read
  Limits limits;
  std::vector<std::string> enum_values;  // enum only, at least one
  std::string unit;                      // e.g. "kg", "℃", "d"
  std::string description_zh;
  std::string description_en;
  bool operator==(const Field&) const = default;
};

struct Template {
  std::string prefix;  // the prefix it is defined under, e.g. "88.999.7"
  std::string name;    // [a-z0-9][a-z0-9-]*
  uint32_t version = 1;
  std::string industry;  // canonical GB/T 4754 code (tenant::ParseIndustry)
  std::string description_zh;
  std::string description_en;
  std::vector<Field> fields;
  int64_t created_at = 0;  // seconds since the epoch, set by the store
  int64_t updated_at = 0;
  bool operator==(const Template&) const = default;

  const Field* FindField(std::string_view field_name) const;
};

// "food-batch@2": the data of a record's TEMPLATE value.
std::string TemplateRefText(std::string_view name, uint32_t version);
struct TemplateRef {
  std::string name;
  uint32_t version = 0;
};
// Parses "<name>@<version>"; nullopt for anything else.
std::optional<TemplateRef> ParseTemplateRef(std::string_view text);

// Whether `name` is a valid template name / field name (see above).
bool IsTemplateName(std::string_view name);
bool IsFieldName(std::string_view name);

}  // namespace qilian::ident::templates

#endif  // QILIAN_IDENT_TEMPLATE_TEMPLATE_H_
