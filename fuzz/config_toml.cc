// Fuzz target: qilian.toml through ParseConfig (core/config.h). Any text
// must give a Config or an InvalidArgument naming the problem, never a
// crash or an exception out of toml++; parsing is a pure function, so the
// same text must give the same answer twice.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = qilian::ParseConfig(text, "fuzz.toml");
  auto second = qilian::ParseConfig(text, "fuzz.toml");
  if (first.ok() != second.ok() || first.status() != second.status()) std::abort();
  if (!first.ok() && (first.status().code() != absl::StatusCode::kInvalidArgument ||
                      first.status().message().empty()))
    std::abort();
  if (first.ok() && first->node.prefixes.empty() && !first->recursive.enabled) std::abort();
  return 0;
}
