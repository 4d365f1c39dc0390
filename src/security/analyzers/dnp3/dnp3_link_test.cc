#include "security/analyzers/dnp3/dnp3_link.h"

#include <gtest/gtest.h>

#include "security/analyzers/dnp3/dnp3_test_frames.h"

namespace qilian::security::dnp3 {
namespace {

using testing::Bytes;
using testing::LinkFrame;

TEST(Dnp3LinkTest, CrcMatchesTheStandardAndACapturedHeader) {
  Bytes check = {'1', '2', '3', '4', '5', '6', '7', '8', '9'};
  EXPECT_EQ(Crc(check), 0xea82);  // CRC-16/DNP check value
  // select_operate_and_responses.pcap frame 4: header CRC 8a 1c.
  Bytes header = {0x05, 0x64, 0x1a, 0xc4, 0x0a, 0x00, 0x01, 0x00};
  EXPECT_EQ(Crc(header), 0x1c8a);
}

TEST(Dnp3LinkTest, FrameSizeCountsBlockCrcs) {
  EXPECT_EQ(FrameSize(5), 10u);
  EXPECT_EQ(FrameSize(6), 13u);
  EXPECT_EQ(FrameSize(21), 28u);
  EXPECT_EQ(FrameSize(22), 31u);
  EXPECT_EQ(FrameSize(255), kMaxFrameSize);
}

TEST(Dnp3LinkTest, ParsesHeaderAndDataBlocks) {
  Bytes data(20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i);
  Bytes frame = LinkFrame(0xd3, 0x0400, 3, data);
  LinkHeader h;
  Bytes out;
  size_t size = 0;
  ASSERT_EQ(ParseLinkFrame(frame, &h, &out, &size), LinkResult::kFrame);
  EXPECT_EQ(size, frame.size());
  EXPECT_EQ(h.length, 25);
  EXPECT_EQ(h.destination, 0x0400);
  EXPECT_EQ(h.source, 3);
  EXPECT_TRUE(h.from_master());
  EXPECT_TRUE(h.primary());
  EXPECT_EQ(h.function(), kConfirmedUserData);
  EXPECT_TRUE(h.carries_user_data());
  EXPECT_EQ(out, data);
}

TEST(Dnp3LinkTest, EachFieldBroken) {
  Bytes frame = LinkFrame(0xc4, 10, 1, Bytes{0xc0, 0xc0, 0x01, 0x3c, 0x02, 0x06});
  LinkHeader h;
  Bytes out;
  size_t size = 0;
  Bytes bad = frame;
  bad[1] = 0x65;
  EXPECT_EQ(ParseLinkFrame(bad, &h, &out, &size), LinkResult::kBadStart);
  bad = frame;
  bad[4] ^= 1;  // destination, under the header CRC
  EXPECT_EQ(ParseLinkFrame(bad, &h, &out, &size), LinkResult::kBadHeaderCrc);
  bad = frame;
  bad[11] ^= 1;  // user data, under the block CRC
  EXPECT_EQ(ParseLinkFrame(bad, &h, &out, &size), LinkResult::kBadDataCrc);
  EXPECT_EQ(size, frame.size());
  bad = frame;
  bad.pop_back();
  EXPECT_EQ(ParseLinkFrame(bad, &h, &out, &size), LinkResult::kNeedMore);
  Bytes short_length = {0x05, 0x64, 0x04, 0xc9, 0x01, 0x00, 0x02, 0x00};
  testing::AppendCrc(&short_length, 0);
  EXPECT_EQ(ParseLinkFrame(short_length, &h, &out, &size), LinkResult::kBadLength);
}

TEST(Dnp3LinkTest, FunctionNamesDependOnPrimary) {
  EXPECT_EQ(LinkFunctionName(true, 0), "reset_link_states");
  EXPECT_EQ(LinkFunctionName(true, 9), "request_link_status");
  EXPECT_EQ(LinkFunctionName(false, 0), "ack");
  EXPECT_EQ(LinkFunctionName(false, 11), "link_status");
  EXPECT_EQ(LinkFunctionName(false, 5), "unknown");
}

}  // namespace
}  // namespace qilian::security::dnp3
