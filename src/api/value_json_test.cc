#include "api/value_json.h"

#include <string>

#include "core/json_text.h"
#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"

namespace qilian::api {
namespace {

using ident::HandleValue;
using ident::ResponseCode;
using nlohmann::json;

void ExpectError(const absl::Status& status, ResponseCode code, const std::string& message) {
  EXPECT_EQ(ident::ResponseCodeOf(status), code) << status;
  EXPECT_EQ(std::string(status.message()), message);
}

// One value object in a body; returns the status of the mapping.
absl::Status BodyError(const std::string& body) { return ValuesFromBody(body).status(); }

std::string OneValue(const std::string& fields) {
  return R"({"values":[{"index":1,"type":"URL",)" + fields + "}]}";
}

TEST(ValueJsonTest, StringValueWithDefaults) {
  auto values = ValuesFromBody(
      R"({"values":[{"index":1,"type":"URL","data":{"format":"string","value":"https://example.com/p?q=1"}}]})");
  ASSERT_TRUE(values.ok()) << values.status();
  ASSERT_EQ(values->size(), 1u);
  const HandleValue& v = (*values)[0];
  EXPECT_EQ(v.index, 1u);
  EXPECT_EQ(v.type, "URL");
  EXPECT_EQ(v.data, "https://example.com/p?q=1");
  EXPECT_EQ(v.ttl, 86400u);
  EXPECT_EQ(v.ttl_type, ident::TtlType::kRelative);
  EXPECT_EQ(v.permissions, ident::kPermDefault);
  EXPECT_TRUE(v.references.empty());
}

TEST(ValueJsonTest, AllFieldsAndBareStringData) {
  auto values = ValuesFromBody(R"({"values":[{"index":7,"type":"EMAIL","data":"a@b.c",
      "ttl":1800000000,"ttlType":"absolute","permissions":"1011",
      "timestamp":"2020-01-01T00:00:00Z","references":[{"handle":"88.999/x","index":3}]}]})");
  ASSERT_TRUE(values.ok()) << values.status();
  const HandleValue& v = (*values)[0];
  EXPECT_EQ(v.data, "a@b.c");
  EXPECT_EQ(v.ttl, 1800000000u);
  EXPECT_EQ(v.ttl_type, ident::TtlType::kAbsolute);
  EXPECT_EQ(v.permissions, 0x0b);
  EXPECT_EQ(v.timestamp, 0u);  // ignored: the server stamps
  ASSERT_EQ(v.references.size(), 1u);
  EXPECT_EQ(v.references[0], (ident::ValueReference{"88.999/x", 3}));
}

TEST(ValueJsonTest, BinaryFormats) {
  auto values = ValuesFromBody(R"({"values":[
      {"index":1,"type":"A","data":{"format":"base64","value":"AAEC/w=="}},
      {"index":2,"type":"B","data":{"format":"hex","value":"0001Aaff"}},
      {"index":3,"type":"HS_PUBKEY","data":{"format":"key","value":"AAEC"}}]})");
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ((*values)[0].data, std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ((*values)[1].data, std::string("\x00\x01\xaa\xff", 4));
  EXPECT_EQ((*values)[2].data, std::string("\x00\x01\x02", 3));
}

TEST(ValueJsonTest, AdminEncodesRfc3651Binary) {
  auto values = ValuesFromBody(R"({"values":[{"index":100,"type":"HS_ADMIN","data":{"format":"admin",
      "value":{"handle":"0.NA/88.999","index":200,"permissions":"011111110011"}}}]})");
  ASSERT_TRUE(values.ok()) << values.status();
  ident::AdminRecord admin{0x07f3, "0.NA/88.999", 200};
  EXPECT_EQ((*values)[0].data, ident::EncodeAdminData(admin));

  json out = ValueToJson((*values)[0]);
  EXPECT_EQ(out["data"], json::parse(R"({"format":"admin","value":{"handle":"0.NA/88.999",
      "index":200,"permissions":"011111110011"}})"));
}

TEST(ValueJsonTest, VListEncodes) {
  auto values = ValuesFromBody(R"({"values":[{"index":1,"type":"HS_VLIST","data":{"format":"vlist",
      "value":[{"handle":"88.999/a","index":300},{"handle":"88.999/b","index":301}]}}]})");
  ASSERT_TRUE(values.ok()) << values.status();
  std::vector<ident::ValueReference> refs = {{"88.999/a", 300}, {"88.999/b", 301}};
  EXPECT_EQ((*values)[0].data, ident::EncodeVListData(refs));
  json out = ValueToJson((*values)[0]);
  EXPECT_EQ(out["data"]["format"], "vlist");
  EXPECT_EQ(out["data"]["value"][1]["index"], 301);
}

