#include "security/analyzers/json_writer.h"

#include <limits>

#include "gtest/gtest.h"

namespace qilian::security {
namespace {

using Json = nlohmann::ordered_json;

// What the sensor wrote before JsonWriter: nlohmann's dump of the fields,
// without the braces.
std::string Members(const Json& j) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return s.substr(1, s.size() - 2);
}

TEST(JsonWriterTest, MembersAsNlohmannDumpsThem) {
  JsonWriter w;
  w.Key("pdu").String("request").Key("tid").Uint(65535).Key("neg").Int(-42);
  w.Key("max").Uint(std::numeric_limits<uint64_t>::max()).Key("min").Int(
      std::numeric_limits<int64_t>::min());
  w.Key("ok").Bool(true).Key("no").Bool(false).Key("none").Null();
  w.Key("values").BeginArray().Uint(0).Uint(1).Uint(2).EndArray();
  w.Key("empty").BeginArray().EndArray().Key("obj").BeginObject().EndObject();
  w.Key("items").BeginArray();
  for (int i = 0; i < 2; ++i) {
    w.BeginObject().Key("i").Int(i).Key("sub").BeginArray().Bool(i == 1).EndArray().EndObject();
  }
  w.EndArray();
  Json j;
  j["pdu"] = "request";
  j["tid"] = 65535;
  j["neg"] = -42;
  j["max"] = std::numeric_limits<uint64_t>::max();
  j["min"] = std::numeric_limits<int64_t>::min();
  j["ok"] = true;
  j["no"] = false;
  j["none"] = nullptr;
  j["values"] = {0, 1, 2};
  j["empty"] = Json::array();
  j["obj"] = Json::object();
  j["items"] = Json::array();
  for (int i = 0; i < 2; ++i) {
    Json o;
    o["i"] = i;
    o["sub"] = Json::array({i == 1});
    j["items"].push_back(o);
  }
  EXPECT_EQ(w.view(), Members(j));
}

TEST(JsonWriterTest, StringsEscapedAndInvalidUtf8ReplacedAsNlohmannDoes) {
  const std::string cases[] = {
      "",
      "plain ASCII ~!",
      "quote \" backslash \\ slash /",
      std::string("\b\f\n\r\t\x01\x1f\x7f", 8),
      "caf\xc3\xa9 \xe6\xb8\xa9\xe5\xba\xa6 \xf0\x9f\x94\xa5",  // valid UTF-8
      "bad \xff byte",
      "cut \xe6\xb8",              // a sequence the string ends inside
      "\xc3(",                     // a lead byte then ASCII
      std::string("nul \0 in", 8),
  };
  for (const std::string& s : cases) {
    JsonWriter w;
    w.Key(s).String(s);
    Json j;
    j[s] = s;
    EXPECT_EQ(w.view(), Members(j)) << s;
  }
}

TEST(JsonWriterTest, EveryByteAtEveryPlaceOfALongString) {
  // Long strings are checked 8 bytes at a time: each byte value, at each
  // place of a 17-byte string, must still be escaped (or kept) as nlohmann does.
  for (int c = 0; c < 256; ++c) {
    for (size_t at = 0; at < 17; ++at) {
      std::string s(17, 'a');
      s[at] = static_cast<char>(c);
      JsonWriter w;
      w.Key("s").String(s);
      Json j;
      j["s"] = s;
      ASSERT_EQ(w.view(), Members(j)) << "byte " << c << " at " << at;
    }
  }
}

TEST(JsonWriterTest, DoublesAsNlohmannWritesThem) {
  for (double d : {0.0, -0.0, 1.0, 0.1, 1.5e300, -2.25, 1e-7, 123456789.125}) {
    JsonWriter w;
    w.Key("v").Double(d);
    Json j;
    j["v"] = d;
    EXPECT_EQ(w.view(), Members(j)) << d;
  }
}

TEST(JsonWriterTest, TreesWrittenAsDumped) {
  Json j = Json::parse(
      R"({"a":[1,-2,3.5,"x\u0001",{"b":null,"c":[]},{}],"d":{"e":true,"f":"caf\u00e9"}})");
  JsonWriter w;
  w.Key("tree").Value(j).Key("n").Uint(1);
  Json outer;
  outer["tree"] = j;
  outer["n"] = 1;
  EXPECT_EQ(w.view(), Members(outer));
}

TEST(JsonWriterTest, ClearStartsAgain) {
  JsonWriter w;
  w.Key("a").Uint(1);
  w.Clear();
  EXPECT_TRUE(w.empty());
  w.Key("b").Uint(2);
  EXPECT_EQ(w.view(), R"("b":2)");
}

}  // namespace
}  // namespace qilian::security
