#include "security/analyzers/enip/cip_path.h"

#include <gtest/gtest.h>

namespace qilian::security::enip {
namespace {

using Bytes = std::vector<uint8_t>;
using Json = nlohmann::json;

TEST(CipPathTest, LogicalSegmentsInEveryFormat) {
  CipPath p;
  // Class 0x01 (8-bit), instance 0x0102 (16-bit, padded), attribute 7.
  EXPECT_EQ(ParsePath(Bytes{0x20, 0x01, 0x25, 0x00, 0x02, 0x01, 0x30, 0x07}, &p), "");
  EXPECT_EQ(p.cls, 1u);
  EXPECT_EQ(p.instance, 0x0102u);
  EXPECT_EQ(p.attribute, 7u);
  CipPath q;
  // 32-bit instance, connection point 0x65.
  EXPECT_EQ(ParsePath(Bytes{0x26, 0x00, 0x04, 0x03, 0x02, 0x01, 0x2c, 0x65}, &q), "");
  EXPECT_EQ(q.instance, 0x01020304u);
  EXPECT_EQ(q.connection_point, 0x65u);
}

TEST(CipPathTest, SymbolicTagsWithElements) {
  CipPath p;
  // "Counts" [3] . "ACC", and a two-dimensional element [1,2] on "M".
  Bytes b = {0x91, 6, 'C', 'o', 'u', 'n', 't', 's', 0x28, 3, 0x91, 3, 'A', 'C', 'C', 0};
  EXPECT_EQ(ParsePath(b, &p), "");
  EXPECT_EQ(p.tag, "Counts[3].ACC");
  CipPath q;
  EXPECT_EQ(ParsePath(Bytes{0x91, 1, 'M', 0, 0x28, 1, 0x28, 2}, &q), "");
  EXPECT_EQ(q.tag, "M[1,2]");
  CipPath r;
  EXPECT_EQ(ParsePath(Bytes{0x28, 5}, &r), "");  // a member without a tag
  EXPECT_EQ(r.members, std::vector<uint32_t>{5});
}

TEST(CipPathTest, PortSegmentsAndElectronicKey) {
  CipPath p;
  // Backplane slot 0; then port 2 to an extended link address "10.1.1.1"
  // (8 bytes, no pad needed); an electronic key; class 2 instance 1.
  Bytes b = {0x01, 0x00, 0x12, 8,    '1', '0',  '.', '1',  '.',  '1',  '.',  '1',  0x34,
             0x04, 1,    0,    0x0e, 0,   0x36, 0,   0x14, 0x0b, 0x20, 0x02, 0x24, 0x01};
  EXPECT_EQ(ParsePath(b, &p), "");
  ASSERT_EQ(p.route.size(), 2u);
  EXPECT_EQ(p.route[0].port, 1);
  EXPECT_EQ(p.route[0].link, "0");
  EXPECT_EQ(p.route[1].port, 2);
  EXPECT_EQ(p.route[1].link, "10.1.1.1");
  EXPECT_TRUE(p.electronic_key);
  EXPECT_EQ(p.cls, 2u);
  JsonWriter out;
  PutPath(p, out);
  Json j = Json::parse("{" + std::string(out.view()) + "}");
  EXPECT_EQ(Json(j["class_name"]), "message_router");
  EXPECT_EQ(Json(j["route"][1]), Json::parse(R"({"port":2,"link":"10.1.1.1"})"));
}

TEST(CipPathTest, MalformedPaths) {
  CipPath p;
  EXPECT_EQ(ParsePath(Bytes{0x20, 0x01, 0xe0, 0x00}, &p), "cip_bad_path_segment");
  EXPECT_EQ(p.cls, 1u);  // what came before is kept
  CipPath q;
  EXPECT_EQ(ParsePath(Bytes{0x25, 0x00, 0x01}, &q), "cip_path_truncated");
  CipPath r;
  EXPECT_EQ(ParsePath(Bytes{0x91, 10, 'a'}, &r), "cip_path_truncated");
  CipPath s;
  EXPECT_EQ(ParsePath(Bytes{0x23, 0x01}, &s), "cip_bad_path_segment");  // reserved format
  CipPath t;
  EXPECT_EQ(ParsePath(Bytes{0x91, 2, 0xff, '\\'}, &t), "");
  EXPECT_EQ(t.tag, "\\xff\\x5c");  // always valid UTF-8
}

}  // namespace
}  // namespace qilian::security::enip
