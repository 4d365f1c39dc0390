// Checking one record value against the template field it claims to be
// (docs/templates.md "Value encoding"): the value's data is the field's
// canonical text, checked for its type and then each limit in a fixed
// order (type, enum, minLength, maxLength, minimum, maximum, pattern).
//
// Errors are tenant::FieldError Statuses with code 202 (invalid value) on
// the field's name, whose message reads "<field>: <rule>: <detail>", the
// rule being "type", "enum", "minLength", "maxLength", "minimum",
// "maximum" or "pattern"; so REST answers 400 with {"field": ...} and the
// native protocol 202 with the same message.
//
// Patterns use RE2 (linear time, bounded memory, no backtracking), so a
// template's author cannot make every write of a record slow.
#ifndef QILIAN_IDENT_TEMPLATE_FIELD_CHECK_H_
#define QILIAN_IDENT_TEMPLATE_FIELD_CHECK_H_

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "ident/template/template.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace qilian::ident::templates {

// Memory RE2 may use for one compiled pattern.
inline constexpr int64_t kMaxPatternMemory = 1 << 20;

// Whether `pattern` compiles within the bounds; the error names RE2's
// complaint ("missing ): ...").
absl::Status CheckPattern(std::string_view pattern);

// A template with its patterns compiled once, shared by every check of
// records under it. Immutable, so safe to use from several threads.
class CompiledTemplate {
 public:
  // `tmpl` must have passed the parser (template_json.h): its patterns
  // compile.
  explicit CompiledTemplate(Template tmpl);
  ~CompiledTemplate();
  CompiledTemplate(const CompiledTemplate&) = delete;
  CompiledTemplate& operator=(const CompiledTemplate&) = delete;

  const Template& get() const { return template_; }

  // Checks `text` as the value of the field at position `field_index` of
  // get().fields.
  absl::Status CheckValue(size_t field_index, std::string_view text) const;

 private:
  Template template_;
  std::vector<std::unique_ptr<re2::RE2>> patterns_;  // per field, null without one
};

// Each type's syntax on its own (used by CheckValue, and by tests).
bool IsIntegerText(std::string_view text, int64_t* value);
bool IsDecimalText(std::string_view text, double* value);
bool IsDateTimeText(std::string_view text);
bool IsUrlText(std::string_view text);
bool IsGeoPointText(std::string_view text);

}  // namespace qilian::ident::templates

#endif  // QILIAN_IDENT_TEMPLATE_FIELD_CHECK_H_
