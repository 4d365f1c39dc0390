// qilian-sensor's pipeline over every real capture in ../shared/data/pcaps
// (sources and licences: that folder's README.md; the golden files' origin
// and how each was checked against tshark: testdata/README.md). Skipped
// where that folder is absent.
//
// The table below has one row per capture; a test checks that every capture
// in the collection has a row. A row states, exactly (an omitted number
// means 0, an omitted list means none):
//
//   .path         the capture, under ../shared/data/pcaps
//   .link_type    its link type (DLT_EN10MB unless said)
//   .packets, .tcp, .udp, .non_ip
//                 packets read, and of them TCP, UDP and non-IP frames
//   .flows, .tcp_flows, .udp_flows
//                 flows created, and of them TCP and UDP
//   .links        link-layer conversations (frames that are not IP)
//   .protocols    {name, flows, events} for every protocol in the summary
//                 (flows: flows or link-layer conversations)
//   .selections   {has, count, golden}: the events whose JSON line contains
//                 `has` ("" = every event) number `count`; when `golden`
//                 (a file under testdata/) is given, they equal its lines,
//                 or begin with them when the file is shorter (a "head"
//                 golden, for big captures)
//   .weirds       {name, count} for every weird counted
//
// Counts were cross-checked against capinfos and tshark (`-z conv,tcp`, and
// the protocol's PDUs), golden events against `tshark -T json` with the
// check_*_with_tshark.py scripts beside the golden files. Nothing reads a
// damaged capture here except the truncation test at the end.
#include <gtest/gtest.h>
#include <pcap/dlt.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "security/capture/pcap_file_source.h"
#include "security/sensor/sensor.h"

