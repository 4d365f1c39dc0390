// The RecordValidator of identifier data templates (docs/templates.md
// "Records under a template"): a record whose index 1000 holds a TEMPLATE
// value "<name>@<version>" must satisfy that version of the template
// defined under the record's own prefix. Installed in RegistryOptions, so
// REST and the native protocol refuse the same writes with the same
// message (REST 400 with {"field": ...}, native 202 INVALID VALUE).
//
// Checks, in this order (each a tenant::FieldError, code 202, message
// "<field>: <rule>: <detail>"):
//   - TEMPLATE values: only at index 1000, and index 1000 holds nothing
//     else (field "template", rule "index"); the reference parses and the
//     version exists (field "template", rule "reference");
//   - values in index order: at index 2000 and above, a value's type names
//     a field (rule "unknownField"), each field once (rule "duplicate"); a
//     field's value below 2000 is refused (rule "index"); each field value
//     satisfies its type and limits (field_check.h);
//   - then, in the template's field order, each required field is present
//     (rule "required").
// A private field's value is stored without public read, whatever the
// write asked. Records without a value at index 1000 are not checked.
#ifndef QILIAN_IDENT_TEMPLATE_RECORD_CHECK_H_
#define QILIAN_IDENT_TEMPLATE_RECORD_CHECK_H_

#include "ident/record_validator.h"
#include "ident/template/template_store.h"

namespace qilian::ident::templates {

class TemplateRecordCheck final : public RecordValidator {
 public:
  // `store` must outlive this object.
  explicit TemplateRecordCheck(const TemplateStore* store) : store_(store) {}
  absl::Status Check(std::string_view handle, std::vector<HandleValue>* values) const override;

 private:
  const TemplateStore* store_;
};

}  // namespace qilian::ident::templates

#endif  // QILIAN_IDENT_TEMPLATE_RECORD_CHECK_H_
