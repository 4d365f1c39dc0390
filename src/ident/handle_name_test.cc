#include "ident/handle_name.h"

#include <string>

#include "gtest/gtest.h"
#include "ident/response_code.h"

namespace qilian::ident {
namespace {

// Asserts that parsing `text` fails with code 102 and exactly `message`.
void ExpectInvalid(std::string_view text, std::string_view message) {
  auto parsed = ParseHandle(text);
  ASSERT_FALSE(parsed.ok()) << text;
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ResponseCodeOf(parsed.status()), ResponseCode::kInvalidHandle);
  EXPECT_EQ(std::string(parsed.status().message()), std::string(message)) << text;
}

void ExpectPrefixInvalid(std::string_view prefix, std::string_view message) {
  absl::Status s = ValidatePrefix(prefix);
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kInvalidHandle) << prefix;
  EXPECT_EQ(std::string(s.message()), std::string(message)) << prefix;
}

TEST(HandleNameTest, SplitsAtTheFirstSlash) {
  auto parsed = ParseHandle("88.999.1/PUMP/2024/000123");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->prefix, "88.999.1");
  EXPECT_EQ(parsed->suffix, "PUMP/2024/000123");
  EXPECT_EQ(parsed->full(), "88.999.1/PUMP/2024/000123");
}

TEST(HandleNameTest, AcceptsUtf8AndPrefixHandles) {
  auto cn = ParseHandle("88.999/泵-2024");
  ASSERT_TRUE(cn.ok());
  EXPECT_EQ(cn->suffix, "泵-2024");
  auto na = ParseHandle("0.NA/88.999");
  ASSERT_TRUE(na.ok());
  EXPECT_EQ(na->prefix, "0.NA");
  EXPECT_EQ(na->suffix, "88.999");
  EXPECT_TRUE(ParseHandle("88.999/\xF0\x9F\x98\x80").ok());  // U+1F600, 4 bytes
}

TEST(HandleNameTest, RejectsInvalidUtf8) {
  ExpectInvalid("88.999/\xff", "handle is not valid UTF-8");
  ExpectInvalid("88.999/\xc3", "handle is not valid UTF-8");           // truncated
  ExpectInvalid("88.999/\x80x", "handle is not valid UTF-8");          // lone continuation
  ExpectInvalid("88.999/\xc0\xaf", "handle is not valid UTF-8");       // overlong '/'
  ExpectInvalid("88.999/\xe0\x80\xaf", "handle is not valid UTF-8");   // overlong, 3 bytes
  ExpectInvalid("88.999/\xf0\x80\x80\xaf", "handle is not valid UTF-8");  // overlong, 4 bytes
  ExpectInvalid("88.999/\xed\xa0\x80", "handle is not valid UTF-8");   // surrogate D800
  ExpectInvalid("88.999/\xf4\x90\x80\x80", "handle is not valid UTF-8");  // above U+10FFFF
}

TEST(HandleNameTest, RejectsControlCharacters) {
  ExpectInvalid(std::string_view("88.999/a\0b", 10), "handle contains a control character");
  ExpectInvalid("88.999/a\nb", "handle contains a control character");
  ExpectInvalid("88.999/a\x1f", "handle contains a control character");
  ExpectInvalid("88.999/a\x7f", "handle contains a control character");  // DEL
  ExpectInvalid("88.999/a\xc2\x85", "handle contains a control character");  // NEL, C1
  ExpectInvalid("88.999/a\xc2\x9f", "handle contains a control character");
  EXPECT_TRUE(ParseHandle("88.999/a\xc2\xa0").ok());  // NBSP is printable
}

TEST(HandleNameTest, RejectsStructuralProblems) {
  ExpectInvalid("88.999", "handle has no '/' between prefix and suffix");
  ExpectInvalid("", "handle has no '/' between prefix and suffix");
  ExpectInvalid("/abc", "prefix is empty");
  ExpectInvalid("88.999/", "suffix is empty");
  ExpectInvalid(".88/abc", "prefix has an empty segment");
  ExpectInvalid("88./abc", "prefix has an empty segment");
  ExpectInvalid("88..999/abc", "prefix has an empty segment");
}

TEST(HandleNameTest, LengthLimits) {
  std::string prefix(255, '9');
  EXPECT_TRUE(ParseHandle(prefix + "/x").ok());
  ExpectInvalid(prefix + "9/x", "prefix is longer than 255 bytes");
  std::string max = "88/" + std::string(1024 - 3, 'a');
  ASSERT_EQ(max.size(), 1024u);
  EXPECT_TRUE(ParseHandle(max).ok());
  ExpectInvalid(max + "a", "handle is longer than 1024 bytes");
}

TEST(HandleNameTest, ValidatePrefix) {
  EXPECT_TRUE(ValidatePrefix("88.999").ok());
  EXPECT_TRUE(ValidatePrefix("0.NA").ok());
  ExpectPrefixInvalid("", "prefix is empty");
  ExpectPrefixInvalid("88.999/x", "prefix contains '/'");
  ExpectPrefixInvalid("88..1", "prefix has an empty segment");
  ExpectPrefixInvalid("88.", "prefix has an empty segment");
  ExpectPrefixInvalid(std::string(256, '8'), "prefix is longer than 255 bytes");
  ExpectPrefixInvalid("88\xff", "prefix is not valid UTF-8");
  ExpectPrefixInvalid("88\t", "prefix contains a control character");
}

TEST(HandleNameTest, FoldingIsAsciiUpperCaseOnly) {
  EXPECT_EQ(FoldPrefix("0.na"), "0.NA");
  EXPECT_EQ(FoldPrefix("88.abc.Z"), "88.ABC.Z");
  EXPECT_EQ(FoldPrefix("88.ä"), "88.ä");  // non-ASCII is kept exactly
  HandleName name{"88.abc", "Pump-x"};
  EXPECT_EQ(StorageKey(name, false), "88.ABC/PUMP-X");
  EXPECT_EQ(StorageKey(name, true), "88.ABC/Pump-x");
}

TEST(HandleNameTest, PrefixIsUnder) {
  EXPECT_TRUE(PrefixIsUnder("88.999", "88.999"));
  EXPECT_TRUE(PrefixIsUnder("88.999.1", "88.999"));
  EXPECT_TRUE(PrefixIsUnder("88.999.1.2", "88.999"));
  EXPECT_TRUE(PrefixIsUnder("0.na", "0.NA"));
  EXPECT_TRUE(PrefixIsUnder("88.ABC.1", "88.abc"));
  EXPECT_FALSE(PrefixIsUnder("88.9991", "88.999"));
  EXPECT_FALSE(PrefixIsUnder("88.99", "88.999"));
  EXPECT_FALSE(PrefixIsUnder("88", "88.999"));
  EXPECT_FALSE(PrefixIsUnder("88.999", ""));
}

TEST(HandleNameTest, Utf8Helpers) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("\xe4\xb8\xad"));  // 中
  EXPECT_TRUE(IsValidUtf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xc1\xbf"));
  EXPECT_FALSE(IsValidUtf8("\xed\xbf\xbf"));  // DFFF surrogate
  EXPECT_FALSE(IsValidUtf8("\xf5\x80\x80\x80"));
  EXPECT_FALSE(HasControlCharacter("abc \xc2\xa0"));
  EXPECT_TRUE(HasControlCharacter("\xc2\x80"));
}

}  // namespace
}  // namespace qilian::ident
