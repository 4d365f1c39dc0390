#include "platform/tsdb/codec/columns.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "platform/tsdb/codec/bit_stream.h"

namespace qilian::platform::tsdb {

namespace {

absl::Status Corrupt(const std::string& what) { return absl::InvalidArgumentError(what); }

// Reads a varint; fails the reader past kMaxVarintBytes or 64 bits.
uint64_t ReadVarint(ByteReader& r) {
  uint64_t v = 0;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    uint8_t b = r.ReadU8();
    if (!r.ok()) return 0;
    if (i == kMaxVarintBytes - 1 && b > 1) break;  // more than 64 bits
    v |= static_cast<uint64_t>(b & 0x7F) << (7 * i);
    if ((b & 0x80) == 0) return v;
  }
  r.Fail();
  return 0;
}

int VarintLength(uint64_t v) { return v == 0 ? 1 : (70 - std::countl_zero(v)) / 7; }

// Two's-complement width that holds v; 0 for v == 0.
int SignedWidth(int64_t v) {
  if (v == 0) return 0;
  uint64_t z = static_cast<uint64_t>(v ^ (v >> 63));
  return 65 - std::countl_zero(z);
}

constexpr int PrefixBits(int bucket) { return bucket < kBucketCount - 1 ? bucket + 1 : kBucketCount - 1; }

struct BucketCosts {
  // bucket[t][w]: the bucket table t uses for a value of width w; cost in bits.
  uint8_t bucket[kBucketTableCount][65];
  uint8_t cost[kBucketTableCount][65];
};

constexpr BucketCosts MakeBucketCosts() {
  BucketCosts c{};
  for (int t = 0; t < kBucketTableCount; ++t) {
    for (int w = 0; w <= 64; ++w) {
      int b = 0;
      while (!(kBucketTables[t][b] == 0 ? w == 0 : kBucketTables[t][b] >= w)) ++b;
      c.bucket[t][w] = static_cast<uint8_t>(b);
      c.cost[t][w] = static_cast<uint8_t>(PrefixBits(b) + kBucketTables[t][b]);
    }
  }
  return c;
}
constexpr BucketCosts kBucketCosts = MakeBucketCosts();

inline void WriteBucketed(BitWriter& w, int table, int64_t v) {
  const int b = kBucketCosts.bucket[table][SignedWidth(v)];
  if (b < kBucketCount - 1) {
    w.Write(((uint64_t{1} << b) - 1) << 1, b + 1);
  } else {
    w.Write((uint64_t{1} << (kBucketCount - 1)) - 1, kBucketCount - 1);
  }
  w.Write(static_cast<uint64_t>(v), kBucketTables[table][b]);
}

inline int64_t ReadBucketed(BitReader& r, int table) {
  // One peek serves the prefix and, mostly, the value.
  const uint64_t w = r.Peek57();
  int b = std::countl_one(w);
  if (b > kBucketCount - 1) b = kBucketCount - 1;
  const int prefix = PrefixBits(b);
  const int width = kBucketTables[table][b];
  if (prefix + width > 57) {
    r.Skip(prefix);
    return static_cast<int64_t>(r.Read(width));  // the 64-bit bucket
  }
  if (!r.Skip(prefix + width) || width == 0) return 0;
  return static_cast<int64_t>(w << prefix) >> (64 - width);
}

// Wrapping arithmetic: any int64 sequence round-trips, whatever its jumps.
inline int64_t Sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
inline int64_t Add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

// Picks the cheapest bucket table for a width histogram; returns its bits.
std::pair<int, size_t> BestTable(const std::array<uint32_t, 65>& hist) {
  int best = 0;
  size_t best_bits = std::numeric_limits<size_t>::max();
  for (int t = 0; t < kBucketTableCount; ++t) {
    size_t bits = 0;
    for (int w = 0; w <= 64; ++w) bits += size_t{hist[w]} * kBucketCosts.cost[t][w];
    if (bits < best_bits) {
      best_bits = bits;
      best = t;
    }
  }
  return {best, best_bits};
}

// The base for kDeltaBuckets: the median of up to kMedianSample deltas taken
// evenly over the column (the median minimizes |delta - base| in total; a
// sample is close enough and keeps planning linear and cheap). Only the
// size depends on it, never correctness.
constexpr size_t kMedianSample = 127;

int64_t MedianDelta(std::span<const int64_t> v) {
  const size_t deltas = v.size() - 1;
  const size_t step = deltas <= kMedianSample ? 1 : deltas / kMedianSample;
  int64_t sample[kMedianSample + 1];
  size_t n = 0;
  for (size_t i = 1; i < v.size() && n < kMedianSample; i += step) sample[n++] = Sub(v[i], v[i - 1]);
  std::nth_element(sample, sample + n / 2, sample + n);
  return sample[n / 2];
}

struct IntPlan {
  IntEncoding encoding;
  int table = 0;
  int64_t base = 0;
};

// Sizes every integer encoding from the data (no trial encodes) and returns
// the smallest; ties go to the lower id.
IntPlan PlanInts(std::span<const int64_t> v) {
  const size_t n = v.size();
  if (n <= 1) return {IntEncoding::kDeltaVarint};
  const int64_t base = MedianDelta(v);
  std::array<uint32_t, 65> delta_hist{}, dod_hist{};
  size_t varint_bytes = VarintLength(ZigZag(v[0]));
  size_t rle_bytes = 0;
  int64_t prev_delta = Sub(v[1], v[0]);
  int64_t run_value = 0;  // the previous run's value (0 before the first)
  size_t run_start = 0;
  for (size_t i = 1; i < n; ++i) {
    const int64_t d = Sub(v[i], v[i - 1]);
    varint_bytes += VarintLength(ZigZag(d));
    ++delta_hist[SignedWidth(Sub(d, base))];
    if (i >= 2) ++dod_hist[SignedWidth(Sub(d, prev_delta))];
    prev_delta = d;
    if (d != 0) {
      rle_bytes += VarintLength(ZigZag(Sub(v[run_start], run_value))) + VarintLength(i - run_start);
      run_value = v[run_start];
      run_start = i;
    }
  }
  rle_bytes += VarintLength(ZigZag(Sub(v[run_start], run_value))) + VarintLength(n - run_start);

  const size_t head = VarintLength(ZigZag(v[0]));
  auto [dt, delta_bits] = BestTable(delta_hist);
  const size_t delta_bytes = 1 + head + VarintLength(ZigZag(base)) + (delta_bits + 7) / 8;
  auto [ddt, dod_bits] = BestTable(dod_hist);
  const size_t dod_bytes = 1 + head + VarintLength(ZigZag(Sub(v[1], v[0]))) + (dod_bits + 7) / 8;

  IntPlan plan{IntEncoding::kDeltaVarint};
  size_t best = varint_bytes;
  if (delta_bytes < best) {
    best = delta_bytes;
    plan = {IntEncoding::kDeltaBuckets, dt, base};
  }
  if (dod_bytes < best) {
    best = dod_bytes;
    plan = {IntEncoding::kDodBuckets, ddt, 0};
  }
  if (rle_bytes < best) plan = {IntEncoding::kRunLength};
  return plan;
}

void EncodeIntsPlanned(const IntPlan& plan, std::span<const int64_t> v, std::string* out) {
  const size_t n = v.size();
  switch (plan.encoding) {
    case IntEncoding::kDeltaVarint: {
      int64_t prev = 0;
      for (int64_t x : v) {
        PutVarint(out, ZigZag(Sub(x, prev)));
        prev = x;
      }
      return;
    }
    case IntEncoding::kDeltaBuckets: {
      out->push_back(static_cast<char>(plan.table));
      if (n == 0) return;
      PutVarint(out, ZigZag(v[0]));
      PutVarint(out, ZigZag(plan.base));
      BitWriter w(out);
      for (size_t i = 1; i < n; ++i) WriteBucketed(w, plan.table, Sub(Sub(v[i], v[i - 1]), plan.base));
      w.Finish();
      return;
    }
    case IntEncoding::kDodBuckets: {
      out->push_back(static_cast<char>(plan.table));
      if (n == 0) return;
      PutVarint(out, ZigZag(v[0]));
      if (n == 1) return;
      int64_t prev_delta = Sub(v[1], v[0]);
      PutVarint(out, ZigZag(prev_delta));
      BitWriter w(out);
      for (size_t i = 2; i < n; ++i) {
        const int64_t d = Sub(v[i], v[i - 1]);
        WriteBucketed(w, plan.table, Sub(d, prev_delta));
        prev_delta = d;
      }
      w.Finish();
      return;
    }
    case IntEncoding::kRunLength: {
      int64_t run_value = 0;
      size_t i = 0;
      while (i < n) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i]) ++j;
        PutVarint(out, ZigZag(Sub(v[i], run_value)));
        PutVarint(out, j - i);
        run_value = v[i];
        i = j;
      }
      return;
    }
  }
}

