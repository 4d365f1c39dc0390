// Each recogniser's signature on a PDU built byte by byte (accepted) and on
// a near miss (refused), what it notes, and the generic analyzer's framing,
// counting and end-of-flow event. Byte layouts follow the specifications
// named in each recogniser's file; several PDUs are those of the public
// captures (../shared/data/pcaps, CC BY 4.0, ITI ICS-Security-Tools).
#include <gtest/gtest.h>

#include <map>

#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Hex(std::string_view hex) {
  auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  Bytes out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

size_t PduLengthForTest(const Recognizer& r, const Bytes& b) { return r.pdu_length(b); }

nlohmann::ordered_json Notes(const Recognizer& r, const Bytes& pdu,
                             Direction dir = Direction::kOrig) {
  FlowNotes notes;
  EXPECT_TRUE(r.inspect(dir, pdu, &notes)) << r.name;
  return notes.fields();
}

// --- BACnet/IP
TEST(BacnetTest, ReadPropertyRequestAndComplexAck) {
  // From bacnet_test.pcap: original-unicast-npdu, NPDU with DNET, then a
  // confirmed readProperty request.
  Bytes request = Hex("810a001101040005010c0c023fffff194b");
  Bytes ack = Hex("810a0017010030010c0c023fffff194b3ec4020001f43f");
  const Recognizer& r = BacnetRecognizer();
  EXPECT_TRUE(r.signature(request));
  EXPECT_TRUE(r.signature(ack));
  FlowNotes notes;
  ASSERT_TRUE(r.inspect(Direction::kOrig, request, &notes));
  ASSERT_TRUE(r.inspect(Direction::kResp, ack, &notes));
  EXPECT_EQ(notes.fields().dump(),
            R"({"bvlc_functions":{"original-unicast-npdu":2},)"
            R"("apdu_types":{"confirmed-request":1,"complex-ack":1},)"
            R"("services":{"readProperty":2}})");
}

TEST(BacnetTest, WhoIsAndResultAndNearMisses) {
  const Recognizer& r = BacnetRecognizer();
  EXPECT_EQ(Notes(r, Hex("810b000c0120ffff00ff1008")).dump(),
            R"({"bvlc_functions":{"original-broadcast-npdu":1},)"
            R"("apdu_types":{"unconfirmed-request":1},"services":{"who-Is":1}})");
  EXPECT_EQ(Notes(r, Hex("810000060030")).dump(), R"({"bvlc_functions":{"result":1}})");
  EXPECT_FALSE(r.signature(Hex("810a0013010030010c0c023fffff194b3ec4")));  // length off by one
  EXPECT_FALSE(r.signature(Hex("820a0004")));                              // BVLC type
  EXPECT_FALSE(r.signature(Hex("810d0004")));                              // function
  FlowNotes notes;
  EXPECT_FALSE(r.inspect(Direction::kOrig, Hex("810a0006010c"), &notes));  // NPDU cut short
}

// --- PROFINET
TEST(ProfinetTest, DcpIdentifyAndCyclicData) {
  const Recognizer& r = ProfinetRecognizer();
  Bytes identify = Hex("fefe05000000000100010004ffff0000");
  EXPECT_TRUE(r.signature(identify));
  EXPECT_EQ(Notes(r, identify).dump(),
            R"({"frame_ids":{"0xfefe":1},"dcp_services":{"identify/request":1}})");
  Bytes cyclic = Hex("8000") + Bytes(40, 0);
  EXPECT_TRUE(r.signature(cyclic));
  EXPECT_EQ(Notes(r, cyclic).dump(), R"({"frame_ids":{"0x8000":1}})");
  EXPECT_FALSE(r.signature(Hex("fefe09000000000100010004ffff0000")));  // DCP service 9
  EXPECT_FALSE(r.signature(Hex("fefe05000000000100010040ffff0000")));  // DCP length past the end
  EXPECT_FALSE(r.signature(Hex("fd00")));                              // reserved frame id
}

