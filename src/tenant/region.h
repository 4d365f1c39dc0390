// Administrative division codes of GB/T 2260 (中华人民共和国行政区划代码):
// six digits, province (2), prefecture (2), county (2), e.g. 620100 for
// Lanzhou. The check is structural: six ASCII digits whose province part is
// one GB/T 2260 assigns. Prefecture and county parts are not looked up, as
// the table changes every year and the node has no copy of it.
#ifndef QILIAN_TENANT_REGION_H_
#define QILIAN_TENANT_REGION_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace qilian::tenant {

inline constexpr size_t kRegionCodeLength = 6;

// Whether `province` (0..99) is a GB/T 2260 province-level code: 11-15,
// 21-23, 31-37, 41-46, 50-54, 61-65, 71 (Taiwan), 81, 82 (Hong Kong,
// Macao).
bool IsProvinceCode(int province);

// The problem with `code` as a region, or nullopt if it is valid. Messages:
// "must be a 6-digit GB/T 2260 administrative division code, got 'X'",
// "province code 'PP' of 'X' is not a GB/T 2260 province".
std::optional<std::string> RegionProblem(std::string_view code);

// A FieldError on field "region" (see field_error.h), or OK.
absl::Status ValidateRegion(std::string_view code);

}  // namespace qilian::tenant

#endif  // QILIAN_TENANT_REGION_H_
