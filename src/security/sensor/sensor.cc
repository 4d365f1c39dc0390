#include "security/sensor/sensor.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"

namespace qilian::security {
namespace {

Transport TransportOf(uint8_t proto) {
  return proto == kProtoUdp ? Transport::kUdp : Transport::kTcp;
}

}  // namespace

// Everything the sensor keeps per flow: the two TCP streams, the analyzer
// (once chosen), and the AnalyzerHost that analyzer talks to.
class Sensor::FlowState : public FlowAttachment, public AnalyzerHost {
 public:
  FlowState(Sensor* sensor, Flow* flow)
      : sensor_(sensor),
        flow_(flow),
        sinks_{Sink(this, Direction::kOrig), Sink(this, Direction::kResp)} {
    if (flow->proto == kProtoTcp || flow->proto == kProtoUdp) {
      candidates_ = sensor->registry_->ForFlow(TransportOf(flow->proto), flow->resp.port,
                                               flow->orig.port, &by_port_);
    }
    if (flow->proto == kProtoTcp) {
      for (int d = 0; d < 2; ++d) {
        streams_[d].emplace(&sensor->options_.tcp, &sensor->tcp_budget_, &sensor->weirds_,
                            &sinks_[d]);
      }
    }
  }

  // AnalyzerHost.
  TimeNs now() const override { return now_; }
  const Flow& flow() const override { return *flow_; }
  void Emit(nlohmann::ordered_json fields) override {
    if (Count()) Write(sensor_->event_format_.Line(now_, *flow_, protocol_, fields));
  }
  void EmitJson(std::string_view members) override {
    if (Count()) Write(sensor_->event_format_.Line(now_, *flow_, protocol_, members));
  }
  void Weird(std::string_view name) override { sensor_->weirds_.Add(name); }

  void Tcp(const DecodedPacket& p, Direction dir) {
    now_ = p.ts;
    streams_[Index(dir)]->Segment(p.seq, p.tcp_flags, p.payload);
    if (p.tcp_flags & kTcpAck) streams_[Index(Reverse(dir))]->PeerAck(p.ack);
    if (p.tcp_flags & kTcpRst) streams_[Index(Reverse(dir))]->Finish();
  }
  bool Closed() const { return streams_[0] && streams_[0]->ended() && streams_[1]->ended(); }

  void Udp(const DecodedPacket& p, Direction dir) {
    now_ = p.ts;
    if (Choose(p.payload)) analyzer_->DeliverPacket(dir, p.payload);
  }

  void End() {
    now_ = flow_->last_seen;
    for (auto& s : streams_) {
      if (!s) continue;
      s->Finish();
      sensor_->stats_.tcp_gaps += s->stats().gaps;
      sensor_->stats_.tcp_gap_bytes += s->stats().gap_bytes;
    }
    if (!analyzer_) return;
    ProtocolStats& p = sensor_->stats_.protocols[std::string(protocol_)];
    p.packets += flow_->packets[0] + flow_->packets[1];
    p.bytes += flow_->ip_bytes[0] + flow_->ip_bytes[1];
    analyzer_->EndOfFlow();
  }

 private:
  // Counts an event; true if it is to be written.
  bool Count() {
    ++sensor_->stats_.events;
    ++sensor_->stats_.protocols[std::string(protocol_)].events;
    return sensor_->events_ != nullptr;
  }
  void Write(std::string_view line) { sensor_->events_->Write(EventLine{now_, protocol_, line}); }

  // Adapts one direction's stream output to the analyzer.
  class Sink : public StreamSink {
   public:
    Sink(FlowState* state, Direction dir) : state_(state), dir_(dir) {}
    void Deliver(std::span<const uint8_t> data) override {
      if (state_->Choose(data)) state_->analyzer_->DeliverStream(dir_, data);
    }
    void Gap(uint64_t length) override {
      if (state_->analyzer_) state_->analyzer_->Gap(dir_, length);
    }
    void End() override {
      if (state_->analyzer_) state_->analyzer_->EndOfData(dir_);
    }

   private:
    FlowState* state_;
    Direction dir_;
  };

