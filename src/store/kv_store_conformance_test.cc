// One conformance suite for every KvStore backend, plus tests of what only
// the RocksDB backend (durability, column families, concurrency) and the
// fault-injecting wrapper do.
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/status.h"
#include "store/fault_store.h"
#include "store/kv_store.h"
#include "store/memory_store.h"
#include "store/rocksdb_store.h"

namespace qilian::store {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// A fresh directory under the test temp dir, removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = ::testing::TempDir() + "qilian_store_XXXXXX";
    char* made = mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Owns a store and whatever it depends on (a directory, a wrapped store).
struct Harness {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<KvStore> base;
  std::unique_ptr<KvStore> store;  // declared after its dependencies: destroyed first
};

const std::vector<std::string> kSpaces = {"a", "b"};

struct Backend {
  std::string name;
  std::function<Harness()> make;
};

// Names the backend in failure messages instead of dumping its bytes.
void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

Harness MakeMemory() {
  Harness h;
  h.store = NewMemoryStore({.spaces = kSpaces});
  return h;
}

Harness MakeRocksDb() {
  Harness h;
  h.dir = std::make_unique<TempDir>();
  RocksDbOptions options;
  options.path = h.dir->path() + "/db";
  options.spaces = kSpaces;
  options.block_cache_bytes = 1 << 20;
  options.write_buffer_bytes = 1 << 20;
  auto store = OpenRocksDbStore(options);
  EXPECT_TRUE(store.ok()) << store.status();
  if (store.ok()) h.store = *std::move(store);
  return h;
}

Harness MakeFaultOverMemory() {
  Harness h;
  h.base = NewMemoryStore({.spaces = kSpaces});
  h.store = std::make_unique<FaultInjectingStore>(h.base.get());
  return h;
}

KeyValues ScanAll(const KvReader& reader, std::string_view space, std::string_view prefix,
                  std::string_view start = {}) {
  KeyValues out;
  absl::Status s = reader.Scan(space, prefix, start, [&](std::string_view k, std::string_view v) {
    out.emplace_back(std::string(k), std::string(v));
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

std::vector<std::string> Keys(const KeyValues& kvs) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : kvs) keys.push_back(k);
  return keys;
}

absl::Status GetValue(const KvReader& reader, std::string_view space, std::string_view key,
                      std::string* value) {
  value->clear();
  return reader.Get(space, key, value);
}

class KvStoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    harness_ = GetParam().make();
    ASSERT_NE(harness_.store, nullptr);
    store_ = harness_.store.get();
  }

  // The value of `key`, or "<code>" when Get fails.
  std::string Value(const KvReader& reader, std::string_view space, std::string_view key) {
    std::string value;
    absl::Status s = GetValue(reader, space, key, &value);
    if (!s.ok()) return absl::StrCat("<", absl::StatusCodeToString(s.code()), ">");
    return value;
  }
  std::string Value(std::string_view space, std::string_view key) {
    return Value(*store_, space, key);
  }

  Harness harness_;
  KvStore* store_ = nullptr;
};

TEST_P(KvStoreConformanceTest, GetMissingIsNotFound) {
  std::string value = "untouched";
  absl::Status s = store_->Get("a", "missing", &value);
  EXPECT_EQ(s, absl::NotFoundError("key not found"));
}

TEST_P(KvStoreConformanceTest, PutThenGet) {
  ASSERT_TRUE(store_->Put("a", "k", "v1").ok());
  std::string value;
  ASSERT_TRUE(store_->Get("a", "k", &value).ok());
  EXPECT_EQ(value, "v1");
  // Spaces are separate maps.
  EXPECT_EQ(Value("b", "k"), "<NOT_FOUND>");
}

TEST_P(KvStoreConformanceTest, OverwriteReplacesValue) {
  ASSERT_TRUE(store_->Put("a", "k", "first").ok());
  ASSERT_TRUE(store_->Put("a", "k", "second").ok());
  EXPECT_EQ(Value("a", "k"), "second");
  EXPECT_THAT(ScanAll(*store_, "a", ""), ElementsAre(Pair("k", "second")));
}

