#include "security/delivery/spool.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "security/delivery/spool_format.h"

namespace qilian::security {
namespace {

namespace fs = std::filesystem;

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "/spool_test_XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = root_ + "/spool";
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<Spool> Open(SpoolOptions options = {}) {
    auto spool = Spool::Open(dir_, options);
    EXPECT_TRUE(spool.ok()) << spool.status();
    return spool.ok() ? *std::move(spool) : nullptr;
  }
  std::string Segment(uint64_t first) const { return absl::StrFormat("%s/%020u.seg", dir_, first); }
  static std::string Event(int i) { return absl::StrCat("{\"n\":", i, "}"); }

  static std::vector<SpoolRecord> ReadAll(Spool& spool) {
    std::vector<SpoolRecord> out;
    EXPECT_TRUE(spool.Read(1'000'000, 1 << 30, &out).ok());
    return out;
  }
  // Reads and acknowledges until nothing is left (a read stops at the end
  // of a segment).
  static std::vector<uint64_t> Drain(Spool& spool) {
    std::vector<uint64_t> out;
    std::vector<SpoolRecord> batch;
    while (spool.Read(1'000'000, 1 << 30, &batch).ok() && !batch.empty()) {
      for (const SpoolRecord& r : batch) out.push_back(r.sequence);
      EXPECT_TRUE(spool.Acknowledge(batch.back().sequence).ok());
    }
    return out;
  }
  static std::vector<uint64_t> Sequences(const std::vector<SpoolRecord>& records) {
    std::vector<uint64_t> out;
    for (const SpoolRecord& r : records) out.push_back(r.sequence);
    return out;
  }
  std::vector<std::string> SegmentFiles() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().extension() == ".seg") out.push_back(e.path().filename());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::string root_, dir_;
};

TEST_F(SpoolTest, AppendReadAcknowledge) {
  auto spool = Open();
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(*spool->Append(Event(i)), static_cast<uint64_t>(i));
  std::vector<SpoolRecord> records = ReadAll(*spool);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].sequence, 1u);
  EXPECT_EQ(records[0].payload, "{\"n\":1}");
  EXPECT_EQ(records[2].payload, "{\"n\":3}");
  // Reading again without an acknowledgement gives the same records.
  EXPECT_EQ(Sequences(ReadAll(*spool)), (std::vector<uint64_t>{1, 2, 3}));
  ASSERT_TRUE(spool->Acknowledge(2).ok());
  EXPECT_EQ(Sequences(ReadAll(*spool)), (std::vector<uint64_t>{3}));
  EXPECT_EQ(spool->stats().pending, 1u);
  ASSERT_TRUE(spool->Acknowledge(3).ok());
  EXPECT_TRUE(ReadAll(*spool).empty());
  EXPECT_EQ(spool->stats().pending, 0u);
  EXPECT_EQ(spool->stats().appended, 3u);
  EXPECT_EQ(spool->Acknowledge(4).message(), "acknowledging sequence 4, beyond the last 3");
}

