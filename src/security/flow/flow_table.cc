#include "security/flow/flow_table.h"

#include <tuple>

namespace qilian::security {

FlowTable::FlowTable(FlowLimits limits, EndCallback on_end, ServerPortFn is_server_port)
    : limits_(limits), on_end_(std::move(on_end)), is_server_port_(std::move(is_server_port)) {}

FlowTable::~FlowTable() = default;

FlowTable::Key FlowTable::MakeKey(Endpoint s, Endpoint d, uint8_t proto) {
  if (std::tie(d.addr, d.port) < std::tie(s.addr, s.port)) std::swap(s, d);
  return Key{s, d, proto};
}

bool FlowTable::SenderIsOriginator(const DecodedPacket& p) const {
  if (p.proto == kProtoTcp && (p.tcp_flags & kTcpSyn)) {
    return !(p.tcp_flags & kTcpAck);  // SYN opens; SYN-ACK answers
  }
  // The opening was not seen: the side on a known server port, or else on a
  // privileged port facing an ephemeral one, is the responder.
  if (is_server_port_) {
    bool dst_server = is_server_port_(p.proto, p.dst_port);
    bool src_server = is_server_port_(p.proto, p.src_port);
    if (dst_server != src_server) return dst_server;
  }
  if (p.src_port < 1024 && p.dst_port >= 1024) return false;
  return true;
}

TimeNs FlowTable::IdleLimit(Class c) const {
  switch (c) {
    case kTcp:
      return limits_.tcp_idle;
    case kTcpClosed:
      return limits_.tcp_closed_idle;
    case kUdp:
      return limits_.udp_idle;
    default:
      return limits_.other_idle;
  }
}

void FlowTable::End(List::iterator it, FlowEndReason reason) {
  if (on_end_) on_end_(it->flow, reason);
  index_.erase(it->key);
  lists_[it->cls].erase(it);
}

Flow* FlowTable::Lookup(const DecodedPacket& p, Direction* dir, bool* created) {
  Key key = MakeKey(Endpoint{p.src, p.src_port}, Endpoint{p.dst, p.dst_port}, p.proto);
  auto found = index_.find(key);
  List::iterator it;
  *created = found == index_.end();
  if (*created) {
    if (index_.size() >= limits_.max_flows) {
      // Evict the flow idle longest: the oldest head of the class lists.
      List* oldest = nullptr;
      for (List& l : lists_) {
        if (!l.empty() &&
            (oldest == nullptr || l.front().flow.last_seen < oldest->front().flow.last_seen)) {
          oldest = &l;
        }
      }
      ++stats_.evicted;
      End(oldest->begin(), FlowEndReason::kEvicted);
    }
    Class cls = p.proto == kProtoTcp ? kTcp : p.proto == kProtoUdp ? kUdp : kOther;
    List& list = lists_[cls];
    list.push_back(Entry{key, cls, Flow{}});
    it = std::prev(list.end());
    index_.emplace(key, it);
    Flow& f = it->flow;
    f.id = next_id_++;
    f.proto = p.proto;
    Endpoint sender{p.src, p.src_port}, receiver{p.dst, p.dst_port};
    bool sender_orig = SenderIsOriginator(p);
    f.orig = sender_orig ? sender : receiver;
    f.resp = sender_orig ? receiver : sender;
    f.first_seen = p.ts;
    ++stats_.created;
    if (cls == kTcp) ++stats_.created_tcp;
    if (cls == kUdp) ++stats_.created_udp;
  } else {
    it = found->second;
    List& list = lists_[it->cls];
    list.splice(list.end(), list, it);  // now the most recently used
  }
  Flow& f = it->flow;
  *dir = (f.orig.addr == p.src && f.orig.port == p.src_port) ? Direction::kOrig : Direction::kResp;
  // A packet older than the flow's last one (capture reordering) must not
  // move time backwards for the idle clock.
  if (p.ts > f.last_seen) f.last_seen = p.ts;
  ++f.packets[Index(*dir)];
  f.ip_bytes[Index(*dir)] += p.ip_len;
  return &f;
}

void FlowTable::MarkClosed(Flow* flow) {
  if (flow->closed) return;
  flow->closed = true;
  auto found = index_.find(MakeKey(flow->orig, flow->resp, flow->proto));
  if (found == index_.end() || found->second->cls != kTcp) return;
  List::iterator it = found->second;
  lists_[kTcpClosed].splice(lists_[kTcpClosed].end(), lists_[kTcp], it);
  it->cls = kTcpClosed;
}

void FlowTable::Expire(TimeNs now) {
  for (int c = 0; c < kNumClasses; ++c) {
    List& l = lists_[c];
    TimeNs limit = IdleLimit(static_cast<Class>(c));
    while (!l.empty() && now - l.front().flow.last_seen > limit) {
      ++stats_.expired;
      End(l.begin(), FlowEndReason::kIdle);
    }
  }
}

void FlowTable::Flush() {
  for (List& l : lists_) {
    while (!l.empty()) End(l.begin(), FlowEndReason::kFlushed);
  }
}

}  // namespace qilian::security