TEST_P(KvStoreConformanceTest, DeleteRemovesKey) {
  ASSERT_TRUE(store_->Put("a", "k", "v").ok());
  ASSERT_TRUE(store_->Put("a", "k2", "v2").ok());
  ASSERT_TRUE(store_->Delete("a", "k").ok());
  EXPECT_EQ(Value("a", "k"), "<NOT_FOUND>");
  EXPECT_EQ(Value("a", "k2"), "v2");
}

TEST_P(KvStoreConformanceTest, CompactKeepsWhatIsLive) {
  ASSERT_TRUE(store_->Put("a", "k", "v").ok());
  ASSERT_TRUE(store_->Put("a", "k2", "v2").ok());
  ASSERT_TRUE(store_->Put("b", "k", "w").ok());
  ASSERT_TRUE(store_->Delete("a", "k").ok());
  ASSERT_EQ(store_->Compact(), absl::OkStatus());
  EXPECT_THAT(ScanAll(*store_, "a", ""), ElementsAre(Pair("k2", "v2")));
  EXPECT_THAT(ScanAll(*store_, "b", ""), ElementsAre(Pair("k", "w")));
}

TEST_P(KvStoreConformanceTest, DeleteMissingIsOk) {
  EXPECT_EQ(store_->Delete("a", "never-written"), absl::OkStatus());
  EXPECT_EQ(Value("a", "never-written"), "<NOT_FOUND>");
}

TEST_P(KvStoreConformanceTest, BatchAcrossSpacesAppliesEveryOp) {
  ASSERT_TRUE(store_->Put("a", "old", "x").ok());
  WriteBatch batch;
  batch.Put("a", "k1", "v1");
  batch.Put("b", "k2", "v2");
  batch.Delete("a", "old");
  batch.Put("a", "k1", "v1-later");  // later ops in a batch win
  ASSERT_EQ(store_->Write(batch), absl::OkStatus());
  EXPECT_EQ(Value("a", "k1"), "v1-later");
  EXPECT_EQ(Value("b", "k2"), "v2");
  EXPECT_EQ(Value("a", "old"), "<NOT_FOUND>");
}

TEST_P(KvStoreConformanceTest, EmptyBatchIsOk) {
  EXPECT_EQ(store_->Write(WriteBatch()), absl::OkStatus());
}

TEST_P(KvStoreConformanceTest, UnknownSpaceIsInvalidArgument) {
  const absl::Status expected = absl::InvalidArgumentError("unknown key space 'zz'");
  std::string value;
  EXPECT_EQ(store_->Get("zz", "k", &value), expected);
  EXPECT_EQ(store_->Put("zz", "k", "v"), expected);
  EXPECT_EQ(store_->Delete("zz", "k"), expected);
  bool visited = false;
  EXPECT_EQ(store_->Scan("zz", "", "", [&](auto, auto) { return visited = true; }), expected);
  EXPECT_FALSE(visited);
  auto snapshot = store_->Snapshot();
  EXPECT_EQ(snapshot->Get("zz", "k", &value), expected);
  EXPECT_EQ(snapshot->Scan("zz", "", "", [&](auto, auto) { return visited = true; }), expected);
  EXPECT_FALSE(visited);
}

TEST_P(KvStoreConformanceTest, BatchWithUnknownSpaceAppliesNothing) {
  ASSERT_TRUE(store_->Put("a", "x", "old").ok());
  ASSERT_TRUE(store_->Put("b", "z", "keep").ok());
  WriteBatch batch;
  batch.Put("a", "x", "new");
  batch.Put("a", "y", "new");
  batch.Delete("b", "z");
  batch.Put("nope", "k", "v");
  EXPECT_EQ(store_->Write(batch), absl::InvalidArgumentError("unknown key space 'nope'"));
  EXPECT_EQ(Value("a", "x"), "old");
  EXPECT_EQ(Value("a", "y"), "<NOT_FOUND>");
  EXPECT_EQ(Value("b", "z"), "keep");
}

class ScanTest : public KvStoreConformanceTest {
 protected:
  void SetUp() override {
    KvStoreConformanceTest::SetUp();
    WriteBatch batch;
    // Written out of order; "ab\xff..." sit past "abz" in byte order.
    const std::vector<std::string> keys = {
        "b", "ac", "ab\xff\xff", "ab\xff", "abz", "ab1", std::string("ab\0", 3), "ab", "a"};
    for (const std::string& key : keys) {
      batch.Put("a", key, "v:" + key);
    }
    batch.Put("b", "ab-other-space", "v");
    ASSERT_TRUE(store_->Write(batch).ok());
  }
};

