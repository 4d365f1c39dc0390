#include "platform/tsdb/engine/rollup_chunk.h"

#include <bit>
#include <cmath>
#include <functional>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "platform/tsdb/codec/columns.h"

namespace qilian::platform::tsdb {
namespace {

// Float column modes (the first byte of a float column).
enum class FloatMode : uint8_t {
  kPlain = 0,      // the codec's float section (Gorilla or decimal)
  kScaled = 1,     // e, integers S = round(f * 10^e), then ulps from S / 10^e
  kPredicted = 2,  // ulps from a prediction the decoder computes (mean: sum / count)
};
// Scales tried for kScaled: sensor decimals, their sums and trapezoids.
constexpr int kMaxScale = 9;
constexpr double kPow10[kMaxScale + 1] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
// |f * 10^e| below this rounds to an int64 safely.
constexpr double kMaxScaled = 4e18;

int64_t Ulps(double value, double prediction) {
  return static_cast<int64_t>(std::bit_cast<uint64_t>(value) - std::bit_cast<uint64_t>(prediction));
}
double FromUlps(double prediction, int64_t ulps) {
  return std::bit_cast<double>(std::bit_cast<uint64_t>(prediction) + static_cast<uint64_t>(ulps));
}

int64_t ScaledOf(double v, int e) {
  double x = v * kPow10[e];
  return std::isfinite(x) && std::fabs(x) < kMaxScaled ? std::llround(x) : 0;
}
double Unscaled(int64_t s, int e) { return static_cast<double>(s) / kPow10[e]; }

void PutInts(ByteWriter &w, std::span<const int64_t> values) {
  std::string section;
  IntEncoding enc = EncodeInts(values, &section);
  w.WriteU8(static_cast<uint8_t>(enc));
  w.WriteLengthPrefixed(section);
}

void PutResiduals(ByteWriter &w, std::span<const double> values,
                  const std::function<double(size_t)> &prediction) {
  std::vector<int64_t> ulps(values.size());
  for (size_t i = 0; i < values.size(); ++i) ulps[i] = Ulps(values[i], prediction(i));
  PutInts(w, ulps);
}

std::string ScaledColumn(std::span<const double> values, int e) {
  std::string out;
  ByteWriter w(&out);
  w.WriteU8(static_cast<uint8_t>(FloatMode::kScaled));
  w.WriteU8(static_cast<uint8_t>(e));
  std::vector<int64_t> scaled(values.size());
  for (size_t i = 0; i < values.size(); ++i) scaled[i] = ScaledOf(values[i], e);
  PutInts(w, scaled);
  PutResiduals(w, values, [&](size_t i) { return Unscaled(scaled[i], e); });
  return out;
}

std::string PlainColumn(std::span<const double> values) {
  std::string out;
  ByteWriter w(&out);
  w.WriteU8(static_cast<uint8_t>(FloatMode::kPlain));
  std::string section;
  FloatEncoding enc = EncodeFloats(values, &section);
  w.WriteU8(static_cast<uint8_t>(enc));
  w.WriteBytes(section);
  return out;
}

// The smallest of the plain section, every scale, and (when given) the
// residuals from `prediction`.
std::string FloatColumn(std::span<const double> values,
                        const std::function<double(size_t)> *prediction = nullptr) {
  std::string best = PlainColumn(values);
  auto keep = [&](std::string candidate) {
    if (candidate.size() < best.size()) best = std::move(candidate);
  };
  for (int e = 0; e <= kMaxScale; ++e) keep(ScaledColumn(values, e));
  if (prediction != nullptr) {
    std::string out;
    ByteWriter w(&out);
    w.WriteU8(static_cast<uint8_t>(FloatMode::kPredicted));
    PutResiduals(w, values, *prediction);
    keep(std::move(out));
  }
  return best;
}

absl::Status Error(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("tsdb rollup chunk: ", std::string(field), ": ", std::string(what)));
}

absl::Status GetInts(ByteReader &r, std::string_view field, size_t count,
                     std::vector<int64_t> *out) {
  uint8_t enc = r.ReadU8();
  std::string_view section = r.ReadLengthPrefixed();
  if (!r.ok()) return Error(field, "truncated");
  if (enc >= kIntEncodingCount)
    return Error(field, absl::StrCat("integer encoding ", enc, " unknown"));
  absl::Status st = DecodeInts(static_cast<IntEncoding>(enc), section, count, out);
  if (!st.ok()) return Error(field, std::string(st.message()));
  return absl::OkStatus();
}

absl::Status GetResiduals(ByteReader &r, std::string_view field, size_t count,
                          const std::function<double(size_t)> &prediction,
                          std::vector<double> *out) {
  std::vector<int64_t> ulps;
  if (absl::Status st = GetInts(r, field, count, &ulps); !st.ok()) return st;
  for (size_t i = 0; i < count; ++i) out->push_back(FromUlps(prediction(i), ulps[i]));
  return absl::OkStatus();
}

// One float column from its whole bytes.
absl::Status GetFloats(std::string_view column, std::string_view field, size_t count,
                       const std::function<double(size_t)> *prediction, std::vector<double> *out) {
  ByteReader r(column);
  uint8_t mode = r.ReadU8();
  if (!r.ok()) return Error(field, "truncated");
  switch (static_cast<FloatMode>(mode)) {
    case FloatMode::kPlain: {
      uint8_t enc = r.ReadU8();
      if (!r.ok()) return Error(field, "truncated");
      if (enc >= kFloatEncodingCount)
        return Error(field, absl::StrCat("float encoding ", enc, " unknown"));
      absl::Status st =
          DecodeFloats(static_cast<FloatEncoding>(enc), r.ReadBytes(r.remaining()), count, out);
      return st.ok() ? st : Error(field, std::string(st.message()));
    }
    case FloatMode::kScaled: {
      uint8_t e = r.ReadU8();
      if (!r.ok()) return Error(field, "truncated");
      if (e > kMaxScale) return Error(field, absl::StrCat("scale ", e, " over ", kMaxScale));
      std::vector<int64_t> scaled;
      if (absl::Status st = GetInts(r, field, count, &scaled); !st.ok()) return st;
      absl::Status st = GetResiduals(
          r, field, count, [&](size_t i) { return Unscaled(scaled[i], e); }, out);
      if (st.ok() && !r.at_end()) return Error(field, "trailing bytes");
      return st;
    }
    case FloatMode::kPredicted: {
      if (prediction == nullptr) return Error(field, "no prediction for this field");
      absl::Status st = GetResiduals(r, field, count, *prediction, out);
      if (st.ok() && !r.at_end()) return Error(field, "trailing bytes");
      return st;
    }
  }
  return Error(field, absl::StrCat("mode ", mode, " unknown"));
}

// The float fields, in stored order, with their names for errors.
struct FloatField {
  const char *name;
  double RollupBucket::*member;
};
constexpr FloatField kFloatFields[] = {
    {"first", &RollupBucket::first}, {"last", &RollupBucket::last},
    {"min", &RollupBucket::min},     {"max", &RollupBucket::max},
    {"sum", &RollupBucket::sum},     {"increase", &RollupBucket::increase},
    {"area", &RollupBucket::area},   {"m2", &RollupBucket::m2},
};

// Welford's mean is within a few ulps of sum / count.
double PredictMean(const RollupBucket &b) { return b.sum / static_cast<double>(b.count); }

}  // namespace