// Checks that a bit section was read exactly: no overrun, no spare byte.
absl::Status FinishBits(const BitReader& r, size_t size, const char* what) {
  if (!r.ok()) return Corrupt(absl::StrCat(what, ": bit stream truncated"));
  if (r.bytes_consumed() != size) {
    return Corrupt(absl::StrCat(what, ": ", size - r.bytes_consumed(), " trailing bytes"));
  }
  return absl::OkStatus();
}

absl::Status FinishBytes(const ByteReader& r, const char* what) {
  if (!r.ok()) return Corrupt(absl::StrCat(what, ": truncated"));
  if (!r.at_end()) return Corrupt(absl::StrCat(what, ": ", r.remaining(), " trailing bytes"));
  return absl::OkStatus();
}

}  // namespace

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// ---- Integers ----

IntEncoding EncodeInts(std::span<const int64_t> values, std::string* out) {
  IntPlan plan = PlanInts(values);
  EncodeIntsPlanned(plan, values, out);
  return plan.encoding;
}

void EncodeIntsAs(IntEncoding encoding, std::span<const int64_t> values, std::string* out) {
  IntPlan plan{encoding};
  if (encoding == IntEncoding::kDeltaBuckets || encoding == IntEncoding::kDodBuckets) {
    // The best table for the forced encoding.
    IntPlan best = PlanInts(values);
    if (best.encoding == encoding) {
      plan = best;
    } else if (values.size() > 1) {
      std::array<uint32_t, 65> hist{};
      if (encoding == IntEncoding::kDeltaBuckets) {
        plan.base = MedianDelta(values);
        for (size_t i = 1; i < values.size(); ++i) {
          ++hist[SignedWidth(Sub(Sub(values[i], values[i - 1]), plan.base))];
        }
      } else {
        for (size_t i = 2; i < values.size(); ++i) {
          ++hist[SignedWidth(Sub(Sub(values[i], values[i - 1]), Sub(values[i - 1], values[i - 2])))];
        }
      }
      plan.table = BestTable(hist).first;
    }
  }
  EncodeIntsPlanned(plan, values, out);
}