TEST_P(ScanTest, PrefixScanIsOrderedAndBounded) {
  EXPECT_THAT(Keys(ScanAll(*store_, "a", "ab")),
              ElementsAre("ab", std::string("ab\0", 3), "ab1", "abz", "ab\xff", "ab\xff\xff"));
  KeyValues kvs = ScanAll(*store_, "a", "abz");
  EXPECT_THAT(kvs, ElementsAre(Pair("abz", "v:abz")));
}

TEST_P(ScanTest, PrefixEndingInFfStopsBeforeNextKey) {
  // The upper bound of "ab\xff" is "ac": must not include it.
  EXPECT_THAT(Keys(ScanAll(*store_, "a", "ab\xff")), ElementsAre("ab\xff", "ab\xff\xff"));
}

TEST_P(ScanTest, EmptyPrefixScansWholeSpace) {
  EXPECT_THAT(Keys(ScanAll(*store_, "a", "")),
              ElementsAre("a", "ab", std::string("ab\0", 3), "ab1", "abz", "ab\xff", "ab\xff\xff",
                          "ac", "b"));
}

TEST_P(ScanTest, ScanFromStartKey) {
  EXPECT_THAT(Keys(ScanAll(*store_, "a", "ab", "ab1")),
              ElementsAre("ab1", "abz", "ab\xff", "ab\xff\xff"));
  // A start between keys begins at the next key.
  EXPECT_THAT(Keys(ScanAll(*store_, "a", "ab", "ab2")), ElementsAre("abz", "ab\xff", "ab\xff\xff"));
  // A start before the prefix means the start of the prefix.
  EXPECT_THAT(Keys(ScanAll(*store_, "a", "ab", "a")).front(), "ab");
  // A start past the prefix yields nothing (not "ac" or "b").
  EXPECT_THAT(ScanAll(*store_, "a", "ab", "ac"), ElementsAre());
}

TEST_P(ScanTest, VisitorStopsEarly) {
  std::vector<std::string> seen;
  absl::Status s = store_->Scan("a", "ab", "", [&](std::string_view k, std::string_view) {
    seen.emplace_back(k);
    return seen.size() < 2;
  });
  EXPECT_EQ(s, absl::OkStatus());
  EXPECT_THAT(seen, ElementsAre("ab", std::string("ab\0", 3)));
}

TEST_P(ScanTest, MissingPrefixYieldsNothing) {
  EXPECT_THAT(ScanAll(*store_, "a", "zz"), ElementsAre());
  EXPECT_THAT(ScanAll(*store_, "a", "\xff"), ElementsAre());
}

TEST_P(KvStoreConformanceTest, AllFfPrefixHasNoUpperBound) {
  WriteBatch batch;
  batch.Put("a", "\xfe", "");
  batch.Put("a", "\xff", "");
  batch.Put("a", "\xff\xff", "");
  batch.Put("a", "\xff\xff\x01", "");
  ASSERT_TRUE(store_->Write(batch).ok());
  EXPECT_THAT(Keys(ScanAll(*store_, "a", "\xff\xff")), ElementsAre("\xff\xff", "\xff\xff\x01"));
  EXPECT_THAT(Keys(ScanAll(*store_, "a", "\xff")),
              ElementsAre("\xff", "\xff\xff", "\xff\xff\x01"));
}

TEST_P(KvStoreConformanceTest, SnapshotIgnoresLaterWrites) {
  ASSERT_TRUE(store_->Put("a", "k1", "v1").ok());
  ASSERT_TRUE(store_->Put("a", "k2", "v2").ok());
  auto snapshot = store_->Snapshot();
  ASSERT_NE(snapshot, nullptr);

  WriteBatch batch;
  batch.Put("a", "k1", "v1-new");
  batch.Delete("a", "k2");
  batch.Put("a", "k3", "v3");
  batch.Put("b", "k4", "v4");
  ASSERT_TRUE(store_->Write(batch).ok());

  EXPECT_EQ(Value(*snapshot, "a", "k1"), "v1");
  EXPECT_EQ(Value(*snapshot, "a", "k2"), "v2");
  EXPECT_EQ(Value(*snapshot, "a", "k3"), "<NOT_FOUND>");
  EXPECT_EQ(Value(*snapshot, "b", "k4"), "<NOT_FOUND>");
  EXPECT_THAT(ScanAll(*snapshot, "a", "k"), ElementsAre(Pair("k1", "v1"), Pair("k2", "v2")));

  EXPECT_THAT(ScanAll(*store_, "a", "k"), ElementsAre(Pair("k1", "v1-new"), Pair("k3", "v3")));
  EXPECT_EQ(Value("b", "k4"), "v4");
}

