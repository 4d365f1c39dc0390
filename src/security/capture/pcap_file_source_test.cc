#include "security/capture/pcap_file_source.h"

#include <gtest/gtest.h>
#include <pcap/dlt.h>

#include <filesystem>

#include "security/capture/pcap_test_file.h"

namespace qilian::security {
namespace {

using testing::PcapBytes;
using testing::TestFrame;
using testing::WriteTempFile;

TEST(PcapFileSourceTest, ReadsFramesWithNanosecondTimestamps) {
  std::string path = WriteTempFile(
      "pcap_file_source_ok.pcap",
      PcapBytes(DLT_EN10MB, {{1700000000, 250000, {1, 2, 3}}, {1700000001, 1, {4, 5}}}));
  auto src = PcapFileSource::Open(path);
  ASSERT_TRUE(src.ok()) << src.status();
  EXPECT_EQ((*src)->link_type(), DLT_EN10MB);
  RawPacket p;
  ASSERT_EQ((*src)->Next(&p), ReadResult::kPacket);
  EXPECT_EQ(p.ts, 1700000000LL * kNsPerSecond + 250000000);
  EXPECT_EQ(p.wire_len, 3u);
  ASSERT_EQ(p.data.size(), 3u);
  EXPECT_EQ(p.data[2], 3);
  ASSERT_EQ((*src)->Next(&p), ReadResult::kPacket);
  EXPECT_EQ(p.ts, 1700000001LL * kNsPerSecond + 1000);
  EXPECT_EQ((*src)->Next(&p), ReadResult::kEnd);
}

TEST(PcapFileSourceTest, TruncatedFileYieldsPacketsUpToTheDamage) {
  std::string bytes = PcapBytes(DLT_EN10MB, {{1, 0, {1, 2, 3, 4}}, {2, 0, {5, 6, 7, 8, 9, 10}}});
  bytes.resize(bytes.size() - 3);  // cut the second record's data short
  std::string path = WriteTempFile("pcap_file_source_truncated.pcap", bytes);
  auto src = PcapFileSource::Open(path);
  ASSERT_TRUE(src.ok());
  RawPacket p;
  ASSERT_EQ((*src)->Next(&p), ReadResult::kPacket);
  ASSERT_EQ((*src)->Next(&p), ReadResult::kError);
  EXPECT_NE((*src)->error().find("damaged after packet 1"), std::string::npos) << (*src)->error();
  EXPECT_NE((*src)->error().find("truncated"), std::string::npos) << (*src)->error();
}

TEST(PcapFileSourceTest, NotACaptureIsAClearError) {
  std::string path = WriteTempFile("pcap_file_source_garbage.pcap", "this is no capture file");
  auto src = PcapFileSource::Open(path);
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(src.status().message().find("pcap_file_source_garbage.pcap"), std::string::npos);
}

TEST(PcapFileSourceTest, MissingFileIsAClearError) {
  auto src = PcapFileSource::Open("/nonexistent/capture.pcap");
  ASSERT_FALSE(src.ok());
  EXPECT_NE(src.status().message().find("/nonexistent/capture.pcap"), std::string::npos);
}

TEST(PcapFileSourceTest, ReadsPcapng) {
  // hart_ip.pcap is pcapng despite its name (ITI ICS-Security-Tools, CC BY 4.0).
  std::string path = std::string(QILIAN_PCAP_DIR) + "/iti/hart/hart_ip.pcap";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no capture collection at " << path;
  auto src = PcapFileSource::Open(path);
  ASSERT_TRUE(src.ok()) << src.status();
  EXPECT_EQ((*src)->link_type(), DLT_EN10MB);
  RawPacket p;
  int n = 0;
  while ((*src)->Next(&p) == ReadResult::kPacket) ++n;
  EXPECT_EQ(n, 116);  // capinfos -c agrees
}

}  // namespace
}  // namespace qilian::security