absl::Status DecodeInts(IntEncoding encoding, std::string_view section, size_t count,
                        std::vector<int64_t>* out) {
  out->reserve(out->size() + count);
  switch (encoding) {
    case IntEncoding::kDeltaVarint: {
      ByteReader r(section);
      int64_t prev = 0;
      for (size_t i = 0; i < count && r.ok(); ++i) {
        prev = Add(prev, UnZigZag(ReadVarint(r)));
        out->push_back(prev);
      }
      return FinishBytes(r, "delta varints");
    }
    case IntEncoding::kDeltaBuckets:
    case IntEncoding::kDodBuckets: {
      const bool dod = encoding == IntEncoding::kDodBuckets;
      const char* what = dod ? "delta-of-delta buckets" : "delta buckets";
      ByteReader r(section);
      const uint8_t table = r.ReadU8();
      if (!r.ok()) return Corrupt(absl::StrCat(what, ": truncated"));
      if (table >= kBucketTableCount) {
        return Corrupt(absl::StrCat(what, ": bucket table ", table, " unknown (0..",
                                    kBucketTableCount - 1, ")"));
      }
      if (count == 0) return FinishBytes(r, what);
      int64_t v = UnZigZag(ReadVarint(r));
      int64_t delta = 0;
      size_t i = 1;
      if (dod) {
        if (count >= 2) {
          delta = UnZigZag(ReadVarint(r));
          out->push_back(v);
          v = Add(v, delta);
          i = 2;
        }
      } else {
        delta = UnZigZag(ReadVarint(r));  // the base
      }
      if (!r.ok()) return Corrupt(absl::StrCat(what, ": truncated"));
      out->push_back(v);
      if (count == 1 && dod) return FinishBytes(r, what);
      BitReader bits(section.substr(r.position()));
      if (dod) {
        for (; i < count; ++i) {
          delta = Add(delta, ReadBucketed(bits, table));
          v = Add(v, delta);
          out->push_back(v);
        }
      } else {
        for (; i < count; ++i) {
          v = Add(v, Add(delta, ReadBucketed(bits, table)));
          out->push_back(v);
        }
      }
      return FinishBits(bits, section.size() - r.position(), what);
    }
    case IntEncoding::kRunLength: {
      ByteReader r(section);
      size_t done = 0;
      int64_t value = 0;
      while (done < count) {
        value = Add(value, UnZigZag(ReadVarint(r)));
        const uint64_t run = ReadVarint(r);
        if (!r.ok()) return Corrupt("run lengths: truncated");
        if (run == 0 || run > count - done) {
          return Corrupt(absl::StrCat("run lengths: run of ", run, " at point ", done, " of ",
                                      count));
        }
        out->insert(out->end(), run, value);
        done += run;
      }
      return FinishBytes(r, "run lengths");
    }
  }
  return Corrupt(absl::StrCat("integer encoding ", static_cast<int>(encoding), " unknown"));
}

