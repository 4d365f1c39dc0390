// The payloads a simulated device publishes (docs/mqtt.md): a JSON report of
// all its reportable properties at one time, or a binary batch of K
// samples taken from the device's endless sample stream (sample s is
// channel s % P of row s / P; rows are `row_seconds` apart from the start of
// the run). Builders reuse their buffers: one per worker thread.
#ifndef QILIAN_PLATFORM_DEVSIM_PAYLOAD_H_
#define QILIAN_PLATFORM_DEVSIM_PAYLOAD_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "platform/devsim/signal.h"
#include "platform/ingest/batch_payload.h"

namespace qilian::platform::devsim {

// A device's unsent samples beyond this many batches are dropped.
inline constexpr uint64_t kMaxBacklogBatches = 4;

// How run time maps to samples and simulated time.
struct Timeline {
  int64_t start_ms = 0;     // epoch milliseconds at the start of the run
  double time_scale = 1;    // simulated seconds per real second
  double day_phase = 0;     // time of day at the start, 0..1
  double row_seconds = 1;   // between two rows of one device
  // Simulated seconds since the start at real time `ms`.
  double SimSeconds(int64_t ms) const { return time_scale * double(ms - start_ms) / 1000.0; }
  int64_t RowTimeMs(uint64_t row) const {
    return start_ms + static_cast<int64_t>(double(row) * row_seconds * 1000.0);
  }
};

// Appends a JSON number (integers exactly, reals in at most 10 significant
// digits, floats in 7) or true/false.
void AppendJsonValue(const SimValue& value, std::string* out);

class PayloadBuilder {
 public:
  // {"timestamp":…,"properties":{…}} with every channel at `now_ms`; the
  // row (noise key) is the one `now_ms` falls in. Returns the number of
  // values.
  size_t Json(const ProductSignals& product, const DeviceSignals& device, const Timeline& timeline,
              int64_t now_ms, std::string* out);

  // The binary batch of `count` samples from *next_sample on (advanced past
  // them), never past the row that `now_ms` falls in: fewer samples when
  // the stream has not got that far, and a backlog of at most
  // kMaxBacklogBatches batches (a device that was away does not catch up). A float property with a step travels
  // as a double (a float of 37.3 is not on a 0.1 step). Returns the number
  // of samples (0: nothing due, *out empty).
  size_t Batch(const ProductSignals& product, const DeviceSignals& device,
               const Timeline& timeline, int64_t now_ms, size_t count, uint64_t* next_sample,
               std::string* out);

 private:
  platform::Batch batch_;
};

}  // namespace qilian::platform::devsim

#endif  // QILIAN_PLATFORM_DEVSIM_PAYLOAD_H_