  // Attaches the first candidate whose signature accepts `first`; true if
  // an analyzer is attached (now or before).
  bool Choose(std::span<const uint8_t> first) {
    if (analyzer_) return true;
    if (candidates_.empty() || first.empty()) return false;
    for (const AnalyzerInfo* info : candidates_) {
      if (info->signature == nullptr || info->signature(first)) {
        protocol_ = info->name;
        analyzer_ = info->create(this);
        ++sensor_->stats_.protocols[std::string(protocol_)].flows;
        return true;
      }
    }
    if (++tries_ == kMaxSignatureTries) {
      // Flows offered to every strong signature (on no registered port) are
      // mostly other protocols: nothing surprising in a mismatch there.
      if (by_port_) {
        sensor_->weirds_.Add(std::string(candidates_.front()->name) + "_signature_mismatch");
      }
      candidates_.clear();
    }
    return false;
  }

  Sensor* sensor_;
  Flow* flow_;
  TimeNs now_ = 0;
  Sink sinks_[2];
  std::optional<TcpStream> streams_[2];
  std::vector<const AnalyzerInfo*> candidates_;
  bool by_port_ = true;  // the candidates are those of a port (not any-port signatures)
  int tries_ = 0;
  std::string_view protocol_;
  std::unique_ptr<Analyzer> analyzer_;
};

// The link-layer counterpart of FlowState: the analyzer of one link-layer
// conversation (source MAC, destination MAC, EtherType), chosen by
// EtherType and signature, fed every frame's payload. Its events carry the
// conversation instead of IP endpoints (docs/security/recognized.md).
class Sensor::LinkState : public LinkAttachment, public AnalyzerHost {
 public:
  LinkState(Sensor* sensor, LinkConversation* conversation)
      : sensor_(sensor),
        conversation_(conversation),
        candidates_(sensor->registry_->ForEtherType(conversation->key.ethertype)) {}

  TimeNs now() const override { return now_; }
  const Flow& flow() const override { return flow_; }
  void Emit(nlohmann::ordered_json fields) override {
    ++sensor_->stats_.events;
    ++sensor_->stats_.protocols[std::string(protocol_)].events;
    if (sensor_->events_ == nullptr) return;
    const LinkKey& k = conversation_->key;
    nlohmann::ordered_json e;
    e["ts"] = Rfc3339(now_);
    e["conv"] = conversation_->id;
    e["proto"] = protocol_;
    e["src_mac"] = MacToString(k.src);
    e["dst_mac"] = MacToString(k.dst);
    e["ethertype"] = absl::StrFormat("0x%04x", k.ethertype);
    if (conversation_->vlan != 0) e["vlan"] = conversation_->vlan;
    for (auto& [key, v] : fields.items()) e[key] = std::move(v);
    std::string line = e.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    sensor_->events_->Write(EventLine{now_, protocol_, line});
  }
  void Weird(std::string_view name) override { sensor_->weirds_.Add(name); }

  void Frame(std::span<const uint8_t> payload, TimeNs ts) {
    now_ = ts;
    flow_.packets[0] = conversation_->frames;
    flow_.ip_bytes[0] = conversation_->bytes;
    if (!analyzer_ && !Choose(payload)) return;
    analyzer_->DeliverPacket(Direction::kOrig, payload);
  }

  void End() {
    if (!analyzer_) return;
    now_ = conversation_->last_seen;
    ProtocolStats& p = sensor_->stats_.protocols[std::string(protocol_)];
    p.packets += conversation_->frames;
    p.bytes += conversation_->bytes;
    analyzer_->EndOfFlow();
  }

 private:
  bool Choose(std::span<const uint8_t> first) {
    if (candidates_.empty()) return false;
    for (const AnalyzerInfo* info : candidates_) {
      if (info->signature == nullptr || info->signature(first)) {
        protocol_ = info->name;
        analyzer_ = info->create(this);
        ++sensor_->stats_.protocols[std::string(protocol_)].flows;
        return true;
      }
    }
    if (++tries_ == kMaxSignatureTries) {
      sensor_->weirds_.Add(std::string(candidates_.front()->name) + "_signature_mismatch");
      candidates_.clear();
    }
    return false;
  }