// ---- Floats ----

namespace {

// 10^0 .. 10^kMaxDecimalExponent, as doubles (all exact) and as integers.
template <typename T>
constexpr std::array<T, kMaxDecimalExponent + 1> MakePow10() {
  std::array<T, kMaxDecimalExponent + 1> p{};
  T x = 1;
  for (int i = 0; i <= kMaxDecimalExponent; ++i) {
    p[i] = x;
    x *= 10;
  }
  return p;
}
constexpr auto kPow10 = MakePow10<double>();
constexpr auto kPow10Int = MakePow10<int64_t>();

inline uint64_t Bits(double d) { return std::bit_cast<uint64_t>(d); }


// Rounds to the nearest integer (ties to even) without a libm call for
// |x| < 2^51: adding and subtracting 1.5 * 2^52 leaves no fraction bits.
inline int64_t RoundToInt(double x) {
  constexpr double kMagic = 6755399441055744.0;  // 1.5 * 2^52
  if (std::fabs(x) < 2251799813685248.0) return static_cast<int64_t>((x + kMagic) - kMagic);
  return std::llround(x);
}

// m with m / 10^e == v bit for bit, if there is one within the limits.
inline bool ScaleExact(double v, int e, int64_t* m) {
  const double scaled = v * kPow10[e];
  if (!(std::fabs(scaled) <= static_cast<double>(kMaxDecimalMantissa))) return false;  // NaN too
  const int64_t r = RoundToInt(scaled);
  if (Bits(static_cast<double>(r) / kPow10[e]) != Bits(v)) return false;
  *m = r;
  return true;
}

// The smallest common exponent and the mantissas, in one pass. When a value
// needs a larger exponent f, the earlier mantissas are multiplied by
// 10^(f-e): m * 10^(f-e) / 10^f is the same real number as m / 10^e, both
// operands are exact doubles (|m| <= 2^53, 10^f for f <= 22), and IEEE
// division is correctly rounded, so each still decodes to its value.
std::optional<int> ToDecimal(std::span<const double> values, std::vector<int64_t>* m) {
  m->resize(values.size());
  int e = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t x;
    if (!ScaleExact(values[i], e, &x)) {
      int f = e + 1;
      while (f <= kMaxDecimalExponent && !ScaleExact(values[i], f, &x)) ++f;
      if (f > kMaxDecimalExponent) return std::nullopt;
      const int64_t k = kPow10Int[f - e];
      const int64_t limit = kMaxDecimalMantissa / k;
      for (size_t j = 0; j < i; ++j) {
        if ((*m)[j] > limit || (*m)[j] < -limit) return std::nullopt;
        (*m)[j] *= k;
      }
      e = f;
    }
    (*m)[i] = x;
  }
  return e;
}

