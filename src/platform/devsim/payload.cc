#include "platform/devsim/payload.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace qilian::platform::devsim {

void AppendJsonValue(const SimValue& value, std::string* out) {
  char buf[40];
  int n;
  if (value.kind == TypeKind::kBool) {
    out->append(value.number != 0 ? "true" : "false");
    return;
  }
  if (IsIntegral(value.kind) || value.kind == TypeKind::kEnum) {
    n = std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(value.number));
  } else if (!std::isfinite(value.number)) {
    n = std::snprintf(buf, sizeof(buf), "null");
  } else {
    n = std::snprintf(buf, sizeof(buf), value.kind == TypeKind::kFloat ? "%.7g" : "%.10g",
                      value.number);
  }
  out->append(buf, static_cast<size_t>(n));
}

uint64_t Timeline::EndRow(int64_t end_ms) const {
  if (end_ms <= OriginMs()) return 0;
  auto row = static_cast<uint64_t>(std::ceil(double(end_ms - OriginMs()) / 1000.0 / row_seconds));
  // The division rounds: settle on the exact first row stamped at or after end_ms.
  while (row > 0 && RowTimeMs(row - 1) >= end_ms) --row;
  while (RowTimeMs(row) < end_ms) ++row;
  return row;
}

size_t PayloadBuilder::Json(const ProductSignals& product, const DeviceSignals& device,
                            const Timeline& timeline, int64_t now_ms, uint64_t* next_row,
                            std::string* out) {
  out->clear();
  uint64_t row = timeline.RowAt(now_ms);
  int64_t stamp_ms = now_ms;
  double t = timeline.SimSeconds(now_ms);
  if (timeline.SimClock()) {
    if (*next_row > row || *next_row >= timeline.end_row) return 0;
    row = (*next_row)++;
    stamp_ms = timeline.RowTimeMs(row);
    t = timeline.RowSimSeconds(row);
  }
  out->append("{\"timestamp\":");
  out->append(std::to_string(stamp_ms));
  out->append(",\"properties\":{");
  const auto& channels = product.channels();
  for (size_t c = 0; c < channels.size(); ++c) {
    if (c > 0) out->push_back(',');
    out->push_back('"');
    out->append(channels[c].identifier);
    out->append("\":");
    AppendJsonValue(product.Value(device, c, t, timeline.day_phase, row), out);
  }
  out->append("}}");
  return channels.size();
}

size_t PayloadBuilder::Batch(const ProductSignals& product, const DeviceSignals& device,
                             const Timeline& timeline, int64_t now_ms, size_t count,
                             uint64_t* next_sample, std::string* out) {
  out->clear();
  const auto& channels = product.channels();
  const size_t p = channels.size();
  // The last sample due: the whole row `now` falls in.
  const uint64_t end = std::min(timeline.RowAt(now_ms) + 1, timeline.end_row) * p;
  // A device that was away does not send all it missed: at most
  // kMaxBacklogBatches batches of backlog (real time only, see above).
  const uint64_t backlog = kMaxBacklogBatches * count;
  if (!timeline.SimClock() && end > backlog && *next_sample < end - backlog) {
    *next_sample = end - backlog;
  }
  if (*next_sample >= end) return 0;
  count = std::min<uint64_t>(count, end - *next_sample);
  count = std::min(count, kMaxBatchSamples);

  batch_.flags = 0;
  batch_.properties.resize(p);
  for (size_t c = 0; c < p; ++c) batch_.properties[c] = channels[c].identifier;
  batch_.samples.resize(count);
  const uint64_t first = *next_sample;
  batch_.base_time_ms = timeline.RowTimeMs(first / p);
  for (size_t i = 0; i < count; ++i) {
    const uint64_t s = first + i;
    const uint64_t row = s / p;
    const size_t c = s % p;
    const int64_t ms = timeline.RowTimeMs(row);
    SimValue v = product.Value(device, c, timeline.RowSimSeconds(row), timeline.day_phase, row);
    BatchSample& sample = batch_.samples[i];
    sample.property = static_cast<uint32_t>(c);
    sample.time_ms = ms;
    switch (v.kind) {
      case TypeKind::kBool:
        sample.value = v.number != 0;
        break;
      case TypeKind::kInt:
      case TypeKind::kLong:
      case TypeKind::kEnum:
        sample.value = static_cast<int64_t>(v.number);
        break;
      case TypeKind::kFloat:
        if (channels[c].step > 0) {
          sample.value = v.number;
        } else {
          sample.value = static_cast<float>(v.number);
        }
        break;
      default:
        sample.value = v.number;
        break;
    }
  }
  *next_sample = first + count;
  // Cannot fail: identifiers come from a parsed model, counts are bounded.
  if (!AppendBatch(batch_, out).ok()) {
    out->clear();
    return 0;
  }
  return count;
}

}  // namespace qilian::platform::devsim
