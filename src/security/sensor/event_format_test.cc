#include "security/sensor/event_format.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace qilian::security {
namespace {

// The line as the sensor built it before EventFormatter: absl::StrCat of
// the host's fields and nlohmann's dump of the analyzer's.
std::string Reference(TimeNs ts, const Flow& f, std::string_view proto,
                      const nlohmann::ordered_json& fields) {
  std::string line =
      absl::StrCat("{\"ts\":\"", Rfc3339(ts), "\",\"flow\":", f.id, ",\"proto\":\"",
                   absl::string_view(proto.data(), proto.size()), "\",\"orig_h\":\"",
                   f.orig.addr.ToString(), "\",\"orig_p\":", f.orig.port, ",\"resp_h\":\"",
                   f.resp.addr.ToString(), "\",\"resp_p\":", f.resp.port);
  if (fields.is_object() && !fields.empty()) {
    std::string rest = fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line.push_back(',');
    line.append(rest, 1);
  } else {
    line.push_back('}');
  }
  return line;
}

Flow MakeFlow(uint64_t id, IpAddress a, uint16_t ap, IpAddress b, uint16_t bp) {
  Flow f;
  f.id = id;
  f.orig = {a, ap};
  f.resp = {b, bp};
  return f;
}

IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  const uint8_t bytes[4] = {a, b, c, d};
  return IpAddress::FromV4(std::span<const uint8_t, 4>(bytes));
}

IpAddress V6(std::initializer_list<uint8_t> list) {
  uint8_t bytes[16] = {};
  std::copy(list.begin(), list.end(), bytes);
  return IpAddress::FromV6(std::span<const uint8_t, 16>(bytes));
}

TEST(EventFormatterTest, LinesAsTheSensorWroteThem) {
  const TimeNs times[] = {
      0,                                   // the epoch
      1'767'225'600'000'000'000,           // whole second
      1'767'225'600'000'001'000,           // microseconds
      1'767'225'600'123'456'789,           // nanoseconds
      1'767'225'601'999'999'000,           // the next second, cache refreshed
      1'767'225'600'500'000'000,           // an earlier second again
      -1'500'000'000,                      // before 1970
  };
  const Flow flows[] = {
      MakeFlow(1, V4(10, 0, 0, 1), 53454, V4(192, 168, 255, 254), 502),
      MakeFlow(18446744073709551615u, V4(0, 0, 0, 0), 0, V4(255, 255, 255, 255), 65535),
      MakeFlow(7, V6({0xfd, 0x51, 0x69, 0x6c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), 4840,
               V6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55}),
               1234),
  };
  nlohmann::ordered_json fields;
  fields["pdu"] = "request";
  fields["values"] = {1, 2, 3};
  fields["name"] = "caf\xc3\xa9 \"quoted\"\n";
  const nlohmann::ordered_json trees[] = {fields, nlohmann::ordered_json::object(), nullptr};
  EventFormatter format;
  for (TimeNs ts : times) {
    for (const Flow& f : flows) {
      for (const auto& tree : trees) {
        std::string want = Reference(ts, f, "modbus", tree);
        EXPECT_EQ(format.Line(ts, f, "modbus", tree), want);
        std::string members;
        if (tree.is_object() && !tree.empty()) {
          members = tree.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
          members = members.substr(1, members.size() - 2);
        }
        EXPECT_EQ(format.Line(ts, f, "modbus", std::string_view(members)), want);
      }
    }
  }
}

}  // namespace
}  // namespace qilian::security