TEST_P(KvStoreConformanceTest, BinaryKeysAndValues) {
  const std::string key1("\0\xff\0", 3);
  const std::string key2("\0\xff", 2);
  const std::string value1("v\0\xff\x01", 4);
  ASSERT_TRUE(store_->Put("a", key1, value1).ok());
  ASSERT_TRUE(store_->Put("a", key2, "short").ok());
  EXPECT_EQ(Value("a", key1), value1);
  EXPECT_EQ(Value("a", key2), "short");
  EXPECT_EQ(Value("a", std::string("\0", 1)), "<NOT_FOUND>");
  EXPECT_THAT(ScanAll(*store_, "a", std::string("\0", 1)),
              ElementsAre(Pair(key2, "short"), Pair(key1, value1)));
}

TEST_P(KvStoreConformanceTest, EmptyValueIsNotMissing) {
  ASSERT_TRUE(store_->Put("a", "k", "").ok());
  std::string value = "stale";
  EXPECT_EQ(store_->Get("a", "k", &value), absl::OkStatus());
  EXPECT_EQ(value, "");
  EXPECT_THAT(ScanAll(*store_, "a", ""), ElementsAre(Pair("k", "")));
}

TEST_P(KvStoreConformanceTest, EmptyKey) {
  ASSERT_TRUE(store_->Put("a", "", "root").ok());
  ASSERT_TRUE(store_->Put("a", "x", "x").ok());
  EXPECT_EQ(Value("a", ""), "root");
  EXPECT_THAT(Keys(ScanAll(*store_, "a", "")), ElementsAre("", "x"));
}

const Backend kBackends[] = {
    {"Memory", MakeMemory},
    {"RocksDb", MakeRocksDb},
    {"FaultOverMemory", MakeFaultOverMemory},
};

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) { return info.param.name; }

INSTANTIATE_TEST_SUITE_P(Backends, KvStoreConformanceTest, ::testing::ValuesIn(kBackends),
                         BackendName);
INSTANTIATE_TEST_SUITE_P(Backends, ScanTest, ::testing::ValuesIn(kBackends), BackendName);

// ---- RocksDB backend --------------------------------------------------------

RocksDbOptions SmallOptions(const std::string& path, std::vector<std::string> spaces) {
  RocksDbOptions options;
  options.path = path;
  options.spaces = std::move(spaces);
  options.block_cache_bytes = 1 << 20;
  options.write_buffer_bytes = 1 << 20;
  return options;
}

std::unique_ptr<KvStore> MustOpen(const RocksDbOptions& options) {
  auto store = OpenRocksDbStore(options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

TEST(RocksDbStoreTest, DataSurvivesReopen) {
  TempDir dir;
  const std::string path = dir.path() + "/nested/db";  // parents are created
  {
    auto store = MustOpen(SmallOptions(path, {"a", "b"}));
    ASSERT_NE(store, nullptr);
    WriteBatch batch;
    batch.Put("a", "k1", "v1");
    batch.Put("b", "k2", "v2");
    ASSERT_TRUE(store->Write(batch).ok());
    ASSERT_TRUE(store->Put("a", "gone", "x").ok());
    ASSERT_TRUE(store->Delete("a", "gone").ok());
  }
  auto store = MustOpen(SmallOptions(path, {"a", "b"}));
  ASSERT_NE(store, nullptr);
  std::string value;
  ASSERT_EQ(store->Get("a", "k1", &value), absl::OkStatus());
  EXPECT_EQ(value, "v1");
  ASSERT_EQ(store->Get("b", "k2", &value), absl::OkStatus());
  EXPECT_EQ(value, "v2");
  EXPECT_EQ(store->Get("a", "gone", &value), absl::NotFoundError("key not found"));
}

TEST(RocksDbStoreTest, NewSpaceIsCreatedOnReopenAndOldOnesAreKept) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    auto store = MustOpen(SmallOptions(path, {"a"}));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Put("a", "k", "in-a").ok());
  }
  {
    auto store = MustOpen(SmallOptions(path, {"a", "b"}));
    ASSERT_NE(store, nullptr);
    std::string value;
    ASSERT_EQ(store->Get("a", "k", &value), absl::OkStatus());
    EXPECT_EQ(value, "in-a");
    ASSERT_TRUE(store->Put("b", "k", "in-b").ok());
  }
  // A space on disk but not declared must not be usable; the declared ones
  // still open (RocksDB insists every existing column family be opened).
  auto store = MustOpen(SmallOptions(path, {"b"}));
  ASSERT_NE(store, nullptr);
  std::string value;
  EXPECT_EQ(store->Get("a", "k", &value), absl::InvalidArgumentError("unknown key space 'a'"));
  ASSERT_EQ(store->Get("b", "k", &value), absl::OkStatus());
  EXPECT_EQ(value, "in-b");
}

