// Test helper: writes a classic pcap file (microsecond, little-endian) from
// hand-built frames, so tests control every byte that reaches the sensor.
#ifndef QILIAN_SECURITY_CAPTURE_PCAP_TEST_FILE_H_
#define QILIAN_SECURITY_CAPTURE_PCAP_TEST_FILE_H_

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace qilian::security::testing {

inline void PutLe32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

struct TestFrame {
  uint32_t sec = 0;
  uint32_t usec = 0;
  std::vector<uint8_t> bytes;
};

// The file's bytes: global header (snaplen 65535) then one record per frame.
inline std::string PcapBytes(uint32_t link_type, const std::vector<TestFrame>& frames) {
  std::string out;
  PutLe32(&out, 0xa1b2c3d4);
  PutLe32(&out, 0x00040002);  // version 2.4
  PutLe32(&out, 0);           // thiszone
  PutLe32(&out, 0);           // sigfigs
  PutLe32(&out, 65535);       // snaplen
  PutLe32(&out, link_type);
  for (const TestFrame& f : frames) {
    PutLe32(&out, f.sec);
    PutLe32(&out, f.usec);
    PutLe32(&out, static_cast<uint32_t>(f.bytes.size()));
    PutLe32(&out, static_cast<uint32_t>(f.bytes.size()));
    out.append(f.bytes.begin(), f.bytes.end());
  }
  return out;
}

// Writes `bytes` to a fresh file under the test temp dir and returns its path.
inline std::string WriteTempFile(const std::string& name, const std::string& bytes) {
  std::filesystem::path p = std::filesystem::temp_directory_path() / name;
  FILE* f = std::fopen(p.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  return p.string();
}

}  // namespace qilian::security::testing

#endif  // QILIAN_SECURITY_CAPTURE_PCAP_TEST_FILE_H_
