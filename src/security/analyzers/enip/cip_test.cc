#include "security/analyzers/enip/cip.h"

#include <gtest/gtest.h>

#include "security/analyzers/enip/enip_names.h"

namespace qilian::security::enip {
namespace {

using Bytes = std::vector<uint8_t>;
using Json = nlohmann::json;

// What DecodeCipRequest and DecodeCipResponse write, as a tree.
Json Parsed(const JsonWriter& out) {
  return Json::parse("{" + std::string(out.view()) + "}")["cip"];
}

Json Request(std::span<const uint8_t> bytes, CipRequestInfo* info, Weirds* w) {
  JsonWriter out;
  DecodeCipRequest(bytes, info, w, out.Key("cip"));
  return Parsed(out);
}

Json Response(std::span<const uint8_t> bytes, const CipRequestInfo* request, Weirds* w) {
  JsonWriter out;
  DecodeCipResponse(bytes, request, w, out.Key("cip"));
  return Parsed(out);
}

Bytes FromHex(std::string_view hex) {
  Bytes b;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    b.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return b;
}

TEST(CipTest, UnconnectedSendIsUnwrappedAndItsReplyMatched) {
  // From EthernetIP-CIP.pcap (frames 29 and 31): an Unconnected_Send to the
  // Connection Manager carrying Get_Attributes_All to class 0xAC instance 1,
  // routed to backplane slot 0; the reply comes from the embedded service.
  Bytes req = FromHex("52022006240107e90800010220ac2401010001000100");
  CipRequestInfo info;
  Weirds w;
  Json j = Request(req, &info, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(j["service_name"], "Unconnected_Send");
  EXPECT_EQ(j["class_name"], "connection_manager");
  EXPECT_EQ(j["request"]["service_name"], "Get_Attributes_All");
  EXPECT_EQ(j["request"]["class"], 0xac);
  EXPECT_EQ(j["request"]["instance"], 1);
  EXPECT_EQ(j["route"], Json::parse(R"([{"port":1,"link":"0"}])"));
  EXPECT_EQ(j["timeout_ms"], 128 * 233);
  ASSERT_EQ(info.embedded.size(), 1u);
  Bytes resp = FromHex("81000000e8000100e302b2a4c1d1afa40000e803020000009453d33d01000100e2fc2030");
  Json r = Response(resp, &info, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(r["service_name"], "Get_Attributes_All");
  EXPECT_EQ(r["routed"], true);
  EXPECT_EQ(r["class"], 0xac);
  EXPECT_EQ(r["status_name"], "success");
  EXPECT_EQ(r["data_length"], 32);
}

TEST(CipTest, IdentityObjectFromGetAttributesAll) {
  Bytes req = {0x01, 0x02, 0x20, 0x01, 0x24, 0x01};
  CipRequestInfo info;
  Weirds w;
  Request(req, &info, &w);
  Bytes resp = {0x81, 0,    0,    0,    0x01, 0x00, 0x0e, 0x00, 0x36, 0x00, 20,  11,
                0x60, 0x30, 0x78, 0x56, 0x34, 0x12, 4,    'L',  '7',  '5',  'x', 3};
  Json r = Response(resp, &info, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(r["identity"], Json::parse(R"({"vendor_id":1,
      "vendor_name":"Rockwell Automation/Allen-Bradley","device_type":14,
      "device_type_name":"Programmable Logic Controller","product_code":54,"revision":"20.11",
      "status":12384,"serial":"0x12345678","product_name":"L75x","state":3})"));
  // Get_Attribute_Single of the product name.
  CipRequestInfo single;
  Request(Bytes{0x0e, 0x03, 0x20, 0x01, 0x24, 0x01, 0x30, 0x07}, &single, &w);
  Json s = Response(Bytes{0x8e, 0, 0, 0, 2, 'P', 'N'}, &single, &w);
  EXPECT_EQ(s["identity"], Json::parse(R"({"product_name":"PN"})"));
  EXPECT_EQ(s["attribute"], 7);
}

TEST(CipTest, MultipleServicePacketOfTagReads) {
  // Read_Tag "A" (1 element) and Read_Tag "Bb[2]" inside a
  // Multiple_Service_Packet to the Message Router.
  Bytes req = {0x0a, 0x02, 0x20, 0x02, 0x24, 0x01, 0x02, 0x00, 0x06, 0x00,
               0x0e, 0x00, 0x4c, 0x02, 0x91, 0x01, 'A',  0x00, 0x01, 0x00,
               0x4c, 0x03, 0x91, 0x02, 'B',  'b',  0x28, 0x02, 0x01, 0x00};
  CipRequestInfo info;
  Weirds w;
  Json j = Request(req, &info, &w);
  EXPECT_TRUE(w.empty()) << w.size();
  EXPECT_EQ(j["service_name"], "Multiple_Service_Packet");
  ASSERT_EQ(j["services"].size(), 2u);
  EXPECT_EQ(j["services"][0]["service_name"], "Read_Tag");
  EXPECT_EQ(j["services"][0]["tag"], "A");
  EXPECT_EQ(j["services"][1]["tag"], "Bb[2]");
  EXPECT_EQ(j["services"][1]["elements"], 1);
  // The reply: a DINT, and a failure (path destination unknown).
  Bytes resp = {0x8a, 0, 0x1e, 0,    0x02, 0x00, 0x06, 0x00, 0x10, 0x00, 0xcc, 0,
                0,    0, 0xc4, 0x00, 0x2a, 0x00, 0x00, 0x00, 0xcc, 0,    0x05, 0x00};
  Json r = Response(resp, &info, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(r["status_name"], "embedded_service_error");
  ASSERT_EQ(r["services"].size(), 2u);
  EXPECT_EQ(r["services"][0]["tag"], "A");
  EXPECT_EQ(r["services"][0]["data_type_name"], "DINT");
  EXPECT_EQ(r["services"][0]["data_length"], 4);
  EXPECT_EQ(r["services"][1]["status_name"], "path_destination_unknown");
  EXPECT_EQ(r["services"][1]["tag"], "Bb[2]");
}

TEST(CipTest, ForwardOpenAndItsFailure) {
  Bytes req = {0x54, 0x02, 0x20, 0x06, 0x24, 0x01, 0x0a, 0x0e,
               0x01, 0x00, 0x00, 0x80, 0x02, 0x00, 0x00, 0x80,  // O->T, T->O ids
               0x34, 0x12, 0x01, 0x00, 0x78, 0x56, 0x34, 0x12,  // serial, vendor, orig serial
               0x01, 0x00, 0x00, 0x00,                          // multiplier, reserved
               0x40, 0x42, 0x0f, 0x00, 0xf4, 0x43,              // O->T RPI 1 s, params
               0x40, 0x42, 0x0f, 0x00, 0xf4, 0x43,              // T->O
               0xa3, 0x02, 0x20, 0x02, 0x24, 0x01};
  CipRequestInfo info;
  Weirds w;
  Json j = Request(req, &info, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(j["service_name"], "Forward_Open");
  EXPECT_EQ(j["o_t_connection_id"], 0x80000001u);
  EXPECT_EQ(j["connection_serial"], 0x1234);
  EXPECT_EQ(j["o_t_rpi_us"], 1000000);
  EXPECT_EQ(j["o_t_connection_size"], 500);
  EXPECT_EQ(j["transport_class_trigger"], 0xa3);
  EXPECT_EQ(j["connection_path"]["class_name"], "message_router");
  Bytes resp = {0xd4, 0,    0x01, 0x01, 0x00, 0x01, 0x34, 0x12,
                0x01, 0x00, 0x78, 0x56, 0x34, 0x12, 0x00, 0x00};
  Json r = Response(resp, &info, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(r["status_name"], "connection_failure");
  EXPECT_EQ(r["ext_status"], Json::parse("[256]"));
  EXPECT_EQ(r["ext_status_name"], "connection_in_use_or_duplicate_forward_open");
  EXPECT_EQ(r["connection_serial"], 0x1234);
}

TEST(CipTest, ExecutePccc) {
  // From cip_only.pcap: a PCCC protected typed logical read (CMD 0x0F, FNC 0xA2).
  Bytes req = {0x4b, 0x02, 0x20, 0x67, 0x24, 0x01, 0x07, 0x4d, 0x00, 0xf0, 0x95,
               0xac, 0x14, 0x0f, 0x00, 0x01, 0x00, 0xa2, 0x02, 0x07, 0x89, 0x00};
  CipRequestInfo info;
  Weirds w;
  Json j = Request(req, &info, &w);
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(j["service_name"], "Execute_PCCC");
  EXPECT_EQ(j["pccc"], Json::parse(R"({"cmd":15,"sts":0,"tns":1,"fnc":162})"));
  Json r = Response(Bytes{0xcb, 0, 0, 0, 0x07, 0x4d, 0x00, 0xf0, 0x95, 0xac, 0x14, 0x4f,
                                   0x00, 0x01, 0x00, 0x11, 0x22},
                             &info, &w);
  EXPECT_EQ(r["pccc"], Json::parse(R"({"cmd":79,"sts":0,"tns":1})"));
  EXPECT_EQ(r["data_length"], 2);
}

TEST(CipTest, UnmatchedResponsesAndMalformedMessages) {
  Weirds w;
  Json r = Response(Bytes{0xcc, 0, 0, 0, 0xca, 0, 0, 0, 0x80, 0x3f}, nullptr, &w);
  EXPECT_EQ(r["service_name"], "Read_Tag");  // no class known: the Logix name
  EXPECT_FALSE(r.contains("tag"));
  EXPECT_EQ(r["data_type_name"], "REAL");
  EXPECT_TRUE(w.empty());
  Response(Bytes{0xcc, 0}, nullptr, &w);
  EXPECT_EQ(w, Weirds{"cip_truncated"});
  w.clear();
  Request(Bytes{0x0e, 0x05, 0x20}, nullptr, &w);
  EXPECT_EQ(w, Weirds{"cip_truncated"});
  w.clear();
  // A Multiple_Service_Packet whose offset points outside it.
  Request(Bytes{0x0a, 0x02, 0x20, 0x02, 0x24, 0x01, 0x01, 0x00, 0x40, 0x00}, nullptr, &w);
  EXPECT_EQ(w, Weirds{"cip_bad_multiple_service_offset"});
  w.clear();
  Request(Bytes{0x8e, 0x00}, nullptr, &w);
  EXPECT_EQ(w, Weirds{"cip_response_in_request"});
}

TEST(CipTest, NestingIsBounded) {
  // Multiple_Service_Packets nested inside each other, deeper than allowed.
  Bytes inner = {0x0e, 0x01, 0x20, 0x01};
  for (int i = 0; i < 8; ++i) {
    Bytes outer = {0x0a, 0x00, 0x01, 0x00, 0x04, 0x00};
    for (uint8_t x : inner) outer.push_back(x);
    inner = outer;
  }
  Weirds w;
  Json j = Request(inner, nullptr, &w);
  EXPECT_EQ(w, Weirds{"cip_nesting_too_deep"});
  EXPECT_TRUE(j["services"][0]["services"][0]["services"][0].contains("data_length"));
}

TEST(CipTest, ObjectSpecificServicesAreNamedByClass) {
  EXPECT_EQ(ServiceName(0x4e, kConnectionManagerClass), "Forward_Close");
  EXPECT_EQ(ServiceName(0x4e, 0x6b), "Read_Modify_Write_Tag");
  EXPECT_EQ(ServiceName(0x52, kConnectionManagerClass), "Unconnected_Send");
  EXPECT_EQ(ServiceName(0x52, std::nullopt), "Read_Tag_Fragmented");
  EXPECT_EQ(ServiceName(0xd4, kConnectionManagerClass), "Forward_Open");  // response bit
  EXPECT_EQ(ServiceName(0x4b, kPcccClass), "Execute_PCCC");
  EXPECT_EQ(ServiceName(0x4b, std::nullopt), "");
  EXPECT_EQ(ServiceName(0x0e, 0x01), "Get_Attribute_Single");
  EXPECT_EQ(GeneralStatusName(0x1e), "embedded_service_error");
  EXPECT_EQ(GeneralStatusName(0x2d), "");
  EXPECT_EQ(ExtendedStatusName(0x01, 0x0100), "connection_in_use_or_duplicate_forward_open");
  EXPECT_EQ(ExtendedStatusName(0x05, 0x0100), "");
  EXPECT_EQ(VendorName(1), "Rockwell Automation/Allen-Bradley");
  EXPECT_EQ(DeviceTypeName(0x0e), "Programmable Logic Controller");
}

}  // namespace
}  // namespace qilian::security::enip
