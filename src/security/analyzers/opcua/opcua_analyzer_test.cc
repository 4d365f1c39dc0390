#include "security/analyzers/opcua/opcua_analyzer.h"

#include <gtest/gtest.h>

#include "security/analyzers/opcua/opcua_test_bytes.h"
#include "security/common/weird.h"
#include "security/analyzers/testing/recording_host.h"

namespace qilian::security::opcua {
namespace {

using namespace testing;

// Roles follow the port: the server is on 4840.
class FakeHost : public analyzer_testing::RecordingHost {
 public:
  FakeHost() { flow_.resp.port = kOpcUaPort; }
};

// HEL: version 0, buffers 65536, max message 0, max chunks 0, endpoint URL.
const Bytes kHello = Join(
    {{'H', 'E', 'L', 'F', 0x32, 0x00, 0x00, 0x00},
     {0x00, 0x00, 0x00, 0x00},
     {0x00, 0x00, 0x01, 0x00},
     {0x00, 0x00, 0x01, 0x00},
     {0x00, 0x00, 0x00, 0x00},
     {0x00, 0x00, 0x00, 0x00},
     {0x12, 0x00, 0x00, 0x00},
     {'o', 'p', 'c', '.', 't', 'c', 'p', ':', '/', '/', 'p', 'l', 'c', ':', '4', '8', '4', '0'}});
const Bytes kAck = {'A',  'C',  'K',  'F',  0x1c, 0x00, 0x00, 0x00, 0x00, 0x00,
                    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
                    0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00};

Bytes OpnRequest(uint32_t seq = 1, uint32_t request = 1) {
  return Opn(0, kPolicyNone, seq, request,
             Join({TypeId(446), RequestHeader(1), U32(0), U32(0), U32(1), Null(), U32(600000)}));
}
Bytes OpnResponse(uint32_t channel = 9) {
  return Opn(channel, kPolicyNone, 1, 1,
             Join({TypeId(449), ResponseHeader(1), U32(0), U32(channel), U32(1), U64(kTicks),
                   U32(600000), Null()}));
}
Bytes ReadBody(uint32_t handle, uint16_t node) {
  return Join({TypeId(631), RequestHeader(handle), U64(0), U32(2), U32(1), FourByteId(2, node),
               U32(13), Null(), U16(0), Null()});
}
Bytes ReadResponseBody(uint32_t handle, uint32_t value) {
  return Join({TypeId(634), ResponseHeader(handle), U32(1), {0x01, 0x07}, U32(value), Null()});
}

TEST(OpcUaAnalyzerTest, Signature) {
  EXPECT_TRUE(LooksLikeOpcUa(kHello));
  EXPECT_TRUE(LooksLikeOpcUa(OpnRequest()));
  EXPECT_TRUE(LooksLikeOpcUa(Msg('C', 9, 1, 2, 2, {})));
  EXPECT_TRUE(LooksLikeOpcUa(Bytes{'M', 'S', 'G', 'F', 0xff, 0xff, 0xff, 0x7f}));
  EXPECT_FALSE(LooksLikeOpcUa(Bytes{'H', 'E', 'L', 'F'}));                 // the size is needed
  EXPECT_FALSE(LooksLikeOpcUa(Bytes{'H', 'E', 'L', 'C', 0x20, 0, 0, 0}));  // HEL is never chunked
  EXPECT_FALSE(LooksLikeOpcUa(Bytes{'M', 'S', 'G', 'X', 0x20, 0, 0, 0}));
  EXPECT_FALSE(LooksLikeOpcUa(Bytes{'H', 'E', 'L', 'F', 0x01, 0x40, 0, 0}));  // a 16 KiB + 1 HEL
  EXPECT_FALSE(LooksLikeOpcUa(Bytes{'G', 'E', 'T', ' ', '/', ' ', 'H', 'T'}));
  EXPECT_FALSE(LooksLikeOpcUa(Bytes{'H', 'E', 'L', 'F', 0x08, 0, 0, 0}));  // too small a size
  EXPECT_FALSE(LooksLikeOpcUa(Bytes{'M', 'S', 'G', 'F', 0xff, 0xff, 0xff, 0xff}));
  EXPECT_FALSE(LooksLikeOpcUa(Bytes{'H', 'E'}));
}

TEST(OpcUaAnalyzerTest, HelloAndAcknowledgeAByteAtATime) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  for (uint8_t b : kHello) a.DeliverStream(Direction::kOrig, Bytes{b});
  a.DeliverStream(Direction::kResp, kAck);
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[0].dump(),
            R"({"pdu":"request","msg_type":"HEL","chunk":"F","msg_size":50,"version":0,)"
            R"("receive_buffer_size":65536,"send_buffer_size":65536,"max_message_size":0,)"
            R"("max_chunk_count":0,"endpoint_url":"opc.tcp://plc:4840"})");
  EXPECT_EQ(host.events[1].dump(),
            R"({"pdu":"response","msg_type":"ACK","chunk":"F","msg_size":28,"version":0,)"
            R"("receive_buffer_size":65536,"send_buffer_size":65536,"max_message_size":16777216,)"
            R"("max_chunk_count":256})");
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(OpcUaAnalyzerTest, ErrorAndReverseHello) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kResp,
                  Message("ERR", 'F', Join({U32(0x807f0000), Str("no channel")})));
  a.DeliverStream(Direction::kResp,
                  Message("RHE", 'F', Join({Str("urn:server"), Str("opc.tcp://srv:4840")})));
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[0].dump(),
            R"({"pdu":"response","msg_type":"ERR","chunk":"F","msg_size":26,"error":2155806720,)"
            R"("error_name":"BadTcpSecureChannelUnknown","reason":"no channel"})");
  EXPECT_EQ(host.events[1]["server_uri"], "urn:server");
  EXPECT_EQ(host.events[1]["endpoint_url"], "opc.tcp://srv:4840");
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(OpcUaAnalyzerTest, SecureChannelSessionRequestsPairedWithResponses) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, OpnRequest());
  a.DeliverStream(Direction::kResp, OpnResponse());
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 2, 2, ReadBody(2, 10)));
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 3, 3, ReadBody(3, 11)));
  // Answered out of order: matched by request id.
  a.DeliverStream(Direction::kResp, Join({Msg('F', 9, 1, 2, 3, ReadResponseBody(3, 111)),
                                          Msg('F', 9, 1, 3, 2, ReadResponseBody(2, 110))}));
  a.DeliverStream(Direction::kOrig,
                  Msg('F', 9, 1, 4, 4, Join({TypeId(452), RequestHeader(4)}), "CLO"));
  ASSERT_EQ(host.events.size(), 7u);
  EXPECT_EQ(host.events[0].dump(),
            R"({"pdu":"request","msg_type":"OPN","chunk":"F","msg_size":132,"channel_id":0,)"
            R"("security_policy_uri":"http://opcfoundation.org/UA/SecurityPolicy#None",)"
            R"("security_policy":"None","sender_certificate_length":0,"sequence_number":1,)"
            R"("request_id":1,"service":"OpenSecureChannel","type_id":446,"request_handle":1,)"
            R"("timestamp":"2019-09-25T21:39:07.627018Z","timeout_hint":1000,)"
            R"("client_protocol_version":0,"request_type":"Issue","security_mode":"None",)"
            R"("client_nonce_length":0,"requested_lifetime":600000})");
  EXPECT_EQ(host.events[1]["channel_id"], 9);
  EXPECT_EQ(host.events[1]["token_id"], 1);
  EXPECT_EQ(host.events[2]["token_id"], 1);
  EXPECT_EQ(host.events[2]["sequence_number"], 2);
  EXPECT_EQ(host.events[4]["request_id"], 3);
  EXPECT_EQ(host.events[4]["results"][0]["node_id"], "ns=2;i=11");
  EXPECT_EQ(host.events[4]["results"][0]["value"], 111);
  EXPECT_EQ(host.events[5]["results"][0]["node_id"], "ns=2;i=10");
  EXPECT_EQ(host.events[6]["msg_type"], "CLO");
  EXPECT_EQ(host.events[6]["service"], "CloseSecureChannel");
  // The server's sequence numbers went 1, 2, 3: no gap.
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(OpcUaAnalyzerTest, ServiceFaultNamesTheRequestItAnswers) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, OpnRequest());
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 2, 2, ReadBody(2, 10)));
  a.DeliverStream(Direction::kResp,
                  Msg('F', 9, 1, 1, 2, Join({TypeId(397), ResponseHeader(2, 0x80250000)})));
  ASSERT_EQ(host.events.size(), 3u);
  EXPECT_EQ(host.events[2]["service"], "ServiceFault");
  EXPECT_EQ(host.events[2]["service_result_name"], "BadSessionIdInvalid");
  EXPECT_EQ(host.events[2]["request_service"], "Read");
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(OpcUaAnalyzerTest, ChunksAreReassembled) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, OpnRequest());
  Bytes body = ReadBody(5, 10);
  Bytes first(body.begin(), body.begin() + 10), second(body.begin() + 10, body.begin() + 20),
      last(body.begin() + 20, body.end());
  a.DeliverStream(Direction::kOrig, Msg('C', 9, 1, 2, 7, first));
  a.DeliverStream(Direction::kOrig, Msg('C', 9, 1, 3, 7, second));
  EXPECT_EQ(host.events.size(), 1u);
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 4, 7, last));
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[1]["chunks"], 3);
  EXPECT_EQ(host.events[1]["msg_size"], 3 * 24 + body.size());
  EXPECT_EQ(host.events[1]["sequence_number"], 2);  // the first chunk's
  EXPECT_EQ(host.events[1]["service"], "Read");
  EXPECT_EQ(host.events[1]["nodes"][0]["node_id"], "ns=2;i=10");
  EXPECT_EQ(host.weirds.Total(), 0u);

  // An aborted message: its last chunk holds an error and a reason.
  a.DeliverStream(Direction::kOrig, Msg('C', 9, 1, 5, 8, first));
  a.DeliverStream(Direction::kOrig, Msg('A', 9, 1, 6, 8, Join({U32(0x80080000), Str("limit")})));
  ASSERT_EQ(host.events.size(), 3u);
  EXPECT_EQ(host.events[2]["chunk"], "A");
  EXPECT_EQ(host.events[2]["chunks"], 2);
  EXPECT_EQ(host.events[2]["error_name"], "BadEncodingLimitsExceeded");
  EXPECT_EQ(host.events[2]["reason"], "limit");
  EXPECT_FALSE(host.events[2].contains("service"));
}

