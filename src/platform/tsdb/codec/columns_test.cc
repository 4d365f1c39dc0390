#include "platform/tsdb/codec/columns.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>

namespace qilian::platform::tsdb {
namespace {

constexpr IntEncoding kAllInts[] = {IntEncoding::kDeltaVarint, IntEncoding::kDeltaBuckets,
                                    IntEncoding::kDodBuckets, IntEncoding::kRunLength};

std::vector<std::vector<int64_t>> IntCases() {
  std::mt19937_64 rng(42);
  std::vector<std::vector<int64_t>> cases = {
      {},
      {0},
      {INT64_MIN},
      {INT64_MAX, INT64_MIN, INT64_MAX, INT64_MIN},
      {INT64_MIN, INT64_MAX},
      {0, -1, 0, -1, 0, -1},
      std::vector<int64_t>(1000, 7),
  };
  std::vector<int64_t> counter, stamps, noise, random;
  int64_t t = 1'700'000'000'000;
  for (int i = 0; i < 3000; ++i) {
    counter.push_back(i / 3);
    t += 1000 + static_cast<int64_t>(rng() % 9) - 4;
    if (i == 1500) t += int64_t{1} << 50;  // a clock jump
    stamps.push_back(t);
    noise.push_back(static_cast<int64_t>(rng() % 2001) - 1000);
    random.push_back(static_cast<int64_t>(rng()));
  }
  cases.push_back(counter);
  cases.push_back(stamps);
  cases.push_back(noise);
  cases.push_back(random);
  return cases;
}

TEST(IntColumnTest, EveryEncodingRoundTrips) {
  for (const auto& values : IntCases()) {
    for (IntEncoding e : kAllInts) {
      std::string section;
      EncodeIntsAs(e, values, &section);
      std::vector<int64_t> back;
      ASSERT_TRUE(DecodeInts(e, section, values.size(), &back).ok())
          << static_cast<int>(e) << " n=" << values.size();
      ASSERT_EQ(back, values) << static_cast<int>(e);
    }
    std::string section;
    IntEncoding chosen = EncodeInts(values, &section);
    std::vector<int64_t> back;
    ASSERT_TRUE(DecodeInts(chosen, section, values.size(), &back).ok());
    ASSERT_EQ(back, values);
    // The chosen encoding is never larger than any forced one.
    for (IntEncoding e : kAllInts) {
      std::string other;
      EncodeIntsAs(e, values, &other);
      EXPECT_LE(section.size(), other.size()) << static_cast<int>(e);
    }
  }
}

TEST(IntColumnTest, GoldenBytes) {
  std::string s;
  EncodeIntsAs(IntEncoding::kDeltaVarint, std::vector<int64_t>{1, 3, 2}, &s);
  EXPECT_EQ(s, std::string("\x02\x04\x01", 3));
  s.clear();
  EncodeIntsAs(IntEncoding::kRunLength, std::vector<int64_t>{5, 5, 5, 7}, &s);
  EXPECT_EQ(s, std::string("\x0A\x03\x04\x01", 4));
  s.clear();
  // Table 4; first 1000 and first delta 1000 as zigzag varints (D0 0F);
  // delta-of-deltas 0 ('0' 00) and 1 ('0' 01), padded: 0000 0100.
  EncodeIntsAs(IntEncoding::kDodBuckets, std::vector<int64_t>{1000, 2000, 3000, 4001}, &s);
  EXPECT_EQ(s, std::string("\x04\xD0\x0F\xD0\x0F\x04", 6));
  s.clear();
  // Base delta 1000, then delta-base 0, 0, 1 in table 0: 0 0 10 0001 -> 0010 0001.
  EncodeIntsAs(IntEncoding::kDeltaBuckets, std::vector<int64_t>{0, 1000, 2000, 3001}, &s);
  EXPECT_EQ(s, std::string("\x00\x00\xD0\x0F\x21", 5));
}

TEST(IntColumnTest, SteadyCounterCostsAboutOneBitPerPoint) {
  std::vector<int64_t> counter;
  for (int i = 0; i < 8192; ++i) counter.push_back(123456 + i * 5);
  std::string s;
  IntEncoding e = EncodeInts(counter, &s);
  EXPECT_EQ(e, IntEncoding::kDeltaBuckets);
  EXPECT_LE(s.size(), 8192u / 8 + 8);
}

TEST(IntColumnTest, CorruptSections) {
  std::vector<int64_t> out;
  EXPECT_EQ(DecodeInts(IntEncoding::kDeltaVarint, std::string("\x02\x04", 2), 3, &out).message(),
            "delta varints: truncated");
  EXPECT_EQ(DecodeInts(IntEncoding::kDeltaVarint, std::string("\x02\x04\x01\x00", 4), 3, &out)
                .message(),
            "delta varints: 1 trailing bytes");
  EXPECT_EQ(DecodeInts(IntEncoding::kDeltaVarint, std::string(10, '\xFF') + '\x01', 1, &out)
                .message(),
            "delta varints: truncated");  // an 11-byte varint
  EXPECT_EQ(DecodeInts(IntEncoding::kDodBuckets, std::string("\x05\x00", 2), 1, &out).message(),
            "delta-of-delta buckets: bucket table 5 unknown (0..4)");
  EXPECT_EQ(DecodeInts(IntEncoding::kDodBuckets, std::string("\x00\xD0\x0F\xD0\x0F", 5), 4, &out)
                .message(),
            "delta-of-delta buckets: bit stream truncated");
  EXPECT_EQ(DecodeInts(IntEncoding::kDeltaBuckets, std::string("\x00\x00\xD0\x0F\x21\x00", 6), 4,
                       &out)
                .message(),
            "delta buckets: 1 trailing bytes");
  EXPECT_EQ(DecodeInts(IntEncoding::kRunLength, std::string("\x0A\x00", 2), 4, &out).message(),
            "run lengths: run of 0 at point 0 of 4");
  EXPECT_EQ(DecodeInts(IntEncoding::kRunLength, std::string("\x0A\x05", 2), 4, &out).message(),
            "run lengths: run of 5 at point 0 of 4");
  EXPECT_EQ(DecodeInts(IntEncoding::kRunLength, std::string("\x0A", 1), 4, &out).message(),
            "run lengths: truncated");
  EXPECT_EQ(DecodeInts(static_cast<IntEncoding>(9), "", 1, &out).message(),
            "integer encoding 9 unknown");
}

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::bit_cast<uint64_t>(a[i]) != std::bit_cast<uint64_t>(b[i])) return false;
  }
  return true;
}

