// qilian-sensor as a user runs it: exit status, summary, events file and the
// message for a damaged capture.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

const std::string kPcaps = QILIAN_PCAP_DIR;
const std::filesystem::path kTmp = std::filesystem::temp_directory_path();

struct Result {
  int status = -1;
  std::string out;  // stdout and stderr together
};

Result RunSensor(const std::string& args) {
  std::string cmd = std::string(QILIAN_SENSOR_BINARY) + " " + args + " 2>&1";
  Result r;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int w = pclose(p);
  r.status = WIFEXITED(w) ? WEXITSTATUS(w) : -1;
  return r;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(QilianSensorTest, WritesTheSummaryAndTheEvents) {
  std::string capture = kPcaps + "/iti/bro/modbus/modbusSmall.pcap";
  if (!std::filesystem::exists(capture)) GTEST_SKIP() << "no capture at " << capture;
  std::filesystem::path events = kTmp / "qilian_sensor_main_test.jsonl";
  Result r = RunSensor("--read " + capture + " --events " + events.string());
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("packets: 166 (12198 bytes)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("modbus       flows 16, events 32"), std::string::npos) << r.out;
  EXPECT_EQ(ReadFile(events),
            ReadFile(std::string(QILIAN_SENSOR_TESTDATA) + "/modbusSmall.events.jsonl"));
}

TEST(QilianSensorTest, DamagedCaptureSaysWhereAndExitsOne) {
  std::string capture = kPcaps + "/iti/bro/modbus/modbusSmall.pcap";
  if (!std::filesystem::exists(capture)) GTEST_SKIP() << "no capture at " << capture;
  std::string bytes = ReadFile(capture);
  std::filesystem::path cut = kTmp / "qilian_sensor_main_test_cut.pcap";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, 5000);
  Result r = RunSensor("--read " + cut.string());
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find("damaged after packet"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("truncated"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("packets: "), std::string::npos) << r.out;  // the summary still comes
}

TEST(QilianSensorTest, UnreadableInputExitsTwo) {
  Result r = RunSensor("--read /nonexistent/capture.pcap");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.out.find("cannot read capture /nonexistent/capture.pcap"), std::string::npos)
      << r.out;
  std::filesystem::path text = kTmp / "qilian_sensor_main_test.txt";
  std::ofstream(text) << "not a capture";
  EXPECT_EQ(RunSensor("--read " + text.string()).status, 2);
}

}  // namespace
