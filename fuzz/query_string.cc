// Fuzz target: REST request targets (api/query.h). Splitting must lose
// nothing; a decoded escape never grows the text; and a query that parses
// must parse to the same parameters after every byte is escaped again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/query.h"

namespace {
std::string Escape(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) out += {'%', kHex[c >> 4], kHex[c & 15]};
  return out;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::api;
  std::string_view target(reinterpret_cast<const char*>(data), size);
  auto [path, query] = SplitTarget(target);
  bool has_q = target.find('?') != std::string_view::npos;
  if ((has_q ? std::string(path) + "?" + std::string(query) : std::string(path)) != target)
    std::abort();
  for (bool plus : {false, true}) {
    auto decoded = PercentDecode(target, plus);
    if (decoded &&
        (decoded->size() > target.size() || PercentDecode(Escape(*decoded), plus) != decoded))
      std::abort();
  }
  auto params = ParseQuery(query);
  if (!params) return 0;
  std::string again;
  for (const auto& p : *params) {
    if (!again.empty()) again += '&';
    again += Escape(p.name) + '=' + Escape(p.value);
  }
  auto reparsed = ParseQuery(again);
  if (!reparsed || reparsed->size() != params->size()) std::abort();
  for (size_t i = 0; i < params->size(); ++i) {
    if ((*reparsed)[i].name != (*params)[i].name || (*reparsed)[i].value != (*params)[i].value)
      std::abort();
  }
  return 0;
}
