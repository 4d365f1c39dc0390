// qilian-sensor's pipeline over real captures from ../shared/data/pcaps
// (sources and licences: that folder's README.md; the golden files' origin:
// testdata/README.md). Counts were cross-checked against capinfos and
// tshark (`-z conv,tcp`, Modbus PDUs per `mbtcp`), golden events against
// `tshark -T json` as testdata/README.md describes.
#include <gtest/gtest.h>
#include <pcap/dlt.h>

#include <filesystem>
#include <fstream>

#include "security/capture/pcap_file_source.h"
#include "security/sensor/sensor.h"

namespace qilian::security {
namespace {

const std::string kPcaps = QILIAN_PCAP_DIR;

struct CaptureRun {
  SensorStats stats;
  FlowTableStats flows;
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

void ExpectGolden(const CaptureRun& run, const std::string& golden) {
  std::vector<std::string> want = ReadLines(std::string(QILIAN_SENSOR_TESTDATA) + "/" + golden);
  ASSERT_FALSE(want.empty()) << golden;
  ASSERT_EQ(run.events.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(run.events[i], want[i]) << golden << " line " << i + 1;
  }
}

#define REQUIRE_CAPTURE(path) \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no capture at " << (path)

TEST(CapturesTest, ModbusTcpPlantCapture) {
  std::string path = kPcaps + "/iti/ModbusTCP/ModbusTCP.pcap";
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.stats.packets, 15387u);
  EXPECT_EQ(run.stats.tcp_packets, 15387u);
  EXPECT_EQ(run.flows.created, 14u);
  EXPECT_EQ(run.stats.protocols["modbus"].flows, 14u);
  EXPECT_EQ(run.stats.protocols["modbus"].events, 15976u);  // tshark: 15976 mbtcp PDUs
  // The capturing host's own packets carry offloaded (unfinished) IP checksums.
  EXPECT_EQ(run.weirds.Count("bad_IP_checksum"), 7845u);
  EXPECT_EQ(run.weirds.Total(), 7845u);
}

TEST(CapturesTest, ModbusReadInputsAndWriteRegister) {
  std::string path = kPcaps + "/iti/ModbusTCP/Modbus/modbus_test.pcap";
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.stats.packets, 2257u);
  EXPECT_EQ(run.flows.created, 5u);
  EXPECT_EQ(run.stats.protocols["modbus"].events, 2258u);  // tshark: 2258
  EXPECT_EQ(run.weirds.Total(), 0u);
}

TEST(CapturesTest, ModbusDiverseFunctionsGolden) {
  std::string path = kPcaps + "/iti/ModbusTCP/modbus_test_data_part1.pcap";
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.stats.packets, 118u);
  EXPECT_EQ(run.flows.created, 6u);
  EXPECT_EQ(run.stats.protocols["modbus"].flows, 4u);
  ExpectGolden(run, "modbus_test_data_part1.events.jsonl");
  // The capture holds deliberately broken frames (testdata/README.md).
  EXPECT_EQ(run.weirds.Count("modbus_pdu_trailing_bytes"), 12u);
  EXPECT_EQ(run.weirds.Count("modbus_bad_header"), 1u);
  EXPECT_EQ(run.weirds.Count("modbus_unknown_function"), 2u);
  EXPECT_EQ(run.weirds.Count("modbus_signature_mismatch"), 1u);
  EXPECT_EQ(run.weirds.Count("modbus_truncated_frame_at_end"), 1u);
}

TEST(CapturesTest, ZeekModbusSmallGolden) {
  std::string path = kPcaps + "/iti/bro/modbus/modbusSmall.pcap";
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.stats.packets, 166u);
  EXPECT_EQ(run.flows.created, 19u);
  EXPECT_EQ(run.flows.created_tcp, 16u);
  EXPECT_EQ(run.flows.created_udp, 3u);
  ExpectGolden(run, "modbusSmall.events.jsonl");
  EXPECT_EQ(run.weirds.Total(), 0u);
}

TEST(CapturesTest, DltNullLoopbackCapture) {
  std::string path = kPcaps + "/iti/dnp3/opendnp3-3/conformance/8.9.2.2/dump.pcap";
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.link_type, DLT_NULL);
  EXPECT_EQ(run.stats.packets, 73u);
  EXPECT_EQ(run.stats.tcp_packets, 73u);
  EXPECT_EQ(run.flows.created, 1u);
  EXPECT_EQ(run.stats.dropped, 0u);
}

