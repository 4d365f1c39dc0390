// Errors that name the input field at fault, so that a REST client (and a
// person reading the CLI's message) learns which field to fix.
//
// A field error is an ordinary Handle error Status (ident/response_code.h)
// whose message starts with "<field>: " and which carries the field name
// as a payload, so that the REST edge can add {"field": ...} to its body
// without parsing messages. Field names are the REST API's JSON names
// ("creditCode", "contact.email").
#ifndef QILIAN_TENANT_FIELD_ERROR_H_
#define QILIAN_TENANT_FIELD_ERROR_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "ident/response_code.h"

namespace qilian::tenant {

// The JSON names of the enterprise fields.
namespace field {
inline constexpr std::string_view kName = "name";
inline constexpr std::string_view kCreditCode = "creditCode";
inline constexpr std::string_view kIndustry = "industry";
inline constexpr std::string_view kRegion = "region";
inline constexpr std::string_view kContact = "contact";
inline constexpr std::string_view kContactName = "contact.name";
inline constexpr std::string_view kContactPhone = "contact.phone";
inline constexpr std::string_view kContactEmail = "contact.email";
}  // namespace field

// "<field>: <problem>" with `code` (default 202, invalid value) and the
// field attached.
absl::Status FieldError(std::string_view field, std::string_view problem,
                        ident::ResponseCode code = ident::ResponseCode::kInvalidValue);

// `text` for quoting in a message, cut to at most 64 bytes (at a UTF-8
// character boundary, then "...") so that a huge field cannot make a huge
// error. Client bytes in a message are safe: they leave as an escaped JSON
// string or as CLI output.
std::string Excerpt(std::string_view text);

// Whether `text` is empty or only spaces, tabs and line breaks.
bool IsBlankText(std::string_view text);

// Checks a display text (a name, a description): not blank ("is
// required"), valid UTF-8, no control character, at most `max_chars`
// characters (code points); each a FieldError on `field`.
absl::Status CheckDisplayText(std::string_view field, std::string_view text, size_t max_chars);

// The field a FieldError names; nullopt for any other Status.
std::optional<std::string> FieldOf(const absl::Status& status);

}  // namespace qilian::tenant

#endif  // QILIAN_TENANT_FIELD_ERROR_H_
