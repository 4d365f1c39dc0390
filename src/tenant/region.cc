#include "tenant/region.h"

#include "absl/strings/str_cat.h"
#include "tenant/field_error.h"

namespace qilian::tenant {

bool IsProvinceCode(int p) {
  return (p >= 11 && p <= 15) || (p >= 21 && p <= 23) || (p >= 31 && p <= 37) ||
         (p >= 41 && p <= 46) || (p >= 50 && p <= 54) || (p >= 61 && p <= 65) || p == 71 ||
         p == 81 || p == 82;
}

std::optional<std::string> RegionProblem(std::string_view code) {
  bool digits = code.size() == kRegionCodeLength;
  for (char c : code) digits = digits && c >= '0' && c <= '9';
  if (!digits) {
    return absl::StrCat("must be a 6-digit GB/T 2260 administrative division code, got '",
                        Excerpt(code), "'");
  }
  int province = (code[0] - '0') * 10 + (code[1] - '0');
  if (!IsProvinceCode(province)) {
    return absl::StrCat("province code '", std::string(code.substr(0, 2)), "' of '",
                        std::string(code), "' is not a GB/T 2260 province");
  }
  return std::nullopt;
}

absl::Status ValidateRegion(std::string_view code) {
  if (auto problem = RegionProblem(code)) return FieldError(field::kRegion, *problem);
  return absl::OkStatus();
}

}  // namespace qilian::tenant