// Bytes of the database's table files.
uint64_t TableBytes(const std::string& path) {
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.path().extension() == ".sst") total += entry.file_size();
  }
  return total;
}

// An uncompressed space keeps its values as written (a megabyte of one
// repeated byte stays a megabyte on disk), the others are compressed, and
// both read back, before and after a reopen.
TEST(RocksDbStoreTest, UncompressedSpaceStoresValuesAsWritten) {
  TempDir dir;
  const std::string value(1 << 20, 'q');
  uint64_t bytes[2] = {0, 0};
  for (int raw = 0; raw < 2; ++raw) {
    const std::string path = dir.path() + (raw ? "/raw" : "/packed");
    RocksDbOptions options = SmallOptions(path, {"a", "wal"});
    if (raw) {
      options.uncompressed_spaces = {"wal"};
      options.uncompressed_write_buffer_bytes = 2 << 20;
    }
    {
      auto store = MustOpen(options);
      ASSERT_NE(store, nullptr);
      ASSERT_TRUE(store->Put("wal", "k", value).ok());
      ASSERT_EQ(store->Compact(), absl::OkStatus());
      bytes[raw] = TableBytes(path);
    }
    auto store = MustOpen(options);
    ASSERT_NE(store, nullptr);
    std::string got;
    ASSERT_EQ(store->Get("wal", "k", &got), absl::OkStatus());
    EXPECT_EQ(got, value);
  }
  EXPECT_LT(bytes[0], value.size() / 10);
  EXPECT_GT(bytes[1], value.size());
}

TEST(RocksDbStoreTest, ConcurrentWritersAllLand) {
  TempDir dir;
  auto store = MustOpen(SmallOptions(dir.path() + "/db", {"a"}));
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 16;
  constexpr int kPerThread = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = absl::StrCat("t", t, "/", i);
        if (!store->Put("a", key, key).ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  int count = 0;
  bool values_match = true;
  ASSERT_TRUE(store->Scan("a", "t", "", [&](std::string_view k, std::string_view v) {
                     ++count;
                     values_match = values_match && k == v;
                     return true;
                   }).ok());
  EXPECT_EQ(count, kThreads * kPerThread);
  EXPECT_TRUE(values_match);
}

TEST(RocksDbStoreTest, SecondOpenOfSameDirectoryIsUnavailable) {
  TempDir dir;
  auto first = MustOpen(SmallOptions(dir.path() + "/db", {"a"}));
  ASSERT_NE(first, nullptr);
  auto second = OpenRocksDbStore(SmallOptions(dir.path() + "/db", {"a"}));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(second.status().message()), ::testing::HasSubstr("lock"));
}

TEST(RocksDbStoreTest, EmptyPathIsInvalidArgument) {
  auto store = OpenRocksDbStore(SmallOptions("", {"a"}));
  EXPECT_EQ(store.status(), absl::InvalidArgumentError("rocksdb path is empty"));
}

TEST(RocksDbStoreTest, MemoryUsageCountsMemtables) {
  TempDir dir;
  auto store = MustOpen(SmallOptions(dir.path() + "/db", {"a"}));
  ASSERT_NE(store, nullptr);
  const uint64_t before = store->ApproximateMemoryUsage();
  const std::string value(1000, 'x');
  WriteBatch batch;
  for (int i = 0; i < 200; ++i) batch.Put("a", absl::StrCat("k", i), value);
  ASSERT_TRUE(store->Write(batch).ok());
  const uint64_t after = store->ApproximateMemoryUsage();
  EXPECT_GE(after, before + 200 * 1000);
  // Bounded by the cache plus the memtable cap (2 x 1 MiB) and some slack.
  EXPECT_LT(after, uint64_t{4} << 20);
}

