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

size_t PayloadBuilder::Json(const ProductSignals& product, const DeviceSignals& device,
                            const Timeline& timeline, int64_t now_ms, std::string* out) {
  out->clear();
  const double elapsed = std::max<double>(0, double(now_ms - timeline.start_ms) / 1000.0);
  const auto row = static_cast<uint64_t>(elapsed / timeline.row_seconds);
  const double t = timeline.SimSeconds(now_ms);
  out->append("{\"timestamp\":");
  out->append(std::to_string(now_ms));
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
  const double elapsed = std::max<double>(0, double(now_ms - timeline.start_ms) / 1000.0);
  // The last sample due: the whole row `now` falls in.
  const uint64_t end = (static_cast<uint64_t>(elapsed / timeline.row_seconds) + 1) * p;
  // A device that was away does not send all it missed: at most
  // kMaxBacklogBatches batches of backlog.
  const uint64_t backlog = kMaxBacklogBatches * count;
  if (end > backlog && *next_sample < end - backlog) *next_sample = end - backlog;
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
    SimValue v = product.Value(device, c, timeline.SimSeconds(ms), timeline.day_phase, row);
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
