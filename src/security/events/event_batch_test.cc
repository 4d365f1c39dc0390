#include "security/events/event_batch.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace qilian::security::events {
namespace {

std::string Event(const std::string& id, const std::string& ts = "2026-12-07T16:00:00.123456Z",
                  const std::string& proto = "modbus") {
  return absl::StrCat(
      R"({"ts":")", ts, R"(","flow":1,"proto":")", proto,
      R"(","orig_h":"10.0.0.1","orig_p":50000,"resp_h":"10.0.0.2","resp_p":502,"func":"read_holding_registers","id":")",
      id, R"("})");
}

std::string ErrorOf(const std::string& body) {
  ParsedBatch b = ParseEventBatch(body);
  EXPECT_TRUE(b.events.empty());
  return b.error ? b.error->message : "no error";
}

TEST(EventBatch, ParsesEveryLine) {
  const std::string body = Event("s:1") + "\n" + Event("s:2", "2026-12-07T16:00:01Z") + "\r\n\n";
  ParsedBatch b = ParseEventBatch(body);
  ASSERT_FALSE(b.error.has_value()) << b.error->message;
  ASSERT_EQ(b.events.size(), 2u);
  EXPECT_EQ(b.events[0].id, "s:1");
  EXPECT_EQ(b.events[0].ts_ns, 1'796'659'200'123'456'000);
  EXPECT_EQ(b.events[0].proto, "modbus");
  EXPECT_EQ(b.events[0].json, Event("s:1"));
  EXPECT_EQ(b.events[1].ts_ns, 1'796'659'201'000'000'000);
  EXPECT_EQ(b.events[1].json, Event("s:2", "2026-12-07T16:00:01Z"));  // without "\r"
}

TEST(EventBatch, EmptyBodyHasNoEvents) {
  ParsedBatch b = ParseEventBatch("\n\n");
  EXPECT_FALSE(b.error.has_value());
  EXPECT_TRUE(b.events.empty());
}

TEST(EventBatch, OneBadLineRefusesTheBatchNamingIt) {
  std::string body;
  for (int i = 1; i <= 16; ++i) body += Event(absl::StrCat("e", i)) + "\n";
  body += Event("e17", "2026-12-07 16:00:00Z") + "\n" + Event("e18") + "\n";
  ParsedBatch b = ParseEventBatch(body);
  EXPECT_TRUE(b.events.empty());
  ASSERT_TRUE(b.error.has_value());
  EXPECT_EQ(b.error->line, 17u);
  EXPECT_EQ(b.error->message, "line 17: ts: not an RFC 3339 time");
  EXPECT_FALSE(b.too_large);
}

TEST(EventBatch, RefusalsNameTheProblem) {
  EXPECT_EQ(ErrorOf("{\"id\":"), "line 1: not valid JSON");
  EXPECT_EQ(ErrorOf("[1]"), "line 1: not a JSON object");
  EXPECT_EQ(ErrorOf(R"({"ts":"2026-12-07T16:00:00Z","proto":"modbus"})"), "line 1: id: missing");
  EXPECT_EQ(ErrorOf(Event("")), "line 1: id: must be 1 to 64 of [A-Za-z0-9._:-]");
  EXPECT_EQ(ErrorOf(Event("a/b")), "line 1: id: must be 1 to 64 of [A-Za-z0-9._:-]");
  EXPECT_EQ(ErrorOf(Event(std::string(65, 'a'))), "line 1: id: must be 1 to 64 of [A-Za-z0-9._:-]");
  EXPECT_EQ(ErrorOf(R"({"id":"a","proto":"modbus"})"), "line 1: ts: missing");
  EXPECT_EQ(ErrorOf(R"({"id":"a","ts":5,"proto":"modbus"})"), "line 1: ts: not an RFC 3339 time");
  EXPECT_EQ(ErrorOf(Event("a", "2026-12-07T16:00:00+08:00")), "line 1: ts: not an RFC 3339 time");
  EXPECT_EQ(ErrorOf(Event("a", "2026-02-30T16:00:00Z")), "line 1: ts: not an RFC 3339 time");
  EXPECT_EQ(ErrorOf(Event("a", "2026-12-07T16:00:00.1234567890Z")),
            "line 1: ts: not an RFC 3339 time");
  EXPECT_EQ(ErrorOf(Event("a", "2026-12-07T16:00:00.Z")), "line 1: ts: not an RFC 3339 time");
  EXPECT_EQ(ErrorOf(Event("a", "1969-12-31T23:59:59Z")), "line 1: ts: not an RFC 3339 time");
  EXPECT_EQ(ErrorOf(R"({"id":"a","ts":"2026-12-07T16:00:00Z"})"), "line 1: proto: missing");
  EXPECT_EQ(ErrorOf(Event("a", "2026-12-07T16:00:00Z", "Modbus")),
            "line 1: proto: must be 1 to 32 of [a-z0-9_-]");
  EXPECT_EQ(ErrorOf(R"({"id":"a","ts":"2026-12-07T16:00:00Z","proto":"x","orig_p":70000})"),
            "line 1: orig_p: must be an integer 0 to 65535");
  EXPECT_EQ(ErrorOf(R"({"id":"a","ts":"2026-12-07T16:00:00Z","proto":"x","resp_h":1})"),
            "line 1: resp_h: must be a string of at most 64 characters");
  EXPECT_EQ(ErrorOf(R"({"id":"a","ts":"2026-12-07T16:00:00Z","proto":"x","sensor":"s"})"),
            "line 1: sensor: is set by the server");
  EXPECT_EQ(ErrorOf(R"({"id":"a","ts":"2026-12-07T16:00:00Z","proto":"x","received":"s"})"),
            "line 1: received: is set by the server");
}