// --- GOOSE and SV
Bytes Goose() {
  // APPID 0x0001, length, reserved; goosePdu { gocbRef, timeAllowedtoLive,
  // datSet, goID, stNum 3, sqNum 7, confRev 1 }.
  Bytes pdu = Hex("8005") + Bytes{'L', 'D', '/', 'G', '1'} + Hex("810207d0") + Hex("8203") +
              Bytes{'D', 'S', '1'} + Hex("8302") + Bytes{'G', '1'} + Hex("850103") +
              Hex("860107") + Hex("880101");
  Bytes apdu = Hex("61");
  apdu.push_back(static_cast<uint8_t>(pdu.size()));
  apdu.insert(apdu.end(), pdu.begin(), pdu.end());
  Bytes out = Hex("0001");
  out.push_back(0);
  out.push_back(static_cast<uint8_t>(8 + apdu.size()));
  out.insert(out.end(), {0, 0, 0, 0});
  out.insert(out.end(), apdu.begin(), apdu.end());
  return out;
}

TEST(Iec61850Test, GooseFields) {
  const Recognizer& r = GooseRecognizer();
  Bytes g = Goose();
  EXPECT_TRUE(r.signature(g));
  EXPECT_EQ(Notes(r, g).dump(),
            R"({"appid":"0x0001","gocb_ref":"LD/G1","dat_set":"DS1","go_id":"G1",)"
            R"("st_num":3,"sq_num":7,"conf_rev":1})");
  Bytes padded = g;
  padded.resize(g.size() + 10, 0);  // Ethernet padding after the PDU is not read
  EXPECT_TRUE(r.signature(padded));
  Bytes bad_length = g;
  bad_length[3] = static_cast<uint8_t>(g.size() + 1);
  EXPECT_FALSE(r.signature(bad_length));
  Bytes sv_tag = g;
  sv_tag[8] = 0x60;
  EXPECT_FALSE(r.signature(sv_tag));
  EXPECT_TRUE(SvRecognizer().signature(sv_tag));
}

TEST(Iec61850Test, SampledValuesFields) {
  // savPdu { noASDU 1, seqASDU { ASDU { svID "MU01", smpCnt 0x0102 } } }.
  Bytes asdu = Hex("8004") + Bytes{'M', 'U', '0', '1'} + Hex("82020102");
  Bytes seq = Hex("a20c30") + Bytes{static_cast<uint8_t>(asdu.size())} + asdu;
  Bytes pdu = Hex("800101") + seq;
  Bytes sv = Hex("4000") + Bytes{0, static_cast<uint8_t>(10 + pdu.size()), 0, 0, 0, 0, 0x60,
                                 static_cast<uint8_t>(pdu.size())} +
             pdu;
  EXPECT_EQ(Notes(SvRecognizer(), sv).dump(),
            R"({"appid":"0x4000","no_asdu":1,"sv_id":"MU01","smp_cnt":258})");
}

// --- MMS and S7 on port 102
TEST(MmsTest, SessionDataAndConnectionRequestAreMmsButS7IsNot) {
  const Recognizer& r = MmsRecognizer();
  // From Sample_File_MMS_and_GOOSE.pcap: a CR with TSAPs 0x0001, and an MMS
  // confirmed request (getNameList... see the services note).
  Bytes cr = Hex("0300001611e00000077800c1020001c2020001c0010d");
  EXPECT_TRUE(r.signature(cr));
  Bytes read = Hex("0300001902f0800100010061") + Hex("0c300a020103a00502a00101a4");
  EXPECT_TRUE(r.signature(read));
  // S7: CR with TSAPs 0x0100 / 0x0102 (PG, rack 0 slot 2); DT with S7 (0x32).
  EXPECT_FALSE(r.signature(Hex("0300001611e00000000100c1020100c2020102c0010a")));
  EXPECT_FALSE(r.signature(Hex("0300001902f080320100000000000800000f0000010001")));
  // S7comm-plus CR: text TSAPs.
  EXPECT_FALSE(r.signature(Hex("0300002311e00000000100c0010ac1020600c2104d57505f312e6d7773")));
}

