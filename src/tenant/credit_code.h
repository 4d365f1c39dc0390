// The unified social credit code (统一社会信用代码) of GB 32100-2015, which
// every enterprise registering at the node presents. 18 characters from a
// 31-symbol alphabet (0-9 and A-Z without I, O, Z, S, V):
//
//   position 1      registration authority (登记管理部门代码): 1-9, A, N, Y
//   position 2      entity type (机构类别代码), allowed values per authority
//   positions 3-8   administrative division (GB/T 2260) of the registrar
//   positions 9-17  organization code (GB 11714), whose 9th character is its
//                   own check character (mod 11: 0-9 or X)
//   position 18     check character: weights 3^i mod 31 over positions
//                   1-17, value 31 - (sum mod 31), 31 meaning 0
//
// The authority and entity-type table is GB 32100-2015 with the amendment
// that added authorities 2-4, 6-8, A and N (foreign affairs, justice,
// culture, tourism, religion, trade unions, the CMC, agriculture).
// Validation is strict: lower-case letters are refused, not folded, so the
// stored code is the one printed on the business licence.
#ifndef QILIAN_TENANT_CREDIT_CODE_H_
#define QILIAN_TENANT_CREDIT_CODE_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace qilian::tenant {

inline constexpr size_t kCreditCodeLength = 18;
// The alphabet in value order: the value of a character is its position.
inline constexpr std::string_view kCreditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// The check character (position 18) for the first 17 characters of a code,
// or '\0' if `first17` is not 17 characters of the alphabet.
char CreditCodeCheckCharacter(std::string_view first17);

// The GB 11714 check character (0-9 or X) for the 8-character body of an
// organization code, or '\0' if the body is not 8 digits or capital
// letters.
char OrganizationCodeCheckCharacter(std::string_view body8);

// The problem with `code`, or nullopt if it is valid. Checked in this order
// and reported with these messages (N is a 1-based position):
//   "must be 18 characters, got N"
//   "character at position N is not ASCII"
//   "character 'c' at position N is not allowed (0-9 and A-Z except I, O,
//    Z, S, V)"
//   "registration authority code 'c' (position 1) is not one of 1-9, A, N, Y"
//   "entity type code 'c' (position 2) is not valid for registration
//    authority 'a' (allowed: 1, 2, 9)"
//   "administrative division code 'DDDDDD' (positions 3-8) has province
//    'PP', not a GB/T 2260 province"
//   "organization code 'OOOOOOOOO' (positions 9-17) has check character
//    'c', expected 'e'"
//   "check character is 'c', expected 'e'"
std::optional<std::string> CreditCodeProblem(std::string_view code);

// A FieldError on field "creditCode" (see field_error.h), or OK.
absl::Status ValidateCreditCode(std::string_view code);

}  // namespace qilian::tenant

#endif  // QILIAN_TENANT_CREDIT_CODE_H_
