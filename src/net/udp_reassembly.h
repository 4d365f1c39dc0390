// Multi-packet Handle messages over UDP (RFC 3652 section 2.3): putting a
// request that came in several packets back together, and cutting a reply
// that does not fit one packet into several.
//
// A packet is at most 512 octets: the 20-octet envelope and up to 492 of
// the message. Each fragment carries the TC flag, the message's RequestId
// and a SequenceNumber 0, 1, 2, ...; its MessageLength is, depending on the
// sender (../shared/HANDLE-INTEROP.md "Fragmented UDP messages"),
//   - total style (deployed software): the length of the WHOLE message, the
//     same in every fragment, which is then larger than the fragment's
//     payload (except for a single-fragment message); or
//   - per-packet style (RFC 3652 text): the length of this fragment's
//     payload. Every fragment but the last carries exactly 492 octets; the
//     message is complete at the first short fragment, or, when its length
//     is an exact multiple of 492, when the lengths in the message's own
//     header (BodyLength, CredentialLength) say so.
// Both are accepted; a message whose fragments mix them is malformed.
// Replies are always sent in total style, the TC flag on each fragment.
//
// Reassembly state is keyed by (peer address, port, RequestId) and bounded
// per peer address (bytes buffered, messages in progress), in the number of
// peers, and in time. A fragment that contradicts the fragments held, or
// pushes its address over the byte bound, drops the whole message being
// built (never a neighbour's); one that is invalid on its own (a bad
// length, a sequence number past the bound) is dropped alone. A duplicate sequence number is ignored (the first
// copy wins): UDP may duplicate packets, and a client may resend. A missing
// one leaves the message to time out.
//
// Not thread-safe: each UDP worker owns one reassembler (SO_REUSEPORT sends
// all packets of one source address and port to the same socket).
#ifndef QILIAN_NET_UDP_REASSEMBLY_H_
#define QILIAN_NET_UDP_REASSEMBLY_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "ident/wire/envelope.h"

namespace qilian::net {

struct ReassemblyOptions {
  size_t max_bytes_per_peer = 64 << 10;  // message octets buffered per address
  size_t max_peers = 1024;               // addresses with messages in progress
  size_t max_messages_per_peer = 8;      // messages in progress per address
  absl::Duration timeout = absl::Milliseconds(2000);  // from the first fragment
};

enum class FragmentOutcome {
  kComplete,    // *message holds the whole message
  kPending,     // stored; more fragments needed
  kDuplicate,   // a sequence number already held: ignored
  kMalformed,   // inconsistent with the message's other fragments: message dropped
  kTooLarge,    // the message would exceed max_bytes_per_peer: message dropped
  kPeerLimit,   // the address has too many bytes or messages in progress: message dropped
  kPeersFull,   // max_peers addresses already have messages in progress: dropped
};

const char* FragmentOutcomeName(FragmentOutcome outcome);

class UdpReassembler {
 public:
  // `clock` must outlive the reassembler; nullptr means Clock::Real().
  explicit UdpReassembler(ReassemblyOptions options, const Clock* clock = nullptr);
  ~UdpReassembler();
  UdpReassembler(const UdpReassembler&) = delete;
  UdpReassembler& operator=(const UdpReassembler&) = delete;

  // Adds one datagram whose envelope has the TC flag. `address` identifies
  // the sender's address (any stable bytes, e.g. the raw IP), `port` its
  // port. On kComplete, *message is the reassembled message: the first
  // fragment's envelope with TC cleared, SequenceNumber 0 and MessageLength
  // the whole length, followed by the message octets.
  FragmentOutcome Add(std::string_view address, uint16_t port, std::span<const uint8_t> datagram,
                      std::string* message);

  // Drops messages whose first fragment is older than the timeout; returns
  // how many.
  size_t Expire();

  size_t pending_messages() const;
  size_t buffered_bytes() const { return total_bytes_; }
  size_t peers() const { return peers_.size(); }

 private:
  enum class Style { kUnknown, kTotal, kPerPacket };
  struct Message {
    ident::wire::Envelope first;  // envelope of fragment 0, once seen
    bool have_first = false;
    Style style = Style::kUnknown;
    uint32_t total = 0;                      // kTotal: the whole length
    uint32_t last_seq = UINT32_MAX;          // kPerPacket: the short fragment, once seen
    std::map<uint32_t, std::string> fragments;
    size_t bytes = 0;
    absl::Time started;
  };
  struct MessageKey {
    uint16_t port;
    uint32_t request_id;
    bool operator==(const MessageKey&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const MessageKey& k) {
      return H::combine(std::move(h), k.port, k.request_id);
    }
  };
  struct PeerState {
    size_t bytes = 0;
    absl::flat_hash_map<MessageKey, Message> messages;
  };

  // Whether `m` is complete; if so, builds the message into *out.
  bool TryComplete(const Message& m, std::string* out) const;
  void DropMessage(PeerState* peer, const MessageKey& key);

  const ReassemblyOptions options_;
  const Clock* const clock_;
  absl::flat_hash_map<std::string, PeerState> peers_;
  size_t total_bytes_ = 0;
};

// Splits a whole reply message (envelope + message) into datagrams of at
// most 512 octets, as deployed servers send them: every envelope a copy of
// the reply's with TC set, SequenceNumber 0, 1, ... and MessageLength the
// whole message's length. A reply that fits one packet comes back as is.
// A reply shorter than an envelope comes back as is, too.
std::vector<std::string> FragmentReply(std::string_view reply);

// The reply sent instead of one too large to send over UDP: the reply's
// envelope alone, with TC set, SequenceNumber 0 and MessageLength 0. A
// client seeing TC with MessageLength 0 retries over TCP.
std::string TruncatedReply(std::string_view reply);

}  // namespace qilian::net

#endif  // QILIAN_NET_UDP_REASSEMBLY_H_