TEST(ValueJsonTest, SiteEncodesAndRoundTrips) {
  auto values = ValuesFromBody(R"({"values":[{"index":1,"type":"HS_SITE","data":{"format":"site",
      "value":{"version":1,"protocolVersion":"2.10","serialNumber":3,"primaryMask":128,
      "hashOption":0,"hashFilter":"","attributes":[{"name":"desc","value":"Gansu"}],
      "servers":[{"serverId":1,"address":"192.0.2.7","publicKey":{"format":"base64","value":"AAEC"},
                  "interfaces":[{"type":"both","protocol":"TCP","port":2641},
                                {"type":"query","protocol":"UDP","port":2641}]},
                 {"serverId":2,"address":"2001:db8::1","interfaces":[{"type":"admin","protocol":"HTTP","port":8000}]}]}}}]})");
  ASSERT_TRUE(values.ok()) << values.status();
  ident::SiteInfo site;
  site.protocol_minor = 10;
  site.serial_number = 3;
  site.attributes = {{"desc", "Gansu"}};
  ident::SiteServer s1;
  s1.server_id = 1;
  s1.address = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 7};
  s1.public_key = std::string("\x00\x01\x02", 3);
  s1.interfaces = {{3, 1, 2641}, {2, 0, 2641}};
  ident::SiteServer s2;
  s2.server_id = 2;
  s2.address = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  s2.interfaces = {{1, 2, 8000}};
  site.servers = {s1, s2};
  EXPECT_EQ((*values)[0].data, ident::EncodeSiteData(site));

  json out = ValueToJson((*values)[0]);
  EXPECT_EQ(out["data"]["format"], "site");
  EXPECT_EQ(out["data"]["value"]["servers"][0]["address"], "192.0.2.7");
  EXPECT_EQ(out["data"]["value"]["servers"][1]["address"], "2001:db8::1");
  EXPECT_EQ(out["data"]["value"]["servers"][0]["interfaces"][0]["type"], "both");
  EXPECT_EQ(out["data"]["value"]["protocolVersion"], "2.10");
  // Feeding the output back in gives the same bytes.
  auto again = ValueFromJson(out, "values[0]");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->data, (*values)[0].data);
}

TEST(ValueJsonTest, OutputFormatChosenByTypeAndContent) {
  HandleValue v;
  v.index = 2;
  v.type = "URL";
  v.data = "https://example.com/\xe7\xa5\x81";
  v.timestamp = 1795888800;  // 2026-11-28T18:00:00Z
  json out = ValueToJson(v);
  EXPECT_EQ(out, json::parse(R"({"index":2,"type":"URL","data":{"format":"string",
      "value":"https://example.com/\u7941"},"ttl":86400,"permissions":"1110",
      "timestamp":"2026-11-28T18:00:00Z"})"));

  v.data = std::string("\x00\xff", 2);
  EXPECT_EQ(ValueToJson(v)["data"], json::parse(R"({"format":"base64","value":"AP8="})"));
  v.data = "line\x01";  // valid UTF-8 but not text
  EXPECT_EQ(ValueToJson(v)["data"]["format"], "base64");

  v.type = "HS_SECKEY";
  v.data = "secret";
  EXPECT_EQ(ValueToJson(v)["data"], json::parse(R"({"format":"key","value":"c2VjcmV0"})"));

  v.type = "HS_ADMIN";  // undecodable admin data falls back to bytes
  v.data = "xy";
  EXPECT_EQ(ValueToJson(v)["data"]["format"], "string");

  v.ttl_type = ident::TtlType::kAbsolute;
  v.permissions = 0x0f;
  v.references = {{"88.999/r", 1}};
  out = ValueToJson(v);
  EXPECT_EQ(out["ttlType"], 1);
  EXPECT_EQ(out["permissions"], "1111");
  EXPECT_EQ(out["references"], json::parse(R"([{"handle":"88.999/r","index":1}])"));
}

