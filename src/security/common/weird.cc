#include "security/common/weird.h"

namespace qilian::security {

void WeirdCounter::Add(std::string_view name, uint64_t n) {
  auto it = counts_.find(name);
  if (it == counts_.end()) it = counts_.emplace(std::string(name), 0).first;
  it->second += n;
  total_ += n;
}

uint64_t WeirdCounter::Count(std::string_view name) const {
  auto it = counts_.find(name);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace qilian::security