namespace qilian::security {
namespace {

const std::string kPcaps = QILIAN_PCAP_DIR;

struct ProtocolCount {
  std::string name;
  uint64_t flows = 0;
  uint64_t events = 0;
};

struct Selection {
  std::string has;             // substring of the event's JSON line; "" = every event
  size_t count = 0;            // events selected
  const char* golden = nullptr;  // under testdata/; nullptr: only counted
};

struct WeirdCount {
  std::string name;
  uint64_t count = 0;
};

struct CaptureRow {
  std::string path;  // under kPcaps
  int link_type = DLT_EN10MB;
  uint64_t packets = 0;
  uint64_t tcp = 0;
  uint64_t udp = 0;
  uint64_t non_ip = 0;
  uint64_t flows = 0;
  uint64_t tcp_flows = 0;
  uint64_t udp_flows = 0;
  uint64_t links = 0;
  std::vector<ProtocolCount> protocols = {};
  std::vector<Selection> selections = {};
  std::vector<WeirdCount> weirds = {};
};

// Shorthands for selections.
std::string Proto(const std::string& p) { return "\"proto\":\"" + p + "\""; }
// Events of an analyzer whose events name more than one `proto` (s7comm,
// s7comm-plus).
std::string ProtoPrefix(const std::string& p) { return "\"proto\":\"" + p; }

const std::vector<CaptureRow>& Captures() {
  static const auto* rows = new std::vector<CaptureRow>{
      // --- OPC UA binary (testdata/README.md, "OPC UA"; every event checked
      // against tshark's opcua dissector: one message per frame, 0 differences).
      {.path = "icsnpp-opcua-binary/opcua_with-gap_with-handshake.pcap",
       .packets = 411,
       .tcp = 411,
       .flows = 3,
       .tcp_flows = 3,
       .protocols = {{"opcua", 3, 239}},  // tshark: 239 messages
       .selections = {{"", 239, "opcua_with-gap_with-handshake.events.jsonl"},
                      {"\"service\":\"Write\"", 4},
                      {"\"identity_token\":\"username\"", 1}},
       .weirds = {{"bad_IP_checksum", 152}}},
      {.path = "icsnpp-opcua-binary/python_opcua-client-server_minimal.pcap",
       .link_type = DLT_NULL,
       .packets = 44,
       .tcp = 44,
       .flows = 2,
       .tcp_flows = 2,
       .protocols = {{"opcua", 1, 17}},  // tshark: 17
       .selections = {{"", 17, "opcua_python_opcua-client-server_minimal.events.jsonl"}},
       .weirds = {{"bad_IP_checksum", 42}}},
      // The server listens on 12001; two Call requests are malformed on
      // purpose (a test tool's), answered by ERR messages.
      {.path = "iti/OPC/opc-ua-ap-method-wireshark-freeze.pcap",
       .packets = 90,
       .tcp = 90,
       .flows = 2,
       .tcp_flows = 2,
       .protocols = {{"opcua", 2, 24}},  // tshark (-d tcp.port==12001,opcua): 24
       .selections = {{"", 24, "opcua_opc-ua-ap-method-wireshark-freeze.events.jsonl"},
                      {"\"msg_type\":\"ERR\"", 2}},
       .weirds = {{"opcua_bad_nodeid_encoding", 1}, {"opcua_bad_string_length", 1}}},

      // --- Modbus/TCP (testdata/README.md, "Modbus").
      {.path = "iti/ModbusTCP/ModbusTCP.pcap",
       .packets = 15387,
       .tcp = 15387,
       .flows = 14,
       .tcp_flows = 14,
       .protocols = {{"modbus", 14, 15976}},  // tshark: 15976 mbtcp PDUs
       .selections = {{"", 15976, "ModbusTCP.head.events.jsonl"}},
       // The capturing host's own packets carry offloaded (unfinished) IP checksums.
       .weirds = {{"bad_IP_checksum", 7845}}},
      {.path = "iti/ModbusTCP/Modbus/modbus_test.pcap",
       .packets = 2257,
       .tcp = 2257,
       .flows = 5,
       .tcp_flows = 5,
       .protocols = {{"modbus", 5, 2258}},  // tshark: 2258
       .selections = {{"", 2258, "modbus_test.head.events.jsonl"}}},
      {.path = "iti/ModbusTCP/modbus_test_data_part1.pcap",
       .packets = 118,
       .tcp = 118,
       .flows = 6,
       .tcp_flows = 6,
       .protocols = {{"modbus", 4, 46}},
       .selections = {{"", 46, "modbus_test_data_part1.events.jsonl"}},
       // The capture holds deliberately broken frames (testdata/README.md).
       .weirds = {{"modbus_bad_header", 1},
                  {"modbus_pdu_trailing_bytes", 12},
                  {"modbus_signature_mismatch", 1},
                  {"modbus_truncated_frame_at_end", 1},
                  {"modbus_unknown_function", 2}}},
      {.path = "iti/ModbusTCP/mb2.pcap",
       .packets = 13472,
       .tcp = 13393,
       .udp = 24,
       .non_ip = 47,
       .flows = 85,
       .tcp_flows = 80,
       .udp_flows = 3,
       .links = 33,
       .protocols = {{"enip", 4, 2216},
                     {"lldp", 1, 1},
                     {"modbus", 14, 3585},
                     {"profinet", 4, 4},
                     {"s7comm", 14, 2608}},
       .selections = {{"", 8414, "mb2.head.events.jsonl"},
                      {"\"conv\":", 5, "mb2.link.events.jsonl"}},  // LLDP, PROFINET DCP
       .weirds = {{"bad_IP_checksum", 6506}}},
      {.path = "iti/bro/modbus/modbusSmall.pcap",  // a Zeek test trace
       .packets = 166,
       .tcp = 160,
       .udp = 6,
       .flows = 19,
       .tcp_flows = 16,
       .udp_flows = 3,
       .protocols = {{"modbus", 16, 32}},
       .selections = {{"", 32, "modbusSmall.events.jsonl"}}},

      // --- DNP3 (testdata/README.md, "DNP3"; tshark: as many DNP3
      // application fragments and link-only frames as events).
      {.path = "iti/dnp3/full_exchange.pcap",
       .packets = 22,
       .tcp = 22,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"dnp3", 1, 10}},
       .selections = {{"", 10, "dnp3_full_exchange.events.jsonl"}}},
      {.path = "iti/dnp3/lan_time_sync.pcap",
       .packets = 5,
       .tcp = 5,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"dnp3", 1, 4}},
       .selections = {{"", 4, "dnp3_lan_time_sync.events.jsonl"}},
       .weirds = {{"bad_IP_checksum", 2}}},
      {.path = "iti/dnp3/read_and_response.pcap",
       .packets = 12,
       .tcp = 12,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"dnp3", 1, 2}},
       .selections = {{"", 2, "dnp3_read_and_response.events.jsonl"}}},
      {.path = "iti/dnp3/select_operate_and_responses.pcap",
       .packets = 12,
       .tcp = 12,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"dnp3", 1, 4}},
       .selections = {{"", 4, "dnp3_select_operate_and_responses.events.jsonl"}}},
      {.path = "iti/dnp3/unsolcited_response_and_confirm.pcap",
       .packets = 9,
       .tcp = 9,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"dnp3", 1, 2}},
       .selections = {{"", 2, "dnp3_unsolcited_response_and_confirm.events.jsonl"}}},
      {.path = "iti/dnp3/opendnp3-3/conformance/8.11.2.5/dump.pcap",
       .link_type = DLT_NULL,  // loopback
       .packets = 156,
       .tcp = 156,
       .flows = 4,
       .tcp_flows = 4,
       .protocols = {{"dnp3", 4, 64}},
       .selections = {{"", 64, "dnp3_opendnp3_8.11.2.5.events.jsonl"}},
       .weirds = {{"bad_IP_checksum", 155}}},
      {.path = "iti/dnp3/opendnp3-3/conformance/8.9.2.2/dump.pcap",
       .link_type = DLT_NULL,
       .packets = 73,
       .tcp = 73,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"dnp3", 1, 9}},
       .selections = {{"", 9, "dnp3_opendnp3_8.9.2.2.events.jsonl"}},
       .weirds = {{"bad_IP_checksum", 73}}},
      {.path = "iti/bro/dnp3/dnp3.pcap",  // a Zeek test trace
       .packets = 214,
       .tcp = 214,
       .flows = 9,
       .tcp_flows = 9,
       .protocols = {{"dnp3", 9, 115}},  // tshark: 115
       .selections = {{"", 115, "dnp3_zeek.events.jsonl"}},
       // Zeek's trace breaks frames on purpose (testdata/README.md): qualifier
       // 0xed (reserved bit set) in 6 requests; "05 05" start bytes on one flow.
       .weirds = {{"dnp3_bad_qualifier", 6}, {"dnp3_bad_start", 1}}},

      // --- IEC 60870-5-104 (testdata/README.md: checked against tshark's
      // iec60870_104 dissector).
      {.path = "iti/IEC60870-5-104/JavaRMI_and_IEC_Misc.pcap",
       .packets = 357,
       .tcp = 355,
       .udp = 2,
       .flows = 3,
       .tcp_flows = 2,
       .udp_flows = 1,
       .protocols = {{"iec104", 2, 235}},  // tshark: 235 APDUs
       .selections = {{"", 235, "JavaRMI_and_IEC_Misc.events.jsonl"}}},
      {.path = "iti/IEC60870-5-104/TestDissectIec104.pcap",  // Wireshark's test capture
       .packets = 147,
       .tcp = 147,
       .flows = 6,
       .tcp_flows = 6,
       .protocols = {{"iec104", 6, 64}},
       .selections = {{"", 64, "TestDissectIec104.events.jsonl"}},
       // The capture puts junk before APDUs on purpose (testdata/README.md).
       .weirds = {{"iec104_asdu_truncated", 5},
                  {"iec104_bad_apdu_length", 2},
                  {"iec104_bad_start", 16},
                  {"iec104_truncated_frame_at_end", 5}}},

      // --- S7comm over ISO-on-TCP (S7-300/400 with STEP 7, TIA Portal, WinCC
      // and libnodave; S7-1200/1500 with S7comm-plus). Golden files hold the
      // S7 events only; for the three largest captures the first 200.
      // tshark: S7 PDUs + COTP CR/CC + TSDUs that are not S7comm (S7comm-plus).
      {.path = "iti/s7/S7-1511_db2_var1_HMI.pcap",
       .packets = 39,
       .tcp = 39,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"s7comm", 1, 20}},
       .selections = {{ProtoPrefix("s7comm"), 20, "S7-1511_db2_var1_HMI.events.jsonl"},
                      {Proto("s7comm-plus"), 18}},
       .weirds = {{"bad_IP_checksum", 22}}},
      {.path = "iti/s7/s7-1200-hmi.pcap",
       .packets = 79,
       .tcp = 79,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"s7comm", 1, 26}},
       .selections = {{ProtoPrefix("s7comm"), 26, "s7-1200-hmi.events.jsonl"},
                      {Proto("s7comm-plus"), 24}}},
      {.path = "iti/s7/s7comm_program_blocklist_onlineview.pcap",
       .packets = 140,
       .tcp = 140,
       .flows = 6,
       .tcp_flows = 6,
       .protocols = {{"s7comm", 5, 80}},
       .selections = {{ProtoPrefix("s7comm"), 80,
                       "s7comm_program_blocklist_onlineview.events.jsonl"}},
       .weirds = {{"bad_IP_checksum", 90}}},
      {.path = "iti/s7/s7comm_reading_plc_status.pcap",
       .packets = 240,
       .tcp = 238,
       .non_ip = 2,
       .flows = 3,
       .tcp_flows = 3,
       .links = 2,
       .protocols = {{"s7comm", 1, 146}},
       .selections = {{ProtoPrefix("s7comm"), 146, "s7comm_reading_plc_status.events.jsonl"}},
       .weirds = {{"bad_IP_checksum", 148}}},
      {.path = "iti/s7/s7comm_varservice_libnodavedemo_bench.pcap",
       .packets = 10171,
       .tcp = 10171,
       .flows = 3,
       .tcp_flows = 3,
       .protocols = {{"s7comm", 1, 10008}},
       .selections = {{ProtoPrefix("s7comm"), 10008,
                       "s7comm_varservice_libnodavedemo_bench.head.events.jsonl"}},
       .weirds = {{"bad_IP_checksum", 5008}}},
      {.path = "iti/s7/step7_s300_readDiagData.pcapng",
       .packets = 679,
       .tcp = 679,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"s7comm", 1, 410}},
       .selections = {{ProtoPrefix("s7comm"), 410, "step7_s300_readDiagData.events.jsonl"}}},
      {.path = "iti/s7/step7_s300_readVarTab.pcapng",
       .packets = 548,
       .tcp = 548,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"s7comm", 1, 331}},
       .selections = {{ProtoPrefix("s7comm"), 331, "step7_s300_readVarTab.events.jsonl"}}},
      {.path = "iti/s7/tia_s300_goOnline.pcapng",
       .packets = 448,
       .tcp = 448,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"s7comm", 1, 448}},
       .selections = {{ProtoPrefix("s7comm"), 448, "tia_s300_goOnline.events.jsonl"}}},
      {.path = "iti/s7/wincc_s300_setup-alarm-read.pcapng",
       .packets = 128,
       .tcp = 128,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"s7comm", 1, 128}},
       .selections = {{ProtoPrefix("s7comm"), 128, "wincc_s300_setup-alarm-read.events.jsonl"}}},
      {.path = "iti/s7/wincc_s400_production.pcapng",
       .packets = 1658,
       .tcp = 1658,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"s7comm", 1, 1658}},
       .selections = {{ProtoPrefix("s7comm"), 1658, "wincc_s400_production.head.events.jsonl"}}},
      {.path = "iti/s7/S7Comm/s7comm_clean.pcap",
       .packets = 5447,
       .tcp = 5447,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"s7comm", 1, 5262}},
       .selections = {{ProtoPrefix("s7comm"), 5262, "s7comm_clean.head.events.jsonl"}}},

      // --- EtherNet/IP with CIP (testdata/README.md, "EtherNet/IP": checked
      // against tshark's enip and cip dissectors). For the two large
      // captures the golden files keep the first 40 events, and for
      // cip_only.pcap also every Forward Open and Forward Close with its reply.
      {.path = "iti/EthernetIP/enip_test.pcap",
       .packets = 11,
       .tcp = 11,
       .flows = 2,
       .tcp_flows = 2,
       .protocols = {{"enip", 1, 2}},  // tshark: 2 messages
       .selections = {{"", 2, "enip_test.events.jsonl"}}},
      {.path = "iti/EthernetIP/cip-multiple-1.pcap",
       .packets = 1,
       .tcp = 1,
       .flows = 1,
       .tcp_flows = 1,
       .protocols = {{"enip", 1, 1}},
       .selections = {{"", 1, "cip-multiple-1.events.jsonl"}}},
      {.path = "iti/EthernetIP/EthernetIP-CIP.pcap",
       .packets = 10880,
       .tcp = 10880,
       .flows = 4,
       .tcp_flows = 4,
       .protocols = {{"enip", 4, 8799}},  // tshark: 8799 messages
       .selections = {{"", 8799, "EthernetIP-CIP.head.events.jsonl"}},
       // The capturing host's own packets carry offloaded (unfinished) IP checksums.
       .weirds = {{"bad_IP_checksum", 4906}}},
      {.path = "iti/CIP/cip_only.pcap",
       .packets = 18798,
       .tcp = 18798,
       .flows = 2,
       .tcp_flows = 2,
       .protocols = {{"enip", 2, 18798}},  // tshark: 18798 messages
       .selections = {{"", 18798, "cip_only.head.events.jsonl"},
                      {"\"service_name\":\"Forward_", 17, "cip_only.connections.events.jsonl"}}},

      // --- Industrial protocols recognised (docs/security/recognized.md):
      // one event per flow or link-layer conversation.
      {.path = "iti/BACnet/bacnet_test.pcap",
       .packets = 26,
       .udp = 26,
       .flows = 5,  // 4 of them empty datagrams to 47808
       .udp_flows = 5,
       .protocols = {{"bacnet", 1, 1}},
       .selections = {{"", 1, "bacnet_test.events.jsonl"}}},
      {.path = "iti/C37.118/C37.118_1PMU_UDP.pcap",
       .packets = 361,
       .udp = 361,
       .flows = 1,
       .udp_flows = 1,
       .protocols = {{"c37118", 1, 1}},
       .selections = {{"", 1, "c37118_1pmu_udp.events.jsonl"}}},
      {.path = "iti/C37.118/C37118/c37_pmu_clean.pcap",
       .packets = 7103,
       .tcp = 7103,
       .flows = 3,
       .tcp_flows = 3,
       .protocols = {{"c37118", 3, 3}},
       .selections = {{"", 3, "c37_pmu_clean.events.jsonl"}},
       .weirds = {{"c37118_bad_framing", 2}}},
      {.path = "iti/IEC61850/GOOSE/Sample_File_GOOSE.pcap",
       .packets = 451,
       .non_ip = 451,
       .links = 3,
       .protocols = {{"goose", 3, 3}},
       .selections = {{"", 3, "Sample_File_GOOSE.events.jsonl"}}},
      {.path = "iti/IEC61850/Sample_File_MMS_and_GOOSE.pcap",
       .packets = 301,
       .tcp = 163,
       .udp = 75,
       .non_ip = 48,
       .flows = 27,
       .tcp_flows = 16,
       .udp_flows = 8,
       .links = 6,
       // MMS on port 102, not S7comm (the recogniser's signature is tried first).
       .protocols = {{"goose", 3, 3}, {"mms", 5, 5}},
       .selections = {{"", 8, "Sample_File_MMS_and_GOOSE.events.jsonl"}}},
      {.path = "iti/MELSEC/melsoft_UDP_clean_2.pcap",
       .packets = 432,
       .udp = 432,
       .flows = 432,  // every datagram to or from 255.255.255.255, from a new port
       .udp_flows = 432,
       .protocols = {{"melsoft", 432, 432}},
       .selections = {{"", 432, "melsoft_UDP_clean_2.events.jsonl"}},
       .weirds = {{"bad_IP_checksum", 216}}},
      {.path = "iti/beckoff/beckoffiplink.pcapng",
       .packets = 7340,
       .tcp = 7283,
       .udp = 23,
       .non_ip = 34,
       .flows = 6,
       .tcp_flows = 1,
       .udp_flows = 5,
       .links = 3,
       .protocols = {{"ads", 2, 2}},
       .selections = {{"", 2, "beckoffiplink.events.jsonl"}},
       .weirds = {{"bad_IP_checksum", 4160}}},
      {.path = "iti/hart/hart_ip.pcap",  // pcapng despite the name
       .packets = 116,
       .tcp = 87,
       .udp = 24,
       .non_ip = 4,
       .flows = 48,
       .tcp_flows = 45,  // tshark -z conv,tcp: 45
       .udp_flows = 2,
       .links = 2,
       .protocols = {{"hart_ip", 3, 3}},
       .selections = {{"", 3, "hart_ip.events.jsonl"}},
       .weirds = {{"bad_IP_checksum", 46}}},
      {.path = "iti/omron/omron_test.pcap",
       .packets = 18,
       .tcp = 14,
       .udp = 4,
       .flows = 5,
       .tcp_flows = 2,
       .udp_flows = 3,
       .protocols = {{"fins", 2, 2}},
       .selections = {{"", 2, "omron_test.events.jsonl"}}},
      {.path = "iti/profinet/PROFINET-RT-DCP/PROFINET-RT.pcap",
       .packets = 14,
       .non_ip = 14,
       .links = 12,
       .protocols = {{"profinet", 12, 12}},
       .selections = {{"", 12, "PROFINET-RT.events.jsonl"}}},
  };
  return *rows;
}

