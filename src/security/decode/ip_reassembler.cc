#include "security/decode/ip_reassembler.h"

#include <algorithm>

namespace qilian::security {

void IpReassembler::Drop(List::iterator it, const char* weird) {
  if (weird != nullptr) weirds_->Add(weird);
  memory_ -= it->Cost();
  index_.erase(it->key);
  order_.erase(it);
}

void IpReassembler::Expire(TimeNs now) {
  while (!order_.empty() && now - order_.front().first_seen > limits_.timeout) {
    Drop(order_.begin(), "fragment_timeout");
  }
}

bool IpReassembler::Add(const FragmentKey& key, TimeNs now, uint32_t offset, bool more,
                        std::span<const uint8_t> data, std::vector<uint8_t>* out) {
  Expire(now);
  size_t end = size_t{offset} + data.size();
  if (end > limits_.max_datagram_bytes) {
    weirds_->Add("fragment_too_big");
    if (auto it = index_.find(key); it != index_.end()) Drop(it->second, nullptr);
    return false;
  }
  auto found = index_.find(key);
  List::iterator it;
  if (found == index_.end()) {
    if (index_.size() >= limits_.max_datagrams) Drop(order_.begin(), "fragment_table_full");
    Datagram d;
    d.key = key;
    d.first_seen = now;
    order_.push_back(std::move(d));
    it = std::prev(order_.end());
    index_.emplace(key, it);
  } else {
    it = found->second;
  }
  Datagram& d = *it;

  // Where the datagram ends must agree between its last fragment and the
  // bytes seen: disagreement means a malformed or hostile sender.
  if (!more) {
    if ((d.total >= 0 && static_cast<size_t>(d.total) != end) || d.data.size() > end) {
      Drop(it, "fragment_size_inconsistency");
      return false;
    }
    d.total = static_cast<int64_t>(end);
  } else if (d.total >= 0 && end > static_cast<size_t>(d.total)) {
    Drop(it, "fragment_size_inconsistency");
    return false;
  }

  size_t before = d.Cost();
  if (d.data.size() < end) {
    d.data.resize(end);
    d.have.resize(end, 0);
  }
  bool overlap = false, inconsistent = false;
  for (size_t i = 0; i < data.size(); ++i) {
    size_t at = offset + i;
    if (d.have[at]) {
      overlap = true;
      inconsistent |= d.data[at] != data[i];
      continue;  // first wins
    }
    d.data[at] = data[i];
    d.have[at] = 1;
    ++d.covered;
  }
  memory_ += d.Cost() - before;
  if (overlap) weirds_->Add("fragment_overlap");
  if (inconsistent) weirds_->Add("fragment_inconsistent_overlap");

  if (d.total >= 0 && d.covered == static_cast<size_t>(d.total)) {
    memory_ -= d.Cost();
    *out = std::move(d.data);
    index_.erase(d.key);
    order_.erase(it);
    return true;
  }
  while (memory_ > limits_.max_total_bytes && !order_.empty()) {
    Drop(order_.begin(), "fragment_memory_exceeded");
  }
  return false;
}

}  // namespace qilian::security
