#include "platform/tsdb/engine/rollup_chunk.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "platform/tsdb/codec/columns.h"

namespace qilian::platform::tsdb {
namespace {

// Float column modes (the first byte of a float column). Every mode but
// kPlain writes integers S and then, per value, its distance in ulps from
//   q = base + S / scale
// which the decoder computes the same way (IEEE 754: the same double on
// every machine; no multiply-add is written, so none can be fused).
enum class FloatMode : uint8_t {
  kPlain = 0,           // the codec's float section (Gorilla or decimal)
  kScaled = 1,          // e; base 0, scale 10^e (sums of decimals)
  kPredicted = 2,       // base the field's prediction, S all 0 (not written)
  kPerPoint = 3,        // e; base 0, scale count * 10^e (m2: a numerator over count)
  kFromPrediction = 4,  // e; base the field's prediction, scale 10^e
};
// Exponents tried: sensor decimals, their sums, squares and trapezoids.
constexpr int kMaxScale = 9;
constexpr double kPow10[kMaxScale + 1] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
// |x| below this rounds to an int64 safely.
constexpr double kMaxScaled = 4e18;

int64_t Ulps(double value, double q) {
  return static_cast<int64_t>(std::bit_cast<uint64_t>(value) - std::bit_cast<uint64_t>(q));
}
double FromUlps(double q, int64_t ulps) {
  return std::bit_cast<double>(std::bit_cast<uint64_t>(q) + static_cast<uint64_t>(ulps));
}
int64_t Round(double x) {
  return std::isfinite(x) && std::fabs(x) < kMaxScaled ? std::llround(x) : 0;
}

// A float field, in stored order: its name (for errors), and the
// prediction computed from the bucket's count, times and the fields stored
// before it (null: none).
struct FloatField {
  const char* name;
  double RollupBucket::*member;
  double (*predict)(const RollupBucket&);
  bool per_point;  // worth trying kPerPoint
};

// The sum of n points from first to last, were they a straight line.
double PredictSum(const RollupBucket& b) {
  return (b.first + b.last) / 2 * static_cast<double>(b.count);
}
// The drops are what the increase adds to last - first.
double PredictIncrease(const RollupBucket& b) { return b.last - b.first; }
// Trapezoids of evenly spaced points: the step times (sum - first/2 - last/2).
double PredictArea(const RollupBucket& b) {
  if (b.count < 2) return 0;
  double inner = b.sum - (b.first + b.last) / 2;
  return inner * static_cast<double>(b.last_ms - b.first_ms) / static_cast<double>(b.count - 1);
}
// Welford's mean is within a few ulps of sum / count.
double PredictMean(const RollupBucket& b) { return b.sum / static_cast<double>(b.count); }

constexpr FloatField kFloatFields[] = {
    {"first", &RollupBucket::first, nullptr, false},
    {"last", &RollupBucket::last, nullptr, false},
    {"min", &RollupBucket::min, nullptr, false},
    {"max", &RollupBucket::max, nullptr, false},
    {"sum", &RollupBucket::sum, PredictSum, false},
    {"increase", &RollupBucket::increase, PredictIncrease, false},
    {"m2", &RollupBucket::m2, nullptr, true},
    {"area", &RollupBucket::area, PredictArea, false},
    {"mean", &RollupBucket::mean, PredictMean, false},
};

double Base(FloatMode mode, const FloatField& f, const RollupBucket& b) {
  return mode == FloatMode::kPredicted || mode == FloatMode::kFromPrediction ? f.predict(b) : 0.0;
}
double Scale(FloatMode mode, int e, const RollupBucket& b) {
  return mode == FloatMode::kPerPoint ? static_cast<double>(b.count) * kPow10[e] : kPow10[e];
}

void PutInts(ByteWriter& w, std::span<const int64_t> values) {
  std::string section;
  IntEncoding enc = EncodeInts(values, &section);
  w.WriteU8(static_cast<uint8_t>(enc));
  w.WriteLengthPrefixed(section);
}

std::string ScaledColumn(std::span<const RollupBucket> buckets, const FloatField& f, FloatMode mode,
                         int e) {
  std::string out;
  ByteWriter w(&out);
  w.WriteU8(static_cast<uint8_t>(mode));
  const size_t n = buckets.size();
  std::vector<int64_t> scaled(n, 0), ulps(n);
  for (size_t i = 0; i < n; ++i) {
    const RollupBucket& b = buckets[i];
    double base = Base(mode, f, b);
    double q = base;
    if (mode != FloatMode::kPredicted) {
      double scale = Scale(mode, e, b);
      scaled[i] = Round((b.*f.member - base) * scale);
      q = base + static_cast<double>(scaled[i]) / scale;
    }
    // As running sums: the integer encoders code differences, and the
    // ulps are small and independent (differences of them would double
    // their width).
    ulps[i] = static_cast<int64_t>(static_cast<uint64_t>(i == 0 ? 0 : ulps[i - 1]) +
                                   static_cast<uint64_t>(Ulps(b.*f.member, q)));
  }
  if (mode != FloatMode::kPredicted) {
    w.WriteU8(static_cast<uint8_t>(e));
    PutInts(w, scaled);
  }
  PutInts(w, ulps);
  return out;
}

std::string PlainColumn(std::span<const RollupBucket> buckets, const FloatField& f) {
  std::string out;
  ByteWriter w(&out);
  w.WriteU8(static_cast<uint8_t>(FloatMode::kPlain));
  std::vector<double> values;
  values.reserve(buckets.size());
  for (const RollupBucket& b : buckets) values.push_back(b.*f.member);
  std::string section;
  FloatEncoding enc = EncodeFloats(values, &section);
  w.WriteU8(static_cast<uint8_t>(enc));
  w.WriteBytes(section);
  return out;
}

// The exponents worth trying: the data's decimals d (sums), d + 1 (the
// halves of trapezoids) and 2d (squares), from the raw values the chunk
// keeps (first, last, min, max); none when they are not decimals.
std::vector<int> CandidateScales(std::span<const RollupBucket> buckets) {
  std::vector<double> raw;
  raw.reserve(buckets.size() * 4);
  for (const RollupBucket& b : buckets) {
    for (double v : {b.first, b.last, b.min, b.max}) raw.push_back(v);
  }
  std::optional<int> d = DecimalExponent(raw);
  std::vector<int> out;
  if (!d.has_value()) return out;
  for (int e : {*d, *d + 1, 2 * *d}) {
    if (e <= kMaxScale && std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
  }
  return out;
}

// The smallest of the modes that apply to the field, at those scales; with
// a known earlier choice (mode, scale) still among them, that and plain.
std::string FloatColumn(std::span<const RollupBucket> buckets, const FloatField& f,
                        const std::vector<int>& scales, uint8_t* mode, uint8_t* scale,
                        bool known) {
  std::string best = PlainColumn(buckets, f);
  auto keep = [&](std::string candidate) {
    if (candidate.size() < best.size()) best = std::move(candidate);
  };
  auto note = [&] {
    *mode = static_cast<uint8_t>(best[0]);
    const auto m = static_cast<FloatMode>(best[0]);
    *scale = m == FloatMode::kPlain || m == FloatMode::kPredicted
                 ? 0
                 : static_cast<uint8_t>(best[1]);
  };
  if (known) {
    const auto m = static_cast<FloatMode>(*mode);
    if (m == FloatMode::kPlain) return best;
    if (m == FloatMode::kPredicted && f.predict != nullptr) {
      keep(ScaledColumn(buckets, f, m, 0));
      note();
      return best;
    }
    const bool applies = m == FloatMode::kScaled ||
                         (m == FloatMode::kPerPoint && f.per_point) ||
                         (m == FloatMode::kFromPrediction && f.predict != nullptr);
    if (applies && std::find(scales.begin(), scales.end(), *scale) != scales.end()) {
      keep(ScaledColumn(buckets, f, m, *scale));
      note();
      return best;
    }
  }
  if (f.predict != nullptr) keep(ScaledColumn(buckets, f, FloatMode::kPredicted, 0));
  for (int e : scales) {
    keep(ScaledColumn(buckets, f, FloatMode::kScaled, e));
    if (f.per_point) keep(ScaledColumn(buckets, f, FloatMode::kPerPoint, e));
    if (f.predict != nullptr) keep(ScaledColumn(buckets, f, FloatMode::kFromPrediction, e));
  }
  note();
  return best;
}

absl::Status Error(std::string_view field, std::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("tsdb rollup chunk: ", std::string(field), ": ", std::string(what)));
}

absl::Status GetInts(ByteReader& r, std::string_view field, size_t count,
                     std::vector<int64_t>* out) {
  uint8_t enc = r.ReadU8();
  std::string_view section = r.ReadLengthPrefixed();
  if (!r.ok()) return Error(field, "truncated");
  if (enc >= kIntEncodingCount) {
    return Error(field, absl::StrCat("integer encoding ", enc, " unknown"));
  }
  absl::Status st = DecodeInts(static_cast<IntEncoding>(enc), section, count, out);
  if (!st.ok()) return Error(field, std::string(st.message()));
  return absl::OkStatus();
}

absl::Status GetPlain(ByteReader& r, const FloatField& f, std::vector<RollupBucket>& out) {
  uint8_t enc = r.ReadU8();
  if (!r.ok()) return Error(f.name, "truncated");
  if (enc >= kFloatEncodingCount) {
    return Error(f.name, absl::StrCat("float encoding ", enc, " unknown"));
  }
  std::vector<double> values;
  absl::Status st = DecodeFloats(static_cast<FloatEncoding>(enc), r.ReadBytes(r.remaining()),
                                 out.size(), &values);
  if (!st.ok()) return Error(f.name, std::string(st.message()));
  for (size_t i = 0; i < out.size(); ++i) out[i].*f.member = values[i];
  return absl::OkStatus();
}

// One float column from its whole bytes into field f of `out`, whose
// earlier fields are decoded.
absl::Status GetFloats(std::string_view column, const FloatField& f,
                       std::vector<RollupBucket>& out) {
  const size_t n = out.size();
  ByteReader r(column);
  uint8_t mode_byte = r.ReadU8();
  if (!r.ok()) return Error(f.name, "truncated");
  FloatMode mode = static_cast<FloatMode>(mode_byte);
  if (mode == FloatMode::kPlain) return GetPlain(r, f, out);
  if (mode_byte > static_cast<uint8_t>(FloatMode::kFromPrediction)) {
    return Error(f.name, absl::StrCat("mode ", mode_byte, " unknown"));
  }
  bool predicted = mode == FloatMode::kPredicted || mode == FloatMode::kFromPrediction;
  if (predicted && f.predict == nullptr) return Error(f.name, "no prediction for this field");
  std::vector<int64_t> scaled(n, 0), ulps;
  int e = 0;
  if (mode != FloatMode::kPredicted) {
    e = r.ReadU8();
    if (!r.ok()) return Error(f.name, "truncated");
    if (e > kMaxScale) return Error(f.name, absl::StrCat("scale ", e, " over ", kMaxScale));
    scaled.clear();
    if (absl::Status st = GetInts(r, f.name, n, &scaled); !st.ok()) return st;
  }
  if (absl::Status st = GetInts(r, f.name, n, &ulps); !st.ok()) return st;
  if (!r.at_end()) return Error(f.name, "trailing bytes");
  for (size_t i = 0; i < n; ++i) {
    double base = Base(mode, f, out[i]);
    double q = base;
    if (mode != FloatMode::kPredicted) {
      q = base + static_cast<double>(scaled[i]) / Scale(mode, e, out[i]);
    }
    uint64_t previous = i == 0 ? 0 : static_cast<uint64_t>(ulps[i - 1]);
    out[i].*f.member = FromUlps(q, static_cast<int64_t>(static_cast<uint64_t>(ulps[i]) - previous));
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeRollupChunk(std::span<const RollupBucket> buckets,
                              RollupChunkChoices* choices) {
  const size_t n = buckets.size();
  std::string out;
  ByteWriter w(&out);
  w.WriteU8(kRollupChunkVersion);
  w.WriteU16(static_cast<uint16_t>(n));
  std::vector<int64_t> starts(n), counts(n), first_offsets(n), spans(n);
  for (size_t i = 0; i < n; ++i) {
    const RollupBucket& b = buckets[i];
    starts[i] = b.start_ms;
    counts[i] = static_cast<int64_t>(b.count);
    first_offsets[i] = b.first_ms - b.start_ms;
    spans[i] = b.last_ms - b.first_ms;
  }
  for (const auto* column : {&starts, &counts, &first_offsets, &spans}) PutInts(w, *column);
  std::vector<int> scales = CandidateScales(buckets);
  RollupChunkChoices scratch;
  RollupChunkChoices& c = choices != nullptr ? *choices : scratch;
  static_assert(std::size(kFloatFields) == std::tuple_size_v<decltype(c.mode)>);
  const bool reuse = c.known && n < 2 * c.searched_at;
  for (size_t k = 0; k < std::size(kFloatFields); ++k) {
    w.WriteLengthPrefixed(
        FloatColumn(buckets, kFloatFields[k], scales, &c.mode[k], &c.scale[k], reuse));
  }
  if (!reuse) c.searched_at = n;
  c.known = true;
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
  const std::pair<const char*, std::vector<int64_t>*> ints[] = {
      {"start", &starts}, {"count", &counts}, {"first_ms", &first_offsets}, {"last_ms", &spans}};
  for (const auto& [name, column] : ints) {
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
  for (const FloatField& f : kFloatFields) {
    std::string_view column = r.ReadLengthPrefixed();
    if (!r.ok()) return Error(f.name, "truncated");
    if (absl::Status st = GetFloats(column, f, out); !st.ok()) return st;
  }
  if (!r.at_end()) return Error("chunk", absl::StrCat(r.remaining(), " trailing bytes"));
  return out;
}

}  // namespace qilian::platform::tsdb
