// InfluxDB line protocol into the time-series engine (docs/tsdb.md,
// "Writing"): a parsed body becomes engine points, one per field, and each
// line that cannot be stored is refused on its own with its line number,
// as a parse error is, while the good lines are written in one durable
// engine call.
//
// Series of a line: the device is the `device` tag when there is one (so a
// registered device writing through Telegraf lands in the same series as
// its MQTT reports), else the line's series key (measurement and tags as
// written in line protocol, tags sorted); the property is the field key.
// Labels: `_measurement` and the tags but `device`.
#ifndef QILIAN_PLATFORM_TELEMETRY_LINE_WRITER_H_
#define QILIAN_PLATFORM_TELEMETRY_LINE_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/tsdb/engine/engine.h"
#include "platform/tsdb/line_protocol/line_protocol.h"

namespace qilian::platform::telemetry {

struct LineWriteOutcome {
  size_t points = 0;                  // engine points (fields) written
  size_t lines = 0;                   // lines written
  std::vector<lp::LineError> errors;  // parse errors and refused lines, by line
  bool truncated = false;             // the body had more lines than the parser takes
};

// Parses `body` and writes its good lines for `enterprise`. An error status
// only when the store fails (nothing written); refusals are in `errors`:
// a series key or device over 256 bytes, a value of another kind than its
// series holds, an unsigned value over 2^63-1, a line that would create a
// series past the enterprise's limit (`max_series`, the engine's
// max_series_per_enterprise), a tag over 256 bytes or a tag named
// "_measurement".
absl::StatusOr<LineWriteOutcome> WriteLines(tsdb::Engine& engine, uint64_t enterprise,
                                            std::string_view body,
                                            const lp::ParseOptions& options,
                                            uint64_t max_series);

}  // namespace qilian::platform::telemetry

#endif  // QILIAN_PLATFORM_TELEMETRY_LINE_WRITER_H_