void EncodeGorilla(std::span<const double> values, std::string* out) {
  if (values.empty()) return;
  BitWriter w(out);
  uint64_t prev = Bits(values[0]);
  w.Write(prev, 64);
  int lead = -1, trail = 0;  // the current window; -1: none yet
  for (size_t i = 1; i < values.size(); ++i) {
    const uint64_t cur = Bits(values[i]);
    const uint64_t x = cur ^ prev;
    prev = cur;
    if (x == 0) {
      w.Write(0, 1);
      continue;
    }
    int l = std::countl_zero(x);
    const int t = std::countr_zero(x);
    if (l > 31) l = 31;  // five bits for the leading-zero count
    if (lead >= 0 && l >= lead && t >= trail) {
      w.Write(0b10, 2);
      w.Write(x >> trail, 64 - lead - trail);
    } else {
      const int sig = 64 - l - t;
      w.Write(0b11, 2);
      w.Write(l, 5);
      w.Write(sig & 63, 6);  // 64 is written as 0
      w.Write(x >> t, sig);
      lead = l;
      trail = t;
    }
  }
  w.Finish();
}

absl::Status DecodeGorilla(std::string_view section, size_t count, std::vector<double>* out) {
  BitReader r(section);
  if (count == 0) return FinishBits(r, section.size(), "gorilla");
  uint64_t prev = r.Read(64);
  out->push_back(std::bit_cast<double>(prev));
  int lead = -1, trail = 0;
  for (size_t i = 1; i < count && r.ok(); ++i) {
    if (r.ReadBit()) {
      if (r.ReadBit()) {
        lead = static_cast<int>(r.Read(5));
        int sig = static_cast<int>(r.Read(6));
        if (sig == 0) sig = 64;
        if (lead + sig > 64) {
          return Corrupt(absl::StrCat("gorilla: window of ", lead, " leading zeros and ", sig,
                                      " bits at point ", i));
        }
        trail = 64 - lead - sig;
      } else if (lead < 0) {
        return Corrupt(absl::StrCat("gorilla: window reused before one was set, at point ", i));
      }
      prev ^= r.Read(64 - lead - trail) << trail;
    }
    out->push_back(std::bit_cast<double>(prev));
  }
  return FinishBits(r, section.size(), "gorilla");
}

}  // namespace

std::optional<int> DecimalExponent(std::span<const double> values) {
  std::vector<int64_t> m;
  return ToDecimal(values, &m);
}

FloatEncoding EncodeFloats(std::span<const double> values, std::string* out, bool allow_decimal) {
  const size_t start = out->size();
  EncodeGorilla(values, out);
  if (!allow_decimal || values.empty()) return FloatEncoding::kGorillaXor;
  std::vector<int64_t> m;
  std::optional<int> e = ToDecimal(values, &m);
  if (!e) return FloatEncoding::kGorillaXor;
  std::string decimal;
  decimal.push_back(static_cast<char>(*e));
  decimal.push_back(0);
  decimal[1] = static_cast<char>(EncodeInts(m, &decimal));
  if (decimal.size() >= out->size() - start) return FloatEncoding::kGorillaXor;
  out->resize(start);
  out->append(decimal);
  return FloatEncoding::kDecimal;
}

