#include "platform/tsdb/engine/wal_record.h"

#include <bit>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace qilian::platform::tsdb {
namespace {

using Entry = std::tuple<SeriesId, int64_t, PointValue>;

std::vector<Entry> Decode(std::string_view record, absl::Status* status) {
  std::vector<Entry> out;
  *status = DecodeWalRecord(record, [&](SeriesId id, int64_t t, PointValue v) {
    out.emplace_back(id, t, std::move(v));
    return true;
  });
  return out;
}

std::vector<Entry> Sample() {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  return {{1, 1'700'000'000'123, 23.45},
          {300, 1'700'000'000'120, int64_t{-5}},
          {1, kMin, true},
          {70000, kMax, std::string("Running")},
          {2, 0, std::bit_cast<double>(uint64_t{0x7ff8dead00000001})},
          {2, -1, -0.0},
          {9, 5, kMin},
          {9, 6, std::string()}};
}

std::string Encode(const std::vector<Entry>& entries) {
  std::string out;
  WalRecordWriter w(&out, entries.size());
  for (const auto& [id, t, v] : entries) w.Add(id, t, v);
  return out;
}

bool SameBits(const std::vector<Entry>& a, const std::vector<Entry>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto& [ia, ta, va] = a[i];
    const auto& [ib, tb, vb] = b[i];
    if (ia != ib || ta != tb || va.index() != vb.index()) return false;
    if (va.index() == 0) {
      if (std::bit_cast<uint64_t>(std::get<double>(va)) !=
          std::bit_cast<uint64_t>(std::get<double>(vb))) {
        return false;
      }
    } else if (va != vb) {
      return false;
    }
  }
  return true;
}

TEST(WalRecordTest, RoundTripsEveryKindBitForBit) {
  absl::Status st;
  std::vector<Entry> got = Decode(Encode(Sample()), &st);
  ASSERT_EQ(st, absl::OkStatus());
  EXPECT_TRUE(SameBits(got, Sample()));
}

TEST(WalRecordTest, GoldenBytes) {
  std::string out;
  WalRecordWriter w(&out, 2);
  w.Add(1, 1000, 1.0);  // double 1.0 = 0x3ff0000000000000
  w.Add(300, 999, int64_t{-2});
  EXPECT_EQ(out, std::string("\x02\x02"                           // version, count
                             "\x01\xd0\x0f\x01"                   // id 1, +1000, float
                             "\x00\x00\x00\x00\x00\x00\xf0\x3f"   // 1.0, little-endian
                             "\xac\x02\x01\x02\x03",              // id 300, -1, int, -2
                             19));
}

TEST(WalRecordTest, DecodesVersion1) {
  std::string v1("\x00\x00\x00\x08", 4);
  for (const auto& [id, t, v] : Sample()) AppendWalRecordV1(&v1, id, t, v);
  absl::Status st;
  std::vector<Entry> got = Decode(v1, &st);
  ASSERT_EQ(st, absl::OkStatus());
  EXPECT_TRUE(SameBits(got, Sample()));
}

TEST(WalRecordTest, EveryTruncationIsAnError) {
  const std::string record = Encode(Sample());
  for (size_t n = 0; n < record.size(); ++n) {
    absl::Status st;
    Decode(record.substr(0, n), &st);
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << n;
  }
}

TEST(WalRecordTest, MalformedRecordsAreRefused) {
  absl::Status st;
  Decode(Encode(Sample()) + "x", &st);
  EXPECT_EQ(st, absl::InvalidArgumentError("tsdb wal record: trailing bytes"));
  Decode(std::string("\x07\x00", 2), &st);
  EXPECT_EQ(st, absl::InvalidArgumentError("tsdb wal record: version 7 unsupported"));
  Decode(std::string("\x02\x01\x01\x00\x09", 5), &st);  // kind 9
  EXPECT_EQ(st, absl::InvalidArgumentError("tsdb wal record: point 0: truncated or unknown kind"));
  Decode(std::string("\x02\x7f", 2), &st);  // 127 points in 2 bytes
  EXPECT_EQ(st, absl::InvalidArgumentError("tsdb wal record: bad count"));
  // A text longer than kMaxTextValueBytes is refused before it is read.
  std::string text("\x02\x01\x01\x00\x04\x81\x80\x04", 8);  // length 65537
  Decode(text + std::string(65537, 'a'), &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  // The visitor's refusal stops the decode.
  st = DecodeWalRecord(Encode(Sample()), [](SeriesId, int64_t, PointValue) { return false; });
  EXPECT_EQ(st, absl::InvalidArgumentError("tsdb wal record: point 0: refused"));
}

}  // namespace
}  // namespace qilian::platform::tsdb