TEST(OpcUaAnalyzerTest, InterleavedChunksAndReassemblyBounds) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, OpnRequest());
  Bytes body = ReadBody(5, 10);
  a.DeliverStream(Direction::kOrig, Msg('C', 9, 1, 2, 7, Bytes(body.begin(), body.begin() + 10)));
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 3, 8, ReadBody(6, 12)));  // another request
  EXPECT_EQ(host.weirds.Count("opcua_chunk_interleaved"), 1u);
  ASSERT_EQ(host.events.size(), 2u);
  EXPECT_EQ(host.events[1]["request_id"], 8);
  EXPECT_FALSE(host.events[1].contains("chunks"));

  // More than kMaxMessageBytes of chunks: counted, not kept.
  Bytes big(60000, 0);
  uint32_t seq = 4;
  for (size_t n = 0; n * big.size() <= kMaxMessageBytes; ++n) {
    a.DeliverStream(Direction::kOrig, Msg('C', 9, 1, seq++, 9, big));
  }
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, seq++, 9, big));
  EXPECT_EQ(host.weirds.Count("opcua_message_too_large"), 1u);
  ASSERT_EQ(host.events.size(), 3u);
  EXPECT_EQ(host.events[2]["too_large"], true);
  EXPECT_EQ(host.events[2]["chunks"], 19);

  // A chunk larger than kMaxChunkSize is passed over as it arrives.
  Bytes header = {'M', 'S', 'G', 'F'};
  header = Join({header, U32(kMaxChunkSize + 100)});
  a.DeliverStream(Direction::kOrig, header);
  a.DeliverStream(Direction::kOrig, Bytes(kMaxChunkSize + 92, 0x4d));
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 50, 10, ReadBody(7, 13)));
  EXPECT_EQ(host.weirds.Count("opcua_chunk_too_large"), 1u);
  ASSERT_EQ(host.events.size(), 4u);
  EXPECT_EQ(host.events[3]["nodes"][0]["node_id"], "ns=2;i=13");
  EXPECT_EQ(host.weirds.Count("opcua_sequence_gap"), 0u);  // forgotten with the big chunk
}