TEST(MmsTest, NotesPduTypeAndService) {
  const Recognizer& r = MmsRecognizer();
  // confirmed-request { invokeID 1, read [4] }.
  Bytes read = Hex("0300001b02f08001000100610e300c020103a007a005020101a400");
  EXPECT_EQ(PduLengthForTest(r, read), read.size());
  EXPECT_EQ(Notes(r, read).dump(),
            R"({"spdus":{"data":1},"pdu_types":{"confirmed-request":1},"services":{"read":1}})");
}

// --- C37.118
Bytes WithCrc(Bytes frame) {
  uint16_t crc = 0xffff;
  for (uint8_t byte : frame) {
    crc ^= static_cast<uint16_t>(byte) << 8;
    for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
  }
  frame.push_back(crc >> 8);
  frame.push_back(crc & 0xff);
  return frame;
}

TEST(C37118Test, FramesFromTheCaptureAndACommand) {
  const Recognizer& r = C37118Recognizer();
  // C37.118_1PMU_UDP.pcap: the PDC's first command, "turn off transmission".
  Bytes off = Hex("aa410012003c4899909a00342ed50001560b");
  EXPECT_TRUE(r.signature(off));
  EXPECT_EQ(Notes(r, off).dump(),
            R"({"frame_types":{"command":1},"id_code":60,"commands":{"turn-off-transmission":1}})");
  // A data frame (type 0) with two bytes of data, CRC computed here.
  Bytes data = WithCrc(Hex("aa010012000700000000000000000000"));
  EXPECT_TRUE(r.signature(data));
  EXPECT_EQ(Notes(r, data).dump(), R"({"frame_types":{"data":1},"id_code":7})");
  Bytes corrupt = off;
  corrupt[10] ^= 1;
  EXPECT_FALSE(r.signature(corrupt));  // CRC
  FlowNotes notes;
  EXPECT_FALSE(r.inspect(Direction::kOrig, corrupt, &notes));
  EXPECT_FALSE(r.signature(Hex("ab410012003c4899909a00342ed50001560b")));  // sync
}

// --- FINS
TEST(FinsTest, UdpFrameTcpHeaderAndNearMisses) {
  const Recognizer& r = FinsRecognizer();
  Bytes request = Hex("800002000000006300ef050100");  // omron_test.pcap: controller data read
  Bytes response = Hex("c0000200630000c800ef0501000043");
  EXPECT_TRUE(r.signature(request));
  FlowNotes notes;
  ASSERT_TRUE(r.inspect(Direction::kOrig, request, &notes));
  ASSERT_TRUE(r.inspect(Direction::kResp, response, &notes));
  EXPECT_EQ(notes.fields().dump(), R"({"commands":{"0x0501":1},"end_codes":{"0x0000":1}})");
  Bytes tcp = Hex("46494e5300000015000000020000000080000200c8000000ef05050100");
  EXPECT_TRUE(r.signature(tcp));
  EXPECT_EQ(PduLengthForTest(r, tcp), tcp.size());
  EXPECT_EQ(Notes(r, tcp).dump(), R"({"tcp_commands":{"frame":1},"commands":{"0x0501":1}})");
  EXPECT_FALSE(r.signature(Hex("800102000000006300ef050100")));  // RSV not 0
  EXPECT_FALSE(r.signature(Hex("800002000000006300ef990100")));  // unknown MRC
  EXPECT_FALSE(r.signature(Hex("46494e5800000015")));            // magic
}