absl::Status DecodeFloats(FloatEncoding encoding, std::string_view section, size_t count,
                          std::vector<double>* out) {
  out->reserve(out->size() + count);
  switch (encoding) {
    case FloatEncoding::kGorillaXor:
      return DecodeGorilla(section, count, out);
    case FloatEncoding::kDecimal: {
      if (section.size() < 2) return Corrupt("decimal: truncated");
      const uint8_t e = static_cast<uint8_t>(section[0]);
      const uint8_t ie = static_cast<uint8_t>(section[1]);
      if (e > kMaxDecimalExponent) {
        return Corrupt(absl::StrCat("decimal: exponent ", e, " over ", kMaxDecimalExponent));
      }
      if (ie >= kIntEncodingCount) {
        return Corrupt(absl::StrCat("decimal: integer encoding ", ie, " unknown"));
      }
      std::vector<int64_t> m;
      absl::Status s = DecodeInts(static_cast<IntEncoding>(ie), section.substr(2), count, &m);
      if (!s.ok()) return Corrupt(absl::StrCat("decimal: ", s.message()));
      for (int64_t x : m) out->push_back(static_cast<double>(x) / kPow10[e]);
      return absl::OkStatus();
    }
  }
  return Corrupt(absl::StrCat("float encoding ", static_cast<int>(encoding), " unknown"));
}

// ---- Booleans ----

BoolEncoding EncodeBools(const std::vector<bool>& values, std::string* out) {
  const size_t n = values.size();
  size_t rle = 1;
  size_t runs_start = 0;
  for (size_t i = 1; i <= n; ++i) {
    if (i == n || values[i] != values[i - 1]) {
      rle += VarintLength(i - runs_start);
      runs_start = i;
    }
  }
  if (n == 0) rle = 0;
  const size_t packed = (n + 7) / 8;
  if (rle < packed) {
    out->push_back(values[0] ? 1 : 0);
    size_t start = 0;
    for (size_t i = 1; i <= n; ++i) {
      if (i == n || values[i] != values[i - 1]) {
        PutVarint(out, i - start);
        start = i;
      }
    }
    return BoolEncoding::kRunLength;
  }
  for (size_t i = 0; i < n; i += 8) {
    uint8_t b = 0;
    for (size_t k = 0; k < 8; ++k) {
      if (i + k < n && values[i + k]) b |= 0x80 >> k;
    }
    out->push_back(static_cast<char>(b));
  }
  return BoolEncoding::kBitPacked;
}

absl::Status DecodeBools(BoolEncoding encoding, std::string_view section, size_t count,
                         std::vector<bool>* out) {
  out->reserve(out->size() + count);
  switch (encoding) {
    case BoolEncoding::kBitPacked: {
      if (section.size() != (count + 7) / 8) {
        return Corrupt(absl::StrCat("bit-packed booleans: ", section.size(), " bytes for ",
                                    count, " points"));
      }
      for (size_t i = 0; i < count; ++i) {
        out->push_back((static_cast<uint8_t>(section[i / 8]) >> (7 - i % 8)) & 1);
      }
      return absl::OkStatus();
    }
    case BoolEncoding::kRunLength: {
      ByteReader r(section);
      if (count == 0) return FinishBytes(r, "boolean runs");
      const uint8_t first = r.ReadU8();
      if (r.ok() && first > 1) return Corrupt(absl::StrCat("boolean runs: first value ", first));
      bool value = first == 1;
      size_t done = 0;
      while (done < count) {
        const uint64_t run = ReadVarint(r);
        if (!r.ok()) return Corrupt("boolean runs: truncated");
        if (run == 0 || run > count - done) {
          return Corrupt(absl::StrCat("boolean runs: run of ", run, " at point ", done, " of ",
                                      count));
        }
        out->insert(out->end(), run, value);
        done += run;
        value = !value;
      }
      return FinishBytes(r, "boolean runs");
    }
  }
  return Corrupt(absl::StrCat("boolean encoding ", static_cast<int>(encoding), " unknown"));
}

