// Client-side reassembly of a UDP reply that the server split into several
// datagrams (RFC 3652 section 2.3). Deployed servers put the WHOLE message
// length in every fragment's envelope; the RFC puts the packet's own length
// there (../shared/HANDLE-INTEROP.md "Versions and envelope"). Both are
// accepted: the first is told by a MessageLength larger than the packet, the
// second is completed from the lengths inside the message header.
//
// One reassembler serves one outstanding request: datagrams with another
// request id are ignored (a late answer to an earlier try), so are
// duplicates. Memory is bounded by `max_message_bytes`.
#ifndef QILIAN_CLI_UDP_REASSEMBLER_H_
#define QILIAN_CLI_UDP_REASSEMBLER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "ident/wire/envelope.h"

namespace qilian::cli {

// Offsets inside a message (after the envelope) of the header fields the
// reassembler and the load generator read without a full decode.
inline constexpr size_t kHeaderSize = 24;
inline constexpr size_t kHeaderResponseCodeOffset = 4;
inline constexpr size_t kHeaderBodyLengthOffset = 20;
// Where the request id sits in the envelope, for patching pre-encoded requests.
inline constexpr size_t kEnvelopeRequestIdOffset = 8;

class UdpReassembler {
 public:
  enum class Result {
    kIgnored,     // not for this request, malformed, or a duplicate
    kIncomplete,  // accepted; more fragments are needed
    kComplete,    // message() holds the whole reply
    kTooLarge,    // the reply is larger than this client reassembles
  };

  explicit UdpReassembler(uint32_t request_id,
                          size_t max_message_bytes = ident::wire::kMaxMessageBytes);

  Result Add(std::span<const uint8_t> datagram);

  // After kComplete: envelope (sequence 0, MessageLength = whole message,
  // truncated flag cleared when it came in several datagrams) + message.
  const std::string& message() const { return message_; }
  // How many datagrams made the message. A single datagram that still has
  // the truncated flag is the server saying "ask again over TCP".
  size_t fragments() const { return fragments_.size(); }
  bool single_truncated() const { return single_truncated_; }

 private:
  Result TryComplete();
  void Assemble(size_t total);

  uint32_t request_id_;
  size_t max_message_bytes_;
  ident::wire::Envelope first_{};
  bool have_first_ = false;
  // 0 while unknown (RFC style until the header says).
  size_t total_ = 0;
  std::map<uint32_t, std::string> fragments_;  // sequence number -> payload
  std::string message_;
  bool single_truncated_ = false;
  bool done_ = false;
};

}  // namespace qilian::cli

#endif  // QILIAN_CLI_UDP_REASSEMBLER_H_