// --- HART-IP
TEST(HartIpTest, SessionInitiateAndPassThrough) {
  const Recognizer& r = HartIpRecognizer();
  Bytes initiate = Hex("010000000002000d0100007530");  // hart_ip.pcap
  EXPECT_TRUE(r.signature(initiate));
  EXPECT_EQ(Notes(r, initiate).dump(),
            R"({"message_types":{"request":1},"message_ids":{"session-initiate":1}})");
  Bytes pass = Hex("010003000003001182264e0000d2000038");  // long address, command 0
  EXPECT_EQ(Notes(r, pass).dump(),
            R"({"message_types":{"request":1},"message_ids":{"pass-through":1},)"
            R"("commands":{"0":1}})");
  EXPECT_FALSE(r.signature(Hex("030000000002000d0100007530")));  // version 3
  EXPECT_FALSE(r.signature(Hex("010000000002000e0100007530")));  // byte count past the end
  EXPECT_FALSE(r.signature(Hex("010900000002000d0100007530")));  // message type 9
}

// --- ADS/AMS
TEST(AdsTest, TcpRequestResponseAndDiscovery) {
  const Recognizer& r = AdsRecognizer();
  // beckoffiplink.pcapng: a read-state request and its response.
  Bytes request = Hex("000020000000050d756001011027c0a80163010178820400040000000000000000000d000000");
  Bytes response = Hex(
      "000028000000c0a8016301017882050d7560010110270400050008000000000000000d0000000000000005000200");
  EXPECT_TRUE(r.signature(request));
  EXPECT_EQ(PduLengthForTest(r, request), request.size());
  FlowNotes notes;
  ASSERT_TRUE(r.inspect(Direction::kOrig, request, &notes));
  ASSERT_TRUE(r.inspect(Direction::kResp, response, &notes));
  EXPECT_EQ(notes.fields().dump(),
            R"({"commands":{"read-state":1},"target":"5.13.117.96.1.1:10000",)"
            R"("responses":{"read-state":1}})");
  Bytes discovery = Hex("036614710000000001000000c0a801630101102700000000");
  EXPECT_TRUE(r.signature(discovery));
  EXPECT_EQ(Notes(r, discovery).dump(), R"({"discovery_services":{"0x00000001":1}})");
  Bytes wrong_length = request;
  wrong_length[2] = 0x21;  // AMS/TCP length disagrees with the AMS data length
  EXPECT_FALSE(r.signature(wrong_length));
}

// --- MELSEC
TEST(MelsecTest, SlmpBatchReadAndNearMisses) {
  const Recognizer& r = SlmpRecognizer();
  // 3E request: network 0, PC 0xff, I/O 0x03ff, station 0, length 12,
  // timer 0x0010, command 0x0401 (batch read) subcommand 0, D100, 1 word.
  Bytes request = Hex("500000ffff03000c00100001040000640000a80100");
  Bytes response = Hex("d00000ffff030004000000" "3412");
  EXPECT_TRUE(r.signature(request));
  EXPECT_TRUE(r.signature(response));
  EXPECT_EQ(PduLengthForTest(r, request), request.size());
  FlowNotes notes;
  ASSERT_TRUE(r.inspect(Direction::kOrig, request, &notes));
  ASSERT_TRUE(r.inspect(Direction::kResp, response, &notes));
  EXPECT_EQ(notes.fields().dump(), R"({"commands":{"0x0401/0x0000":1},"end_codes":{"0x0000":1}})");
  EXPECT_FALSE(r.signature(Hex("500000ffff03000d00100001040000640000a80100")));  // length
  EXPECT_FALSE(r.signature(Hex("510000ffff03000c00100001040000640000a80100")));  // subheader
}

TEST(MelsecTest, MelsoftFramesFromTheCapture) {
  const Recognizer& r = MelsoftRecognizer();
  Bytes command = Hex(
      "57010000001111070000ffff030000fe03000020001c0a161400000000000000000000000000000000000000"
      "000121010000000001");
  EXPECT_TRUE(r.signature(command));
  EXPECT_TRUE(r.signature(Hex("5a000001")));
  EXPECT_EQ(Notes(r, command).dump(), R"({"frame_types":{"0x57":1}})");
  Bytes short_length = command;
  short_length[19] = 0x1f;
  EXPECT_FALSE(r.signature(short_length));
}