struct CaptureRun {
  SensorStats stats;
  FlowTableStats flows;
  LinkTableStats links;
  WeirdCounter weirds;
  std::vector<std::string> events;  // as JSON lines
  int link_type = -1;
  std::string error;  // the capture's damage, if any
};

CaptureRun ReadCapture(const std::string& path) {
  CaptureRun run;
  auto source = PcapFileSource::Open(path);
  if (!source.ok()) {
    run.error = std::string(source.status().message());
    return run;
  }
  run.link_type = (*source)->link_type();
  AnalyzerRegistry registry;
  RegisterBuiltinAnalyzers(&registry);
  EventVector events;
  Sensor sensor(&registry, SensorOptions{}, &events);
  RawPacket packet;
  ReadResult r;
  while ((r = (*source)->Next(&packet)) == ReadResult::kPacket) sensor.Process(packet);
  if (r == ReadResult::kError) run.error = (*source)->error();
  sensor.Finish();
  run.stats = sensor.stats();
  run.flows = sensor.flows().stats();
  run.links = sensor.links().stats();
  run.weirds = sensor.weirds();
  for (const auto& e : events.events) run.events.push_back(e.dump());
  return run;
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The row a run would need, to show what differs when one does not match.
std::string ActualRow(const CaptureRun& run) {
  std::string out = absl::StrCat(".link_type = ", run.link_type, ", .packets = ", run.stats.packets,
                                 ", .tcp = ", run.stats.tcp_packets, ", .udp = ",
                                 run.stats.udp_packets, ", .non_ip = ", run.stats.non_ip,
                                 ",\n.flows = ", run.flows.created, ", .tcp_flows = ",
                                 run.flows.created_tcp, ", .udp_flows = ", run.flows.created_udp,
                                 ", .links = ", run.links.created, ",\n.protocols = {");
  for (const auto& [name, p] : run.stats.protocols) {
    absl::StrAppend(&out, "{\"", name, "\", ", p.flows, ", ", p.events, "}, ");
  }
  absl::StrAppend(&out, "}, events ", run.events.size(), ",\n.weirds = {");
  for (const auto& [name, n] : run.weirds.counts()) {
    absl::StrAppend(&out, "{\"", name, "\", ", n, "}, ");
  }
  return out + "}";
}

// gtest prints a failing row by its path, not its bytes.
void PrintTo(const CaptureRow& row, std::ostream* os) { *os << row.path; }

class CapturesTest : public testing::TestWithParam<CaptureRow> {};

TEST_P(CapturesTest, MatchesItsRow) {
  const CaptureRow& row = GetParam();
  std::string path = kPcaps + "/" + row.path;
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no capture at " << path;
  CaptureRun run = ReadCapture(path);
  SCOPED_TRACE("actual row: " + ActualRow(run));
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.link_type, row.link_type);
  EXPECT_EQ(run.stats.packets, row.packets);
  EXPECT_EQ(run.stats.tcp_packets, row.tcp);
  EXPECT_EQ(run.stats.udp_packets, row.udp);
  EXPECT_EQ(run.stats.non_ip, row.non_ip);
  EXPECT_EQ(run.stats.dropped, 0u);
  EXPECT_EQ(run.flows.created, row.flows);
  EXPECT_EQ(run.flows.created_tcp, row.tcp_flows);
  EXPECT_EQ(run.flows.created_udp, row.udp_flows);
  EXPECT_EQ(run.links.created, row.links);

  std::map<std::string, std::pair<uint64_t, uint64_t>> protocols, want_protocols;
  for (const auto& [name, p] : run.stats.protocols) protocols[name] = {p.flows, p.events};
  for (const ProtocolCount& p : row.protocols) want_protocols[p.name] = {p.flows, p.events};
  EXPECT_EQ(protocols, want_protocols);

  for (const Selection& s : row.selections) {
    SCOPED_TRACE("selection \"" + s.has + "\"");
    std::vector<std::string> selected;
    for (const std::string& e : run.events) {
      if (e.find(s.has) != std::string::npos) selected.push_back(e);
    }
    EXPECT_EQ(selected.size(), s.count);
    if (s.golden == nullptr) continue;
    std::vector<std::string> want = ReadLines(std::string(QILIAN_SENSOR_TESTDATA) + "/" + s.golden);
    ASSERT_FALSE(want.empty()) << s.golden;
    ASSERT_LE(want.size(), selected.size()) << s.golden;
    if (want.size() < s.count) {
      EXPECT_NE(std::string(s.golden).find(".head."), std::string::npos)
          << s.golden << " holds fewer lines than the selection: name it *.head.*";
    }
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(selected[i], want[i]) << s.golden << " line " << i + 1;
    }
  }

  std::map<std::string, uint64_t> want_weirds;
  for (const WeirdCount& w : row.weirds) want_weirds[w.name] = w.count;
  std::map<std::string, uint64_t> weirds(run.weirds.counts().begin(), run.weirds.counts().end());
  EXPECT_EQ(weirds, want_weirds);
}