std::vector<std::vector<double>> FloatCases() {
  const double inf = std::numeric_limits<double>::infinity();
  std::mt19937_64 rng(7);
  std::vector<std::vector<double>> cases = {
      {},
      {0.0},
      {-0.0, 0.0, -0.0},
      {std::bit_cast<double>(uint64_t{0x7FF8000000000001}),
       std::bit_cast<double>(uint64_t{0xFFF4000000000abc}), std::nan(""), inf, -inf},
      {std::numeric_limits<double>::denorm_min(), 4.9e-320, -std::numeric_limits<double>::min()},
      {std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(), 1.0, -1.0},
      std::vector<double>(500, 23.45),
  };
  std::vector<double> alternating, random, sensor, mixed;
  for (int i = 0; i < 3000; ++i) {
    alternating.push_back(i % 2 ? 1e300 : -1e-300);
    random.push_back(std::bit_cast<double>(rng()));
    sensor.push_back(std::round((20 + 5 * std::sin(i / 500.0) + (rng() % 100) / 1000.0) * 100) /
                     100);
    mixed.push_back(i == 1000 ? std::nan("") : sensor.back());
  }
  cases.push_back(alternating);
  cases.push_back(random);
  cases.push_back(sensor);
  cases.push_back(mixed);
  return cases;
}

TEST(FloatColumnTest, RoundTripsBitForBit) {
  for (const auto& values : FloatCases()) {
    for (bool decimal : {false, true}) {
      std::string section;
      FloatEncoding e = EncodeFloats(values, &section, decimal);
      if (!decimal) {
        EXPECT_EQ(e, FloatEncoding::kGorillaXor);
      }
      std::vector<double> back;
      absl::Status s = DecodeFloats(e, section, values.size(), &back);
      ASSERT_TRUE(s.ok()) << s;
      ASSERT_TRUE(SameBits(back, values)) << values.size();
    }
  }
}

