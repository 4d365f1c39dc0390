// Replaces the global operator new of the test binary with one that counts,
// so that value_check_test.cc can show that passing checks allocate nothing.
// Kept in its own file so that no caller sees the definitions inline.
#include <atomic>
#include <cstdlib>
#include <new>

#include "platform/thing_model/test_util.h"

namespace {
std::atomic<size_t> g_allocations{0};
}  // namespace

void* operator new(size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace qilian::platform::testing {
size_t AllocationCount() { return g_allocations.load(std::memory_order_relaxed); }
}  // namespace qilian::platform::testing