TEST(OpcUaAnalyzerTest, EncryptedAndSignedChannels) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  // An OPN with Basic256Sha256: all after the asymmetric header is ciphertext.
  Bytes cipher = {0x9c, 0x31, 0x7e, 0x05, 0xaa, 0x10, 0x42, 0x77, 0x01, 0x02, 0x03, 0x04, 0x05};
  Bytes opn =
      Message("OPN", 'F',
              Join({U32(0), Str("http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256"),
                    Str("CERT"), Str("01234567890123456789"), cipher}));
  a.DeliverStream(Direction::kOrig, opn);
  a.DeliverStream(Direction::kOrig, Message("MSG", 'F', Join({U32(9), U32(1), cipher})));
  // Mode Sign: the body is plaintext, a signature follows it.
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 7, 7, Join({ReadBody(1, 10), Bytes(32, 0xee)})));
  ASSERT_EQ(host.events.size(), 3u);
  EXPECT_EQ(host.events[0]["security_policy"], "Basic256Sha256");
  EXPECT_EQ(host.events[0]["sender_certificate_length"], 4);
  EXPECT_EQ(host.events[0]["receiver_thumbprint"], "3031323334353637383930313233343536373839");
  EXPECT_EQ(host.events[0]["encrypted"], true);
  EXPECT_FALSE(host.events[0].contains("sequence_number"));
  EXPECT_EQ(host.events[1].dump(),
            R"({"pdu":"request","msg_type":"MSG","chunk":"F","msg_size":29,"channel_id":9,)"
            R"("token_id":1,"encrypted":true})");
  EXPECT_EQ(host.events[2]["service"], "Read");
  EXPECT_FALSE(host.events[2].contains("encrypted"));
  EXPECT_EQ(host.weirds.Total(), 0u);
}

