#include "security/analyzers/enip/enip_encap.h"

#include <gtest/gtest.h>

#include "security/analyzers/enip/enip_test_bytes.h"

namespace qilian::security::enip {
namespace {

using Bytes = std::vector<uint8_t>;
using Json = nlohmann::json;
using testing::FromHex;

// What DecodeEncap writes, as a tree.
Json Decode(const Bytes& frame, bool response, EncapMessage* m, Weirds* w) {
  JsonWriter out;
  DecodeEncap(frame, response, m, w, out);
  return Json::parse("{" + std::string(out.view()) + "}");
}

TEST(EnipEncapTest, ListIdentityResponse) {
  Bytes frame = FromHex(testing::kListIdentityResponse);
  EncapMessage m;
  Weirds w;
  Json m_fields = Decode(frame, true, &m, &w);
  EXPECT_TRUE(w.empty());
  const auto& j = m_fields;
  EXPECT_EQ(j["pdu"], "response");
  EXPECT_EQ(j["command_name"], "ListIdentity");
  EXPECT_EQ(j["context"], "00000000c1debed1");
  ASSERT_EQ(j["identities"].size(), 1u);
  EXPECT_EQ(Json(j["identities"][0]), Json::parse(R"({"encap_version":1,
      "socket_address":"10.1.1.164","socket_port":44818,"vendor_id":1,
      "vendor_name":"Rockwell Automation/Allen-Bradley","device_type":12,
      "device_type_name":"Communications Adapter","product_code":58,"revision":"4.3",
      "status":48,"serial":"0x00524d8e","product_name":"1756-ENBT/A","state":3})"));
  EXPECT_TRUE(m.cip.empty());
}

TEST(EnipEncapTest, SendRRDataHandsBackTheCipMessage) {
  Bytes frame = FromHex(testing::kSendRRDataRequest);
  EncapMessage m;
  Weirds w;
  Json m_fields = Decode(frame, false, &m, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(m_fields["command_name"], "SendRRData");
  EXPECT_EQ(m_fields["session"], 0x13020500u);
  EXPECT_EQ(m_fields["timeout"], 20);
  EXPECT_EQ(Json(m_fields["items"]), Json::parse(R"([
      {"type":0,"type_name":"null_address","length":0},
      {"type":178,"type_name":"unconnected_data","length":22}])"));
  EXPECT_EQ(m.cip.size(), 22u);
  EXPECT_EQ(m.cip[0], 0x52);
}

TEST(EnipEncapTest, SendUnitDataAndRegisterSession) {
  // SendUnitData: connected address 0x11223344, connected data with sequence
  // count 7 and a Read_Tag reply.
  Bytes frame = {0x70, 0x00, 0x1a, 0x00, 1,    0,    0,    0,    0,    0,    0,    0,    0,
                 0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
                 0,    0,    0,    0,    0x02, 0x00, 0xa1, 0x00, 0x04, 0x00, 0x44, 0x33, 0x22,
                 0x11, 0xb1, 0x00, 0x06, 0x00, 0x07, 0x00, 0xcc, 0x00, 0x00, 0x00};
  EncapMessage m;
  Weirds w;
  Json m_fields = Decode(frame, true, &m, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(m_fields["connection_id"], 0x11223344u);
  EXPECT_EQ(m.cip_sequence, 7);
  EXPECT_EQ(m.cip.size(), 4u);
  Bytes reg = {0x65, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
               0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
  EncapMessage r;
  Json r_fields = Decode(reg, false, &r, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(r_fields["command_name"], "RegisterSession");
  EXPECT_EQ(r_fields["protocol_version"], 1);
  EXPECT_EQ(r_fields["option_flags"], 0);
}

TEST(EnipEncapTest, ListServices) {
  Bytes frame = {0x04, 0,    0x1a, 0,    0,   0,   0,    0,    0,   0,   0,   0,   0,
                 0,    0,    0,    0,    0,   0,   0,    0,    0,   0,   0,   1,   0,
                 0x00, 0x01, 0x14, 0x00, 1,   0,   0x20, 0x01, 'C', 'o', 'm', 'm', 'u',
                 'n',  'i',  'c',  'a',  't', 'i', 'o',  'n',  's', 0,   0};
  EncapMessage m;
  Weirds w;
  Json m_fields = Decode(frame, true, &m, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(Json(m_fields["list_services"]), Json::parse(R"([
      {"version":1,"capability_flags":288,"name":"Communications"}])"));
}

TEST(EnipEncapTest, MalformedMessages) {
  Weirds w;
  Bytes frame = FromHex(testing::kSendRRDataRequest);
  frame[38] = 0xff;  // the data item claims 255 bytes
  EncapMessage m;
  Json m_fields = Decode(frame, false, &m, &w);
  EXPECT_EQ(w, Weirds{"enip_item_truncated"});
  w.clear();
  Bytes trailing = FromHex(testing::kListIdentityRequest);
  trailing.push_back(0);
  trailing[2] = 1;
  EncapMessage t;
  Json t_fields = Decode(trailing, false, &t, &w);
  EXPECT_EQ(w, Weirds{"enip_trailing_bytes"});
  w.clear();
  Bytes options = FromHex(testing::kListIdentityRequest);
  options[20] = 1;
  EncapMessage o;
  Json o_fields = Decode(options, false, &o, &w);
  EXPECT_EQ(w, Weirds{"enip_nonzero_options"});
  EXPECT_FALSE(PlausibleHeader(options));
  w.clear();
  Bytes io = {0x02, 0x00, 0x02, 0x80, 0x08, 0x00, 0x01, 0,    0,    0,
              0x05, 0,    0,    0,    0xb1, 0x00, 0x02, 0x00, 0xaa, 0xbb};
  JsonWriter out;
  DecodeIo(io, &w, out);
  Json j = Json::parse("{" + std::string(out.view()) + "}");
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(j["pdu"], "io");
  EXPECT_EQ(j["connection_id"], 1);
  EXPECT_EQ(j["sequence"], 5);
  EXPECT_EQ(j["data_length"], 2);
}

}  // namespace
}  // namespace qilian::security::enip
