// The analyzer registry: each protocol folder under analyzers/ registers an
// AnalyzerInfo (name, transport, well-known ports, a signature check on the
// first bytes, a factory). The list of folders is the only place that names
// them all (QILIAN_SECURITY_ANALYZERS in analyzers/CMakeLists.txt), from
// which RegisterBuiltinAnalyzers is generated.
#ifndef QILIAN_SECURITY_ANALYZERS_REGISTRY_H_
#define QILIAN_SECURITY_ANALYZERS_REGISTRY_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "security/analyzers/analyzer.h"

namespace qilian::security {

enum class Transport { kTcp, kUdp };

struct AnalyzerInfo {
  std::string_view name;  // lower-case protocol name, as in events ("modbus")
  Transport transport = Transport::kTcp;
  std::vector<uint16_t> ports;  // the responder's well-known ports
  // Whether the first bytes of a direction look like the protocol. Checked
  // before the analyzer is attached, so a port reused by something else is
  // not misparsed. nullptr: the port alone decides.
  bool (*signature)(std::span<const uint8_t> first_bytes) = nullptr;
  std::unique_ptr<Analyzer> (*create)(AnalyzerHost* host) = nullptr;
};

class AnalyzerRegistry {
 public:
  void Register(AnalyzerInfo info);
  // The analyzers that claim `port` on `transport`, in registration order.
  std::vector<const AnalyzerInfo*> ForPort(Transport transport, uint16_t port) const;
  bool IsServerPort(Transport transport, uint16_t port) const;
  const std::vector<AnalyzerInfo>& all() const { return infos_; }

 private:
  std::vector<AnalyzerInfo> infos_;
};

// Registers every analyzer folder in the build (generated, builtin.cc.in).
void RegisterBuiltinAnalyzers(AnalyzerRegistry* registry);

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_ANALYZERS_REGISTRY_H_
