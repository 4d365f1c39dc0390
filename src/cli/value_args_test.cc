#include "cli/value_args.h"

#include <gtest/gtest.h>

namespace qilian::cli {
namespace {

using nlohmann::json;

TEST(ParseValueFlagTest, StringValueWithColonsInData) {
  absl::StatusOr<json> v = ParseValueFlag("1:URL:https://example.com:8080/a", std::nullopt);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, json::parse(R"({"index":1,"type":"URL",
      "data":{"format":"string","value":"https://example.com:8080/a"}})"));
}

TEST(ParseValueFlagTest, TtlAndEmptyData) {
  absl::StatusOr<json> v = ParseValueFlag("7:DESC:", 60);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["ttl"], 60);
  EXPECT_EQ((*v)["data"]["value"], "");
}

TEST(ParseValueFlagTest, NonAsciiData) {
  absl::StatusOr<json> v = ParseValueFlag("2:NAME:祁连", std::nullopt);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ((*v)["data"]["value"], "祁连");
}

TEST(ParseValueFlagTest, Malformed) {
  struct Case {
    const char* spec;
    const char* message;
  } cases[] = {
      {"1:URL", "malformed --value \"1:URL\": expected INDEX:TYPE:DATA"},
      {"nocolon", "malformed --value \"nocolon\": expected INDEX:TYPE:DATA"},
      {"0:URL:x", "malformed --value \"0:URL:x\": index must be an integer from 1 to 2147483647"},
      {"2147483648:URL:x",
       "malformed --value \"2147483648:URL:x\": index must be an integer from 1 to 2147483647"},
      {"-1:URL:x", "malformed --value \"-1:URL:x\": index must be an integer from 1 to 2147483647"},
      {"a:URL:x", "malformed --value \"a:URL:x\": index must be an integer from 1 to 2147483647"},
      {"1::x", "malformed --value \"1::x\": empty type"},
      {"1:URL:\xff", "malformed --value: not valid UTF-8"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<json> v = ParseValueFlag(c.spec, std::nullopt);
    ASSERT_FALSE(v.ok()) << c.spec;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(v.status().message(), c.message);
  }
}

TEST(ParseAdminFlagTest, DefaultPermissions) {
  absl::StatusOr<json> v = ParseAdminFlag("100:0.NA/88.999:200", std::nullopt);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(*v, json::parse(R"({"index":100,"type":"HS_ADMIN","data":{"format":"admin",
      "value":{"handle":"0.NA/88.999","index":200,"permissions":"011111110011"}}})"));
}

TEST(ParseAdminFlagTest, BitAndHexPermissionsAndColonInHandle) {
  absl::StatusOr<json> bits = ParseAdminFlag("100:0.NA/88.999:200:111111111111", 5);
  ASSERT_TRUE(bits.ok()) << bits.status();
  EXPECT_EQ((*bits)["data"]["value"]["permissions"], "111111111111");
  EXPECT_EQ((*bits)["ttl"], 5);

  absl::StatusOr<json> hex = ParseAdminFlag("100:0.NA/88.999:300:0x0801", std::nullopt);
  ASSERT_TRUE(hex.ok()) << hex.status();
  EXPECT_EQ((*hex)["data"]["value"]["permissions"], "100000000001");
  EXPECT_EQ((*hex)["data"]["value"]["index"], 300);

  absl::StatusOr<json> colon = ParseAdminFlag("100:88.999/a:b:200", std::nullopt);
  ASSERT_TRUE(colon.ok()) << colon.status();
  EXPECT_EQ((*colon)["data"]["value"]["handle"], "88.999/a:b");
  EXPECT_EQ((*colon)["data"]["value"]["index"], 200);
}

