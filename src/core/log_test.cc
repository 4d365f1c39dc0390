#include "core/log.h"

#include "gtest/gtest.h"

namespace qilian {
namespace {

const absl::Time kTime = absl::FromUnixMillis(1700000000123);

TEST(LogTest, TextIsLogfmt) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kTime, LogLevel::kInfo, "http.listen",
                          {{"address", "127.0.0.1:8000"}, {"threads", 2}, {"tls", false}}),
            "2023-11-14T22:13:20.123Z INFO event=http.listen address=127.0.0.1:8000 threads=2 "
            "tls=false");
}

TEST(LogTest, TextQuotesAndEscapes) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kTime, LogLevel::kWarn, "x",
                          {{"msg", "a \"b\" c"}, {"empty", ""}, {"nl", "a\nb"}, {"eq", "a=b"}}),
            "2023-11-14T22:13:20.123Z WARN event=x msg=\"a \\\"b\\\" c\" empty=\"\" nl=\"a\\nb\" "
            "eq=\"a=b\"");
}

TEST(LogTest, JsonIsOneObject) {
  EXPECT_EQ(FormatLogLine(LogFormat::kJson, kTime, LogLevel::kError, "store.open",
                          {{"path", "/var/q\"x\""}, {"code", 13}, {"ctl", std::string("\x01")}}),
            "{\"ts\":\"2023-11-14T22:13:20.123Z\",\"level\":\"error\",\"event\":\"store.open\","
            "\"path\":\"/var/q\\\"x\\\"\",\"code\":13,\"ctl\":\"\\u0001\"}");
}

TEST(LogTest, InitRejectsUnknownLevelAndFormat) {
  absl::Status s = InitLogging("loud", "text");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown log level 'loud'");
  s = InitLogging("info", "xml");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "unknown log format 'xml'");
}

TEST(LogTest, LevelFilters) {
  ASSERT_TRUE(InitLogging("warn", "text").ok());
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
  EXPECT_TRUE(LogEnabled(LogLevel::kWarn));
  ASSERT_TRUE(InitLogging("info", "json").ok());
  EXPECT_TRUE(LogEnabled(LogLevel::kInfo));
  EXPECT_FALSE(LogEnabled(LogLevel::kDebug));
  LogInfo("log_test.smoke", {{"k", "v"}});
  ASSERT_TRUE(InitLogging("info", "text").ok());
}

}  // namespace
}  // namespace qilian
