#include "tenant/industry.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "tenant/field_error.h"

namespace qilian::tenant {
namespace {

// GB/T 4754-2017 section 5, table of sections and divisions. The division
// ranges are contiguous and together cover 01-97.
constexpr std::array<IndustrySection, 20> kSections = {{
    {'A', 1, 5, "农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"},
    {'B', 6, 12, "采矿业", "Mining"},
    {'C', 13, 43, "制造业", "Manufacturing"},
    {'D', 44, 46, "电力、热力、燃气及水生产和供应业",
     "Production and supply of electricity, heat, gas and water"},
    {'E', 47, 50, "建筑业", "Construction"},
    {'F', 51, 52, "批发和零售业", "Wholesale and retail trade"},
    {'G', 53, 60, "交通运输、仓储和邮政业", "Transport, storage and postal services"},
    {'H', 61, 62, "住宿和餐饮业", "Accommodation and catering"},
    {'I', 63, 65, "信息传输、软件和信息技术服务业",
     "Information transmission, software and information technology services"},
    {'J', 66, 69, "金融业", "Finance"},
    {'K', 70, 70, "房地产业", "Real estate"},
    {'L', 71, 72, "租赁和商务服务业", "Leasing and business services"},
    {'M', 73, 75, "科学研究和技术服务业", "Scientific research and technical services"},
    {'N', 76, 79, "水利、环境和公共设施管理业",
     "Management of water conservancy, environment and public facilities"},
    {'O', 80, 82, "居民服务、修理和其他服务业", "Resident services, repair and other services"},
    {'P', 83, 83, "教育", "Education"},
    {'Q', 84, 85, "卫生和社会工作", "Health and social work"},
    {'R', 86, 90, "文化、体育和娱乐业", "Culture, sports and entertainment"},
    {'S', 91, 96, "公共管理、社会保障和社会组织",
     "Public administration, social security and social organizations"},
    {'T', 97, 97, "国际组织", "International organizations"},
}};

absl::Status Bad(std::string_view problem) { return FieldError(field::kIndustry, problem); }

}  // namespace

std::span<const IndustrySection> IndustrySections() { return kSections; }

const IndustrySection* FindSection(char letter) {
  for (const IndustrySection& s : kSections) {
    if (s.letter == letter) return &s;
  }
  return nullptr;
}

const IndustrySection* SectionOfDivision(int division) {
  for (const IndustrySection& s : kSections) {
    if (division >= s.first_division && division <= s.last_division) return &s;
  }
  return nullptr;
}

absl::StatusOr<IndustryClass> ParseIndustry(std::string_view text) {
  auto shape_error = [&] {
    return Bad(absl::StrCat(
        "must be a GB/T 4754-2017 section letter A-T or a 2-, 3- or 4-digit code, got '",
        Excerpt(text), "'"));
  };
  if (text.empty()) return shape_error();
  std::string_view digits = text;
  const IndustrySection* written_section = nullptr;
  if (text[0] >= 'A' && text[0] <= 'Z') {
    written_section = FindSection(text[0]);
    if (written_section == nullptr) {
      if (text.size() == 1) {
        return Bad(absl::StrCat("'", std::string(text), "' is not a GB/T 4754-2017 section (A-T)"));
      }
      return shape_error();
    }
    if (text.size() == 1) return IndustryClass{std::string(text), written_section};
    digits = text.substr(1);
  }
  if (digits.size() < 2 || digits.size() > 4) return shape_error();
  for (char c : digits) {
    if (c < '0' || c > '9') return shape_error();
  }
  int division = (digits[0] - '0') * 10 + (digits[1] - '0');
  const IndustrySection* section = SectionOfDivision(division);
  if (section == nullptr) {
    return Bad(absl::StrCat("division '", std::string(digits.substr(0, 2)), "' of '",
                            std::string(text), "' is not a GB/T 4754-2017 division"));
  }
  if (written_section != nullptr && written_section != section) {
    return Bad(absl::StrCat("division '", std::string(digits.substr(0, 2)),
                            "' belongs to section ", std::string(1, section->letter), ", not ",
                            std::string(1, written_section->letter)));
  }
  return IndustryClass{std::string(digits), section};
}

}  // namespace qilian::tenant
