// IP fragment reassembly for IPv4 and IPv6, bounded in memory and time.
//
// A datagram is keyed by (family, source, destination, identification,
// protocol) and holds the transport bytes received so far. Bounds, each a
// named limit in ReassemblyLimits: bytes per datagram (the IP maximum of
// 65,535), datagrams held, bytes held in total (oldest datagrams are dropped
// first when it is reached), and a timeout after the first fragment.
//
// Overlap policy: first wins. Bytes already received are kept; a later
// fragment only fills holes. Any overlap counts `fragment_overlap`, and an
// overlap whose bytes differ from what is held also counts
// `fragment_inconsistent_overlap` (the evasion case: a sensor that took the
// other bytes would see another payload than the host may have).
#ifndef QILIAN_SECURITY_DECODE_IP_REASSEMBLER_H_
#define QILIAN_SECURITY_DECODE_IP_REASSEMBLER_H_

#include <cstdint>
#include <list>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "security/common/address.h"
#include "security/common/weird.h"

namespace qilian::security {

struct ReassemblyLimits {
  size_t max_datagram_bytes = 65535;
  size_t max_datagrams = 4096;
  size_t max_total_bytes = 16 << 20;
  TimeNs timeout = 30 * kNsPerSecond;
};

struct FragmentKey {
  IpAddress src;
  IpAddress dst;
  uint32_t id = 0;  // IPv4's 16 bits or IPv6's 32
  uint8_t proto = 0;
  bool operator==(const FragmentKey&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const FragmentKey& k) {
    return H::combine(std::move(h), k.src, k.dst, k.id, k.proto);
  }
};

class IpReassembler {
 public:
  IpReassembler(ReassemblyLimits limits, WeirdCounter* weirds) : limits_(limits), weirds_(weirds) {}

  // Adds the fragment carrying transport bytes [offset, offset + data.size());
  // `more` is the More Fragments flag. When this completes the datagram,
  // moves its transport bytes into *out and returns true.
  bool Add(const FragmentKey& key, TimeNs now, uint32_t offset, bool more,
           std::span<const uint8_t> data, std::vector<uint8_t>* out);

  // Drops datagrams whose first fragment is older than the timeout.
  void Expire(TimeNs now);

  size_t datagrams() const { return index_.size(); }
  size_t memory() const { return memory_; }

 private:
  struct Datagram {
    FragmentKey key;
    TimeNs first_seen = 0;
    std::vector<uint8_t> data;
    std::vector<uint8_t> have;  // one flag per byte of data
    size_t covered = 0;         // bytes received
    int64_t total = -1;         // known once the last fragment arrives
    size_t Cost() const { return data.capacity() + have.capacity(); }
  };
  using List = std::list<Datagram>;

  void Drop(List::iterator it, const char* weird);

  ReassemblyLimits limits_;
  WeirdCounter* weirds_;
  List order_;  // oldest first
  absl::flat_hash_map<FragmentKey, List::iterator> index_;
  size_t memory_ = 0;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_DECODE_IP_REASSEMBLER_H_