TEST(OpcUaAnalyzerTest, HeaderWeirdsAndResync) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, Join({Bytes{'X', 'Y', 'Z', 'F', 0, 0, 0, 0, 1}, kHello}));
  EXPECT_EQ(host.weirds.Count("opcua_bad_message_type"), 1u);
  ASSERT_EQ(host.events.size(), 1u);
  a.DeliverStream(Direction::kOrig, Join({Bytes{'H', 'E', 'L', 'C', 0x20, 0, 0, 0}, kHello}));
  EXPECT_EQ(host.weirds.Count("opcua_bad_chunk_type"), 1u);
  a.DeliverStream(Direction::kOrig, Join({Bytes{'A', 'C', 'K', 'F', 0x09, 0, 0, 0}, kHello}));
  EXPECT_EQ(host.weirds.Count("opcua_bad_message_size"), 1u);
  EXPECT_EQ(host.events.size(), 3u);
  // Bad fields inside a well-framed message.
  Bytes small_buffers = kAck;
  small_buffers[14] = 0;  // receive buffer 0
  a.DeliverStream(Direction::kResp, small_buffers);
  EXPECT_EQ(host.weirds.Count("opcua_bad_buffer_size"), 1u);
  a.DeliverStream(Direction::kResp, Message("ERR", 'F', Join({U32(0), Str("x"), {0x00}})));
  EXPECT_EQ(host.weirds.Count("opcua_trailing_bytes"), 1u);
  a.DeliverStream(Direction::kResp, Message("ERR", 'F', Join({U32(0), U32(50)})));
  EXPECT_EQ(host.weirds.Count("opcua_bad_string_length"), 1u);
  EXPECT_EQ(host.events.size(), 6u);
}

TEST(OpcUaAnalyzerTest, GapsSequenceNumbersAndChannels) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, OpnRequest());
  a.DeliverStream(Direction::kResp, OpnResponse(9));
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 2, 2, ReadBody(2, 10)));
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 5, 3, ReadBody(3, 10)));
  EXPECT_EQ(host.weirds.Count("opcua_sequence_gap"), 1u);
  a.DeliverStream(Direction::kOrig, Msg('F', 8, 1, 6, 4, ReadBody(4, 10)));
  EXPECT_EQ(host.weirds.Count("opcua_channel_id_mismatch"), 1u);
  // Half a message, then a gap: it is dropped and the next one found.
  Bytes next = Msg('F', 9, 1, 7, 5, ReadBody(5, 10));
  a.DeliverStream(Direction::kOrig, Bytes(next.begin(), next.begin() + 30));
  a.Gap(Direction::kOrig, 500);
  a.DeliverStream(Direction::kOrig, Join({Bytes(next.begin() + 30, next.end()),
                                          Msg('F', 9, 1, 40, 6, ReadBody(6, 10))}));
  ASSERT_EQ(host.events.size(), 6u);
  EXPECT_EQ(host.events[5]["request_id"], 6);
  EXPECT_EQ(host.weirds.Count("opcua_sequence_gap"), 1u);      // not counted across the gap
  EXPECT_EQ(host.weirds.Count("opcua_bad_message_type"), 0u);  // nor the skipped bytes
  // Sequence numbers may wrap below 1024 after UInt32 max - 1024.
  a.DeliverStream(Direction::kResp, Msg('F', 9, 1, 0xfffffffe, 2, ReadResponseBody(2, 1)));
  a.DeliverStream(Direction::kResp, Msg('F', 9, 1, 3, 3, ReadResponseBody(3, 1)));
  EXPECT_EQ(host.weirds.Count("opcua_sequence_gap"), 2u);  // 2 -> 0xfffffffe is a gap; the wrap not
  // A message cut by the end of the stream.
  a.DeliverStream(Direction::kOrig, Bytes(next.begin(), next.begin() + 30));
  a.EndOfData(Direction::kOrig);
  EXPECT_EQ(host.weirds.Count("opcua_truncated_message_at_end"), 1u);
  a.DeliverStream(Direction::kResp, Msg('C', 9, 1, 4, 9, Bytes(4, 0)));
  a.EndOfData(Direction::kResp);
  EXPECT_EQ(host.weirds.Count("opcua_truncated_message_at_end"), 2u);
}

