#include "tenant/credit_code.h"

#include <array>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "tenant/field_error.h"
#include "tenant/region.h"

namespace qilian::tenant {
namespace {

// 3^i mod 31 for positions 1-17 (GB 32100-2015 section 5).
constexpr std::array<int, 17> kCreditWeights = {1,  3,  9,  27, 19, 26, 16, 17, 20,
                                                29, 25, 13, 8,  24, 10, 30, 28};
// GB 11714-1997 weights for the 8 body characters of an organization code.
constexpr std::array<int, 8> kOrganizationWeights = {3, 7, 9, 10, 5, 8, 4, 2};

struct Authority {
  char code;
  std::string_view entity_types;  // allowed position-2 characters
};

// GB 32100-2015 table 1 with its amendment (see the header).
constexpr std::array<Authority, 12> kAuthorities = {{
    {'1', "1239"},    // 机构编制: 机关, 事业单位, 群众团体, 其他
    {'2', "19"},      // 外交: 外国常驻新闻机构, 其他
    {'3', "123459"},  // 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    {'4', "19"},      // 文化: 外国在华文化中心, 其他
    {'5', "1239"},    // 民政: 社会团体, 民办非企业单位, 基金会, 其他
    {'6', "129"},     // 旅游: 外国及港澳台旅游部门常驻代表机构, 其他
    {'7', "129"},     // 宗教: 宗教活动场所, 宗教院校, 其他
    {'8', "19"},      // 工会: 基层工会, 其他
    {'9', "123"},     // 工商 (市场监管): 企业, 个体工商户, 农民专业合作社
    {'A', "19"},      // 中央军委改革和编制办公室: 军队事业单位, 其他
    {'N', "1239"},    // 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    {'Y', "1"},       // 其他
}};

int AlphabetValue(char c) {
  size_t pos = kCreditCodeAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

// GB 11714 values: digits are themselves, A-Z are 10-35.
int OrganizationValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
  return -1;
}

std::string AllowedList(std::string_view chars) {
  std::string out;
  for (char c : chars) {
    if (!out.empty()) out += ", ";
    out.push_back(c);
  }
  return out;
}

}  // namespace

char CreditCodeCheckCharacter(std::string_view first17) {
  if (first17.size() != kCreditWeights.size()) return '\0';
  int sum = 0;
  for (size_t i = 0; i < first17.size(); ++i) {
    int v = AlphabetValue(first17[i]);
    if (v < 0) return '\0';
    sum += v * kCreditWeights[i];
  }
  int check = 31 - sum % 31;
  return kCreditCodeAlphabet[check == 31 ? 0 : check];
}

char OrganizationCodeCheckCharacter(std::string_view body8) {
  if (body8.size() != kOrganizationWeights.size()) return '\0';
  int sum = 0;
  for (size_t i = 0; i < body8.size(); ++i) {
    int v = OrganizationValue(body8[i]);
    if (v < 0) return '\0';
    sum += v * kOrganizationWeights[i];
  }
  int check = 11 - sum % 11;
  if (check == 10) return 'X';
  if (check == 11) return '0';
  return static_cast<char>('0' + check);
}

std::optional<std::string> CreditCodeProblem(std::string_view code) {
  // Length in characters, so that a code typed with a full-width or CJK
  // character is reported by position rather than as a wrong length.
  size_t chars = 0;
  for (char c : code) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars != kCreditCodeLength) {
    return absl::StrCat("must be ", kCreditCodeLength, " characters, got ", chars);
  }
  size_t position = 0;
  for (char c : code) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xC0) == 0x80) continue;
    ++position;
    if (byte >= 0x80) return absl::StrCat("character at position ", position, " is not ASCII");
    if (AlphabetValue(c) < 0) {
      std::string shown = byte >= 0x21 && byte <= 0x7e ? std::string(1, c)
                                                       : absl::StrCat("\\x", absl::Hex(byte, absl::kZeroPad2));
      return absl::StrCat("character '", shown, "' at position ", position,
                          " is not allowed (0-9 and A-Z except I, O, Z, S, V)");
    }
  }
  // From here the code is 18 ASCII characters of the alphabet.
  const Authority* authority = nullptr;
  for (const Authority& a : kAuthorities) {
    if (a.code == code[0]) authority = &a;
  }
  if (authority == nullptr) {
    return absl::StrCat("registration authority code '", std::string(1, code[0]),
                        "' (position 1) is not one of 1-9, A, N, Y");
  }
  if (authority->entity_types.find(code[1]) == std::string_view::npos) {
    return absl::StrCat("entity type code '", std::string(1, code[1]),
                        "' (position 2) is not valid for registration authority '",
                        std::string(1, code[0]),
                        "' (allowed: ", AllowedList(authority->entity_types), ")");
  }
  std::string_view division = code.substr(2, 6);
  for (char c : division) {
    if (c < '0' || c > '9') {
      return absl::StrCat("administrative division code '", std::string(division),
                          "' (positions 3-8) must be 6 digits");
    }
  }
  int province = (division[0] - '0') * 10 + (division[1] - '0');
  if (!IsProvinceCode(province)) {
    return absl::StrCat("administrative division code '", std::string(division),
                        "' (positions 3-8) has province '", std::string(division.substr(0, 2)),
                        "', not a GB/T 2260 province");
  }
  std::string_view organization = code.substr(8, 9);
  char organization_check = OrganizationCodeCheckCharacter(organization.substr(0, 8));
  if (organization[8] != organization_check) {
    return absl::StrCat("organization code '", std::string(organization),
                        "' (positions 9-17) has check character '",
                        std::string(1, organization[8]), "', expected '",
                        std::string(1, organization_check), "'");
  }
  char check = CreditCodeCheckCharacter(code.substr(0, 17));
  if (code[17] != check) {
    return absl::StrCat("check character is '", std::string(1, code[17]), "', expected '",
                        std::string(1, check), "'");
  }
  return std::nullopt;
}

absl::Status ValidateCreditCode(std::string_view code) {
  if (auto problem = CreditCodeProblem(code)) return FieldError(field::kCreditCode, *problem);
  return absl::OkStatus();
}

}  // namespace qilian::tenant
