// Writes points as InfluxDB line protocol (docs/line-protocol.md), the way
// Telegraf's serializer does: measurement escaping `,` and space, keys and
// tag values escaping `,` `=` and space, strings escaping `"` and `\`,
// integers with `i`, unsigned with `u`, nanosecond timestamps. Whatever
// AppendLine writes, ParseLines reads back to an equal point; what the
// grammar cannot carry is refused instead.
#ifndef QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_ENCODER_H_
#define QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_ENCODER_H_

#include <string>

#include "absl/status/status.h"
#include "platform/tsdb/line_protocol/line_protocol.h"

namespace qilian::platform::lp {

// Appends one line (with its "\n") for `point` to *out; `point.tags` must
// be sorted, keys unique. On error *out is unchanged. InvalidArgument:
// "<what>: empty", "measurement: starts with \"#\"", "<what>: contains a
// newline", "<what>: backslash that cannot be written" (a name ending with a
// backslash, or "\=" in a measurement), "<what>: reserved" (a tag or field
// key "time"), "field \"k\": not finite", "no fields", "time out of range";
// <what> is measurement, tag key, tag value or field key.
absl::Status AppendLine(const Point& point, std::string* out);

}  // namespace qilian::platform::lp

#endif  // QILIAN_PLATFORM_TSDB_LINE_PROTOCOL_ENCODER_H_