TEST(FloatColumnTest, DecimalIsChosenForSensorValuesAndIsSmaller) {
  std::vector<double> sensor = FloatCases()[9];
  EXPECT_EQ(DecimalExponent(sensor), 2);
  std::string gorilla, decimal;
  EncodeFloats(sensor, &gorilla, false);
  EXPECT_EQ(EncodeFloats(sensor, &decimal), FloatEncoding::kDecimal);
  EXPECT_LT(decimal.size(), gorilla.size());
  EXPECT_EQ(DecimalExponent(FloatCases()[10]), std::nullopt);  // has a NaN
  EXPECT_EQ(DecimalExponent(std::vector<double>{-0.0}), std::nullopt);
  EXPECT_EQ(DecimalExponent(std::vector<double>{0.1, 0.25, 3}), 2);
  EXPECT_EQ(DecimalExponent(std::vector<double>{1e20}), std::nullopt);  // over 2^53
  // The exponent grows along the block; earlier mantissas are rescaled.
  const std::vector<double> growing = {1, 0.5, 0.25, 0.125, -7.0625};
  EXPECT_EQ(DecimalExponent(growing), 4);
  std::string s;
  EXPECT_EQ(EncodeFloats(growing, &s), FloatEncoding::kDecimal);
  std::vector<double> back;
  ASSERT_TRUE(DecodeFloats(FloatEncoding::kDecimal, s, growing.size(), &back).ok());
  EXPECT_EQ(back, growing);
  // 9e15 fits 2^53 at e = 0 but not rescaled to e = 1.
  EXPECT_EQ(DecimalExponent(std::vector<double>{9e15, 0.5}), std::nullopt);
}

TEST(FloatColumnTest, GoldenBytes) {
  std::string s;
  // 1.0 raw; 1.0 again: '0'; 2.0: XOR 0x7FF0..., '11', 1 leading zero
  // (00001), 11 significant bits (001011), 11111111111.
  EncodeFloats(std::vector<double>{1.0, 1.0, 2.0}, &s, false);
  EXPECT_EQ(s, std::string("\x3F\xF0\0\0\0\0\0\0\x61\x2F\xFF\x80", 12));
  s.clear();
  // As decimals: exponent 0, delta varints 1, 0, 1.
  EXPECT_EQ(EncodeFloats(std::vector<double>{1.0, 1.0, 2.0}, &s), FloatEncoding::kDecimal);
  EXPECT_EQ(s, std::string("\x00\x00\x02\x00\x02", 5));
}

TEST(FloatColumnTest, CorruptSections) {
  std::vector<double> out;
  EXPECT_EQ(DecodeFloats(FloatEncoding::kGorillaXor, std::string(7, '\0'), 1, &out).message(),
            "gorilla: bit stream truncated");
  // '10' with no window set.
  EXPECT_EQ(DecodeFloats(FloatEncoding::kGorillaXor, std::string(8, '\0') + '\x80', 2, &out)
                .message(),
            "gorilla: window reused before one was set, at point 1");
  // '11', 31 leading zeros, 40 bits.
  EXPECT_EQ(DecodeFloats(FloatEncoding::kGorillaXor,
                         std::string(8, '\0') + std::string("\xFF\x40\x00\x00\x00\x00\x00", 7),
                         2, &out)
                .message(),
            "gorilla: window of 31 leading zeros and 40 bits at point 1");
  EXPECT_EQ(DecodeFloats(FloatEncoding::kDecimal, std::string("\x10\x00\x00", 3), 1, &out)
                .message(),
            "decimal: exponent 16 over 15");
  EXPECT_EQ(DecodeFloats(FloatEncoding::kDecimal, std::string("\x01\x04\x00", 3), 1, &out)
                .message(),
            "decimal: integer encoding 4 unknown");
  EXPECT_EQ(DecodeFloats(FloatEncoding::kDecimal, std::string("\x01", 1), 1, &out).message(),
            "decimal: truncated");
  EXPECT_EQ(DecodeFloats(FloatEncoding::kDecimal, std::string("\x01\x00", 2), 1, &out).message(),
            "decimal: delta varints: truncated");
}

TEST(BoolColumnTest, RoundTripsAndPicksTheSmaller) {
  std::mt19937 rng(5);
  std::vector<bool> random, runs, empty;
  for (int i = 0; i < 1001; ++i) {
    random.push_back(rng() & 1);
    runs.push_back((i / 300) % 2 == 0);
  }
  for (const auto* v : {&random, &runs, &empty}) {
    std::string s;
    BoolEncoding e = EncodeBools(*v, &s);
    std::vector<bool> back;
    ASSERT_TRUE(DecodeBools(e, s, v->size(), &back).ok());
    EXPECT_EQ(back, *v);
  }
  std::string s;
  EXPECT_EQ(EncodeBools(random, &s), BoolEncoding::kBitPacked);
  EXPECT_EQ(s.size(), 126u);
  s.clear();
  EXPECT_EQ(EncodeBools(runs, &s), BoolEncoding::kRunLength);
  // first value 1; runs 300, 300, 300, 101
  EXPECT_EQ(s, std::string("\x01\xAC\x02\xAC\x02\xAC\x02\x65", 8));
  s.clear();
  EXPECT_EQ(EncodeBools(std::vector<bool>{true, false, true}, &s), BoolEncoding::kBitPacked);
  EXPECT_EQ(s, "\xA0");
}

