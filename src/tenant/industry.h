// Industry classes of GB/T 4754-2017 (国民经济行业分类), by which each
// enterprise declares what it does. The standard has four levels: 20
// sections (门类, letters A-T), 97 divisions (大类, 2 digits), groups (中类,
// 3 digits) and classes (小类, 4 digits); a group or class code starts with
// its division's two digits.
//
// The node knows the sections and the division ranges of each section.
// Groups and classes are checked only structurally (their first two digits
// must be a division), since the node carries no copy of the 1,382-class
// table; a group or class that does not exist in the standard but starts
// with a valid division is accepted.
#ifndef QILIAN_TENANT_INDUSTRY_H_
#define QILIAN_TENANT_INDUSTRY_H_

#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace qilian::tenant {

struct IndustrySection {
  char letter;         // 'A'..'T'
  int first_division;  // inclusive, e.g. 13 for C
  int last_division;   // inclusive, e.g. 43 for C
  std::string_view name_zh;
  std::string_view name_en;
};

// The 20 sections in order A..T.
std::span<const IndustrySection> IndustrySections();

// The section `letter` names, or nullptr.
const IndustrySection* FindSection(char letter);

// The section a division (1..97) belongs to, or nullptr if `division` is
// not a GB/T 4754-2017 division.
const IndustrySection* SectionOfDivision(int division);

struct IndustryClass {
  // Canonical form: the section letter alone for a section ("C"), else
  // the digits of the division, group or class ("13", "131", "1311").
  std::string code;
  const IndustrySection* section = nullptr;
};

// Parses an industry code: a section letter ("C"), or a 2-, 3- or 4-digit
// code ("13", "131", "1311"), optionally written after its section letter
// as the standard prints it ("C1311"). Errors are FieldErrors on field
// "industry" (field_error.h) with these messages:
//   "must be a GB/T 4754-2017 section letter A-T or a 2-, 3- or 4-digit
//    code, got 'X'"
//   "'X' is not a GB/T 4754-2017 section (A-T)"
//   "division 'DD' of 'X' is not a GB/T 4754-2017 division"
//   "division 'DD' belongs to section S, not L"
absl::StatusOr<IndustryClass> ParseIndustry(std::string_view text);

}  // namespace qilian::tenant

#endif  // QILIAN_TENANT_INDUSTRY_H_
