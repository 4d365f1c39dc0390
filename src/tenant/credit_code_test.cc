#include "tenant/credit_code.h"

#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "tenant/field_error.h"

namespace qilian::tenant {
namespace {

// Valid codes. The first is the example of GB 32100-2015; the others were
// built here and their check characters computed by hand from the
// standard's two algorithms (also by an independent Python script).
constexpr const char* kValid[] = {
    "91350100M000100Y43",  // standard's example
    "916201007100000135",  // enterprise, Lanzhou
    "91620102712345672E",
    "1262000043800011XY",  // public institution; organization check 'X'
    "5162000050000012XJ",  // social group; organization check 'X'
    "Y1620000ABCDEFGH57",  // other authority
    "92620100L00000003J",  // individual business
    "93620100MA0000015N",  // farmers' cooperative
    "916201000000004490",  // final check value 31, written '0'
};

TEST(CreditCodeTest, AcceptsValidCodes) {
  for (const char* code : kValid) {
    EXPECT_EQ(CreditCodeProblem(code), std::nullopt) << code;
    EXPECT_TRUE(ValidateCreditCode(code).ok()) << code;
  }
}

TEST(CreditCodeTest, CheckCharacters) {
  EXPECT_EQ(CreditCodeCheckCharacter("91350100M000100Y4"), '3');
  EXPECT_EQ(CreditCodeCheckCharacter("91620100000000449"), '0');
  EXPECT_EQ(CreditCodeCheckCharacter("1262000043800011X"), 'Y');
  EXPECT_EQ(CreditCodeCheckCharacter("9135010"), '\0');
  EXPECT_EQ(CreditCodeCheckCharacter("91350100M000100I4"), '\0');
  EXPECT_EQ(OrganizationCodeCheckCharacter("M000100Y"), '4');
  EXPECT_EQ(OrganizationCodeCheckCharacter("50000012"), 'X');
  EXPECT_EQ(OrganizationCodeCheckCharacter("71000001"), '3');
  EXPECT_EQ(OrganizationCodeCheckCharacter("7100000"), '\0');
  EXPECT_EQ(OrganizationCodeCheckCharacter("7100000-"), '\0');
}

// Every kind of error, one field broken at a time from a valid code.
TEST(CreditCodeTest, NamesEachProblem) {
  struct Case {
    std::string code;
    std::string message;
  };
  const Case cases[] = {
      {"", "must be 18 characters, got 0"},
      {"91350100M000100Y4", "must be 18 characters, got 17"},
      {"91350100M000100Y433", "must be 18 characters, got 19"},
      {"91350100M000100Y4\xE4\xB8\x80", "character at position 18 is not ASCII"},
      {"91350100M000100I43",
       "character 'I' at position 16 is not allowed (0-9 and A-Z except I, O, Z, S, V)"},
      {"91350100O000100Y43",
       "character 'O' at position 9 is not allowed (0-9 and A-Z except I, O, Z, S, V)"},
      {"91350100m000100Y43",
       "character 'm' at position 9 is not allowed (0-9 and A-Z except I, O, Z, S, V)"},
      {"9135 100M000100Y43",
       "character '\\x20' at position 5 is not allowed (0-9 and A-Z except I, O, Z, S, V)"},
      {std::string("91350100M000100Y4") + '\n',
       "character '\\x0a' at position 18 is not allowed (0-9 and A-Z except I, O, Z, S, V)"},
      {"01350100M000100Y43",
       "registration authority code '0' (position 1) is not one of 1-9, A, N, Y"},
      {"B1350100M000100Y43",
       "registration authority code 'B' (position 1) is not one of 1-9, A, N, Y"},
      {"94350100M000100Y43",
       "entity type code '4' (position 2) is not valid for registration authority '9' "
       "(allowed: 1, 2, 3)"},
      {"Y2350100M000100Y43",
       "entity type code '2' (position 2) is not valid for registration authority 'Y' "
       "(allowed: 1)"},
      {"91A50100M000100Y43",
       "administrative division code 'A50100' (positions 3-8) must be 6 digits"},
      {"91990100M000100Y43",
       "administrative division code '990100' (positions 3-8) has province '99', not a GB/T "
       "2260 province"},
      {"91350100M000100Y53",
       "organization code 'M000100Y5' (positions 9-17) has check character '5', expected '4'"},
      {"91350100M000100Y44", "check character is '4', expected '3'"},
      {"1262000043800011XA", "check character is 'A', expected 'Y'"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(CreditCodeProblem(c.code), c.message) << c.code;
  }
}

TEST(CreditCodeTest, ValidateNamesTheField) {
  absl::Status s = ValidateCreditCode("91350100M000100Y44");
  EXPECT_EQ(ident::ResponseCodeOf(s), ident::ResponseCode::kInvalidValue);
  EXPECT_EQ(s.message(), "creditCode: check character is '4', expected '3'");
  EXPECT_EQ(FieldOf(s), "creditCode");
  EXPECT_EQ(FieldOf(absl::InvalidArgumentError("x")), std::nullopt);
}

// A single changed character anywhere is caught (the point of the check).
TEST(CreditCodeTest, EverySingleSubstitutionIsCaught) {
  const std::string valid = "91620102712345672E";
  for (size_t i = 0; i < valid.size(); ++i) {
    for (char c : kCreditCodeAlphabet) {
      if (c == valid[i]) continue;
      std::string changed = valid;
      changed[i] = c;
      EXPECT_NE(CreditCodeProblem(changed), std::nullopt) << changed;
    }
  }
}

}  // namespace
}  // namespace qilian::tenant