std::string EncodeRollupChunk(std::span<const RollupBucket> buckets) {
  const size_t n = buckets.size();
  std::string out;
  ByteWriter w(&out);
  w.WriteU8(kRollupChunkVersion);
  w.WriteU16(static_cast<uint16_t>(n));
  std::vector<int64_t> starts(n), counts(n), first_offsets(n), spans(n);
  for (size_t i = 0; i < n; ++i) {
    const RollupBucket &b = buckets[i];
    starts[i] = b.start_ms;
    counts[i] = static_cast<int64_t>(b.count);
    first_offsets[i] = b.first_ms - b.start_ms;
    spans[i] = b.last_ms - b.first_ms;
  }
  for (const auto *column : {&starts, &counts, &first_offsets, &spans}) PutInts(w, *column);
  std::vector<double> values(n);
  for (const FloatField &f : kFloatFields) {
    for (size_t i = 0; i < n; ++i) values[i] = buckets[i].*f.member;
    w.WriteLengthPrefixed(FloatColumn(values));
  }
  for (size_t i = 0; i < n; ++i) values[i] = buckets[i].mean;
  std::function<double(size_t)> mean = [&](size_t i) { return PredictMean(buckets[i]); };
  w.WriteLengthPrefixed(FloatColumn(values, &mean));
  return out;
}

absl::StatusOr<std::vector<RollupBucket>> DecodeRollupChunk(std::string_view bytes) {
  ByteReader r(bytes);
  uint8_t version = r.ReadU8();
  uint16_t n = r.ReadU16();
  if (!r.ok()) return Error("header", "truncated");
  if (version != kRollupChunkVersion) {
    return Error("version", absl::StrCat(version, " unsupported"));
  }
  if (n == 0 || n > kMaxBucketsPerChunk) {
    return Error("count", absl::StrCat(n, " outside 1..", kMaxBucketsPerChunk));
  }
  std::vector<int64_t> starts, counts, first_offsets, spans;
  const std::pair<const char *, std::vector<int64_t> *> ints[] = {
      {"start", &starts}, {"count", &counts}, {"first_ms", &first_offsets}, {"last_ms", &spans}};
  for (const auto &[name, column] : ints) {
    if (absl::Status st = GetInts(r, name, n, column); !st.ok()) return st;
  }
  std::vector<RollupBucket> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (counts[i] <= 0 || (i > 0 && starts[i] <= starts[i - 1])) {
      return Error("start", "buckets must be non-empty and ascending");
    }
    out[i].start_ms = starts[i];
    out[i].count = static_cast<uint64_t>(counts[i]);
    out[i].first_ms = starts[i] + first_offsets[i];
    out[i].last_ms = out[i].first_ms + spans[i];
  }
  std::vector<double> values;
  for (const FloatField &f : kFloatFields) {
    values.clear();
    std::string_view column = r.ReadLengthPrefixed();
    if (!r.ok()) return Error(f.name, "truncated");
    if (absl::Status st = GetFloats(column, f.name, n, nullptr, &values); !st.ok()) return st;
    for (size_t i = 0; i < n; ++i) out[i].*f.member = values[i];
  }
  values.clear();
  std::string_view column = r.ReadLengthPrefixed();
  if (!r.ok()) return Error("mean", "truncated");
  std::function<double(size_t)> mean = [&](size_t i) { return PredictMean(out[i]); };
  if (absl::Status st = GetFloats(column, "mean", n, &mean, &values); !st.ok()) return st;
  for (size_t i = 0; i < n; ++i) out[i].mean = values[i];
  if (!r.at_end()) return Error("chunk", absl::StrCat(r.remaining(), " trailing bytes"));
  return out;
}

}  // namespace qilian::platform::tsdb
