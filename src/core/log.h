// Structured logging: one event per line, a name plus key=value fields, so
// that logs can be grepped by people and parsed by machines alike.
//
//   LogInfo("http.listen", {{"address", "127.0.0.1:8000"}, {"io_threads", 2}});
//
// Text format is logfmt ("2024-05-01T10:00:00.123Z INFO event=http.listen
// address=127.0.0.1:8000 io_threads=2"); json format writes one JSON object
// per line. Lines go to stderr: stdout is reserved for machine-readable
// start-up output. Built on spdlog, which serialises writes across threads.
#ifndef QILIAN_CORE_LOG_H_
#define QILIAN_CORE_LOG_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace qilian {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };
enum class LogFormat { kText, kJson };

// One field of an event. Integers and booleans are rendered unquoted.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false"), bare(true) {}
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  LogField(std::string_view k, T v) : key(k), value(std::to_string(v)), bare(true) {}

  std::string_view key;
  std::string value;
  bool bare = false;  // a JSON number or boolean rather than a string
};

using LogFields = std::initializer_list<LogField>;

// Sets the level ("trace" ... "critical", "off") and format ("text" or
// "json"); InvalidArgument for anything else. Logging before this call uses
// info and text.
absl::Status InitLogging(std::string_view level, std::string_view format);

bool LogEnabled(LogLevel level);
void Log(LogLevel level, std::string_view event, LogFields fields);

inline void LogDebug(std::string_view event, LogFields fields = {}) {
  Log(LogLevel::kDebug, event, fields);
}
inline void LogInfo(std::string_view event, LogFields fields = {}) {
  Log(LogLevel::kInfo, event, fields);
}
inline void LogWarn(std::string_view event, LogFields fields = {}) {
  Log(LogLevel::kWarn, event, fields);
}
inline void LogError(std::string_view event, LogFields fields = {}) {
  Log(LogLevel::kError, event, fields);
}

// The line Log writes (without the newline). Exposed for tests.
std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          std::string_view event, LogFields fields);

}  // namespace qilian

#endif  // QILIAN_CORE_LOG_H_
