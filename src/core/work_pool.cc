#include "core/work_pool.h"

#include <algorithm>

namespace qilian {

WorkPool::WorkPool(size_t threads) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

WorkPool::~WorkPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

size_t WorkPool::DefaultThreads() {
  unsigned cores = std::thread::hardware_concurrency();
  return cores > 1 ? cores - 1 : 0;
}

void WorkPool::Drain(std::unique_lock<std::mutex>& lock) {
  while (next_ < end_) {
    size_t i = next_++;
    ++running_;
    lock.unlock();
    (*job_)(i);
    lock.lock();
    if (--running_ == 0 && next_ >= end_) done_.notify_all();
  }
}

void WorkPool::Work() {
  std::unique_lock lock(mu_);
  // Not generation_: a loop may have begun before this thread got here,
  // and it must join it.
  uint64_t seen = 0;
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    Drain(lock);
  }
}

void WorkPool::ParallelFor(size_t n, const std::function<void(size_t)>& job) {
  if (n == 0) return;
  if (threads_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) job(i);
    return;
  }
  std::lock_guard loop(loop_mu_);
  std::unique_lock lock(mu_);
  job_ = &job;
  next_ = 0;
  end_ = n;
  ++generation_;
  wake_.notify_all();
  Drain(lock);
  done_.wait(lock, [&] { return running_ == 0 && next_ >= end_; });
  job_ = nullptr;
}

}  // namespace qilian
