#include "security/analyzers/registry.h"

#include <algorithm>

namespace qilian::security {

void AnalyzerRegistry::Register(AnalyzerInfo info) { infos_.push_back(std::move(info)); }

std::vector<const AnalyzerInfo*> AnalyzerRegistry::ForPort(Transport transport,
                                                           uint16_t port) const {
  std::vector<const AnalyzerInfo*> out;
  for (const AnalyzerInfo& i : infos_) {
    if (i.transport == transport && std::count(i.ports.begin(), i.ports.end(), port) > 0) {
      out.push_back(&i);
    }
  }
  return out;
}

std::vector<const AnalyzerInfo*> AnalyzerRegistry::ForFlow(Transport transport, uint16_t resp_port,
                                                           uint16_t orig_port,
                                                           bool* by_port) const {
  *by_port = true;
  std::vector<const AnalyzerInfo*> out = ForPort(transport, resp_port);
  if (out.empty()) out = ForPort(transport, orig_port);
  if (!out.empty()) return out;
  *by_port = false;
  for (const AnalyzerInfo& i : infos_) {
    if (i.transport == transport && i.on_any_port && i.signature != nullptr) out.push_back(&i);
  }
  return out;
}

bool AnalyzerRegistry::IsServerPort(Transport transport, uint16_t port) const {
  return !ForPort(transport, port).empty();
}

}  // namespace qilian::security