// --- LLDP
TEST(LldpTest, ChassisPortAndSystemName) {
  const Recognizer& r = LldpRecognizer();
  // Chassis ID (MAC), port ID (interface name "pn1"), TTL 120, system
  // name "plc", end.
  Bytes lldp = Hex("020704001b1b6b6b20" "040405706e31" "06020078" "0a03706c63" "0000");
  EXPECT_TRUE(r.signature(lldp));
  EXPECT_EQ(Notes(r, lldp).dump(),
            R"({"chassis_id":"00:1b:1b:6b:6b:20","port_id":"pn1","system_name":"plc"})");
  EXPECT_FALSE(r.signature(Hex("040405706e31" "020704001b1b6b6b20" "06020078" "0000")));
}

// --- The generic analyzer.
class FakeHost : public AnalyzerHost {
 public:
  TimeNs now() const override { return 0; }
  const Flow& flow() const override { return flow_; }
  void Emit(nlohmann::ordered_json fields) override { events.push_back(fields); }
  void Weird(std::string_view name) override { ++weirds[std::string(name)]; }
  std::vector<nlohmann::ordered_json> events;
  std::map<std::string, int> weirds;

 private:
  Flow flow_;
};

TEST(RecognizingAnalyzerTest, CutsTcpIntoPdusAcrossSegmentsAndEmitsOnceAtTheEnd) {
  FakeHost host;
  RecognizingAnalyzer a(&FinsRecognizer(), &host);
  Bytes frame = Hex("46494e5300000015000000020000000080000200c8000000ef05050100");
  Bytes two = frame;
  two.insert(two.end(), frame.begin(), frame.end());
  // One and a half PDUs, then the rest.
  a.DeliverStream(Direction::kOrig, std::span(two).first(40));
  a.DeliverStream(Direction::kOrig, std::span(two).subspan(40));
  EXPECT_TRUE(host.events.empty());
  a.EndOfFlow();
  ASSERT_EQ(host.events.size(), 1u);
  EXPECT_EQ(host.events[0].dump(),
            R"({"pdus_orig":2,"pdus_resp":0,"bytes_orig":58,"bytes_resp":0,)"
            R"("tcp_commands":{"frame":2},"commands":{"0x0501":2}})");
  EXPECT_TRUE(host.weirds.empty());
}

TEST(RecognizingAnalyzerTest, BadFramingAndMalformedPdusAreWeirdsAndCountsGoOn) {
  FakeHost host;
  RecognizingAnalyzer a(&FinsRecognizer(), &host);
  a.DeliverStream(Direction::kOrig, Hex("46494e5300000000"));  // length 0
  a.DeliverStream(Direction::kOrig, Hex("00112233"));
  a.DeliverPacket(Direction::kResp, Hex("800002000000006300ef990100"));  // unknown MRC
  a.EndOfFlow();
  EXPECT_EQ(host.weirds, (std::map<std::string, int>{{"fins_bad_framing", 1},
                                                      {"fins_malformed", 1}}));
  EXPECT_EQ(host.events[0]["bytes_orig"], 12);
  EXPECT_EQ(host.events[0]["pdus_resp"], 1);
}

TEST(RecognizingAnalyzerTest, ResynchronisesAfterAGapOnTheNextPduTheSignatureAccepts) {
  FakeHost host;
  RecognizingAnalyzer a(&C37118Recognizer(), &host);
  Bytes off = Hex("aa410012003c4899909a00342ed50001560b");
  a.DeliverStream(Direction::kOrig, std::span(off).first(7));
  a.Gap(Direction::kOrig, 100);
  // The rest of a frame whose start was lost, a stray 0xaa, then two frames,
  // the second split.
  Bytes after = Hex("1122aa") + off + off;
  a.DeliverStream(Direction::kOrig, std::span(after).first(30));
  a.DeliverStream(Direction::kOrig, std::span(after).subspan(30));
  a.EndOfFlow();
  EXPECT_EQ(host.events[0]["pdus_orig"], 2);
  EXPECT_EQ(host.events[0]["commands"].dump(), R"({"turn-off-transmission":2})");
  EXPECT_TRUE(host.weirds.empty());
}