  Sensor* sensor_;
  LinkConversation* conversation_;
  Flow flow_;  // proto 0, no addresses; orig counters are the conversation's
  TimeNs now_ = 0;
  std::vector<const AnalyzerInfo*> candidates_;
  int tries_ = 0;
  std::string_view protocol_;
  std::unique_ptr<Analyzer> analyzer_;
};

Sensor::Sensor(const AnalyzerRegistry* registry, SensorOptions options, EventSink* events)
    : registry_(registry),
      options_(options),
      events_(events),
      decoder_(&weirds_, options.fragments),
      flows_(
          options.flows, [this](Flow& f, FlowEndReason) { OnFlowEnd(f); },
          [registry](uint8_t proto, uint16_t port) {
            return (proto == kProtoTcp || proto == kProtoUdp) &&
                   registry->IsServerPort(TransportOf(proto), port);
          }),
      links_(options.links, [](LinkConversation& c) {
        if (c.attachment) static_cast<LinkState*>(c.attachment.get())->End();
      }) {}

Sensor::~Sensor() = default;

void Sensor::OnFlowEnd(Flow& flow) {
  if (flow.attachment) static_cast<FlowState*>(flow.attachment.get())->End();
}

void Sensor::Process(const RawPacket& raw) {
  ++stats_.packets;
  stats_.bytes += raw.wire_len;
  DecodedPacket p;
  switch (decoder_.Decode(raw, &p)) {
    case DecodeResult::kPacket:
      break;
    case DecodeResult::kFragmentHeld:
      ++stats_.fragments_held;
      return;
    case DecodeResult::kNotIp:
      ++stats_.non_ip;
      Link(raw);
      return;
    case DecodeResult::kDropped:
      ++stats_.dropped;
      return;
  }
  Advance(p.ts);
  Direction dir;
  bool created;
  Flow* flow = flows_.Lookup(p, &dir, &created);
  if (created) flow->attachment = std::make_unique<FlowState>(this, flow);
  auto* state = static_cast<FlowState*>(flow->attachment.get());
  if (p.proto == kProtoTcp) {
    ++stats_.tcp_packets;
    state->Tcp(p, dir);
    if (state->Closed()) flows_.MarkClosed(flow);
  } else if (p.proto == kProtoUdp) {
    ++stats_.udp_packets;
    state->Udp(p, dir);
  } else {
    ++stats_.other_ip_packets;
  }
}

void Sensor::Link(const RawPacket& raw) {
  Advance(raw.ts);
  bool created;
  LinkConversation* c = links_.Lookup(decoder_.last_link(), raw.wire_len, raw.ts, &created);
  if (created) c->attachment = std::make_unique<LinkState>(this, c);
  static_cast<LinkState*>(c->attachment.get())->Frame(decoder_.last_link_payload(), raw.ts);
}

void Sensor::Advance(TimeNs now) {
  // Expiry once per second of capture time keeps it off the per-packet path.
  if (now - last_expire_ < kNsPerSecond) return;
  flows_.Expire(now);
  links_.Expire(now);
  decoder_.Expire(now);
  last_expire_ = now;
}

void Sensor::Finish() {
  flows_.Flush();
  links_.Flush();
}

std::string Sensor::Summary() const {
  const FlowTableStats& f = flows_.stats();
  std::string out = absl::StrFormat(
      "packets: %d (%d bytes): tcp %d, udp %d, other IP %d, non-IP %d, malformed %d, "
      "fragments held %d\n",
      stats_.packets, stats_.bytes, stats_.tcp_packets, stats_.udp_packets, stats_.other_ip_packets,
      stats_.non_ip, stats_.dropped, stats_.fragments_held);
  absl::StrAppendFormat(&out,
                        "flows: %d: tcp %d, udp %d, other %d; expired %d, evicted %d; "
                        "tcp gaps %d (%d bytes)\n",
                        f.created, f.created_tcp, f.created_udp,
                        f.created - f.created_tcp - f.created_udp, f.expired, f.evicted,
                        stats_.tcp_gaps, stats_.tcp_gap_bytes);
  const LinkTableStats& l = links_.stats();
  absl::StrAppendFormat(&out, "link-layer conversations: %d; expired %d, evicted %d\n", l.created,
                        l.expired, l.evicted);
  absl::StrAppendFormat(&out, "events: %d\n", stats_.events);
  for (const auto& [name, p] : stats_.protocols) {
    absl::StrAppendFormat(&out, "  %-12s flows %d, events %d, packets %d, bytes %d\n", name,
                          p.flows, p.events, p.packets, p.bytes);
  }
  absl::StrAppendFormat(&out, "weirds: %d\n", weirds_.Total());
  for (const auto& [name, n] : weirds_.counts()) {
    absl::StrAppendFormat(&out, "  %-36s %d\n", name, n);
  }
  return out;
}

}  // namespace qilian::security
