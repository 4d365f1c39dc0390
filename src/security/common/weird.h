// Weirds: named, counted anomalies in traffic (Zeek's term). Every stage of
// the sensor reports malformed or surprising input here instead of failing,
// so a capture full of garbage still yields a summary that says what was
// wrong and how often. The names are listed in docs/security/sensor.md.
#ifndef QILIAN_SECURITY_COMMON_WEIRD_H_
#define QILIAN_SECURITY_COMMON_WEIRD_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace qilian::security {

class WeirdCounter {
 public:
  // Counts one occurrence of `name` (a snake_case identifier).
  void Add(std::string_view name, uint64_t n = 1);
  // Occurrences of `name` so far; 0 if never seen.
  uint64_t Count(std::string_view name) const;
  uint64_t Total() const { return total_; }
  // Sorted by name, so summaries and tests are stable.
  const std::map<std::string, uint64_t, std::less<>>& counts() const { return counts_; }

 private:
  std::map<std::string, uint64_t, std::less<>> counts_;
  uint64_t total_ = 0;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_COMMON_WEIRD_H_
