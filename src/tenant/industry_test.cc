#include "tenant/industry.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "tenant/field_error.h"
#include "tenant/region.h"

namespace qilian::tenant {
namespace {

TEST(IndustryTest, SectionsCoverTheDivisionsInOrder) {
  auto sections = IndustrySections();
  ASSERT_EQ(sections.size(), 20u);
  int next = 1;
  char letter = 'A';
  for (const IndustrySection& s : sections) {
    EXPECT_EQ(s.letter, letter++);
    EXPECT_EQ(s.first_division, next);
    EXPECT_LE(s.first_division, s.last_division);
    next = s.last_division + 1;
  }
  EXPECT_EQ(next, 98);  // 97 divisions
  EXPECT_EQ(SectionOfDivision(0), nullptr);
  EXPECT_EQ(SectionOfDivision(98), nullptr);
  EXPECT_EQ(SectionOfDivision(13)->letter, 'C');
  EXPECT_EQ(SectionOfDivision(43)->letter, 'C');
  EXPECT_EQ(SectionOfDivision(44)->letter, 'D');
  EXPECT_EQ(SectionOfDivision(70)->letter, 'K');
  EXPECT_EQ(SectionOfDivision(97)->letter, 'T');
  EXPECT_EQ(FindSection('C')->name_zh, "制造业");
  EXPECT_EQ(FindSection('C')->name_en, "Manufacturing");
  EXPECT_EQ(FindSection('U'), nullptr);
}

TEST(IndustryTest, ParsesEachLevel) {
  struct Case {
    const char* text;
    const char* code;
    char section;
  };
  const Case cases[] = {
      {"C", "C", 'C'},     {"T", "T", 'T'},       {"01", "01", 'A'},   {"13", "13", 'C'},
      {"131", "131", 'C'}, {"1311", "1311", 'C'}, {"C1311", "1311", 'C'}, {"I65", "65", 'I'},
      {"97", "97", 'T'},   {"6513", "6513", 'I'},
  };
  for (const Case& c : cases) {
    auto parsed = ParseIndustry(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status();
    EXPECT_EQ(parsed->code, c.code) << c.text;
    EXPECT_EQ(parsed->section->letter, c.section) << c.text;
  }
}

TEST(IndustryTest, NamesEachProblem) {
  const std::string shape =
      "industry: must be a GB/T 4754-2017 section letter A-T or a 2-, 3- or 4-digit code, got ";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"", shape + "''"},
      {"1", shape + "'1'"},
      {"13111", shape + "'13111'"},
      {"c", shape + "'c'"},
      {"1a", shape + "'1a'"},
      {"C-13", shape + "'C-13'"},
      {"U", "industry: 'U' is not a GB/T 4754-2017 section (A-T)"},
      {"00", "industry: division '00' of '00' is not a GB/T 4754-2017 division"},
      {"98", "industry: division '98' of '98' is not a GB/T 4754-2017 division"},
      {"9911", "industry: division '99' of '9911' is not a GB/T 4754-2017 division"},
      {"A1311", "industry: division '13' belongs to section C, not A"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseIndustry(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().message(), c.message) << c.text;
    EXPECT_EQ(FieldOf(parsed.status()), "industry");
    EXPECT_EQ(ident::ResponseCodeOf(parsed.status()), ident::ResponseCode::kInvalidValue);
  }
}

TEST(RegionTest, AcceptsProvinceLevelCodes) {
  for (const char* code : {"110000", "150000", "620100", "620102", "710000", "810000", "820000",
                           "650000", "540000"}) {
    EXPECT_TRUE(ValidateRegion(code).ok()) << code;
  }
  for (int p : {10, 16, 20, 24, 30, 38, 40, 47, 49, 55, 60, 66, 70, 72, 80, 83, 99}) {
    EXPECT_FALSE(IsProvinceCode(p)) << p;
  }
}

TEST(RegionTest, NamesEachProblem) {
  const std::string shape =
      "region: must be a 6-digit GB/T 2260 administrative division code, got ";
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"", shape + "''"},
      {"62010", shape + "'62010'"},
      {"6201000", shape + "'6201000'"},
      {"62O100", shape + "'62O100'"},
      {"兰州", shape + "'兰州'"},
      {"990000", "region: province code '99' of '990000' is not a GB/T 2260 province"},
      {"000000", "region: province code '00' of '000000' is not a GB/T 2260 province"},
  };
  for (const Case& c : cases) {
    absl::Status s = ValidateRegion(c.text);
    EXPECT_EQ(s.message(), c.message) << c.text;
    EXPECT_EQ(FieldOf(s), "region");
  }
}

TEST(FieldErrorTest, ExcerptCutsAtACharacterBoundary) {
  EXPECT_EQ(Excerpt("short"), "short");
  std::string long_ascii(100, 'a');
  EXPECT_EQ(Excerpt(long_ascii), std::string(64, 'a') + "...");
  // 63 ASCII bytes then a 3-byte character straddling byte 64.
  std::string straddle = std::string(63, 'a') + "\xE5\x85\xB0" + "tail";
  EXPECT_EQ(Excerpt(straddle), std::string(63, 'a') + "...");
}

}  // namespace
}  // namespace qilian::tenant