TEST(RocksDbStatusTest, MapsCodesAndKeepsMessage) {
  EXPECT_EQ(internal::FromRocksDbStatus(rocksdb::Status::OK()), absl::OkStatus());
  EXPECT_EQ(internal::FromRocksDbStatus(rocksdb::Status::NotFound("k")),
            absl::NotFoundError("NotFound: k"));
  EXPECT_EQ(internal::FromRocksDbStatus(rocksdb::Status::Corruption("bad block")),
            absl::DataLossError("Corruption: bad block"));
  EXPECT_EQ(internal::FromRocksDbStatus(rocksdb::Status::IOError("disk")),
            absl::UnavailableError("IO error: disk"));
  EXPECT_EQ(internal::FromRocksDbStatus(rocksdb::Status::InvalidArgument("x")),
            absl::InternalError("Invalid argument: x"));
}

// ---- Fault-injecting wrapper -----------------------------------------------

class FaultStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<KvStore> base_ = NewMemoryStore({.spaces = kSpaces});
  FaultInjectingStore store_{base_.get()};
};

TEST_F(FaultStoreTest, FailNthWriteAppliesNothingAndLaterWritesSucceed) {
  const absl::Status fault = absl::UnavailableError("injected: disk full");
  store_.FailNthWrite(2, fault);

  ASSERT_EQ(store_.Put("a", "first", "1"), absl::OkStatus());

  WriteBatch batch;
  batch.Put("a", "first", "overwritten");
  batch.Put("a", "second", "2");
  batch.Put("b", "other", "3");
  batch.Delete("a", "first");
  EXPECT_EQ(store_.Write(batch), fault);
  std::string value;
  ASSERT_EQ(store_.Get("a", "first", &value), absl::OkStatus());
  EXPECT_EQ(value, "1");
  EXPECT_EQ(store_.Get("a", "second", &value), absl::NotFoundError("key not found"));
  EXPECT_EQ(store_.Get("b", "other", &value), absl::NotFoundError("key not found"));

  EXPECT_EQ(store_.Write(batch), absl::OkStatus());
  EXPECT_EQ(store_.Get("a", "first", &value), absl::NotFoundError("key not found"));
  ASSERT_EQ(store_.Get("b", "other", &value), absl::OkStatus());
  EXPECT_EQ(value, "3");
  EXPECT_EQ(store_.writes_attempted(), 3);
}

TEST_F(FaultStoreTest, ClearCancelsPendingWriteFault) {
  store_.FailNthWrite(1, absl::InternalError("boom"));
  store_.Clear();
  EXPECT_EQ(store_.Put("a", "k", "v"), absl::OkStatus());
}

TEST_F(FaultStoreTest, FailReadsCoversGetScanAndSnapshots) {
  ASSERT_TRUE(store_.Put("a", "k", "v").ok());
  auto earlier_snapshot = store_.Snapshot();
  const absl::Status fault = absl::DataLossError("injected: bad sector");
  store_.FailReads(fault);

  std::string value;
  EXPECT_EQ(store_.Get("a", "k", &value), fault);
  bool visited = false;
  EXPECT_EQ(store_.Scan("a", "", "", [&](auto, auto) { return visited = true; }), fault);
  EXPECT_EQ(earlier_snapshot->Get("a", "k", &value), fault);
  auto snapshot = store_.Snapshot();
  EXPECT_EQ(snapshot->Scan("a", "", "", [&](auto, auto) { return visited = true; }), fault);
  EXPECT_FALSE(visited);
  // Writes are unaffected by read faults.
  EXPECT_EQ(store_.Put("a", "k2", "v2"), absl::OkStatus());

  store_.Clear();
  ASSERT_EQ(store_.Get("a", "k2", &value), absl::OkStatus());
  EXPECT_EQ(value, "v2");
  ASSERT_EQ(earlier_snapshot->Get("a", "k", &value), absl::OkStatus());
  EXPECT_EQ(value, "v");
}

}  // namespace
}  // namespace qilian::store