TEST(ValueJsonTest, StoredDataThatWouldNotRoundTripIsShownAsBytes) {
  HandleValue v;
  v.index = 1;
  v.type = "HS_SITE";
  ident::SiteInfo site;
  ident::SiteServer server;
  server.interfaces = {{3, 1, 70000}};  // the wire allows a u32 port; JSON input does not
  site.servers = {server};
  v.data = ident::EncodeSiteData(site);
  json out = ValueToJson(v);
  EXPECT_EQ(out["data"]["format"], "base64");
  auto back = ValueFromJson(out, "v");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->data, v.data);

  v.type = "HS_ADMIN";
  v.data = ident::EncodeAdminData({0x0fff, "88.999/\xff", 300});
  v.data = ident::EncodeAdminData({0x0fff, std::string("88.999/\xff"), 300});
  out = ValueToJson(v);
  EXPECT_EQ(out["data"]["format"], "base64");
  back = ValueFromJson(out, "v");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->data, v.data);
}

TEST(ValueJsonTest, MalformedJson) {
  ExpectError(BodyError(R"({"values":[{"index":}]})"), ResponseCode::kProtocolError,
              "body: malformed JSON at byte 21");
  ExpectError(BodyError("{\"values\":[]"), ResponseCode::kProtocolError,
              "body: malformed JSON at byte 13");
  ExpectError(BodyError("{} trailing"), ResponseCode::kProtocolError,
              "body: malformed JSON at byte 6");
  ExpectError(BodyError(""), ResponseCode::kProtocolError, "body: empty");
  ExpectError(BodyError(" \n"), ResponseCode::kProtocolError, "body: empty");
  // Invalid UTF-8 inside a string is a syntax error for the parser.
  ExpectError(BodyError("{\"values\":[\"\xff\"]}"), ResponseCode::kProtocolError,
              "body: malformed JSON at byte 13");
}

TEST(ValueJsonTest, DeepNestingRefusedBeforeParsing) {
  std::string deep(100000, '[');
  ExpectError(BodyError(deep), ResponseCode::kProtocolError, "body: nested deeper than 64 levels");
  // Brackets inside strings do not count.
  std::string in_string = R"({"values":[{"index":1,"type":"URL","data":")" +
                          std::string(200, '[') + R"("}]})";
  EXPECT_TRUE(ValuesFromBody(in_string).ok());
}

TEST(ValueJsonTest, BodyShapeErrors) {
  ExpectError(BodyError("[]"), ResponseCode::kInvalidValue, "body: expected an object");
  ExpectError(BodyError("{}"), ResponseCode::kInvalidValue, "body: missing field 'values'");
  ExpectError(BodyError(R"({"values":[],"handle":"x"})"), ResponseCode::kInvalidValue,
              "body: unknown field 'handle'");
  ExpectError(BodyError(R"({"values":{}})"), ResponseCode::kInvalidValue,
              "values: expected an array");
  ExpectError(BodyError(R"({"values":[1]})"), ResponseCode::kInvalidValue,
              "values[0]: expected an object");
}