TEST(EventBatch, EventSizeAndNestingAreBounded) {
  std::string big = R"({"id":"a","ts":"2026-12-07T16:00:00Z","proto":"x","pad":")" +
                    std::string(kMaxEventBytes, 'p') + "\"}";
  EXPECT_EQ(ErrorOf(big),
            absl::StrCat("line 1: event is ", big.size(), " bytes, over the limit of 16384"));
  std::string deep = R"({"id":"a","ts":"2026-12-07T16:00:00Z","proto":"x","v":)" +
                     std::string(20, '[') + std::string(20, ']') + "}";
  EXPECT_EQ(ErrorOf(deep), "line 1: event nests deeper than 16 levels");
  auto nested = [](int brackets) {  // the event's own braces and `brackets` more
    return R"({"id":"a","ts":"2026-12-07T16:00:00Z","proto":"x","v":)" +
           std::string(brackets, '[') + std::string(brackets, ']') + "}";
  };
  EXPECT_FALSE(ParseEventBatch(nested(15)).error.has_value());
  EXPECT_EQ(ErrorOf(nested(16)), "line 1: event nests deeper than 16 levels");
}

TEST(EventBatch, MoreThanTenThousandEventsIsTooLarge) {
  std::string body;
  for (size_t i = 0; i <= kMaxBatchLines; ++i) body += Event(absl::StrCat("e", i)) + "\n";
  ParsedBatch b = ParseEventBatch(body);
  EXPECT_TRUE(b.events.empty());
  ASSERT_TRUE(b.error.has_value());
  EXPECT_TRUE(b.too_large);
  EXPECT_EQ(b.error->message, "request holds more than 10000 events, over the limit of 10000");
}

TEST(EventBatch, TimesRoundTrip) {
  EXPECT_EQ(ParseRfc3339Utc("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseRfc3339Utc("2024-02-29T12:00:00.5Z"), 1'709'208'000'500'000'000);
  EXPECT_EQ(FormatRfc3339Utc(1'709'208'000'500'000'000), "2024-02-29T12:00:00.5Z");
  EXPECT_EQ(FormatRfc3339Utc(1'796'659'200'123'456'789), "2026-12-07T16:00:00.123456789Z");
  EXPECT_EQ(FormatRfc3339Utc(1'796'659'200'000'000'000), "2026-12-07T16:00:00Z");
  EXPECT_EQ(ParseRfc3339Utc("2026-12-07T24:00:00Z"), std::nullopt);
}

// Every event of the sensor's golden files (what qilian-sensor writes for
// the public captures), with a delivery id appended as the sender does,
// passes the server's checks.
TEST(EventBatch, EveryGoldenSensorEventIsAccepted) {
  size_t files = 0, events = 0;
  for (const auto& entry : std::filesystem::directory_iterator(QILIAN_SENSOR_TESTDATA)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".events.jsonl")) continue;
    ++files;
    std::ifstream in(entry.path());
    std::string body, line;
    size_t n = 0;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      ASSERT_EQ(line.back(), '}') << name;
      line.pop_back();
      body += line + absl::StrCat(",\"id\":\"golden:", ++n, "\"}\n");
    }
    ParsedBatch b = ParseEventBatch(body);
    EXPECT_FALSE(b.error.has_value()) << name << ": " << (b.error ? b.error->message : "");
    EXPECT_EQ(b.events.size(), n) << name;
    events += b.events.size();
  }
  EXPECT_GT(files, 10u);
  EXPECT_GT(events, 1000u);
}

}  // namespace
}  // namespace qilian::security::events
