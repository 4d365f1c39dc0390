#include "security/analyzers/opcua/opcua_services.h"

#include <gtest/gtest.h>

#include "security/analyzers/opcua/opcua_decoder.h"
#include "security/analyzers/opcua/opcua_test_bytes.h"

namespace qilian::security::opcua {
namespace {

using namespace testing;
using json = nlohmann::ordered_json;

// ReadValueId: node, attribute, null index range, null data encoding.
Bytes ReadValueId(const Bytes& node, uint32_t attribute) {
  return Join({node, U32(attribute), Null(), U16(0), Null()});
}

struct Decoded {
  json event = json::object();
  ServiceResult result;
  PendingRequest pending;
};

Decoded Decode(const Bytes& body, const PendingRequest* request = nullptr, bool exact = true) {
  Decoded d;
  d.result = DecodeService(body, exact, &d.event, &d.pending, request);
  return d;
}

TEST(OpcUaServicesTest, ReadRequestAndItsResponse) {
  Bytes request = Join({TypeId(631), RequestHeader(7), U64(0), U32(2), U32(2),
                        ReadValueId(FourByteId(2, 10), 13), ReadValueId({0x00, 0x55}, 3)});
  Decoded r = Decode(request);
  EXPECT_EQ(r.result.weird, "");
  EXPECT_TRUE(r.result.known);
  EXPECT_FALSE(r.result.response);
  EXPECT_EQ(r.event.dump(),
            R"({"service":"Read","type_id":631,"request_handle":7,)"
            R"("timestamp":"2019-09-25T21:39:07.627018Z","timeout_hint":1000,"max_age":0.0,)"
            R"("timestamps_to_return":"Both","nodes":[{"node_id":"ns=2;i=10","attribute":"Value"},)"
            R"({"node_id":"i=85","attribute":"BrowseName"}]})");
  ASSERT_EQ(r.pending.operations.size(), 2u);

  // Two DataValues: an Int32 value, and a bad status.
  Bytes response = Join({TypeId(634),
                         ResponseHeader(7),
                         U32(2),
                         {0x01, 0x06},
                         U32(42),
                         {0x02},
                         U32(0x803a0000),
                         Null()});
  Decoded s = Decode(response, &r.pending);
  EXPECT_EQ(s.result.weird, "");
  EXPECT_TRUE(s.result.response);
  EXPECT_EQ(s.event["service_result_name"], "Good");
  EXPECT_EQ(s.event["results"].dump(),
            R"([{"node_id":"ns=2;i=10","attribute":"Value","type":"Int32","value":42},)"
            R"({"node_id":"i=85","attribute":"BrowseName","status":2151284736,)"
            R"("status_name":"BadNotReadable"}])");
  // Without the request the results carry no names.
  EXPECT_EQ(Decode(response).event["results"][0].dump(), R"({"type":"Int32","value":42})");
}

TEST(OpcUaServicesTest, WriteWithValueAndStatuses) {
  Bytes request = Join({TypeId(673),
                        RequestHeader(8),
                        U32(1),
                        FourByteId(1, 300),
                        U32(13),
                        Null(),
                        {0x01, 0x0b},
                        U64(0x4059000000000000)});
  Decoded r = Decode(request);
  EXPECT_EQ(r.event["nodes"].dump(),
            R"([{"node_id":"ns=1;i=300","attribute":"Value","type":"Double","value":100.0}])");
  Decoded s =
      Decode(Join({TypeId(676), ResponseHeader(8), U32(1), U32(0x803b0000), Null()}), &r.pending);
  EXPECT_EQ(s.event["results"].dump(),
            R"([{"node_id":"ns=1;i=300","attribute":"Value","status":2151350272,)"
            R"("status_name":"BadNotWritable"}])");
}

TEST(OpcUaServicesTest, CallObjectMethodAndArguments) {
  Bytes request = Join({TypeId(712),
                        RequestHeader(9),
                        U32(1),
                        FourByteId(2, 5),
                        FourByteId(2, 6),
                        U32(1),
                        {0x0c},
                        Str("stop")});
  Decoded r = Decode(request);
  EXPECT_EQ(r.event["calls"].dump(), R"([{"object_id":"ns=2;i=5","method_id":"ns=2;i=6",)"
                                     R"("arguments":[{"type":"String","value":"stop"}]}])");
  Bytes response = Join({TypeId(715),
                         ResponseHeader(9),
                         U32(1),
                         U32(0),
                         U32(1),
                         U32(0),
                         Null(),
                         U32(1),
                         {0x01, 0x01},
                         Null()});
  Decoded s = Decode(response, &r.pending);
  EXPECT_EQ(s.result.weird, "");
  EXPECT_EQ(s.event["results"].dump(),
            R"([{"object_id":"ns=2;i=5","method_id":"ns=2;i=6","status":0,"status_name":"Good",)"
            R"("argument_results":[0],"outputs":[{"type":"Boolean","value":true}]}])");
}

TEST(OpcUaServicesTest, CreateSessionClient) {
  Bytes request = Join({TypeId(461),
                        RequestHeader(1),
                        Str("urn:client"),
                        Str("urn:product"),
                        {0x02},
                        Str("HMI"),
                        U32(1),
                        Null(),
                        Null(),
                        U32(0),
                        Str("urn:server"),
                        Str("opc.tcp://plc:4840"),
                        Str("Session1"),
                        Null(),
                        Str("cert"),
                        U64(0x40ed4c0000000000),
                        U32(0)});
  Decoded r = Decode(request);
  EXPECT_EQ(r.result.weird, "");
  EXPECT_EQ(r.event["client_application_uri"], "urn:client");
  EXPECT_EQ(r.event["client_product_uri"], "urn:product");
  EXPECT_EQ(r.event["client_application_name"], "HMI");
  EXPECT_EQ(r.event["client_application_type"], "Client");
  EXPECT_EQ(r.event["endpoint_url"], "opc.tcp://plc:4840");
  EXPECT_EQ(r.event["session_name"], "Session1");
  EXPECT_EQ(r.event["client_certificate_length"], 4);
  EXPECT_EQ(r.event["requested_session_timeout"], 60000.0);
}

Bytes ActivateSession(const Bytes& token) {
  // Client signature (null algorithm and signature), null software
  // certificates, no locales, the token, null user token signature.
  return Join(
      {TypeId(467), RequestHeader(2), Null(), Null(), Null(), U32(0), token, Null(), Null()});
}

TEST(OpcUaServicesTest, IdentityTokens) {
  Decoded anon =
      Decode(ActivateSession(Join({TypeId(kAnonymousIdentityToken), {0x01}, U32(8), Str("anon")})));
  EXPECT_EQ(anon.result.weird, "");
  EXPECT_EQ(anon.event["identity_token"], "anonymous");
  EXPECT_EQ(anon.event["identity_policy_id"], "anon");

  Bytes user = Join({Str("user"), Str("operator"), Str("secret"), Null()});
  Decoded u = Decode(ActivateSession(Join(
      {TypeId(kUserNameIdentityToken), {0x01}, U32(static_cast<uint32_t>(user.size())), user})));
  EXPECT_EQ(u.result.weird, "");
  EXPECT_EQ(u.event["identity_token"], "username");
  EXPECT_EQ(u.event["user_name"], "operator");
  EXPECT_EQ(u.event["password_length"], 6);
  EXPECT_EQ(u.event["password_encrypted"], false);  // never the password itself
  EXPECT_EQ(u.event.dump().find("secret"), std::string::npos);

  Bytes x509 = Join({Str("x"), Str("DER")});
  Decoded x = Decode(ActivateSession(
      Join({TypeId(kX509IdentityToken), {0x01}, U32(static_cast<uint32_t>(x509.size())), x509})));
  EXPECT_EQ(x.event["identity_token"], "x509");
  EXPECT_EQ(x.event["certificate_length"], 3);

  Bytes issued = Join({Str("i"), Str("jwt"), Str("rsa")});
  Decoded i = Decode(ActivateSession(Join(
      {TypeId(kIssuedIdentityToken), {0x01}, U32(static_cast<uint32_t>(issued.size())), issued})));
  EXPECT_EQ(i.event["identity_token"], "issued");
  EXPECT_EQ(i.event["token_length"], 3);
  EXPECT_EQ(i.event["token_encrypted"], true);

  Decoded other = Decode(ActivateSession(Join({FourByteId(3, 9), {0x00}})));
  EXPECT_EQ(other.event["identity_token"], "ns=3;i=9");
}

TEST(OpcUaServicesTest, BrowseAndMonitoredItems) {
  Bytes browse = Join({TypeId(527),
                       RequestHeader(3),
                       {0x00, 0x00},
                       U64(0),
                       U32(0),
                       U32(0),
                       U32(1),
                       {0x00, 0x55},
                       U32(0),
                       {0x00, 0x21},
                       {0x01},
                       U32(0),
                       U32(63)});
  Decoded b = Decode(browse);
  EXPECT_EQ(b.result.weird, "");
  EXPECT_EQ(b.event["nodes"].dump(),
            R"([{"node_id":"i=85","direction":"Forward","reference_type_id":"i=33",)"
            R"("include_subtypes":true,"node_class_mask":0,"result_mask":63}])");

  Bytes items = Join({TypeId(751),
                      RequestHeader(4),
                      U32(77),
                      U32(2),
                      U32(1),
                      ReadValueId(FourByteId(2, 10), 13),
                      U32(2),
                      U32(1),
                      U64(0x408f400000000000),
                      {0x00, 0x00, 0x00},
                      U32(10),
                      {0x01}});
  Decoded m = Decode(items);
  EXPECT_EQ(m.result.weird, "");
  EXPECT_EQ(m.event["subscription_id"], 77);
  EXPECT_EQ(
      m.event["items"].dump(),
      R"([{"node_id":"ns=2;i=10","attribute":"Value","monitoring_mode":"Reporting",)"
      R"("client_handle":1,"sampling_interval":1000.0,"queue_size":10,"discard_oldest":true}])");
  Decoded mr = Decode(Join({TypeId(754),
                            ResponseHeader(4),
                            U32(1),
                            U32(0),
                            U32(5),
                            U64(0x408f400000000000),
                            U32(10),
                            {0x00, 0x00, 0x00},
                            Null()}),
                      &m.pending);
  EXPECT_EQ(mr.result.weird, "");
  EXPECT_EQ(mr.event["results"][0]["node_id"], "ns=2;i=10");
  EXPECT_EQ(mr.event["results"][0]["monitored_item_id"], 5);
}

TEST(OpcUaServicesTest, PublishResponseWithDataChange) {
  Bytes change = Join({U32(1), U32(1), {0x01, 0x06}, U32(static_cast<uint32_t>(-5)), Null()});
  Bytes response = Join({TypeId(829),
                         ResponseHeader(5),
                         U32(3),
                         U32(1),
                         U32(9),
                         {0x00},
                         U32(9),
                         U64(kTicks),
                         U32(1),
                         TypeId(kDataChangeNotification),
                         {0x01},
                         U32(static_cast<uint32_t>(change.size())),
                         change,
                         U32(0),
                         Null()});
  Decoded p = Decode(response);
  EXPECT_EQ(p.result.weird, "");
  EXPECT_EQ(p.event["subscription_id"], 3);
  EXPECT_EQ(p.event["notification"].dump(),
            R"({"sequence_number":9,"publish_time":"2019-09-25T21:39:07.627018Z",)"
            R"("notifications":[{"type":"DataChange","items":[{"client_handle":1,)"
            R"("type":"Int32","value":-5}]}]})");
}

TEST(OpcUaServicesTest, PathsHistoryAndNodeManagement) {
  // TranslateBrowsePathsToNodeIds: from i=84, forward to Objects, inverse to 2:Pump.
  Decoded t = Decode(Join({TypeId(554),
                           RequestHeader(1),
                           U32(1),
                           {0x00, 0x54},
                           U32(2),
                           {0x00, 0x21, 0x00, 0x01},
                           U16(0),
                           Str("Objects"),
                           {0x00, 0x21, 0x01, 0x01},
                           U16(2),
                           Str("Pump")}));
  EXPECT_EQ(t.result.weird, "");
  EXPECT_EQ(t.event["paths"].dump(), R"([{"start":"i=84","path":"/Objects<2:Pump"}])");
  Decoded tr = Decode(Join({TypeId(557), ResponseHeader(1), U32(1), U32(0), U32(1),
                            FourByteId(2, 5), U32(0xffffffff), Null()}),
                      &t.pending);
  EXPECT_EQ(tr.result.weird, "");
  EXPECT_EQ(tr.event["results"].dump(),
            R"([{"start":"i=84","status":0,"status_name":"Good","targets":["ns=2;i=5"]}])");

  // HistoryRead of raw values, answered with HistoryData.
  Decoded h = Decode(Join({TypeId(664),
                           RequestHeader(2),
                           TypeId(647),
                           {0x01},
                           U32(0),
                           U32(2),
                           {0x00},
                           U32(1),
                           FourByteId(2, 10),
                           Null(),
                           U16(0),
                           Null(),
                           Null()}));
  EXPECT_EQ(h.result.weird, "");
  EXPECT_EQ(h.event["details_type_id"], "i=647");
  EXPECT_EQ(h.event["nodes"].dump(), R"([{"node_id":"ns=2;i=10"}])");
  Decoded hr = Decode(
      Join({TypeId(667), ResponseHeader(2), U32(1), U32(0), Null(), TypeId(658), {0x00}, Null()}),
      &h.pending);
  EXPECT_EQ(hr.event["results"].dump(),
            R"([{"node_id":"ns=2;i=10","status":0,"status_name":"Good",)"
            R"("history_data_type_id":"i=658"}])");

  // AddNodes: a Variable under ns=2;i=1, and its new id.
  Decoded a = Decode(Join({TypeId(488),
                           RequestHeader(3),
                           U32(1),
                           FourByteId(2, 1),
                           {0x00, 0x2f},
                           FourByteId(2, 99),
                           U16(2),
                           Str("Backdoor"),
                           U32(2),
                           {0x00, 0x00, 0x00},
                           {0x00, 0x3f}}));
  EXPECT_EQ(a.result.weird, "");
  EXPECT_EQ(a.event["nodes"].dump(),
            R"([{"parent_node_id":"ns=2;i=1","reference_type_id":"i=47","node_id":"ns=2;i=99",)"
            R"("browse_name":"2:Backdoor","node_class":"Variable","type_definition":"i=63"}])");
  Decoded ar =
      Decode(Join({TypeId(491), ResponseHeader(3), U32(1), U32(0), FourByteId(2, 99), Null()}),
             &a.pending);
  EXPECT_EQ(ar.event["results"][0]["added_node_id"], "ns=2;i=99");
  EXPECT_EQ(ar.event["results"][0]["node_id"], "ns=2;i=99");

  // DeleteNodes, answered by a status per node.
  Decoded d =
      Decode(Join({TypeId(500), RequestHeader(4), U32(1), {0x01, 0x02, 0x63, 0x00}, {0x01}}));
  EXPECT_EQ(d.event["nodes"].dump(),
            R"([{"node_id":"ns=2;i=99","delete_target_references":true}])");
  Decoded dr =
      Decode(Join({TypeId(503), ResponseHeader(4), U32(1), U32(0x80690000), Null()}), &d.pending);
  EXPECT_EQ(dr.event["results"].dump(),
            R"([{"node_id":"ns=2;i=99","status":2154364928,"status_name":"BadNoDeleteRights"}])");
}

TEST(OpcUaServicesTest, SubscriptionsAndRegisteredNodes) {
  Decoded p = Decode(Join({TypeId(799), RequestHeader(1), {0x01}, U32(2), U32(7), U32(8)}));
  EXPECT_EQ(p.event["publishing_enabled"], true);
  EXPECT_EQ(p.event["subscription_ids"].dump(), "[7,8]");
  Decoded r = Decode(Join({TypeId(832), RequestHeader(2), U32(7), U32(3)}));
  EXPECT_EQ(r.event["subscription_id"], 7);
  EXPECT_EQ(r.event["retransmit_sequence_number"], 3);
  Decoded m = Decode(Join({TypeId(781), RequestHeader(3), U32(7), U32(1), U32(5)}));
  EXPECT_EQ(m.event["monitored_item_ids"].dump(), "[5]");
  Decoded g = Decode(Join({TypeId(560), RequestHeader(4), U32(1), {0x03, 0x02, 0x00}, Str("X")}));
  EXPECT_EQ(g.event["nodes"].dump(), R"([{"node_id":"ns=2;s=X"}])");
  Decoded gr = Decode(Join({TypeId(563), ResponseHeader(4), U32(1), FourByteId(2, 1)}));
  EXPECT_EQ(gr.event["nodes"].dump(), R"(["ns=2;i=1"])");
  for (const Decoded* x : {&p, &r, &m, &g, &gr}) EXPECT_EQ(x->result.weird, "");
}

TEST(OpcUaServicesTest, GetEndpointsResponse) {
  // One endpoint: no certificate, mode None, anonymous users.
  Bytes endpoint = Join({Str("opc.tcp://plc:4840"),
                         Str("urn:s"),
                         Null(),
                         {0x02},
                         Str("PLC"),
                         U32(0),
                         Null(),
                         Null(),
                         U32(0),
                         Null(),
                         U32(1),
                         Str(kPolicyNone),
                         U32(1),
                         Str("anon"),
                         U32(0),
                         Null(),
                         Null(),
                         Null(),
                         Str("uatcp"),
                         {0x00}});
  Decoded e = Decode(Join({TypeId(431), ResponseHeader(1), U32(1), endpoint}));
  EXPECT_EQ(e.result.weird, "");
  EXPECT_EQ(e.event["endpoints"].dump(),
            R"([{"endpoint_url":"opc.tcp://plc:4840","server":"urn:s",)"
            R"("server_certificate_length":0,"security_mode":"None",)"
            R"("security_policy_uri":"http://opcfoundation.org/UA/SecurityPolicy#None",)"
            R"("user_tokens":["Anonymous"],"security_level":0}])");
}

TEST(OpcUaServicesTest, OpenSecureChannelAndServiceFault) {
  Decoded o =
      Decode(Join({TypeId(446), RequestHeader(1), U32(0), U32(1), U32(3), Null(), U32(3600000)}));
  EXPECT_EQ(o.event["request_type"], "Renew");
  EXPECT_EQ(o.event["security_mode"], "SignAndEncrypt");
  EXPECT_EQ(o.event["requested_lifetime"], 3600000);
  Decoded r = Decode(Join({TypeId(449), ResponseHeader(1), U32(0), U32(9), U32(2), U64(kTicks),
                           U32(600000), Str("n")}));
  EXPECT_EQ(r.result.weird, "");
  EXPECT_EQ(r.event["channel_id"], 9);
  EXPECT_EQ(r.event["token_id"], 2);
  EXPECT_EQ(r.event["revised_lifetime"], 600000);
  EXPECT_EQ(r.event["server_nonce_length"], 1);

  Decoded f = Decode(Join({TypeId(397), ResponseHeader(6, 0x80280000)}));
  EXPECT_TRUE(f.result.response);
  EXPECT_EQ(f.event["service"], "ServiceFault");
  EXPECT_EQ(f.event["service_result_name"], "BadSubscriptionIdInvalid");
  Decoded odd = Decode(Join({TypeId(397), ResponseHeader(6, 0x81230000)}));
  EXPECT_EQ(odd.event["service_result_name"], "0x81230000");
}

TEST(OpcUaServicesTest, MalformedBodies) {
  EXPECT_EQ(Decode(Join({TypeId(9999), RequestHeader(1)})).result.weird, "opcua_unknown_service");
  EXPECT_EQ(Decode(Join({FourByteId(1, 631), RequestHeader(1)})).result.weird,
            "opcua_unknown_service");  // not namespace 0
  EXPECT_EQ(Decode(Join({TypeId(473), RequestHeader(1)})).result.weird, "opcua_truncated_body");
  Bytes close = Join({TypeId(473), RequestHeader(1), {0x01}});
  EXPECT_EQ(Decode(close).result.weird, "");
  EXPECT_EQ(Decode(Join({close, {0x00}})).result.weird, "opcua_trailing_bytes");
  // A signature after the body (mode Sign) is not a weird.
  EXPECT_EQ(Decode(Join({close, {0x00}}), nullptr, false).result.weird, "");
  // 1,000,000 nodes claimed in a few bytes.
  EXPECT_EQ(
      Decode(Join({TypeId(631), RequestHeader(1), U64(0), U32(2), U32(1000000)})).result.weird,
      "opcua_bad_array_length");
}

TEST(OpcUaServicesTest, OperationsAreBounded) {
  Bytes request = Join({TypeId(631), RequestHeader(7), U64(0), U32(2), U32(40)});
  for (uint16_t i = 0; i < 40; ++i) request = Join({request, ReadValueId(FourByteId(1, i), 13)});
  Decoded r = Decode(request);
  EXPECT_EQ(r.result.weird, "");
  EXPECT_EQ(r.event["nodes"].size(), kMaxEventArray);
  EXPECT_EQ(r.event["nodes_total"], 40);
  EXPECT_EQ(r.pending.operations.size(), kMaxEventArray);
}

TEST(OpcUaServicesTest, StartsWithServiceType) {
  EXPECT_TRUE(StartsWithServiceType(Join({TypeId(631), RequestHeader(1)})));
  EXPECT_FALSE(StartsWithServiceType(Join({TypeId(1), RequestHeader(1)})));
  EXPECT_FALSE(StartsWithServiceType(Bytes{0x9c, 0x31, 0x7e}));  // ciphertext
}

}  // namespace
}  // namespace qilian::security::opcua
