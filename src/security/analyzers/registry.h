// The analyzer registry: each protocol folder under analyzers/ registers an
// AnalyzerInfo (name, transport, well-known ports, a signature check on the
// first bytes, a factory). The list of folders is the only place that names
// them all (QILIAN_SECURITY_ANALYZERS in analyzers/CMakeLists.txt), from
// which RegisterBuiltinAnalyzers is generated.
#ifndef QILIAN_SECURITY_ANALYZERS_REGISTRY_H_
#define QILIAN_SECURITY_ANALYZERS_REGISTRY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "security/analyzers/analyzer.h"

namespace qilian::security {

// kLink: frames that are not IP, by EtherType (PROFINET, GOOSE, ...).
enum class Transport { kTcp, kUdp, kLink };

struct AnalyzerInfo {
  std::string_view name;  // lower-case protocol name, as in events ("modbus")
  Transport transport = Transport::kTcp;
  // TCP and UDP: the responder's well-known ports. kLink: the EtherTypes.
  std::vector<uint16_t> ports = {};
  // Whether the first bytes of a direction look like the protocol. Checked
  // before the analyzer is attached, so a port reused by something else is
  // not misparsed. nullptr: the port alone decides.
  bool (*signature)(std::span<const uint8_t> first_bytes) = nullptr;
  std::function<std::unique_ptr<Analyzer>(AnalyzerHost* host)> create = nullptr;
  // The signature is strong enough (a magic value, a length or check value
  // that must agree) to recognise the protocol on a port that is not its
  // own: a TCP or UDP flow on no registered port is offered to these
  // (Zeek's dynamic protocol detection).
  bool on_any_port = false;
};

class AnalyzerRegistry {
 public:
  void Register(AnalyzerInfo info);
  // The analyzers that claim `port` on `transport`, in registration order.
  std::vector<const AnalyzerInfo*> ForPort(Transport transport, uint16_t port) const;
  // The candidates for a TCP or UDP flow: those of the responder's port,
  // else of the originator's, else (with *by_port false) those whose
  // signature may recognise them on any port.
  std::vector<const AnalyzerInfo*> ForFlow(Transport transport, uint16_t resp_port,
                                           uint16_t orig_port, bool* by_port) const;
  // The candidates for a link-layer conversation.
  std::vector<const AnalyzerInfo*> ForEtherType(uint16_t ethertype) const {
    return ForPort(Transport::kLink, ethertype);
  }
  bool IsServerPort(Transport transport, uint16_t port) const;
  const std::vector<AnalyzerInfo>& all() const { return infos_; }

 private:
  std::vector<AnalyzerInfo> infos_;
};

// Registers every analyzer folder in the build (generated, builtin.cc.in).
void RegisterBuiltinAnalyzers(AnalyzerRegistry* registry);

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_ANALYZERS_REGISTRY_H_