TEST(ValueJsonTest, FieldErrorsNameThePlace) {
  struct Case {
    std::string body;
    std::string message;
  };
  const Case cases[] = {
      {R"({"values":[{"type":"URL","data":"x"}]})", "values[0]: missing field 'index'"},
      {R"({"values":[{"index":"1","type":"URL","data":"x"}]})",
       "values[0].index: expected an integer"},
      {R"({"values":[{"index":1.5,"type":"URL","data":"x"}]})",
       "values[0].index: expected an integer"},
      {R"({"values":[{"index":1,"type":"URL","data":"x"},{"index":0,"type":"URL","data":"x"}]})",
       "values[1].index: 0 is out of range 1..2147483647"},
      {R"({"values":[{"index":-3,"type":"URL","data":"x"}]})",
       "values[0].index: -3 is out of range 1..2147483647"},
      {R"({"values":[{"index":2147483648,"type":"URL","data":"x"}]})",
       "values[0].index: 2147483648 is out of range 1..2147483647"},
      {R"({"values":[{"index":1,"type":"URL","data":"x"},{"index":1,"type":"EMAIL","data":"y"}]})",
       "values[1].index: duplicate index 1"},
      {OneValue(R"("data":"x","colour":"red")"), "values[0]: unknown field 'colour'"},
      {R"({"values":[{"index":1,"data":"x"}]})", "values[0]: missing field 'type'"},
      {R"({"values":[{"index":1,"type":7,"data":"x"}]})", "values[0].type: expected a string"},
      {R"({"values":[{"index":1,"type":"","data":"x"}]})", "values[0].type: must not be empty"},
      {R"({"values":[{"index":1,"type":"URL"}]})", "values[0]: missing field 'data'"},
      {OneValue(R"("data":42)"), "values[0].data: expected an object or a string"},
      {OneValue(R"("data":{"value":"x"})"), "values[0].data: missing field 'format'"},
      {OneValue(R"("data":{"format":"string"})"), "values[0].data: missing field 'value'"},
      {OneValue(R"("data":{"format":"string","value":"x","extra":1})"),
       "values[0].data: unknown field 'extra'"},
      {R"({"values":[{"index":1,"type":"URL","data":"x"},{"index":2,"type":"URL","data":"x"},)"
       R"({"index":3,"type":"URL","data":{"format":"foo","value":"x"}}]})",
       "values[2].data.format: unknown data format 'foo'"},
      {OneValue(R"("data":{"format":"string","value":5})"),
       "values[0].data.value: expected a string"},
      {OneValue(R"("data":{"format":"base64","value":"not base64!"})"),
       "values[0].data.value: invalid base64"},
      {OneValue(R"("data":{"format":"hex","value":"abc"})"), "values[0].data.value: invalid hex"},
      {OneValue(R"("data":{"format":"hex","value":"zz"})"), "values[0].data.value: invalid hex"},
      {OneValue(R"("data":{"format":"admin","value":"x"})"),
       "values[0].data.value: expected an object"},
      {OneValue(R"("data":{"format":"admin","value":{"handle":"0.NA/88.999","index":200,"permissions":"0111"}})"),
       "values[0].data.value.permissions: expected 12 characters '0' or '1'"},
      {OneValue(R"("data":{"format":"admin","value":{"handle":"","index":200,"permissions":"011111110011"}})"),
       "values[0].data.value.handle: must not be empty"},
      {OneValue(R"("data":{"format":"admin","value":{"handle":"0.NA/88.999","permissions":"011111110011"}})"),
       "values[0].data.value: missing field 'index'"},
      {OneValue(R"("data":{"format":"vlist","value":[{"handle":"88.999/a","index":"x"}]})"),
       "values[0].data.value[0].index: expected an integer"},
      {OneValue(R"("data":{"format":"site","value":{"servers":[{"address":"999.1.1.1"}]}})"),
       "values[0].data.value.servers[0].address: invalid IP address '999.1.1.1'"},
      {OneValue(R"("data":{"format":"site","value":{"servers":[{"address":"::1","interfaces":[{"type":"all","protocol":"TCP","port":1}]}]}})"),
       "values[0].data.value.servers[0].interfaces[0].type: expected 'admin', 'query' or 'both', got 'all'"},
      {OneValue(R"("data":{"format":"site","value":{"servers":[{"address":"::1","interfaces":[{"type":"both","protocol":"SCTP","port":1}]}]}})"),
       "values[0].data.value.servers[0].interfaces[0].protocol: expected 'UDP', 'TCP' or 'HTTP', got 'SCTP'"},
      {OneValue(R"("data":{"format":"site","value":{"servers":[{"address":"::1","interfaces":[{"type":"both","protocol":"TCP","port":70000}]}]}})"),
       "values[0].data.value.servers[0].interfaces[0].port: 70000 is out of range 0..65535"},
      {OneValue(R"("data":{"format":"site","value":{"protocolVersion":"two"}})"),
       "values[0].data.value.protocolVersion: expected 'major.minor' such as '2.11', got 'two'"},
      {OneValue(R"("data":{"format":"site","value":{"servers":[{"address":"::1","publicKey":{"format":"pem","value":""}}]}})"),
       "values[0].data.value.servers[0].publicKey.format: unknown key format 'pem'"},
      {OneValue(R"("data":"x","ttl":-1)"), "values[0].ttl: -1 is out of range 0..4294967295"},
      {OneValue(R"("data":"x","ttl":"1d")"), "values[0].ttl: expected an integer"},
      {OneValue(R"("data":"x","ttlType":"forever")"),
       "values[0].ttlType: expected 0, 1, 'relative' or 'absolute'"},
      {OneValue(R"("data":"x","permissions":"11102")"),
       "values[0].permissions: expected 4 characters '0' or '1'"},
      {OneValue(R"("data":"x","permissions":14)"), "values[0].permissions: expected a string"},
      {OneValue(R"("data":"x","timestamp":12)"), "values[0].timestamp: expected a string"},
      {OneValue(R"("data":"x","references":{})"), "values[0].references: expected an array"},
      {OneValue(R"("data":"x","references":[{"handle":"88.999/a"}])"),
       "values[0].references[0]: missing field 'index'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectError(BodyError(c.body), ResponseCode::kInvalidValue, c.message);
  }
}

TEST(ValueJsonTest, Limits) {
  json values = json::array();
  for (size_t i = 1; i <= ident::kMaxValuesPerHandle + 1; ++i) {
    values.push_back({{"index", i}, {"type", "URL"}, {"data", "x"}});
  }
  ExpectError(ValuesFromJson(values).status(), ResponseCode::kInvalidValue,
              "values: more than 1024 values");
  values.erase(values.end() - 1);
  EXPECT_TRUE(ValuesFromJson(values).ok());

  json big = {{"index", 1}, {"type", "URL"}, {"data", std::string(ident::kMaxValueDataBytes + 1, 'a')}};
  ExpectError(ValueFromJson(big, "values[0]").status(), ResponseCode::kInvalidValue,
              "values[0].data: longer than 1048576 bytes");
  json long_type = {{"index", 1}, {"type", std::string(256, 'T')}, {"data", "x"}};
  ExpectError(ValueFromJson(long_type, "values[0]").status(), ResponseCode::kInvalidValue,
              "values[0].type: longer than 255 bytes");
  json refs = json::array();
  for (int i = 0; i < 65; ++i) refs.push_back({{"handle", "88.999/a"}, {"index", 1}});
  json many_refs = {{"index", 1}, {"type", "URL"}, {"data", "x"}, {"references", refs}};
  ExpectError(ValueFromJson(many_refs, "values[0]").status(), ResponseCode::kInvalidValue,
              "values[0].references: more than 64 entries");
}

TEST(ValueJsonTest, InvalidUtf8InBuiltDom) {
  json v = {{"index", 1}, {"type", "URL"}, {"data", "\xc0\x80"}};
  ExpectError(ValueFromJson(v, "values[0]").status(), ResponseCode::kInvalidValue,
              "values[0].data: not valid UTF-8");
}

TEST(ValueJsonTest, Utf8Validator) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xe7\xa5\x81\xe8\xbf\x9e"));
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe7\xa5"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));
}

