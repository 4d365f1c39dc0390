// The sensor pipeline: raw frames in, events and counters out.
//
//   PacketSource -> PacketDecoder -> FlowTable -> TcpStream (per direction)
//                                             \-> UDP datagrams
//                -> Analyzer (chosen by the responder's port and a signature
//                   check on the first bytes) -> EventSink
//   frames that are not IP -> LinkConversationTable -> Analyzer (chosen by
//                   EtherType and signature) -> EventSink
//
// Time is the packets' time: idle flows are expired as the capture's clock
// moves, so a file replays as the live traffic behaved.
#ifndef QILIAN_SECURITY_SENSOR_SENSOR_H_
#define QILIAN_SECURITY_SENSOR_SENSOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "security/analyzers/registry.h"
#include "security/capture/packet_source.h"
#include "security/common/weird.h"
#include "security/decode/link_conversations.h"
#include "security/decode/packet_decoder.h"
#include "security/flow/flow_table.h"
#include "security/sensor/event_format.h"
#include "security/sensor/event_writer.h"
#include "security/tcp/tcp_stream.h"

namespace qilian::security {

struct SensorOptions {
  FlowLimits flows;
  ReassemblyLimits fragments;
  TcpLimits tcp;
  LinkLimits links;
};

// Deliveries of a flow's first data that may fail the analyzers' signature
// checks before the flow is left unanalyzed.
constexpr int kMaxSignatureTries = 4;

// Per protocol (analyzer or recogniser): flows (and link-layer
// conversations) it was attached to, its events, and those flows' packets
// and bytes (IP bytes; frame bytes for link-layer ones), counted as each
// flow ends.
struct ProtocolStats {
  uint64_t flows = 0;
  uint64_t events = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct SensorStats {
  uint64_t packets = 0;
  uint64_t bytes = 0;  // on the wire
  uint64_t non_ip = 0;
  uint64_t dropped = 0;  // malformed; see the weirds
  uint64_t fragments_held = 0;
  uint64_t tcp_packets = 0;
  uint64_t udp_packets = 0;
  uint64_t other_ip_packets = 0;
  uint64_t events = 0;
  uint64_t tcp_gaps = 0;
  uint64_t tcp_gap_bytes = 0;
  std::map<std::string, ProtocolStats, std::less<>> protocols;
};

class Sensor {
 public:
  // `registry` and `events` must outlive the sensor; `events` may be null.
  Sensor(const AnalyzerRegistry* registry, SensorOptions options, EventSink* events);
  ~Sensor();

  void Process(const RawPacket& raw);
  // Moves the sensor's clock to `now` without a packet: expires idle flows
  // and fragments as a packet at `now` would. A live capture calls it when
  // the link is quiet; `now` must be on the packets' clock (receive time).
  void Advance(TimeNs now);
  // Ends every flow, delivering what reassembly still holds. Call once at
  // the end of input.
  void Finish();

  const SensorStats& stats() const { return stats_; }
  const WeirdCounter& weirds() const { return weirds_; }
  const FlowTable& flows() const { return flows_; }
  const LinkConversationTable& links() const { return links_; }
  // The human-readable summary qilian-sensor prints.
  std::string Summary() const;

 private:
  class FlowState;
  class LinkState;

  void OnFlowEnd(Flow& flow);
  // A frame that is not IP: to its link-layer conversation.
  void Link(const RawPacket& raw);

  const AnalyzerRegistry* registry_;
  SensorOptions options_;
  EventSink* events_;
  WeirdCounter weirds_;
  PacketDecoder decoder_;
  TcpBudget tcp_budget_;
  FlowTable flows_;
  LinkConversationTable links_;
  SensorStats stats_;
  TimeNs last_expire_ = 0;
  EventFormatter event_format_;  // the line buffer every event is written through
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_SENSOR_SENSOR_H_