TEST(RecognizingAnalyzerTest, OversizedPduIsCountedAndSkipped) {
  FakeHost host;
  RecognizingAnalyzer a(&AdsRecognizer(), &host);
  // An AMS/TCP length of 100,000 (over kMaxBufferedPdu), then a request.
  Bytes big = Hex("0000a0860100");
  a.DeliverStream(Direction::kOrig, big);
  a.DeliverStream(Direction::kOrig, Bytes(100000, 0));
  a.DeliverStream(Direction::kOrig,
                  Hex("000020000000050d756001011027c0a80163010178820400040000000000000000000d000000"));
  a.EndOfFlow();
  EXPECT_EQ(host.events[0]["pdus_orig"], 2);
  EXPECT_EQ(host.events[0]["commands"].dump(), R"({"read-state":1})");
  EXPECT_TRUE(host.weirds.empty());
}

TEST(LldpTest, TextFromTheWireIsEscapedAndBounded) {
  // A system name with a byte that is not UTF-8 and a backslash (found by
  // fuzzing: an event must stay valid JSON).
  Bytes lldp = Hex("020704001b1b6b6b20" "040405706e31" "06020078" "0a04" "41ff5c42" "0000");
  EXPECT_EQ(Notes(LldpRecognizer(), lldp)["system_name"], "A\\xff\\x5cB");
  EXPECT_EQ(Printable(Bytes(200, 'a')).size(), kMaxText);
}

TEST(FlowNotesTest, TalliesAreBounded) {
  FlowNotes notes;
  for (int i = 0; i < 20; ++i) notes.Count("k", std::to_string(i));
  notes.Count("k", "3");
  EXPECT_EQ(notes.fields()["k"].size(), FlowNotes::kMaxValues + 1);
  EXPECT_EQ(notes.fields()["k"]["3"], 2);
  EXPECT_EQ(notes.fields()["k"]["other"], 4);
}

TEST(RegistrationTest, PortsEtherTypesAndAnyPortSignatures) {
  AnalyzerRegistry registry;
  RegisterRecognizers(&registry);
  auto names = [](const std::vector<const AnalyzerInfo*>& infos) {
    std::vector<std::string> out;
    for (const AnalyzerInfo* i : infos) out.emplace_back(i->name);
    return out;
  };
  EXPECT_EQ(names(registry.ForPort(Transport::kUdp, 47808)), std::vector<std::string>{"bacnet"});
  EXPECT_EQ(names(registry.ForPort(Transport::kTcp, 102)), std::vector<std::string>{"mms"});
  EXPECT_EQ(names(registry.ForEtherType(0x88b8)), std::vector<std::string>{"goose"});
  EXPECT_EQ(names(registry.ForEtherType(0x8892)), std::vector<std::string>{"profinet"});
  bool by_port;
  EXPECT_EQ(names(registry.ForFlow(Transport::kUdp, 5095, 49905, &by_port)),
            (std::vector<std::string>{"bacnet", "c37118", "hart_ip"}));
  EXPECT_FALSE(by_port);
  EXPECT_EQ(names(registry.ForFlow(Transport::kTcp, 40000, 50000, &by_port)),
            (std::vector<std::string>{"ads", "c37118"}));
  EXPECT_EQ(names(registry.ForFlow(Transport::kTcp, 50000, 9600, &by_port)),
            std::vector<std::string>{"fins"});
  EXPECT_TRUE(by_port);
}

}  // namespace
}  // namespace qilian::security::recognize