TEST(CapturesTest, PcapngCapture) {
  std::string path = kPcaps + "/iti/hart/hart_ip.pcap";  // pcapng despite the name
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.link_type, DLT_EN10MB);
  EXPECT_EQ(run.stats.packets, 116u);
  EXPECT_EQ(run.flows.created_tcp, 45u);  // tshark -z conv,tcp: 45
  EXPECT_EQ(run.flows.created_udp, 2u);
  EXPECT_EQ(run.stats.non_ip, 4u);
  EXPECT_EQ(run.stats.dropped, 0u);
}

TEST(CapturesTest, TruncatedCaptureKeepsTheEventsBeforeTheDamage) {
  std::string path = kPcaps + "/iti/ModbusTCP/Modbus/modbus_test.pcap";
  REQUIRE_CAPTURE(path);
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

TEST(CapturesTest, EveryCaptureInTheCollectionReadsCleanly) {
  REQUIRE_CAPTURE(kPcaps);
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kPcaps)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || name.find(".pcap") == std::string::npos) continue;
    ++files;
    CaptureRun run = ReadCapture(entry.path().string());
    EXPECT_EQ(run.error, "") << name;
    EXPECT_GT(run.stats.packets, 0u) << name;
    EXPECT_EQ(run.stats.dropped, 0u) << name;
  }
  EXPECT_EQ(files, 43);  // the collection's README: 41 + 2 captures
}

// DNP3 (testdata/README.md, "DNP3": golden files checked against tshark's
// dnp3 dissector with check_dnp3_with_tshark.py).
struct Dnp3Golden {
  const char* capture;  // under kPcaps
  const char* golden;
  uint64_t packets;
  uint64_t flows;
  uint64_t events;  // tshark: as many DNP3 application fragments and link-only frames
  uint64_t bad_ip_checksums;  // the capturing host's offloaded checksums
};

TEST(CapturesTest, Dnp3Goldens) {
  const Dnp3Golden kGoldens[] = {
      {"/iti/dnp3/full_exchange.pcap", "dnp3_full_exchange.events.jsonl", 22, 1, 10, 0},
      {"/iti/dnp3/lan_time_sync.pcap", "dnp3_lan_time_sync.events.jsonl", 5, 1, 4, 2},
      {"/iti/dnp3/read_and_response.pcap", "dnp3_read_and_response.events.jsonl", 12, 1, 2, 0},
      {"/iti/dnp3/select_operate_and_responses.pcap",
       "dnp3_select_operate_and_responses.events.jsonl", 12, 1, 4, 0},
      {"/iti/dnp3/unsolcited_response_and_confirm.pcap",
       "dnp3_unsolcited_response_and_confirm.events.jsonl", 9, 1, 2, 0},
      {"/iti/dnp3/opendnp3-3/conformance/8.11.2.5/dump.pcap",
       "dnp3_opendnp3_8.11.2.5.events.jsonl", 156, 4, 64, 155},
      {"/iti/dnp3/opendnp3-3/conformance/8.9.2.2/dump.pcap",
       "dnp3_opendnp3_8.9.2.2.events.jsonl", 73, 1, 9, 73},
  };
  for (const Dnp3Golden& g : kGoldens) {
    SCOPED_TRACE(g.capture);
    std::string path = kPcaps + g.capture;
    REQUIRE_CAPTURE(path);
    CaptureRun run = ReadCapture(path);
    EXPECT_EQ(run.error, "");
    EXPECT_EQ(run.stats.packets, g.packets);
    EXPECT_EQ(run.stats.protocols["dnp3"].flows, g.flows);
    EXPECT_EQ(run.stats.protocols["dnp3"].events, g.events);
    ExpectGolden(run, g.golden);
    EXPECT_EQ(run.weirds.Count("bad_IP_checksum"), g.bad_ip_checksums);
    EXPECT_EQ(run.weirds.Total(), g.bad_ip_checksums);
  }
}

TEST(CapturesTest, Dnp3ZeekTraceGolden) {
  std::string path = kPcaps + "/iti/bro/dnp3/dnp3.pcap";
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.stats.packets, 214u);
  EXPECT_EQ(run.flows.created, 9u);
  EXPECT_EQ(run.stats.protocols["dnp3"].events, 115u);  // tshark: 115
  ExpectGolden(run, "dnp3_zeek.events.jsonl");
  // Zeek's trace breaks frames on purpose (testdata/README.md): qualifier
  // 0xed (reserved bit set) in 6 requests; "05 05" start bytes on one flow.
  EXPECT_EQ(run.weirds.Count("dnp3_bad_qualifier"), 6u);
  EXPECT_EQ(run.weirds.Count("dnp3_bad_start"), 1u);
  EXPECT_EQ(run.weirds.Total(), 7u);
}

