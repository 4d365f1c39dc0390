#include "ident/template/record_check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/response_code.h"
#include "tenant/field_error.h"

namespace qilian::ident::templates {
namespace {

constexpr std::string_view kRefField = "template";

absl::Status Violation(std::string_view field, std::string_view rule, std::string_view detail) {
  return tenant::FieldError(field, absl::StrCat(std::string(rule), ": ", std::string(detail)));
}

// Position of the field named `type` in `t`, or -1.
int FieldPosition(const Template& t, std::string_view type) {
  for (size_t i = 0; i < t.fields.size(); ++i) {
    if (t.fields[i].name == type) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

absl::Status TemplateRecordCheck::Check(std::string_view handle,
                                        std::vector<HandleValue>* values) const {
  const HandleValue* ref = nullptr;
  for (const HandleValue& v : *values) {
    const bool is_ref_type = v.type == kTemplateRefType;
    if (v.index == kTemplateRefIndex && !is_ref_type) {
      return Violation(kRefField, "index",
                       absl::StrCat("index ", kTemplateRefIndex,
                                    " is reserved for the template reference (type ",
                                    std::string(kTemplateRefType), "), not '", tenant::Excerpt(v.type), "'"));
    }
    if (is_ref_type && v.index != kTemplateRefIndex) {
      return Violation(kRefField, "index",
                       absl::StrCat("the template reference belongs at index ", kTemplateRefIndex,
                                    ", not ", v.index));
    }
    if (is_ref_type) ref = &v;
  }
  if (ref == nullptr) return absl::OkStatus();

  std::optional<TemplateRef> parsed = ParseTemplateRef(ref->data);
  if (!parsed) {
    return Violation(kRefField, "reference",
                     absl::StrCat("'", tenant::Excerpt(ref->data),
                                  "' is not a reference <name>@<version>"));
  }
  QL_ASSIGN_OR_RETURN(HandleName name, ParseHandle(handle));
  absl::StatusOr<std::shared_ptr<const CompiledTemplate>> compiled =
      store_->Compiled(name.prefix, parsed->name, parsed->version);
  if (!compiled.ok()) {
    if (ResponseCodeOf(compiled.status()) != ResponseCode::kHandleNotFound) {
      return compiled.status();
    }
    return Violation(kRefField, "reference",
                     absl::StrCat("template '", parsed->name, "' version ", parsed->version,
                                  " does not exist under prefix '", name.prefix, "'"));
  }
  const Template& t = (*compiled)->get();

  std::vector<uint32_t> seen_at(t.fields.size(), 0);
  for (HandleValue& v : *values) {
    if (v.index == kTemplateRefIndex) continue;
    const int pos = FieldPosition(t, v.type);
    if (v.index < kFirstFieldIndex) {
      if (pos >= 0) {
        return Violation(v.type, "index",
                         absl::StrCat("template fields belong at index ", kFirstFieldIndex,
                                      " and above, not ", v.index));
      }
      continue;  // an ordinary value (URL, HS_ADMIN ...) beside the fields
    }
    if (pos < 0) {
      return Violation(tenant::Excerpt(v.type), "unknownField",
                       absl::StrCat("the value at index ", v.index, " is not a field of template '",
                                    TemplateRefText(t.name, t.version), "'"));
    }
    const Field& field = t.fields[pos];
    if (seen_at[pos] != 0) {
      return Violation(field.name, "duplicate",
                       absl::StrCat("the field has values at indexes ", seen_at[pos], " and ",
                                    v.index));
    }
    seen_at[pos] = v.index;
    QL_RETURN_IF_ERROR((*compiled)->CheckValue(static_cast<size_t>(pos), v.data));
    if (!field.is_public) v.permissions &= static_cast<uint8_t>(~kPermPublicRead);
  }
  for (size_t i = 0; i < t.fields.size(); ++i) {
    if (t.fields[i].required && seen_at[i] == 0) {
      return Violation(t.fields[i].name, "required",
                       absl::StrCat("template '", TemplateRefText(t.name, t.version),
                                    "' requires this field"));
    }
  }
  return absl::OkStatus();
}

}  // namespace qilian::ident::templates
