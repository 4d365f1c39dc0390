// A flow: the packets between two endpoints over one transport protocol,
// both directions together, as Zeek's connection. The originator is the side
// that opened it (or, when the opening was not captured, the side that is
// not on a known server port); the responder is the other side.
#ifndef QILIAN_SECURITY_FLOW_FLOW_H_
#define QILIAN_SECURITY_FLOW_FLOW_H_

#include <cstdint>
#include <memory>

#include "security/common/address.h"

namespace qilian::security {

enum class Direction : uint8_t { kOrig = 0, kResp = 1 };
inline Direction Reverse(Direction d) {
  return d == Direction::kOrig ? Direction::kResp : Direction::kOrig;
}
inline int Index(Direction d) { return static_cast<int>(d); }

struct Endpoint {
  IpAddress addr;
  uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

// What the stages above the flow table keep per flow (stream reassembly,
// the analyzer); the table owns it and destroys it with the flow.
class FlowAttachment {
 public:
  virtual ~FlowAttachment() = default;
};

struct Flow {
  uint64_t id = 0;  // 1, 2, ... in order of creation
  uint8_t proto = 0;
  Endpoint orig;
  Endpoint resp;
  TimeNs first_seen = 0;
  TimeNs last_seen = 0;
  uint64_t packets[2] = {0, 0};   // by Direction
  uint64_t ip_bytes[2] = {0, 0};  // IP datagram bytes, by Direction
  bool closed = false;            // TCP saw RST or FIN both ways: a short timeout applies
  std::unique_ptr<FlowAttachment> attachment;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_FLOW_FLOW_H_
