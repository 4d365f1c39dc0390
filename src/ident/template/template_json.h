// The JSON form of templates (docs/templates.md "Format"): a strict parser
// with field-path errors and a canonical encoder. Pure functions, no I/O,
// no exceptions.
//
// Every error is a tenant::FieldError (code 202) on the path of the
// offending member, e.g. "fields[2].limits.pattern: is not a valid RE2
// pattern: missing ): (a", so REST answers 400 with {"field": ...}.
// Unknown members are refused; limits are template.h's constants.
#ifndef QILIAN_IDENT_TEMPLATE_TEMPLATE_JSON_H_
#define QILIAN_IDENT_TEMPLATE_TEMPLATE_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ident/template/template.h"
#include "nlohmann/json.hpp"

namespace qilian::ident::templates {

// Largest template document accepted (body or stored), and its nesting.
inline constexpr size_t kMaxTemplateBytes = 256 * 1024;
inline constexpr size_t kMaxTemplateNesting = 6;

enum class JsonSource {
  kRequest,  // a client's body: prefix, timestamps and reference refused
  kStored,   // the store's own encoding: prefix and timestamps required
};

// Parses text without exceptions, bounded in size and nesting (checked
// before the DOM is built); errors on field "body".
absl::StatusOr<nlohmann::ordered_json> ParseTemplateText(std::string_view text);

absl::StatusOr<Template> TemplateFromJson(const nlohmann::ordered_json& json,
                                          JsonSource source = JsonSource::kRequest);

// The canonical form: every member written, "reference" added.
// TemplateFromJson(TemplateToJson(t), kStored) == t.
nlohmann::ordered_json TemplateToJson(const Template& tmpl);

}  // namespace qilian::ident::templates

#endif  // QILIAN_IDENT_TEMPLATE_TEMPLATE_JSON_H_