// IEC 60870-5-104 (testdata/README.md: checked against tshark's
// iec60870_104 dissector).
TEST(CapturesTest, Iec104ClockSyncInterrogationCommandsGolden) {
  std::string path = kPcaps + "/iti/IEC60870-5-104/JavaRMI_and_IEC_Misc.pcap";
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.stats.packets, 357u);
  EXPECT_EQ(run.stats.protocols["iec104"].flows, 2u);
  ExpectGolden(run, "JavaRMI_and_IEC_Misc.events.jsonl");  // tshark: 235 APDUs
  EXPECT_EQ(run.weirds.Total(), 0u);
}

TEST(CapturesTest, Iec104WiresharkDissectorTestGolden) {
  std::string path = kPcaps + "/iti/IEC60870-5-104/TestDissectIec104.pcap";
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.stats.packets, 147u);
  EXPECT_EQ(run.stats.protocols["iec104"].flows, 6u);
  ExpectGolden(run, "TestDissectIec104.events.jsonl");
  // The capture puts junk before APDUs on purpose (testdata/README.md).
  EXPECT_EQ(run.weirds.Count("iec104_bad_start"), 16u);
  EXPECT_EQ(run.weirds.Count("iec104_asdu_truncated"), 5u);
  EXPECT_EQ(run.weirds.Count("iec104_bad_apdu_length"), 2u);
  EXPECT_EQ(run.weirds.Count("iec104_truncated_frame_at_end"), 5u);
  EXPECT_EQ(run.weirds.Total(), 28u);
}

// S7comm over ISO-on-TCP: the ITI collection's s7/ captures (S7-300/400 with
// STEP 7, TIA Portal, WinCC and libnodave; S7-1200/1500 with S7comm-plus).
// Golden events (S7 events only, so another analyzer's events in the same
// capture do not matter) were cross-checked with tshark, testdata/README.md
// ("S7comm"); for the three largest captures only the first 200 are kept.
struct S7Golden {
  const char* capture;  // under iti/s7/
  const char* golden;
  size_t events;       // S7 events (COTP connection TPDUs, S7 and S7comm-plus PDUs)
  size_t plus_events;  // of which S7comm-plus
};

std::vector<std::string> S7Events(const CaptureRun& run) {
  std::vector<std::string> out;
  for (const std::string& e : run.events) {
    if (e.find("\"proto\":\"s7comm") != std::string::npos) out.push_back(e);
  }
  return out;
}

TEST(CapturesTest, S7commGoldens) {
  REQUIRE_CAPTURE(kPcaps + "/iti/s7");
  // tshark: S7 PDUs + COTP CR/CC + TSDUs that are not S7comm (S7comm-plus).
  const S7Golden kGoldens[] = {
      {"S7-1511_db2_var1_HMI.pcap", "S7-1511_db2_var1_HMI.events.jsonl", 20, 18},
      {"s7-1200-hmi.pcap", "s7-1200-hmi.events.jsonl", 26, 24},
      {"s7comm_program_blocklist_onlineview.pcap",
       "s7comm_program_blocklist_onlineview.events.jsonl", 80, 0},
      {"s7comm_reading_plc_status.pcap", "s7comm_reading_plc_status.events.jsonl", 146, 0},
      {"s7comm_varservice_libnodavedemo_bench.pcap",
       "s7comm_varservice_libnodavedemo_bench.head.events.jsonl", 10008, 0},
      {"step7_s300_readDiagData.pcapng", "step7_s300_readDiagData.events.jsonl", 410, 0},
      {"step7_s300_readVarTab.pcapng", "step7_s300_readVarTab.events.jsonl", 331, 0},
      {"tia_s300_goOnline.pcapng", "tia_s300_goOnline.events.jsonl", 448, 0},
      {"wincc_s300_setup-alarm-read.pcapng", "wincc_s300_setup-alarm-read.events.jsonl", 128, 0},
      {"wincc_s400_production.pcapng", "wincc_s400_production.head.events.jsonl", 1658, 0},
      {"S7Comm/s7comm_clean.pcap", "s7comm_clean.head.events.jsonl", 5262, 0},
  };
  for (const S7Golden& g : kGoldens) {
    SCOPED_TRACE(g.capture);
    CaptureRun run = ReadCapture(kPcaps + "/iti/s7/" + g.capture);
    EXPECT_EQ(run.error, "");
    std::vector<std::string> events = S7Events(run);
    ASSERT_EQ(events.size(), g.events);
    EXPECT_EQ(run.stats.protocols["s7comm"].events, g.events);
    size_t plus = 0;
    for (const std::string& e : events) {
      plus += e.find("\"proto\":\"s7comm-plus\"") != std::string::npos;
    }
    EXPECT_EQ(plus, g.plus_events);
    std::vector<std::string> want =
        ReadLines(std::string(QILIAN_SENSOR_TESTDATA) + "/" + g.golden);
    ASSERT_FALSE(want.empty()) << g.golden;
    ASSERT_LE(want.size(), events.size());
    for (size_t i = 0; i < want.size(); ++i) {
      ASSERT_EQ(events[i], want[i]) << g.golden << " line " << i + 1;
    }
    for (const auto& [name, count] : run.weirds.counts()) {
      EXPECT_NE(name.rfind("s7comm", 0), 0u) << name << " " << count;
    }
  }
}