TEST(ValueJsonTest, DumpNeverThrows) {
  json j = {{"k", std::string("\xff")}};
  EXPECT_EQ(DumpJson(j), "{\"k\":\"\xef\xbf\xbd\"}");
}

}  // namespace
}  // namespace qilian::api

namespace qilian::api {
namespace {

TEST(JsonTextTest, TimestampsMatchTheCalendar) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(1709164799), "2024-02-28T23:59:59Z");
  EXPECT_EQ(FormatTimestamp(1795890421), "2026-11-28T18:27:01Z");
  EXPECT_EQ(FormatTimestamp(4294967295u), "2106-02-07T06:28:15Z");
}

TEST(JsonTextTest, StringEscapesMatchNlohmann) {
  const std::string samples[] = {"", "plain", "quote\" back\\slash", "tab\tnl\ncr\r",
                                 std::string("nul\0x\x01\x1f\x7f", 9), "标识解析 ✓", "\b\f"};
  for (const std::string& s : samples) {
    std::string out;
    AppendJsonString(s, &out);
    EXPECT_EQ(out, nlohmann::json(s).dump()) << s;
  }
}

// The direct writer and the DOM must give the same bytes for every kind of
// value, or REST answers would differ by how they were built.
TEST(JsonTextTest, AppendValueJsonMatchesTheDom) {
  std::vector<ident::HandleValue> values;
  ident::HandleValue v;
  v.index = 1;
  v.type = "URL";
  v.data = "https://example.org/a?b=\"c\"\n";
  v.timestamp = 1795890421;
  values.push_back(v);
  v.type = "X-BIN";
  v.data = std::string("\x00\xff\x10", 3);
  v.ttl_type = ident::TtlType::kAbsolute;
  v.ttl = 1900000000;
  v.permissions = 0x0a;
  values.push_back(v);
  v.type = "EMAIL";
  v.data = "";
  v.ttl_type = ident::TtlType::kRelative;
  v.references = {{"88.999/REF", 3}, {"0.NA/88.999", 200}};
  values.push_back(v);
  v.references.clear();
  v.type = "X-\"quoted\" 类型";
  v.data = "数据";
  values.push_back(v);
  v.type = "HS_ADMIN";
  v.data = ident::EncodeAdminData({ident::admin_perm::kAll, "0.NA/88.999", 200});
  values.push_back(v);
  v.type = "HS_PUBKEY";
  v.data = "key-bytes";
  values.push_back(v);
  v.type = std::string("BAD\xff", 4);
  v.data = "x";
  values.push_back(v);
  for (const auto& value : values) {
    std::string direct;
    AppendValueJson(value, &direct);
    EXPECT_EQ(direct, DumpJson(ValueToJson(value))) << value.type;
  }
}

}  // namespace
}  // namespace qilian::api