TEST(BoolColumnTest, CorruptSections) {
  std::vector<bool> out;
  EXPECT_EQ(DecodeBools(BoolEncoding::kBitPacked, std::string("\xA0\x00", 2), 3, &out).message(),
            "bit-packed booleans: 2 bytes for 3 points");
  EXPECT_EQ(DecodeBools(BoolEncoding::kRunLength, "\x02\x03", 3, &out).message(),
            "boolean runs: first value 2");
  EXPECT_EQ(DecodeBools(BoolEncoding::kRunLength, "\x01\x02", 3, &out).message(),
            "boolean runs: truncated");
  EXPECT_EQ(DecodeBools(BoolEncoding::kRunLength, "\x01\x04", 3, &out).message(),
            "boolean runs: run of 4 at point 0 of 3");
  EXPECT_EQ(DecodeBools(BoolEncoding::kRunLength, "\x01\x03\x01", 3, &out).message(),
            "boolean runs: 1 trailing bytes");
}

TEST(TextColumnTest, RoundTripAndGoldenBytes) {
  std::vector<std::string> states = {"Idle", "Run", "Run", "Run", "", "Idle"};
  std::string s;
  ASSERT_EQ(EncodeText(states, &s).value(), TextEncoding::kDictionary);
  // 3 entries: "Idle", "Run", ""; codes 0 1 1 1 2 0 as delta buckets,
  // table 4: first 0, base delta 0, then deltas 1 0 0 1 -2 as '0' and two
  // bits each: 001 000 000 001 010 -> 0010 0000 0010 1000... (5 bytes, as
  // many as delta-of-delta buckets: the lower id wins).
  EXPECT_EQ(s, std::string("\x03\x04Idle\x03Run\x00\x01\x04\x00\x00\x20\x14", 17));
  std::vector<std::string> back;
  ASSERT_TRUE(DecodeText(TextEncoding::kDictionary, s, states.size(), &back).ok());
  EXPECT_EQ(back, states);
}

TEST(TextColumnTest, Limits) {
  std::string s;
  std::vector<std::string> big = {std::string(kMaxTextValueBytes + 1, 'x')};
  EXPECT_EQ(EncodeText(big, &s).status().message(),
            "text value of 65537 bytes over the limit of 65536");
  std::vector<std::string> many(17, std::string(kMaxTextValueBytes, 'y'));
  EXPECT_EQ(EncodeText(many, &s).status().message(),
            "text values over the block limit of 1048576 bytes");
}

TEST(TextColumnTest, CorruptSections) {
  std::vector<std::string> out;
  EXPECT_EQ(DecodeText(TextEncoding::kDictionary, "\x03", 2, &out).message(),
            "dictionary: 3 entries for 2 points");
  EXPECT_EQ(DecodeText(TextEncoding::kDictionary, "\x01\x05Ru", 2, &out).message(),
            "dictionary: entry 0 of 5 bytes, 2 left");
  EXPECT_EQ(DecodeText(TextEncoding::kDictionary, std::string("\x01\x81\x80\x04", 4), 2, &out)
                .message(),
            "dictionary: entry 0 of 65537 bytes over 65536");
  EXPECT_EQ(DecodeText(TextEncoding::kDictionary, "\x01\x01R", 2, &out).message(),
            "dictionary: truncated code encoding");
  EXPECT_EQ(DecodeText(TextEncoding::kDictionary, "\x01\x01R\x07", 2, &out).message(),
            "dictionary: code encoding 7 unknown");
  EXPECT_EQ(DecodeText(TextEncoding::kDictionary, std::string("\x01\x01R\x00\x00\x02", 6), 2,
                       &out)
                .message(),
            "dictionary codes: code 1 at point 1 outside the 1 entries");
  EXPECT_EQ(DecodeText(TextEncoding::kDictionary, std::string("\x01\x01R\x00\x00", 5), 2, &out)
                .message(),
            "dictionary codes: delta varints: truncated");
  EXPECT_EQ(DecodeText(static_cast<TextEncoding>(1), "", 0, &out).message(),
            "text encoding 1 unknown");
}

}  // namespace
}  // namespace qilian::platform::tsdb