TEST(ParseAdminFlagTest, Malformed) {
  EXPECT_EQ(ParseAdminFlag("100:0.NA/88.999", std::nullopt).status().message(),
            "malformed --admin \"100:0.NA/88.999\": expected "
            "INDEX:HANDLE:ADMIN_INDEX[:PERMISSIONS]");
  EXPECT_EQ(ParseAdminFlag("100:0.NA/88.999:x", std::nullopt).status().message(),
            "malformed --admin \"100:0.NA/88.999:x\": admin index must be an integer from 1 "
            "to 2147483647");
  EXPECT_EQ(ParseAdminFlag("100:0.NA/88.999:200:0x1000", std::nullopt).status().message(),
            "malformed --admin \"100:0.NA/88.999:200:0x1000\": permissions must be 12 "
            "characters of 0/1 or a hex mask up to 0x0fff");
  EXPECT_EQ(ParseAdminFlag("100::200", std::nullopt).status().message(),
            "malformed --admin \"100::200\": empty admin handle");
}

TEST(ParseValuesDocumentTest, ObjectOrArray) {
  absl::StatusOr<json> a = ParseValuesDocument(
      R"({"values":[{"index":1,"type":"URL","data":{"format":"string","value":"x"}}]})", "f");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->size(), 1u);
  absl::StatusOr<json> b = ParseValuesDocument(R"([{"index":1},{"index":2}])", "f");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->size(), 2u);
}

TEST(ParseValuesDocumentTest, Errors) {
  EXPECT_EQ(ParseValuesDocument("{", "v.json").status().message(), "v.json: not valid JSON");
  EXPECT_EQ(ParseValuesDocument(R"({"x":1})", "v.json").status().message(),
            "v.json: expected {\"values\":[...]} or an array of values");
  EXPECT_EQ(ParseValuesDocument(R"({"values":[]})", "stdin").status().message(),
            "stdin: no values");
  EXPECT_EQ(ParseValuesDocument(R"({"values":[1]})", "v.json").status().message(),
            "v.json: each value must be an object");
}

TEST(ReadValuesSourceTest, MissingFile) {
  absl::StatusOr<std::string> text = ReadValuesSource("/nonexistent/values.json");
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(),
            "cannot read /nonexistent/values.json: No such file or directory");
}

TEST(RenderDataTest, PerFormat) {
  EXPECT_EQ(RenderData(json::parse(R"({"format":"string","value":"a\nb"})")), "a\\nb");
  EXPECT_EQ(RenderData(json::parse(R"({"format":"hex","value":"00ff"})")), "hex:00ff");
  EXPECT_EQ(RenderData(json::parse(R"({"format":"base64","value":"AP8="})")), "base64:AP8=");
  EXPECT_EQ(RenderData(json::parse(R"({"format":"admin","value":{"handle":"0.NA/88.999",
                                        "index":200,"permissions":"011111110011"}})")),
            "handle=0.NA/88.999 index=200 permissions=011111110011");
  EXPECT_EQ(RenderData(json::parse(R"({"format":"vlist","value":[{"handle":"a","index":1}]})")),
            R"(vlist:[{"handle":"a","index":1}])");
}

TEST(FormatValuesTableTest, AlignsColumnsCountingWideCharactersTwice) {
  json values = json::parse(R"([
    {"index":1,"type":"URL","data":{"format":"string","value":"https://example.com"},"ttl":86400},
    {"index":100,"type":"NAME","data":{"format":"string","value":"祁连"},"ttl":60}])");
  EXPECT_EQ(FormatValuesTable(values),
            "INDEX  TYPE  DATA                 TTL\n"
            "1      URL   https://example.com  86400\n"
            "100    NAME  祁连                 60\n");
}

// Found by the cli_value_args fuzz target: index and ttl cells from a
// server's reply were printed raw.
TEST(FormatValuesTableTest, EscapesControlCharactersInEveryCell) {
  json values = json::parse(R"([{"index":"1\n2","type":"URL","ttl":"a\u001bb"}])");
  EXPECT_EQ(FormatValuesTable(values),
            "INDEX  TYPE  DATA  TTL\n"
            "1\\n2   URL         a\\x1bb\n");
}

TEST(IsValidUtf8Test, RejectsOverlongAndSurrogates) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("祁连 😀"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xe7\xa5"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace qilian::cli
