#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <memory>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/json_text.h"

namespace qilian {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};

spdlog::level::level_enum ToSpdlog(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return spdlog::level::trace;
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
    case LogLevel::kCritical: return spdlog::level::critical;
    case LogLevel::kOff: return spdlog::level::off;
  }
  return spdlog::level::info;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kTrace: return "trace";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kCritical: return "critical";
    case LogLevel::kOff: return "off";
  }
  return "info";
}

// The logger writes preformatted lines; spdlog adds thread-safe output and
// level filtering.
spdlog::logger& Logger() {
  static spdlog::logger* logger = [] {
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto* l = new spdlog::logger("qilian", sink);
    l->set_pattern("%v");
    l->set_level(spdlog::level::info);
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *logger;
}

// logfmt: bare if the value has no space, quote, '=' or control character.
void AppendLogfmtValue(std::string* out, std::string_view v) {
  bool needs_quotes = v.empty();
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) needs_quotes = true;
  }
  if (!needs_quotes) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (unsigned char c : v) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace

absl::Status InitLogging(std::string_view level, std::string_view format) {
  static const std::pair<std::string_view, LogLevel> kLevels[] = {
      {"trace", LogLevel::kTrace}, {"debug", LogLevel::kDebug}, {"info", LogLevel::kInfo},
      {"warn", LogLevel::kWarn},   {"error", LogLevel::kError}, {"critical", LogLevel::kCritical},
      {"off", LogLevel::kOff}};
  const LogLevel* found = nullptr;
  for (const auto& [name, l] : kLevels) {
    if (name == level) found = &l;
  }
  if (found == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown log level '", std::string(level), "'"));
  }
  LogFormat f;
  if (format == "text") {
    f = LogFormat::kText;
  } else if (format == "json") {
    f = LogFormat::kJson;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown log format '", std::string(format), "'"));
  }
  Logger().set_level(ToSpdlog(*found));
  g_format.store(f);
  return absl::OkStatus();
}

bool LogEnabled(LogLevel level) { return Logger().should_log(ToSpdlog(level)); }

void Log(LogLevel level, std::string_view event, LogFields fields) {
  if (!LogEnabled(level)) return;
  std::string line = FormatLogLine(g_format.load(), absl::Now(), level, event, fields);
  Logger().log(ToSpdlog(level), "{}", line);
}

std::string FormatLogLine(LogFormat format, absl::Time time, LogLevel level,
                          std::string_view event, LogFields fields) {
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
  std::string out;
  if (format == LogFormat::kText) {
    std::string lvl = LevelName(level);
    for (char& c : lvl) c = static_cast<char>(c - 'a' + 'A');
    absl::StrAppend(&out, ts, " ", lvl, " event=");
    AppendLogfmtValue(&out, event);
    for (const LogField& f : fields) {
      out.push_back(' ');
      out.append(f.key);
      out.push_back('=');
      AppendLogfmtValue(&out, f.value);
    }
    return out;
  }
  absl::StrAppend(&out, "{\"ts\":\"", ts, "\",\"level\":\"", LevelName(level), "\",\"event\":");
  AppendJsonString(event, &out);
  for (const LogField& f : fields) {
    out.push_back(',');
    AppendJsonString(f.key, &out);
    out.push_back(':');
    if (f.bare) {
      out.append(f.value);
    } else {
      AppendJsonString(f.value, &out);
    }
  }
  out.push_back('}');
  return out;
}

}  // namespace qilian