// EtherNet/IP with CIP (testdata/README.md, "EtherNet/IP": checked against
// tshark's enip and cip dissectors with check_enip_with_tshark.py). For the
// two large captures the golden files keep the first 40 events, and for
// cip_only.pcap also every Forward Open and Forward Close with its reply.
void ExpectEnipLines(const std::vector<std::string>& events, const std::string& golden) {
  std::vector<std::string> want = ReadLines(std::string(QILIAN_SENSOR_TESTDATA) + "/" + golden);
  ASSERT_FALSE(want.empty()) << golden;
  ASSERT_LE(want.size(), events.size()) << golden;
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(events[i], want[i]) << golden << " line " << i + 1;
  }
}

TEST(CapturesTest, EnipListIdentityAndMultipleServiceGoldens) {
  std::string list_identity = kPcaps + "/iti/EthernetIP/enip_test.pcap";
  REQUIRE_CAPTURE(list_identity);
  CaptureRun run = ReadCapture(list_identity);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.stats.packets, 11u);
  ExpectGolden(run, "enip_test.events.jsonl");  // tshark: 2 messages
  EXPECT_EQ(run.weirds.Total(), 0u);
  CaptureRun multiple = ReadCapture(kPcaps + "/iti/EthernetIP/cip-multiple-1.pcap");
  EXPECT_EQ(multiple.error, "");
  ExpectGolden(multiple, "cip-multiple-1.events.jsonl");
  EXPECT_EQ(multiple.weirds.Total(), 0u);
}

TEST(CapturesTest, EnipLogixTagReadsGolden) {
  std::string path = kPcaps + "/iti/EthernetIP/EthernetIP-CIP.pcap";
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.stats.packets, 10880u);
  EXPECT_EQ(run.stats.protocols["enip"].flows, 4u);
  EXPECT_EQ(run.stats.protocols["enip"].events, 8799u);  // tshark: 8799 messages
  ExpectEnipLines(run.events, "EthernetIP-CIP.head.events.jsonl");
  // The capturing host's own packets carry offloaded (unfinished) IP checksums.
  EXPECT_EQ(run.weirds.Count("bad_IP_checksum"), 4906u);
  EXPECT_EQ(run.weirds.Total(), 4906u);
}

TEST(CapturesTest, EnipPcccAndConnectionsGolden) {
  std::string path = kPcaps + "/iti/CIP/cip_only.pcap";
  REQUIRE_CAPTURE(path);
  CaptureRun run = ReadCapture(path);
  EXPECT_EQ(run.error, "");
  EXPECT_EQ(run.stats.packets, 18798u);
  EXPECT_EQ(run.stats.protocols["enip"].events, 18798u);  // tshark: 18798 messages
  ExpectEnipLines(run.events, "cip_only.head.events.jsonl");
  std::vector<std::string> connections;
  for (const std::string& e : run.events) {
    if (e.find("\"service_name\":\"Forward_") != std::string::npos) connections.push_back(e);
  }
  EXPECT_EQ(connections.size(), 17u);
  ExpectEnipLines(connections, "cip_only.connections.events.jsonl");
  EXPECT_EQ(run.weirds.Total(), 0u);
}

}  // namespace
}  // namespace qilian::security
