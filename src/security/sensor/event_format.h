// The line of one event as qilian-sensor writes it (docs/security/sensor.md,
// "Events"): the host's fields (ts, flow, proto, orig_h, orig_p, resp_h,
// resp_p), then the analyzer's. Built in one reused buffer: the time's
// date and clock formatted once per second of capture time, addresses and
// numbers written by hand, the analyzer's members appended as they are.
#ifndef QILIAN_SECURITY_SENSOR_EVENT_FORMAT_H_
#define QILIAN_SECURITY_SENSOR_EVENT_FORMAT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"
#include "security/analyzers/json_writer.h"
#include "security/flow/flow.h"

namespace qilian::security {

// RFC 3339 in UTC, with microseconds (what classic pcap records) unless the
// time has nanoseconds: 2026-01-01T00:00:00.000001Z.
std::string Rfc3339(TimeNs ts);

class EventFormatter {
 public:
  // `members`: the analyzer's fields as JSON object members without braces
  // (JsonWriter's output), or empty. The view is valid until the next call.
  std::string_view Line(TimeNs ts, const Flow& flow, std::string_view proto,
                        std::string_view members);
  // The same for fields as a tree (an object; anything else adds nothing).
  std::string_view Line(TimeNs ts, const Flow& flow, std::string_view proto,
                        const nlohmann::ordered_json& fields);

 private:
  void AppendTime(TimeNs ts);
  void AppendAddress(const IpAddress& a);
  void AppendUint(uint64_t v);

  std::string line_;
  JsonWriter tree_;              // a tree's members, for the second Line
  int64_t cached_second_ = -1;   // the second whose text is in cached_clock_
  std::string cached_clock_;     // "2026-01-01T00:00:00"
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_SENSOR_EVENT_FORMAT_H_