std::string RowName(const testing::TestParamInfo<CaptureRow>& info) {
  std::string name = info.param.path;
  std::replace_if(name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(EveryCapture, CapturesTest, testing::ValuesIn(Captures()), RowName);

TEST(CaptureTableTest, EveryCaptureInTheCollectionHasARow) {
  if (!std::filesystem::exists(kPcaps)) GTEST_SKIP() << "no captures at " << kPcaps;
  std::set<std::string> rows, files;
  for (const CaptureRow& row : Captures()) EXPECT_TRUE(rows.insert(row.path).second) << row.path;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kPcaps)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.find(".pcap") == std::string::npos) continue;
    files.insert(std::filesystem::relative(entry.path(), kPcaps).string());
  }
  EXPECT_EQ(files.size(), 43u);  // the collection's README: 41 + 2 captures
  EXPECT_EQ(rows, files);
}

TEST(CaptureTableTest, TruncatedCaptureKeepsTheEventsBeforeTheDamage) {
  std::string path = kPcaps + "/iti/ModbusTCP/Modbus/modbus_test.pcap";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no capture at " << path;
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes.resize(bytes.size() / 2);
  std::string cut = (std::filesystem::temp_directory_path() / "modbus_test_cut.pcap").string();
  std::ofstream(cut, std::ios::binary) << bytes;
  CaptureRun run = ReadCapture(cut);
  EXPECT_NE(run.error.find("truncated"), std::string::npos) << run.error;
  EXPECT_GT(run.stats.packets, 1000u);
  EXPECT_LT(run.stats.packets, 2257u);
  EXPECT_GT(run.stats.protocols["modbus"].events, 1000u);
}

}  // namespace
}  // namespace qilian::security
