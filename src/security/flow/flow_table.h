// The flow table: finds or creates the flow of each decoded packet, counts
// it, and ends flows that go idle or that must make room.
//
// Bounds: an idle timeout per class (TCP, closed TCP, UDP, other), checked
// against packet time so reading a capture behaves as live traffic did; and
// `max_flows`: a new flow beyond it first evicts the flow idle longest,
// counted in `evicted`. Flows sit in one least-recently-used list per class,
// so both expiry and eviction look only at list heads.
#ifndef QILIAN_SECURITY_FLOW_FLOW_TABLE_H_
#define QILIAN_SECURITY_FLOW_FLOW_TABLE_H_

#include <functional>
#include <list>

#include "absl/container/flat_hash_map.h"
#include "security/decode/packet_decoder.h"
#include "security/flow/flow.h"

namespace qilian::security {

struct FlowLimits {
  size_t max_flows = 1'000'000;
  TimeNs tcp_idle = 300 * kNsPerSecond;  // Zeek's tcp_inactivity_timeout
  TimeNs tcp_closed_idle = 5 * kNsPerSecond;
  TimeNs udp_idle = 60 * kNsPerSecond;
  TimeNs other_idle = 60 * kNsPerSecond;
};

enum class FlowEndReason { kIdle, kEvicted, kFlushed };

struct FlowTableStats {
  uint64_t created = 0;
  uint64_t created_tcp = 0;
  uint64_t created_udp = 0;
  uint64_t expired = 0;
  uint64_t evicted = 0;
};

class FlowTable {
 public:
  // Called for every flow that ends, before it is destroyed.
  using EndCallback = std::function<void(Flow&, FlowEndReason)>;
  // Whether a port is a known server port for a transport protocol: the
  // side on it is taken as responder when the flow's opening was missed.
  using ServerPortFn = std::function<bool(uint8_t proto, uint16_t port)>;

  FlowTable(FlowLimits limits, EndCallback on_end, ServerPortFn is_server_port = nullptr);
  ~FlowTable();

  // Finds or creates the packet's flow, counts the packet in it, and sets
  // *dir to the packet's direction. *created says whether it is new.
  Flow* Lookup(const DecodedPacket& p, Direction* dir, bool* created);
  // A TCP flow saw RST or FIN both ways: it now ends after tcp_closed_idle.
  void MarkClosed(Flow* flow);
  // Ends flows idle past their class's timeout at time `now`.
  void Expire(TimeNs now);
  // Ends every flow (end of input).
  void Flush();

  size_t size() const { return index_.size(); }
  const FlowTableStats& stats() const { return stats_; }

 private:
  struct Key {
    Endpoint a;  // the lower endpoint, so both directions share a key
    Endpoint b;
    uint8_t proto = 0;
    bool operator==(const Key&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.a.addr, k.a.port, k.b.addr, k.b.port, k.proto);
    }
  };
  enum Class { kTcp, kTcpClosed, kUdp, kOther, kNumClasses };
  struct Entry {
    Key key;
    Class cls;
    Flow flow;
  };
  using List = std::list<Entry>;

  static Key MakeKey(Endpoint s, Endpoint d, uint8_t proto);
  bool SenderIsOriginator(const DecodedPacket& p) const;
  TimeNs IdleLimit(Class c) const;
  void End(List::iterator it, FlowEndReason reason);

  FlowLimits limits_;
  EndCallback on_end_;
  ServerPortFn is_server_port_;
  List lists_[kNumClasses];  // least recently used first
  absl::flat_hash_map<Key, List::iterator> index_;
  FlowTableStats stats_;
  uint64_t next_id_ = 1;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_FLOW_FLOW_TABLE_H_
