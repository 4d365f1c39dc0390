#include "security/decode/link_conversations.h"

namespace qilian::security {

LinkConversation* LinkConversationTable::Lookup(const LinkFrame& frame, uint64_t wire_len,
                                                TimeNs ts, bool* created) {
  const LinkKey key{frame.src_mac, frame.dst_mac, frame.ethertype};
  auto it = by_key_.find(key);
  *created = it == by_key_.end();
  if (*created) {
    if (by_key_.size() >= limits_.max_conversations && !lru_.empty()) {
      ++stats_.evicted;
      End(lru_.back()->key);
    }
    auto c = std::make_unique<LinkConversation>();
    c->id = next_id_++;
    c->key = key;
    c->vlan = frame.vlan;
    c->first_seen = ts;
    lru_.push_front(c.get());
    it = by_key_.emplace(key, Entry{std::move(c), lru_.begin()}).first;
    ++stats_.created;
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  LinkConversation* c = it->second.conversation.get();
  c->last_seen = ts;
  ++c->frames;
  c->bytes += wire_len;
  return c;
}

void LinkConversationTable::End(const LinkKey& key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  // Out of the table first: the callback may not find it again.
  Entry entry = std::move(it->second);
  by_key_.erase(it);
  lru_.erase(entry.lru);
  on_end_(*entry.conversation);
}

void LinkConversationTable::Expire(TimeNs now) {
  while (!lru_.empty() && now - lru_.back()->last_seen >= limits_.idle_timeout) {
    ++stats_.expired;
    End(lru_.back()->key);
  }
}

void LinkConversationTable::Flush() {
  // Oldest first, so records come out in the order conversations went quiet.
  while (!lru_.empty()) End(lru_.back()->key);
}

}  // namespace qilian::security
