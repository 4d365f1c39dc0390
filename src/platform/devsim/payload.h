// The payloads a simulated device publishes (docs/mqtt.md): a JSON report of
// all its reportable properties at one time, or a binary batch of K
// samples taken from the device's endless sample stream (sample s is
// channel s % P of row s / P; rows are `row_seconds` apart from the start of
// the run). Builders reuse their buffers: one per worker thread.
#ifndef QILIAN_PLATFORM_DEVSIM_PAYLOAD_H_
#define QILIAN_PLATFORM_DEVSIM_PAYLOAD_H_

#include <cstddef>
#include <cmath>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "platform/devsim/signal.h"
#include "platform/ingest/batch_payload.h"

namespace qilian::platform::devsim {

// A device's unsent samples beyond this many batches are dropped.
inline constexpr uint64_t kMaxBacklogBatches = 4;

// How run time maps to rows, stamps and simulated time. Rows are numbered
// from 0 at the start of publishing, `row_seconds` apart on the stamp clock:
// real time by default, or (sim_start_ms >= 0, --sim-start) the simulated
// clock, which starts at sim_start_ms and runs `time_scale` times as fast as
// real time, so a day of history can be sent in seconds.
struct Timeline {
  int64_t start_ms = 0;       // real epoch milliseconds at the start of publishing
  double time_scale = 1;      // simulated seconds per real second
  double day_phase = 0;       // time of day at simulated t = 0, 0..1
  double row_seconds = 1;     // between two rows of one device, on the stamp clock
  int64_t sim_start_ms = -1;  // >= 0: stamps follow the simulated clock from here
  // Rows from this one on are never sent: with the simulated clock, those
  // stamped at or after the run's simulated end (see EndRow).
  uint64_t end_row = UINT64_MAX;

  bool SimClock() const { return sim_start_ms >= 0; }
  // Simulated seconds since the start at real time `ms`.
  double SimSeconds(int64_t ms) const { return time_scale * double(ms - start_ms) / 1000.0; }
  // The stamp of row 0.
  int64_t OriginMs() const { return SimClock() ? sim_start_ms : start_ms; }
  // What the stamp clock reads at real time `ms`.
  int64_t StampAt(int64_t ms) const {
    return SimClock() ? sim_start_ms + std::llround(SimSeconds(ms) * 1000.0) : ms;
  }
  // The row the stamp clock is in at real time `ms` (0 before the start).
  uint64_t RowAt(int64_t ms) const {
    const double stamp_seconds = double(StampAt(ms) - OriginMs()) / 1000.0;
    return stamp_seconds <= 0 ? 0 : static_cast<uint64_t>(stamp_seconds / row_seconds);
  }
  int64_t RowTimeMs(uint64_t row) const {
    return OriginMs() + static_cast<int64_t>(double(row) * row_seconds * 1000.0);
  }
  // Simulated seconds since the start at the stamp of `row`.
  double RowSimSeconds(uint64_t row) const {
    return SimClock() ? double(row) * row_seconds : SimSeconds(RowTimeMs(row));
  }
  // The first row stamped at or after `end_ms`: the number of rows in
  // [OriginMs(), end_ms).
  uint64_t EndRow(int64_t end_ms) const;
};

// Appends a JSON number (integers exactly, reals in at most 10 significant
// digits, floats in 7) or true/false.
void AppendJsonValue(const SimValue& value, std::string* out);

class PayloadBuilder {
 public:
  // {"timestamp":…,"properties":{…}} with every channel. On real time: at
  // `now_ms`, the row (noise key) being the one `now_ms` falls in. On the
  // simulated clock: the device's row *next_row (advanced) at its stamp, if
  // it is due by `now_ms` and before timeline.end_row, so that no row of the
  // simulated span is skipped or sent twice. Returns the number of values
  // (0: nothing due, *out empty).
  size_t Json(const ProductSignals& product, const DeviceSignals& device, const Timeline& timeline,
              int64_t now_ms, uint64_t* next_row, std::string* out);

  // The binary batch of `count` samples from *next_sample on (advanced past
  // them), never past the row that `now_ms` falls in nor from
  // timeline.end_row on: fewer samples when the stream has not got that
  // far. On real time a backlog of at most kMaxBacklogBatches batches is
  // kept (a device that was away does not catch up); on the simulated clock
  // the whole backlog is (every row of the simulated span goes out, the
  // publisher catching up when it fell behind). A float property with a
  // step travels as a double (a float of 37.3 is not on a 0.1 step).
  // Returns the number of samples (0: nothing due, *out empty).
  size_t Batch(const ProductSignals& product, const DeviceSignals& device,
               const Timeline& timeline, int64_t now_ms, size_t count, uint64_t* next_sample,
               std::string* out);

 private:
  platform::Batch batch_;
};

}  // namespace qilian::platform::devsim

#endif  // QILIAN_PLATFORM_DEVSIM_PAYLOAD_H_
