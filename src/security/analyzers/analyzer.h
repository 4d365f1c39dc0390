// The seam between the sensor's packet path and protocol analyzers, as in
// Zeek: an Analyzer is created per flow and fed each direction's bytes, in
// order for TCP (with gaps reported) or datagram by datagram for UDP. It
// reports what it parses through its AnalyzerHost: typed events, written as
// JSON lines, and weirds for malformed traffic. An analyzer never sees
// packets, sequence numbers or flow tables.
//
// Link-layer analyzers (PROFINET, GOOSE, ...) are fed the same way, frame by
// frame through DeliverPacket, for one link-layer conversation (source MAC,
// destination MAC, EtherType): there flow() has proto 0 and no addresses,
// and its orig counters are the conversation's frames and bytes.
#ifndef QILIAN_SECURITY_ANALYZERS_ANALYZER_H_
#define QILIAN_SECURITY_ANALYZERS_ANALYZER_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "nlohmann/json.hpp"
#include "security/common/address.h"
#include "security/flow/flow.h"

namespace qilian::security {

// What the sensor offers an analyzer of one flow.
class AnalyzerHost {
 public:
  virtual ~AnalyzerHost() = default;
  // Time of the packet whose bytes are being delivered.
  virtual TimeNs now() const = 0;
  virtual const Flow& flow() const = 0;
  // Writes one event. The host puts time, flow id, endpoints and protocol
  // first; `fields` follow in their order.
  virtual void Emit(nlohmann::ordered_json fields) = 0;
  // The same without a tree: `members` are the event's fields as JSON
  // object members without the braces, as JsonWriter writes them
  // ("pdu":"request","tid":1). Hosts that keep trees (tests) get them
  // parsed; the sensor writes them as they are.
  virtual void EmitJson(std::string_view members) {
    Emit(nlohmann::ordered_json::parse("{" + std::string(members) + "}"));
  }
  // Counts a weird (security/common/weird.h), e.g. "modbus_bad_header".
  virtual void Weird(std::string_view name) = 0;
};

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  // TCP: the next in-order bytes of one direction.
  virtual void DeliverStream(Direction dir, std::span<const uint8_t> data) {}
  // TCP: `length` bytes of one direction were never seen; what follows is
  // not contiguous with what came before.
  virtual void Gap(Direction dir, uint64_t length) {}
  // TCP: one direction ended (FIN, RST, or the flow went away).
  virtual void EndOfData(Direction dir) {}
  // UDP: one datagram's payload. Link layer: one frame's payload (after
  // the EtherType and any VLAN tags), always Direction::kOrig.
  virtual void DeliverPacket(Direction dir, std::span<const uint8_t> data) {}
  // The flow or conversation ended (idle timeout, closed, evicted, end of
  // input), after EndOfData for both TCP directions; host->now() is the time
  // of its last packet. Where an analyzer writes a per-flow record (Zeek's
  // conn.log line), this is the place.
  virtual void EndOfFlow() {}
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_ANALYZERS_ANALYZER_H_
