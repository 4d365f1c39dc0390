// Open connections per client address, for the per-address connection
// limits of the native TCP server and the HTTP server (docs/abuse-limits.md).
// Not thread-safe: each server counts under the lock that guards its
// connection table.
#ifndef QILIAN_NET_SOURCE_COUNTS_H_
#define QILIAN_NET_SOURCE_COUNTS_H_

#include <cstddef>
#include <string>
#include <unordered_map>

#include <boost/asio/ip/address.hpp>

namespace qilian::net {

// The key connections are counted under: the exact address, with an
// IPv4-mapped IPv6 address counted as the IPv4 address it maps (a
// dual-stack listener must not double a client's allowance).
inline std::string SourceKey(const boost::asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6()).to_string();
  }
  return a.to_string();
}

class SourceCounts {
 public:
  // Takes one of `key`'s `limit` slots; false (nothing taken) if all are.
  bool Acquire(const std::string& key, size_t limit) {
    size_t& n = counts_[key];
    // Only an address with open connections can be full, so a refusal
    // never leaves an empty entry behind.
    if (n >= limit) return false;
    ++n;
    return true;
  }
  // Counts one more connection of `key`, whatever the limit.
  void Add(const std::string& key) { ++counts_[key]; }
  // Gives a slot back; an address leaves when its last connection closes,
  // so the table never holds more entries than there are connections.
  void Release(const std::string& key) {
    auto it = counts_.find(key);
    if (it != counts_.end() && --it->second == 0) counts_.erase(it);
  }
  size_t Count(const std::string& key) const {
    auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::unordered_map<std::string, size_t> counts_;
};

}  // namespace qilian::net

#endif  // QILIAN_NET_SOURCE_COUNTS_H_
