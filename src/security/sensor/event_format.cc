#include "security/sensor/event_format.h"

#include <charconv>

#include "absl/time/time.h"

namespace qilian::security {

std::string Rfc3339(TimeNs ts) {
  absl::Time t = absl::FromUnixNanos(ts);
  const char* format = ts % 1000 == 0 ? "%Y-%m-%dT%H:%M:%E6SZ" : "%Y-%m-%dT%H:%M:%E9SZ";
  return absl::FormatTime(format, t, absl::UTCTimeZone());
}

void EventFormatter::AppendUint(uint64_t v) {
  char buf[24];
  line_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

void EventFormatter::AppendTime(TimeNs ts) {
  if (ts < 0) {  // before 1970: rare enough for the slow path
    line_.append(Rfc3339(ts));
    return;
  }
  int64_t second = ts / kNsPerSecond;
  if (second != cached_second_) {
    cached_second_ = second;
    cached_clock_ = absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(second),
                                     absl::UTCTimeZone());
  }
  line_.append(cached_clock_);
  // The fraction: 6 digits, or 9 when the time has nanoseconds.
  uint32_t ns = static_cast<uint32_t>(ts % kNsPerSecond);
  int digits = ns % 1000 == 0 ? 6 : 9;
  uint32_t v = digits == 6 ? ns / 1000 : ns;
  char buf[11];
  buf[0] = '.';
  for (int i = digits; i >= 1; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
  buf[digits + 1] = 'Z';
  line_.append(buf, digits + 2);
}

void EventFormatter::AppendAddress(const IpAddress& a) {
  if (!a.is_v4()) {
    line_.append(a.ToString());
    return;
  }
  for (int i = 12; i < 16; ++i) {
    if (i != 12) line_.push_back('.');
    AppendUint(a.bytes[i]);
  }
}

std::string_view EventFormatter::Line(TimeNs ts, const Flow& flow, std::string_view proto,
                                      std::string_view members) {
  // The host's fields are numbers and strings that need no escaping (a
  // protocol name, an RFC 3339 time, addresses).
  line_.assign("{\"ts\":\"");
  AppendTime(ts);
  line_.append("\",\"flow\":");
  AppendUint(flow.id);
  line_.append(",\"proto\":\"");
  line_.append(proto);
  line_.append("\",\"orig_h\":\"");
  AppendAddress(flow.orig.addr);
  line_.append("\",\"orig_p\":");
  AppendUint(flow.orig.port);
  line_.append(",\"resp_h\":\"");
  AppendAddress(flow.resp.addr);
  line_.append("\",\"resp_p\":");
  AppendUint(flow.resp.port);
  if (!members.empty()) {
    line_.push_back(',');
    line_.append(members);
  }
  line_.push_back('}');
  return line_;
}

std::string_view EventFormatter::Line(TimeNs ts, const Flow& flow, std::string_view proto,
                                      const nlohmann::ordered_json& fields) {
  tree_.Clear();
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) tree_.Key(it.key()).Value(it.value());
  }
  return Line(ts, flow, proto, tree_.view());
}

}  // namespace qilian::security
