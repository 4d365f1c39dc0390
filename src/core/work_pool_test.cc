#include "core/work_pool.h"

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace qilian {
namespace {

TEST(WorkPoolTest, RunsEveryIterationOnce) {
  WorkPool pool(3);
  for (size_t n : {0u, 1u, 2u, 7u, 1000u}) {
    std::vector<std::atomic<int>> calls(n);
    pool.ParallelFor(n, [&](size_t i) { ++calls[i]; });
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(calls[i].load(), 1) << "n " << n << " i " << i;
  }
}

TEST(WorkPoolTest, UsesThePoolsThreads) {
  WorkPool pool(2);
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::atomic<int> waiting{0};
  // Three iterations that each wait until all three have started: only
  // possible when the caller and both helpers run one each.
  pool.ParallelFor(3, [&](size_t) {
    {
      std::lock_guard lock(mu);
      ids.insert(std::this_thread::get_id());
    }
    ++waiting;
    while (waiting.load() < 3) std::this_thread::yield();
  });
  EXPECT_EQ(ids.size(), 3u);
}

TEST(WorkPoolTest, NoThreadsIsAPlainLoopOnTheCaller) {
  WorkPool pool(0);
  std::vector<size_t> order;
  const std::thread::id caller = std::this_thread::get_id();
  pool.ParallelFor(4, [&](size_t i) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(i);
  });
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3}));
}

TEST(WorkPoolTest, ConcurrentCallersEachGetTheirLoop) {
  WorkPool pool(2);
  std::atomic<long> sum_a{0}, sum_b{0};
  std::thread other([&] {
    for (int r = 0; r < 50; ++r) pool.ParallelFor(100, [&](size_t i) { sum_b += i; });
  });
  for (int r = 0; r < 50; ++r) pool.ParallelFor(100, [&](size_t i) { sum_a += i; });
  other.join();
  EXPECT_EQ(sum_a.load(), 50 * 4950);
  EXPECT_EQ(sum_b.load(), 50 * 4950);
}

}  // namespace
}  // namespace qilian
