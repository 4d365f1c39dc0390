// A fixed set of threads that run the iterations of a loop side by side
// (ParallelFor), for CPU-bound work a caller must finish before it goes on:
// the time-series engine encodes the blocks and rollups of the many series
// one write seals at once. The calling thread works too, so a pool of N
// threads runs N + 1 iterations at a time, and a pool of 0 threads is a
// plain loop.
#ifndef QILIAN_CORE_WORK_POOL_H_
#define QILIAN_CORE_WORK_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace qilian {

class WorkPool {
 public:
  // `threads` helpers besides the caller; DefaultThreads() is one fewer
  // than the cores.
  explicit WorkPool(size_t threads);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  static size_t DefaultThreads();

  // Calls job(0) .. job(n - 1), each once, on the pool's threads and the
  // caller's, and returns when all have returned. Calls from several
  // threads at once are run one after the other (the pool serves one loop
  // at a time). `job` must not throw.
  void ParallelFor(size_t n, const std::function<void(size_t)>& job);

  size_t threads() const { return threads_.size(); }

 private:
  void Work();
  // Runs iterations of the current loop until none is left.
  void Drain(std::unique_lock<std::mutex>& lock);

  std::mutex loop_mu_;  // one loop at a time
  std::mutex mu_;
  std::condition_variable wake_, done_;
  const std::function<void(size_t)>* job_ = nullptr;
  size_t next_ = 0, end_ = 0, running_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace qilian

#endif  // QILIAN_CORE_WORK_POOL_H_
