// The engine's test fixture, shared by its test files: an engine over an
// in-memory store behind fault injection, small blocks, and helpers.
#ifndef QILIAN_PLATFORM_TSDB_ENGINE_ENGINE_TEST_UTIL_H_
#define QILIAN_PLATFORM_TSDB_ENGINE_ENGINE_TEST_UTIL_H_

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "gtest/gtest.h"
#include "platform/tsdb/engine/engine.h"
#include "store/fault_store.h"
#include "store/memory_store.h"

namespace qilian::platform::tsdb::testing_util {

inline constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// How many keys are under a prefix, and the bytes of their values (what
// the data costs, keys aside).
// The WAL's records ("wal/") are in their own space.
inline std::pair<size_t, size_t> KeysAndBytes(const store::KvStore& store,
                                              std::string_view prefix) {
  std::pair<size_t, size_t> n;
  EXPECT_TRUE(store
                  .Scan(prefix.starts_with("wal/") ? kTsdbWalSpace : kTsdbSpace, prefix, "",
                        [&](auto, std::string_view v) {
                          ++n.first;
                          n.second += v.size();
                          return true;
                        })
                  .ok());
  return n;
}

inline PointInput P(std::string_view device, std::string_view property, int64_t t, PointValue v,
                    uint64_t enterprise = 7) {
  return PointInput{enterprise, device, property, t, std::move(v)};
}

// The stored rollups of r equal AddPoint over ReadRange of every bucket
// before the watermark, bit for bit; returns how many buckets.
inline size_t ExpectRollupsMatchRaw(const Engine& e, SeriesId id, Resolution r) {
  auto read = e.ReadRollups(id, r, std::numeric_limits<int64_t>::min(),
                            std::numeric_limits<int64_t>::max());
  EXPECT_TRUE(read.ok()) << read.status();
  if (!read.ok()) return 0;
  std::vector<RollupBucket> want;
  if (read->complete_until_ms != std::numeric_limits<int64_t>::min()) {
    auto raw = e.ReadRange(id, std::numeric_limits<int64_t>::min(), read->complete_until_ms);
    EXPECT_TRUE(raw.ok()) << raw.status();
    for (const Point& p : raw.value_or(std::vector<Point>())) {
      double v = std::visit(
          [](const auto& x) -> double {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) {
              return 0;
            } else {
              return static_cast<double>(x);
            }
          },
          p.value);
      int64_t start = BucketStart(p.time_ms, ResolutionMs(r));
      if (want.empty() || want.back().start_ms != start) {
        if (!want.empty() && want.back().count == 0) want.pop_back();
        want.push_back(RollupBucket{.start_ms = start});
      }
      AddPoint(&want.back(), p.time_ms, v);
    }
    if (!want.empty() && want.back().count == 0) want.pop_back();
  }
  EXPECT_EQ(read->buckets.size(), want.size());
  for (size_t i = 0; i < std::min(want.size(), read->buckets.size()); ++i) {
    EXPECT_EQ(read->buckets[i], want[i]) << "bucket " << want[i].start_ms;
  }
  return want.size();
}

class EngineTest : public ::testing::Test {
 protected:
  EngineTest()
      : base_(store::NewMemoryStore(
            {.spaces = {std::string(kTsdbSpace), std::string(kTsdbWalSpace)}})),
        faulty_(base_.get()) {
    options_.max_points_per_block = 100;
    options_.max_head_span_ms = 1000 * 1000;
  }

  std::unique_ptr<Engine> OpenEngine() {
    auto engine = Engine::Open(&faulty_, options_);
    EXPECT_TRUE(engine.ok()) << engine.status();
    return std::move(engine).value();
  }

  // Every key and value of the engine's spaces, for "nothing changed".
  std::vector<std::pair<std::string, std::string>> Dump() {
    std::vector<std::pair<std::string, std::string>> out;
    for (std::string_view space : {kTsdbSpace, kTsdbWalSpace}) {
      EXPECT_TRUE(base_
                      ->Scan(space, "", "",
                             [&](std::string_view k, std::string_view v) {
                               out.emplace_back(std::string(space) + ":" + std::string(k), v);
                               return true;
                             })
                      .ok());
    }
    return out;
  }
  size_t CountPrefix(std::string_view prefix) { return KeysAndBytes(*base_, prefix).first; }

  static std::vector<Point> All(const Engine& e, SeriesId id) {
    auto r =
        e.ReadRange(id, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<Point>();
  }

  SeriesId Id(const Engine& e, std::string_view device, std::string_view property,
              uint64_t enterprise = 7) {
    auto id = e.Find(enterprise, device, property);
    EXPECT_TRUE(id.ok()) << id.status();
    return id.value_or(0);
  }

  EngineOptions options_;
  std::unique_ptr<store::KvStore> base_;
  store::FaultInjectingStore faulty_;
};

}  // namespace qilian::platform::tsdb::testing_util

#endif  // QILIAN_PLATFORM_TSDB_ENGINE_ENGINE_TEST_UTIL_H_