// ---- Text ----

absl::StatusOr<TextEncoding> EncodeText(std::span<const std::string> values, std::string* out) {
  absl::flat_hash_map<std::string_view, int64_t> index;
  std::vector<std::string_view> dict;
  std::vector<int64_t> codes;
  codes.reserve(values.size());
  size_t total = 0;
  for (const std::string& v : values) {
    if (v.size() > kMaxTextValueBytes) {
      return absl::InvalidArgumentError(absl::StrCat("text value of ", v.size(),
                                                     " bytes over the limit of ",
                                                     kMaxTextValueBytes));
    }
    total += v.size();
    if (total > kMaxTextBytesPerBlock) {
      return absl::InvalidArgumentError(
          absl::StrCat("text values over the block limit of ", kMaxTextBytesPerBlock, " bytes"));
    }
    auto [it, inserted] = index.try_emplace(v, static_cast<int64_t>(dict.size()));
    if (inserted) dict.push_back(v);
    codes.push_back(it->second);
  }
  PutVarint(out, dict.size());
  for (std::string_view s : dict) {
    PutVarint(out, s.size());
    out->append(s);
  }
  const size_t at = out->size();
  out->push_back(0);
  (*out)[at] = static_cast<char>(EncodeInts(codes, out));
  return TextEncoding::kDictionary;
}

absl::Status DecodeText(TextEncoding encoding, std::string_view section, size_t count,
                        std::vector<std::string>* out) {
  if (encoding != TextEncoding::kDictionary) {
    return Corrupt(absl::StrCat("text encoding ", static_cast<int>(encoding), " unknown"));
  }
  ByteReader r(section);
  const uint64_t size = ReadVarint(r);
  if (!r.ok()) return Corrupt("dictionary: truncated size");
  if (size > count) {
    return Corrupt(absl::StrCat("dictionary: ", size, " entries for ", count, " points"));
  }
  std::vector<std::string_view> dict;
  dict.reserve(size);
  for (uint64_t i = 0; i < size; ++i) {
    const uint64_t len = ReadVarint(r);
    if (r.ok() && len > kMaxTextValueBytes) {
      return Corrupt(absl::StrCat("dictionary: entry ", i, " of ", len, " bytes over ",
                                  kMaxTextValueBytes));
    }
    if (r.ok() && len > r.remaining()) {
      return Corrupt(absl::StrCat("dictionary: entry ", i, " of ", len, " bytes, ",
                                  r.remaining(), " left"));
    }
    dict.push_back(r.ReadBytes(len));
    if (!r.ok()) return Corrupt(absl::StrCat("dictionary: entry ", i, " truncated"));
  }
  const uint8_t ie = r.ReadU8();
  if (!r.ok()) return Corrupt("dictionary: truncated code encoding");
  if (ie >= kIntEncodingCount) {
    return Corrupt(absl::StrCat("dictionary: code encoding ", ie, " unknown"));
  }
  std::vector<int64_t> codes;
  absl::Status s = DecodeInts(static_cast<IntEncoding>(ie), section.substr(r.position()), count,
                              &codes);
  if (!s.ok()) return Corrupt(absl::StrCat("dictionary codes: ", s.message()));
  size_t total = 0;
  for (size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] < 0 || static_cast<uint64_t>(codes[i]) >= size) {
      return Corrupt(absl::StrCat("dictionary codes: code ", codes[i], " at point ", i,
                                  " outside the ", size, " entries"));
    }
    total += dict[codes[i]].size();
  }
  if (total > kMaxTextBytesPerBlock) {
    return Corrupt(absl::StrCat("dictionary: ", total, " text bytes over the block limit of ",
                                kMaxTextBytesPerBlock));
  }
  out->reserve(out->size() + count);
  for (int64_t c : codes) out->emplace_back(dict[c]);
  return absl::OkStatus();
}

}  // namespace qilian::platform::tsdb