TEST(OpcUaAnalyzerTest, MalformedBodyIsWeirdButStillAnEvent) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, OpnRequest());
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 2, 2, Join({TypeId(631), {0x00}})));
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 3, 3, Join({TypeId(1234), RequestHeader(1)})));
  a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 4, 4, Join({ReadBody(4, 10), {0x00}})));
  a.DeliverStream(Direction::kOrig, Message("OPN", 'F', Join({U32(0), U32(100), Bytes(12, 0)})));
  ASSERT_EQ(host.events.size(), 5u);
  EXPECT_EQ(host.weirds.Count("opcua_truncated_body"), 1u);
  EXPECT_EQ(host.events[1]["service"], "Read");
  EXPECT_EQ(host.weirds.Count("opcua_unknown_service"), 1u);
  EXPECT_EQ(host.events[2]["type_id"], "i=1234");
  EXPECT_EQ(host.weirds.Count("opcua_trailing_bytes"), 1u);  // policy None: nothing may follow
  EXPECT_EQ(host.weirds.Count("opcua_bad_string_length"), 1u);
  EXPECT_EQ(host.events[4]["channel_id"], 0);
}

TEST(OpcUaAnalyzerTest, PendingRequestsAreBounded) {
  FakeHost host;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig, OpnRequest());
  for (uint32_t i = 0; i < kMaxPending + 10; ++i) {
    a.DeliverStream(Direction::kOrig, Msg('F', 9, 1, 2 + i, 100 + i, ReadBody(i, 10)));
  }
  a.DeliverStream(Direction::kResp, Msg('F', 9, 1, 1, 100, ReadResponseBody(0, 1)));
  a.DeliverStream(Direction::kResp,
                  Msg('F', 9, 1, 2, 100 + kMaxPending + 9, ReadResponseBody(0, 1)));
  size_t n = host.events.size();
  EXPECT_FALSE(host.events[n - 2]["results"][0].contains("node_id"));  // forgotten
  EXPECT_EQ(host.events[n - 1]["results"][0]["node_id"], "ns=2;i=10");
}

TEST(OpcUaAnalyzerTest, ReverseConnectRolesFollowTheMessages) {
  // The server opened the connection to the client's port (not 4840).
  FakeHost host;
  host.flow_.orig.port = 40000;
  host.flow_.resp.port = 4843;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kOrig,
                  Message("RHE", 'F', Join({Str("urn:server"), Str("opc.tcp://srv:4840")})));
  a.DeliverStream(Direction::kResp, kHello);
  a.DeliverStream(Direction::kOrig, kAck);
  ASSERT_EQ(host.events.size(), 3u);
  EXPECT_EQ(host.events[0]["pdu"], "response");
  EXPECT_EQ(host.events[1]["pdu"], "request");
  EXPECT_EQ(host.events[2]["pdu"], "response");
}

TEST(OpcUaAnalyzerTest, ServerSideIsThePortOwner) {
  FakeHost host;
  host.flow_.resp.port = 50000;
  host.flow_.orig.port = kOpcUaPort;
  OpcUaAnalyzer a(&host);
  a.DeliverStream(Direction::kResp, kHello);
  EXPECT_EQ(host.events[0]["pdu"], "request");
}

}  // namespace
}  // namespace qilian::security::opcua
