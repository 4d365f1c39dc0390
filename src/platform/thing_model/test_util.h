// Helpers for the thing model tests.
#ifndef QILIAN_PLATFORM_THING_MODEL_TEST_UTIL_H_
#define QILIAN_PLATFORM_THING_MODEL_TEST_UTIL_H_

#include <fstream>
#include <sstream>
#include <string>

#include "absl/status/status.h"

namespace qilian::platform::testing {

inline std::string ReadTestData(const std::string& name) {
  std::ifstream in(std::string(QILIAN_THING_MODEL_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Allocations through operator new so far in this test binary
// (allocation_counter.cc replaces the global operator new).
size_t AllocationCount();

inline std::string Message(const absl::Status& status) { return std::string(status.message()); }

}  // namespace qilian::platform::testing

#endif  // QILIAN_PLATFORM_THING_MODEL_TEST_UTIL_H_