TEST_F(SpoolTest, BatchLimits) {
  auto spool = Open();
  for (int i = 1; i <= 10; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
  std::vector<SpoolRecord> out;
  ASSERT_TRUE(spool->Read(4, 1 << 20, &out).ok());
  EXPECT_EQ(Sequences(out), (std::vector<uint64_t>{1, 2, 3, 4}));
  // 7 bytes each: 20 bytes hold two; a limit under one record still gives one.
  ASSERT_TRUE(spool->Read(100, 20, &out).ok());
  EXPECT_EQ(out.size(), 2u);
  ASSERT_TRUE(spool->Read(100, 1, &out).ok());
  EXPECT_EQ(out.size(), 1u);
}

TEST_F(SpoolTest, RestartKeepsIdentitySequenceAndAcknowledgement) {
  std::string identity;
  {
    auto spool = Open();
    identity = spool->identity();
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
    ASSERT_TRUE(spool->Acknowledge(2).ok());
  }
  auto spool = Open();
  EXPECT_EQ(spool->identity(), identity);
  EXPECT_EQ(Sequences(ReadAll(*spool)), (std::vector<uint64_t>{3, 4, 5}));
  EXPECT_EQ(*spool->Append(Event(6)), 6u);
  EXPECT_EQ(spool->stats().pending, 4u);
}

TEST_F(SpoolTest, SequenceIsNeverReusedOnceAllIsDelivered) {
  {
    auto spool = Open();
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
    ASSERT_TRUE(spool->Acknowledge(3).ok());
  }
  auto spool = Open();
  EXPECT_EQ(*spool->Append(Event(4)), 4u);
  EXPECT_EQ(Sequences(ReadAll(*spool)), (std::vector<uint64_t>{4}));
}

TEST_F(SpoolTest, NewSpoolGetsNewIdentity) {
  std::string first;
  {
    auto spool = Open();
    first = spool->identity();
  }
  fs::remove_all(dir_);
  auto spool = Open();
  EXPECT_NE(spool->identity(), first);
}

TEST_F(SpoolTest, TornTailIsCut) {
  {
    auto spool = Open();
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
  }
  // A crash inside the write of record 4: its first 10 bytes made it.
  std::string record;
  AppendRecord(4, Event(4), &record);
  {
    std::ofstream f(Segment(1), std::ios::binary | std::ios::app);
    f << record.substr(0, 10);
  }
  const uint64_t whole = fs::file_size(Segment(1)) - 10;
  auto spool = Open();
  EXPECT_EQ(spool->stats().torn_bytes, 10u);
  EXPECT_EQ(fs::file_size(Segment(1)), whole);
  EXPECT_EQ(Sequences(ReadAll(*spool)), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(*spool->Append(Event(4)), 4u);
  EXPECT_EQ(Sequences(ReadAll(*spool)), (std::vector<uint64_t>{1, 2, 3, 4}));
}

TEST_F(SpoolTest, TornLastRecordIsCutAndItsSequenceGivenAgain) {
  {
    auto spool = Open();
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
  }
  fs::resize_file(Segment(1), fs::file_size(Segment(1)) - 3);  // record 3 torn
  auto spool = Open();
  EXPECT_EQ(spool->stats().torn_bytes, kRecordHeaderBytes + Event(3).size() - 3);
  EXPECT_EQ(Sequences(ReadAll(*spool)), (std::vector<uint64_t>{1, 2}));
  // Record 3 was never whole on disk, so never sent: its number is free.
  EXPECT_EQ(*spool->Append(Event(30)), 3u);
}

TEST_F(SpoolTest, CrcMismatchInAClosedSegmentIsNamedAndSkipped) {
  // 64-byte segments: three 7-byte events (23 bytes framed) fill one.
  SpoolOptions small{.segment_bytes = 64, .max_bytes = 1 << 20};
  {
    auto spool = Open(small);
    for (int i = 1; i <= 5; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
  }
  ASSERT_EQ(SegmentFiles(),
            (std::vector<std::string>{"00000000000000000001.seg", "00000000000000000003.seg",
                                      "00000000000000000005.seg"}));
  // Flip a payload byte of record 2 (the second of segment 1).
  const uint64_t offset = kSegmentHeaderBytes + kRecordHeaderBytes + 7;
  {
    std::fstream f(Segment(1), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offset + kRecordHeaderBytes + 2));
    f.put('X');
  }
  auto spool = Open(small);
  std::vector<SpoolRecord> out;
  ASSERT_TRUE(spool->Read(100, 1 << 20, &out).ok());  // what is good before the damage
  EXPECT_EQ(Sequences(out), (std::vector<uint64_t>{1}));
  ASSERT_TRUE(spool->Acknowledge(1).ok());
  absl::Status damaged = spool->Read(100, 1 << 20, &out);
  EXPECT_TRUE(absl::IsDataLoss(damaged));
  EXPECT_EQ(damaged.message().substr(0, damaged.message().find(" (stored")),
            absl::StrCat("spool segment ", Segment(1), ": record at offset ", offset,
                         ": CRC32C mismatch"));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(spool->stats().corrupt, 1u);  // record 2, the rest of its segment
  EXPECT_EQ(Drain(*spool), (std::vector<uint64_t>{3, 4, 5}));
}

TEST_F(SpoolTest, AcknowledgedSegmentsAreDeleted) {
  SpoolOptions small{.segment_bytes = 64, .max_bytes = 1 << 20};
  auto spool = Open(small);
  for (int i = 1; i <= 7; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
  ASSERT_TRUE(spool->Flush(false).ok());
  EXPECT_EQ(SegmentFiles().size(), 4u);  // 1-2, 3-4, 5-6, 7
  ASSERT_TRUE(spool->Acknowledge(4).ok());
  EXPECT_EQ(SegmentFiles(),
            (std::vector<std::string>{"00000000000000000005.seg", "00000000000000000007.seg"}));
  ASSERT_TRUE(spool->Acknowledge(7).ok());  // the active segment stays
  EXPECT_EQ(SegmentFiles(), (std::vector<std::string>{"00000000000000000007.seg"}));
  EXPECT_EQ(spool->stats().segments, 1u);
}

TEST_F(SpoolTest, SizeBoundDropsTheOldestSegment) {
  // Segments of two records (23 bytes each after a 16-byte header), at most
  // 4 segments' worth of bytes.
  SpoolOptions small{.segment_bytes = 64, .max_bytes = 4 * 62};
  auto spool = Open(small);
  for (int i = 1; i <= 9; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
  // 9 records need 5 segments (1-2, 3-4, 5-6, 7-8, 9): the first went.
  SpoolStats stats = spool->stats();
  EXPECT_EQ(stats.dropped_segments, 1u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.pending, 7u);
  EXPECT_LE(stats.bytes, small.max_bytes);
  EXPECT_EQ(Drain(*spool), (std::vector<uint64_t>{3, 4, 5, 6, 7, 8, 9}));
  // Delivered records are dropped alike but not counted.
  // Two-digit events make 24-byte records: segments of two fill 64 bytes,
  // so three and the start of a fourth fit. 10 (9 was delivered), 11-12
  // and 13-14 are dropped.
  for (int i = 10; i <= 20; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
  EXPECT_EQ(spool->stats().dropped, 2u + 1u + 2u + 2u);
  EXPECT_EQ(Drain(*spool), (std::vector<uint64_t>{15, 16, 17, 18, 19, 20}));
}

TEST_F(SpoolTest, SizeBoundSurvivesRestart) {
  SpoolOptions small{.segment_bytes = 64, .max_bytes = 4 * 62};
  {
    auto spool = Open(small);
    for (int i = 1; i <= 9; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
  }
  auto spool = Open(small);
  EXPECT_EQ(spool->stats().pending, 7u);
  EXPECT_EQ(Drain(*spool), (std::vector<uint64_t>{3, 4, 5, 6, 7, 8, 9}));
}

TEST_F(SpoolTest, AppendsWhileAnotherThreadReadsAndAcknowledges) {
  // The sensor's thread and the sender's at once, over many small segments:
  // every record is read once, in order, with its own payload.
  SpoolOptions small{.segment_bytes = 4096, .max_bytes = 1 << 30};
  auto spool = Open(small);
  constexpr int kRecords = 10'000;
  std::thread appender([&] {
    for (int i = 1; i <= kRecords; ++i) ASSERT_TRUE(spool->Append(Event(i)).ok());
  });
  uint64_t next = 1;
  std::vector<SpoolRecord> batch;
  while (next <= kRecords) {
    ASSERT_TRUE(spool->Read(1000, 1 << 20, &batch).ok());
    for (const SpoolRecord& r : batch) {
      ASSERT_EQ(r.sequence, next);
      ASSERT_EQ(r.payload, Event(static_cast<int>(next)));
      ++next;
    }
    if (!batch.empty()) ASSERT_TRUE(spool->Acknowledge(batch.back().sequence).ok());
  }
  appender.join();
  EXPECT_EQ(spool->stats().pending, 0u);
  EXPECT_EQ(SegmentFiles().size(), 1u);
}

TEST_F(SpoolTest, OneProcessAtATime) {
  auto spool = Open();
  auto second = Spool::Open(dir_);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.status().message(),
            absl::StrCat("spool ", dir_, " is in use by another process"));
}

TEST_F(SpoolTest, BadStateFilesAreNamed) {
  { auto spool = Open(); }
  { std::ofstream(dir_ + "/acked") << "twelve\n"; }
  EXPECT_EQ(Spool::Open(dir_).status().message(),
            absl::StrCat(dir_, "/acked does not hold a sequence number"));
}

TEST_F(SpoolTest, BoundsAreChecked) {
  EXPECT_EQ(Spool::Open(dir_, {.segment_bytes = 1024, .max_bytes = 2047}).status().message(),
            "spool bound of 2047 bytes is under two segments of 1024 bytes");
  auto spool = Open();
  EXPECT_EQ(spool->Append(std::string(kMaxRecordPayload + 1, 'x')).status().message(),
            "an event of 1048577 bytes is over the spool's record limit of 1048576");
}

}  // namespace
}  // namespace qilian::security
