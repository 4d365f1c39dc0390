// Link-layer conversations: the frames that are not IP (PROFINET, GOOSE,
// sampled values, LLDP, ARP, ...) grouped by source MAC, destination MAC and
// EtherType, as the flow table groups IP packets into flows. One direction
// each: these protocols publish to multicast groups or answer from another
// address, so a reply is a conversation of its own. Bounded in number, ended
// when idle, so the sensor can hand each to an analyzer and write one record
// when it ends.
#ifndef QILIAN_SECURITY_DECODE_LINK_CONVERSATIONS_H_
#define QILIAN_SECURITY_DECODE_LINK_CONVERSATIONS_H_

#include <cstdint>
#include <functional>
#include <list>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "security/common/address.h"
#include "security/decode/link_layer.h"

namespace qilian::security {

struct LinkKey {
  MacAddress src{};
  MacAddress dst{};
  uint16_t ethertype = 0;
  bool operator==(const LinkKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const LinkKey& k) {
    return H::combine(std::move(h), k.src, k.dst, k.ethertype);
  }
};

// What the sensor keeps per conversation (its analyzer).
class LinkAttachment {
 public:
  virtual ~LinkAttachment() = default;
};

struct LinkConversation {
  uint64_t id = 0;  // 1, 2, ... in order of creation
  LinkKey key;
  uint16_t vlan = 0;  // of its first frame
  TimeNs first_seen = 0;
  TimeNs last_seen = 0;
  uint64_t frames = 0;
  uint64_t bytes = 0;  // frame bytes on the wire
  std::unique_ptr<LinkAttachment> attachment;
};

struct LinkLimits {
  size_t max_conversations = 65536;
  TimeNs idle_timeout = 60 * kNsPerSecond;
};

struct LinkTableStats {
  uint64_t created = 0;
  uint64_t expired = 0;
  uint64_t evicted = 0;
};

class LinkConversationTable {
 public:
  // Called for every conversation that ends, before it is destroyed.
  using EndCallback = std::function<void(LinkConversation&)>;

  LinkConversationTable(LinkLimits limits, EndCallback on_end)
      : limits_(limits), on_end_(std::move(on_end)) {}
  ~LinkConversationTable() = default;

  // The conversation of a frame, created if new (*created); its counters
  // include the frame. When the table is full the conversation idle longest
  // is ended first.
  LinkConversation* Lookup(const LinkFrame& frame, uint64_t wire_len, TimeNs ts, bool* created);
  // Ends conversations idle for the timeout by `now`.
  void Expire(TimeNs now);
  // Ends every conversation (end of input).
  void Flush();

  size_t size() const { return by_key_.size(); }
  const LinkTableStats& stats() const { return stats_; }

 private:
  using Lru = std::list<LinkConversation*>;  // most recently seen first
  struct Entry {
    std::unique_ptr<LinkConversation> conversation;
    Lru::iterator lru;
  };
  void End(const LinkKey& key);

  LinkLimits limits_;
  EndCallback on_end_;
  absl::flat_hash_map<LinkKey, Entry> by_key_;
  Lru lru_;
  LinkTableStats stats_;
  uint64_t next_id_ = 1;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DECODE_LINK_CONVERSATIONS_H_
