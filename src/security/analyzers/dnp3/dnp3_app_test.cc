#include "security/analyzers/dnp3/dnp3_app.h"

#include <gtest/gtest.h>

namespace qilian::security::dnp3 {
namespace {

using Bytes = std::vector<uint8_t>;

std::string_view Parse(const Bytes& app, Dnp3Event* e) { return ParseApplication(app, e); }

TEST(Dnp3AppTest, ReadClassesHasHeadersOnly) {
  Dnp3Event e;
  EXPECT_EQ(
      Parse({0xc3, 0x01, 0x3c, 0x02, 0x06, 0x3c, 0x03, 0x06, 0x3c, 0x04, 0x06, 0x3c, 0x01, 0x06},
            &e),
      "");
  EXPECT_EQ(e.function, kRead);
  EXPECT_EQ(e.app_control & 0x0f, 3);
  EXPECT_FALSE(e.iin);
  ASSERT_EQ(e.objects.size(), 4u);
  EXPECT_EQ(e.objects[0].group, 60);
  EXPECT_EQ(e.objects[0].variation, 2);
  EXPECT_TRUE(e.objects[0].all);
  EXPECT_EQ(e.objects[3].variation, 1);
}

TEST(Dnp3AppTest, ReadWithRangesAndCounts) {
  Dnp3Event e;
  EXPECT_EQ(Parse({0xc0, 0x01, 0x1e, 0x01, 0x01, 0x05, 0x00, 0x09, 0x00,  // g30v1 5..9
                   0x02, 0x01, 0x07, 0x03},                               // g2v1 count 3
                  &e),
            "");
  ASSERT_EQ(e.objects.size(), 2u);
  EXPECT_EQ(e.objects[0].start, 5u);
  EXPECT_EQ(e.objects[0].stop, 9u);
  EXPECT_EQ(e.objects[0].count, 5u);
  EXPECT_FALSE(e.objects[1].start);
  EXPECT_EQ(e.objects[1].count, 3u);
}

TEST(Dnp3AppTest, SelectCrobFromACapture) {
  // select_operate_and_responses.pcap frame 4.
  Dnp3Event e;
  EXPECT_EQ(Parse({0xc0, 0x03, 0x0c, 0x01, 0x28, 0x01, 0x00, 0x00, 0x00, 0x03,
                   0x01, 0x64, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00, 0x00},
                  &e),
            "");
  EXPECT_EQ(FunctionName(e.function), "select");
  ASSERT_EQ(e.objects.size(), 1u);
  const ObjectHeader& h = e.objects[0];
  EXPECT_EQ(h.qualifier, 0x28);
  EXPECT_EQ(h.count, 1u);
  ASSERT_EQ(h.points.size(), 1u);
  EXPECT_EQ(h.points[0].index, 0u);
  EXPECT_EQ(h.points[0].control_code, 3);
  EXPECT_EQ(OperationTypeName(*h.points[0].control_code), "latch_on");
  EXPECT_EQ(h.points[0].count, 1);
  EXPECT_EQ(h.points[0].on_time, 100u);
  EXPECT_EQ(h.points[0].off_time, 100u);
  EXPECT_EQ(h.points[0].status, 0);
}

TEST(Dnp3AppTest, ResponseCarriesInternalIndications) {
  Dnp3Event e;
  // IIN1 0x90 (device restart, need time), IIN2 0x04 (parameter error);
  // g1v2 0..1 with flags.
  EXPECT_EQ(Parse({0xe1, 0x81, 0x90, 0x04, 0x01, 0x02, 0x00, 0x00, 0x01, 0x81, 0x01}, &e), "");
  EXPECT_EQ(e.iin, 0x9004);
  EXPECT_EQ(IinNames(*e.iin),
            (std::vector<std::string_view>{"device_restart", "need_time", "parameter_error"}));
  ASSERT_EQ(e.objects.size(), 1u);
  EXPECT_EQ(e.objects[0].count, 2u);
  EXPECT_TRUE(e.objects[0].points.empty());  // binary inputs: counted, not listed
}

TEST(Dnp3AppTest, WriteTimeAndClearRestart) {
  Dnp3Event e;
  // g50v1 count 1 = 2014-01-01T00:00:00.123Z; g80v1 7..7 = 0.
  uint64_t ms = 1388534400123;
  Bytes app = {0xc1, 0x02, 0x32, 0x01, 0x07, 0x01};
  for (int i = 0; i < 6; ++i) app.push_back(static_cast<uint8_t>(ms >> (8 * i)));
  for (uint8_t x : {0x50, 0x01, 0x00, 0x07, 0x07, 0x00}) app.push_back(x);
  EXPECT_EQ(Parse(app, &e), "");
  ASSERT_EQ(e.objects.size(), 2u);
  EXPECT_EQ(e.objects[0].points[0].time_ms, ms);
  EXPECT_EQ(ToJson(e)["objects"][0]["points"][0]["time"], "2014-01-01T00:00:00.123Z");
  EXPECT_EQ(e.objects[1].points[0].index, 7u);
  EXPECT_EQ(e.objects[1].points[0].bit, false);
}

TEST(Dnp3AppTest, AnalogOutputsAndDelay) {
  Dnp3Event e;
  // Direct operate g41v2 index 3 = -2; g41v3 index 4 = 1.5.
  EXPECT_EQ(Parse({0xc2, 0x05, 0x29, 0x02, 0x17, 0x01, 0x03, 0xfe, 0xff, 0x00,
                   0x29, 0x03, 0x17, 0x01, 0x04, 0x00, 0x00, 0xc0, 0x3f, 0x00},
                  &e),
            "");
  ASSERT_EQ(e.objects.size(), 2u);
  EXPECT_EQ(e.objects[0].points[0].index, 3u);
  EXPECT_EQ(e.objects[0].points[0].int_value, -2);
  EXPECT_EQ(e.objects[1].points[0].float_value, 1.5);
  Dnp3Event d;
  EXPECT_EQ(Parse({0xc2, 0x81, 0x00, 0x00, 0x34, 0x02, 0x07, 0x01, 0x2c, 0x01}, &d), "");
  EXPECT_EQ(d.objects[0].points[0].delay, 300);
}

TEST(Dnp3AppTest, OpenFileNamesTheFile) {
  // g70v3 file command, qualifier 0x5b (2-byte size, 1-byte count).
  std::string name = "/var/log";
  Bytes object = {26,   0,    static_cast<uint8_t>(name.size()),
                  0,  // name offset, size
                  0,    0,    0,
                  0,    0,    0,  // created
                  0xa4, 0x01,     // permissions 0644
                  0,    0,    0,
                  0,  // auth key
                  0,    0,    0,
                  0,         // file size
                  1,    0,   // mode: read
                  0,    1,   // max block 256
                  9,    0};  // request id
  for (char c : name) object.push_back(static_cast<uint8_t>(c));
  Bytes app = {0xc4, 0x19, 0x46, 0x03, 0x5b, 0x01, static_cast<uint8_t>(object.size()), 0};
  for (uint8_t x : object) app.push_back(x);
  Dnp3Event e;
  EXPECT_EQ(Parse(app, &e), "");
  ASSERT_EQ(e.objects.size(), 1u);
  const Point& p = e.objects[0].points[0];
  EXPECT_EQ(p.file_name, name);
  EXPECT_EQ(p.permissions, 0644);
  EXPECT_EQ(p.op_mode, 1);
  EXPECT_EQ(p.max_block_size, 256);
  EXPECT_EQ(p.request_id, 9);
  EXPECT_EQ(FunctionName(e.function), "open_file");
  // The name pointing past the object is a weird, not a read past the end.
  app[8] = 200;
  Dnp3Event bad;
  EXPECT_EQ(Parse(app, &bad), "dnp3_bad_file_object");
}

TEST(Dnp3AppTest, MalformedFragmentsAreNamed) {
  Dnp3Event e;
  EXPECT_EQ(Parse({0xc0}, &e), "dnp3_app_truncated");
  EXPECT_EQ(Parse({0xc0, 0x81, 0x00}, &e), "dnp3_app_truncated");
  EXPECT_EQ(Parse({0xc0, 0x64}, &e), "dnp3_unknown_function");
  EXPECT_EQ(Parse({0xc0, 0x01, 0x3c}, &e), "dnp3_object_header_truncated");
  EXPECT_EQ(Parse({0xc0, 0x01, 0x1e, 0x01, 0x01, 0x05}, &e), "dnp3_object_header_truncated");
  EXPECT_EQ(Parse({0xc0, 0x01, 0x1e, 0x01, 0x00, 0x05, 0x01}, &e), "dnp3_bad_range");
  EXPECT_EQ(Parse({0xc0, 0x01, 0x1e, 0x01, 0x0f}, &e), "dnp3_bad_qualifier");
  EXPECT_EQ(Parse({0xc0, 0x81, 0, 0, 0xc8, 0x01, 0x07, 0x01, 0x00}, &e), "dnp3_unknown_object");
  EXPECT_EQ(Parse({0xc0, 0x81, 0, 0, 0x1e, 0x01, 0x07, 0x02, 0, 0, 0, 0, 0}, &e),
            "dnp3_object_data_truncated");
  // A count of 2^32-1 with little data fails without iterating.
  EXPECT_EQ(Parse({0xc0, 0x81, 0, 0, 0x1e, 0x01, 0x09, 0xff, 0xff, 0xff, 0xff, 0}, &e),
            "dnp3_object_data_truncated");
}

TEST(Dnp3AppTest, HeadersAndPointsAreBounded) {
  Bytes app = {0xc0, 0x01};
  for (size_t i = 0; i < kMaxObjectHeaders + 5; ++i) {
    for (uint8_t x : {0x3c, 0x01, 0x06}) app.push_back(x);
  }
  Dnp3Event e;
  EXPECT_EQ(Parse(app, &e), "dnp3_too_many_object_headers");
  EXPECT_EQ(e.objects.size(), kMaxObjectHeaders);
  // 100 CROBs: all consumed, kMaxPointsPerHeader kept.
  Bytes crobs = {0xc0, 0x05, 0x0c, 0x01, 0x00, 0x00, 99};
  for (int i = 0; i < 100; ++i) {
    for (uint8_t x : {0x41, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}) crobs.push_back(x);
  }
  Dnp3Event c;
  EXPECT_EQ(Parse(crobs, &c), "");
  EXPECT_EQ(c.objects[0].count, 100u);
  EXPECT_EQ(c.objects[0].points.size(), kMaxPointsPerHeader);
  EXPECT_EQ(c.objects[0].points.back().index, kMaxPointsPerHeader - 1);
}

TEST(Dnp3AppTest, NamesCoverTheStandard) {
  EXPECT_EQ(FunctionName(kDirectOperateNoAck), "direct_operate_no_ack");
  EXPECT_EQ(FunctionName(kAuthenticateRequestNoAck), "authenticate_request_no_ack");
  EXPECT_EQ(FunctionName(kUnsolicitedResponse), "unsolicited_response");
  EXPECT_EQ(FunctionName(kAuthenticateResponse), "authenticate_response");
  EXPECT_EQ(FunctionName(34), "unknown");
  EXPECT_EQ(GroupName(12), "binary_output_command");
  EXPECT_EQ(ControlStatusName(4), "not_supported");
  EXPECT_EQ(SizeOf(32, 8).size, 15u);
  EXPECT_EQ(SizeOf(110, 12).size, 12u);
  EXPECT_EQ(SizeOf(99, 1).kind, SizeKind::kUnknown);
  EXPECT_EQ(SizeOf(120, 4).size, 2u);
}

TEST(Dnp3AppTest, FreezeAtTimeCarriesOnlyItsTime) {
  // g50v2 count 1 (time 1000 ms, interval 60000), then g20v0 all, g21v1 0..3.
  Dnp3Event e;
  EXPECT_EQ(Parse({0xc5, 0x0b, 0x32, 0x02, 0x07, 0x01, 0xe8, 0x03, 0,    0,    0,    0,
                   0x60, 0xea, 0,    0,    0x14, 0x00, 0x06, 0x15, 0x01, 0x00, 0x00, 0x03},
                  &e),
            "");
  ASSERT_EQ(e.objects.size(), 3u);
  EXPECT_EQ(e.objects[0].points[0].time_ms, 1000u);
  EXPECT_EQ(e.objects[0].points[0].interval, 60000u);
  EXPECT_TRUE(e.objects[1].all);
  EXPECT_EQ(e.objects[2].count, 4u);
}

TEST(Dnp3AppTest, AssignClassAndDeviceAttributes) {
  Dnp3Event a;
  // Assign class 2 to analog inputs 0..4.
  EXPECT_EQ(Parse({0xc6, 0x16, 0x3c, 0x03, 0x06, 0x1e, 0x00, 0x00, 0x00, 0x04}, &a), "");
  ASSERT_EQ(a.objects.size(), 2u);
  EXPECT_EQ(a.objects[1].count, 5u);
  // g0v252 (device manufacturer) response: type 1 (string), length 3, "ABB";
  // then g0v250 the same way.
  Dnp3Event d;
  EXPECT_EQ(Parse({0xc6, 0x81, 0,   0,    0x00, 0xfc, 0x00, 0xfc, 0xfc, 0x01, 0x03,
                   'A',  'B',  'B', 0x00, 0xfa, 0x00, 0xfa, 0xfa, 0x01, 0x01, 'X'},
                  &d),
            "");
  ASSERT_EQ(d.objects.size(), 2u);
  EXPECT_EQ(d.objects[1].variation, 0xfa);
}

TEST(Dnp3AppTest, FileTransportObjects) {
  // Response: g70v4 command status (handle 0x1234, size 100, block 256,
  // request 9, status 0), then g70v5 transport (block 2, last, 3 bytes).
  Bytes app = {0xc7, 0x81, 0,    0, 0x46, 0x04, 0x5b, 0x01, 13,   0,    0x34, 0x12, 0,    0,
               100,  0,    0,    0, 0,    1,    9,    0,    0,    0x46, 0x05, 0x5b, 0x01, 11,
               0,    0x34, 0x12, 0, 0,    2,    0,    0,    0x80, 'a',  'b',  'c'};
  Dnp3Event e;
  EXPECT_EQ(Parse(app, &e), "");
  ASSERT_EQ(e.objects.size(), 2u);
  const Point& status = e.objects[0].points[0];
  EXPECT_EQ(status.file_handle, 0x1234u);
  EXPECT_EQ(status.file_size, 100u);
  EXPECT_EQ(status.max_block_size, 256);
  EXPECT_EQ(status.request_id, 9);
  EXPECT_EQ(status.status, 0);
  EXPECT_FALSE(ToJson(e)["objects"][0]["points"][0].contains("status_name"));
  const Point& block = e.objects[1].points[0];
  EXPECT_EQ(block.block, 2u);
  EXPECT_EQ(block.last_block, true);
  EXPECT_EQ(block.data_bytes, 3u);
  // A size prefix past the end.
  app[27] = 200;
  Dnp3Event bad;
  EXPECT_EQ(Parse(app, &bad), "dnp3_object_data_truncated");
}

TEST(Dnp3AppTest, FileNamesAreEscaped) {
  // g70v8 file specification string with a non-ASCII byte.
  Dnp3Event e;
  EXPECT_EQ(Parse({0xc8, 0x1b, 0x46, 0x08, 0x5b, 0x01, 3, 0, 'a', 0xff, '\\'}, &e), "");
  EXPECT_EQ(ToJson(e)["objects"][0]["points"][0]["file_name"], "a\\xff\\x5c");
}

}  // namespace
}  // namespace qilian::security::dnp3
