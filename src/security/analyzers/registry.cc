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

bool AnalyzerRegistry::IsServerPort(Transport transport, uint16_t port) const {
  return !ForPort(transport, port).empty();
}

}  // namespace qilian::security
