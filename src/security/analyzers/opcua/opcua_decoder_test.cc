#include "security/analyzers/opcua/opcua_decoder.h"

#include <gtest/gtest.h>

#include "security/analyzers/opcua/opcua_test_bytes.h"

namespace qilian::security::opcua {
namespace {

using namespace testing;
using json = nlohmann::ordered_json;

std::string NodeIdText(const Bytes& b, bool expanded = false, std::string* weird = nullptr) {
  Decoder d(b);
  NodeId id = expanded ? d.ReadExpandedNodeId() : d.ReadNodeId();
  if (weird != nullptr) *weird = std::string(d.weird());
  EXPECT_TRUE(!d.ok() || d.remaining() == 0);
  return id.text;
}

TEST(OpcUaDecoderTest, EveryNodeIdEncoding) {
  EXPECT_EQ(NodeIdText({0x00, 0x55}), "i=85");                     // two-byte
  EXPECT_EQ(NodeIdText({0x01, 0x02, 0x34, 0x12}), "ns=2;i=4660");  // four-byte
  EXPECT_EQ(NodeIdText({0x02, 0x03, 0x00, 0x78, 0x56, 0x34, 0x12}), "ns=3;i=305419896");
  EXPECT_EQ(NodeIdText({0x03, 0x01, 0x00, 0x04, 0, 0, 0, 'T', 'a', 'n', 'k'}), "ns=1;s=Tank");
  EXPECT_EQ(NodeIdText({0x03, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff}), "s=");  // null string
  EXPECT_EQ(NodeIdText({0x04, 0x05, 0x00, 0x78, 0x56, 0x34, 0x12, 0x34, 0x12, 0xcd, 0xab, 0x01,
                        0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}),
            "ns=5;g=12345678-1234-abcd-0102-030405060708");
  EXPECT_EQ(NodeIdText({0x05, 0x02, 0x00, 0x02, 0, 0, 0, 0xde, 0xad}), "ns=2;b=dead");
  // ExpandedNodeId: namespace URI (replacing the index) and server index.
  EXPECT_EQ(
      NodeIdText({0xc1, 0x02, 0x05, 0x00, 0x05, 0, 0, 0, 'u', 'r', 'n', ':', 'x', 0x01, 0, 0, 0},
                 true),
      "svr=1;nsu=urn:x;i=5");
  EXPECT_EQ(NodeIdText({0x40, 0x07, 0x02, 0, 0, 0}, true), "svr=2;i=7");
}

TEST(OpcUaDecoderTest, BadNodeIds) {
  std::string weird;
  NodeIdText({0x80, 0x07}, false, &weird);  // expanded flags in a NodeId
  EXPECT_EQ(weird, "opcua_bad_nodeid_encoding");
  NodeIdText({0x06, 0x00, 0x00}, false, &weird);  // no such encoding
  EXPECT_EQ(weird, "opcua_bad_nodeid_encoding");
  NodeIdText({0x02, 0x00, 0x00, 0x01}, false, &weird);  // numeric cut short
  EXPECT_EQ(weird, "opcua_truncated_body");
  NodeIdText({0x03, 0x00, 0x00, 0x09, 0, 0, 0, 'a'}, false, &weird);  // 9 bytes claimed, 1 left
  EXPECT_EQ(weird, "opcua_bad_string_length");
}

json VariantOf(const Bytes& b, std::string* weird = nullptr) {
  Decoder d(b);
  json v = d.Variant();
  if (weird != nullptr) *weird = std::string(d.weird());
  return v;
}

TEST(OpcUaDecoderTest, Variants) {
  EXPECT_EQ(VariantOf({0x06, 0x2a, 0, 0, 0}).dump(), R"({"type":"Int32","value":42})");
  EXPECT_EQ(VariantOf(Join({{0x0b}, U64(0x3ff8000000000000)})).dump(),
            R"({"type":"Double","value":1.5})");
  EXPECT_EQ(VariantOf(Join({{0x0c}, Str("a\\b\n")})).dump(),
            R"({"type":"String","value":"a\\x5cb\\x0a"})");
  EXPECT_EQ(VariantOf({0x81, 0x02, 0, 0, 0, 0x01, 0x00}).dump(),
            R"({"type":"Boolean","array":[true,false]})");
  EXPECT_EQ(VariantOf({0x00}).dump(), "{}");  // null
  EXPECT_EQ(VariantOf({0x0f, 0x02, 0, 0, 0, 0xbe, 0xef}).dump(),
            R"({"type":"ByteString","value":"beef"})");
  // A nested Variant and an array with dimensions.
  EXPECT_EQ(VariantOf({0x18, 0x03, 0x07}).dump(),
            R"({"type":"Variant","value":{"type":"Byte","value":7}})");
  EXPECT_EQ(VariantOf({0xc3, 0x02, 0, 0, 0, 0x01, 0x02, 0x01, 0, 0, 0, 0x02, 0, 0, 0}).dump(),
            R"({"type":"Byte","array":[1,2]})");
}

TEST(OpcUaDecoderTest, VariantBounds) {
  std::string weird;
  // 40 Int32s: 32 written, the length said.
  Bytes many = Join({{0x86}, U32(40)});
  for (uint32_t i = 0; i < 40; ++i) many = Join({many, U32(i)});
  json v = VariantOf(many, &weird);
  EXPECT_EQ(weird, "");
  EXPECT_EQ(v["array"].size(), kMaxEventArray);
  EXPECT_EQ(v["length"], 40);
  // Arrays of arrays: at most kMaxEventValues elements kept in all.
  Bytes nested = Join({{0x98}, U32(40)});
  for (int i = 0; i < 40; ++i) {
    nested = Join({nested, {0x86}, U32(40)});
    for (uint32_t j = 0; j < 40; ++j) nested = Join({nested, U32(j)});
  }
  v = VariantOf(nested, &weird);
  EXPECT_EQ(weird, "");
  ASSERT_EQ(v["array"].size(), 31u);  // each kept one holds 32 Int32s: 31 * 33 = 1023
  EXPECT_EQ(v["length"], 40);
  EXPECT_EQ(v["array"][30]["array"].size(), kMaxEventArray);
  // A count the bytes cannot hold fails before anything is kept.
  VariantOf(Join({{0x86}, U32(0x7fffffff), U32(1)}), &weird);
  EXPECT_EQ(weird, "opcua_bad_array_length");
  VariantOf({0x1f}, &weird);  // type 31 does not exist
  EXPECT_EQ(weird, "opcua_bad_variant");
  VariantOf({0x46, 0x01, 0, 0, 0}, &weird);  // dimensions without an array
  EXPECT_EQ(weird, "opcua_bad_variant");
  VariantOf({0x06, 0x01}, &weird);
  EXPECT_EQ(weird, "opcua_truncated_body");
  // Variants nested deeper than kMaxDepth.
  Bytes deep(kMaxDepth + 1, 0x18);
  deep.push_back(0x00);
  VariantOf(deep, &weird);
  EXPECT_EQ(weird, "opcua_nesting_too_deep");
  Bytes ok(kMaxDepth - 1, 0x18);
  ok.push_back(0x00);
  VariantOf(ok, &weird);
  EXPECT_EQ(weird, "");
}

TEST(OpcUaDecoderTest, DataValueAndExtensionObject) {
  Bytes value = Join({{0x0f, 0x07}, U32(5), U32(0x80340000), U64(kTicks), U64(kTicks)});
  Decoder d(value);
  EXPECT_EQ(d.DataValue().dump(),
            R"({"type":"UInt32","value":5,"status":2150891520,"status_name":"BadNodeIdUnknown",)"
            R"("source_timestamp":"2019-09-25T21:39:07.627018Z",)"
            R"("server_timestamp":"2019-09-25T21:39:07.627018Z"})");
  EXPECT_EQ(d.remaining(), 0u);
  Bytes reserved_bits = {0xc0};
  Decoder bad(reserved_bits);
  bad.DataValue();
  EXPECT_EQ(bad.weird(), "opcua_bad_data_value");

  Bytes object = Join({TypeId(324), {0x01}, Str("abc")});
  Decoder e(object);
  NodeId type;
  std::span<const uint8_t> body;
  EXPECT_EQ(e.ExtensionObject(&type, &body).dump(), R"({"type_id":"i=324","length":3})");
  EXPECT_EQ(body.size(), 3u);
  EXPECT_EQ(type.numeric, 324u);
  Bytes bad_encoding = Join({TypeId(1), {0x03}});
  Decoder xml(bad_encoding);
  xml.ExtensionObject();
  EXPECT_EQ(xml.weird(), "opcua_bad_extension_object");
}

TEST(OpcUaDecoderTest, DiagnosticInfoNestingIsBounded) {
  Bytes every_field = {0x7f, 1, 0, 0,    0, 2, 0, 0,   0, 3, 0,    0,    0,   4,
                       0,    0, 0, 0x01, 0, 0, 0, 'x', 0, 0, 0x80, 0x80, 0x00};
  Decoder flat(every_field);
  flat.SkipDiagnosticInfo();
  EXPECT_TRUE(flat.ok());
  EXPECT_EQ(flat.remaining(), 0u);
  Bytes deep(kMaxDepth + 1, 0x40);
  deep.push_back(0x00);
  Decoder d(deep);
  d.SkipDiagnosticInfo();
  EXPECT_EQ(d.weird(), "opcua_nesting_too_deep");
  Bytes reserved = {0x80};
  Decoder r(reserved);
  r.SkipDiagnosticInfo();
  EXPECT_EQ(r.weird(), "opcua_bad_diagnostic_info");
}

TEST(OpcUaDecoderTest, TextForms) {
  EXPECT_EQ(DateTimeText(116444736000000000), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(DateTimeText(kTicks), "2019-09-25T21:39:07.627018Z");
  EXPECT_EQ(DateTimeText(0), std::nullopt);
  EXPECT_EQ(DateTimeText(INT64_MAX), std::nullopt);
  Bytes b = {'o', 'k', 0x00, '\\', 0xff};
  EXPECT_EQ(Escape(b), "ok\\x00\\x5c\\xff");
  Bytes longer(300, 'a');
  EXPECT_EQ(Escape(longer), std::string(kMaxEventString, 'a') + "...");
  Bytes name = Join({U16(2), Str("Tank")});
  Decoder q(name);
  EXPECT_EQ(q.QualifiedName(), "2:Tank");
  Bytes text = Join({{0x03}, Str("en"), Str("Pump")});
  Decoder t(text);
  EXPECT_EQ(t.LocalizedText(), "Pump");
  Bytes bad_text = {0x04};
  Decoder bad(bad_text);
  bad.LocalizedText();
  EXPECT_EQ(bad.weird(), "opcua_bad_localized_text");
}

}  // namespace
}  // namespace qilian::security::opcua
