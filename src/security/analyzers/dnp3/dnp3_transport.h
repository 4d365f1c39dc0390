// The DNP3 transport function (IEEE 1815-2012 clause 8): each link frame's
// user data starts with one byte (FIN 0x80, FIR 0x40, a 6-bit sequence);
// segments FIR..FIN with consecutive sequence numbers form one application
// fragment. One Reassembler per direction; its buffer is bounded.
#ifndef QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_TRANSPORT_H_
#define QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_TRANSPORT_H_

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "security/analyzers/dnp3/dnp3_link.h"

namespace qilian::security::dnp3 {

// Larger than any fragment size devices use (2048 is the common maximum):
// a fragment growing past it is dropped.
constexpr size_t kMaxFragmentSize = 16384;

class Reassembler {
 public:
  // Adds one frame's user data (transport header first). Returns "" or the
  // weird it caused. When it completes a fragment, complete() is true until
  // the next call and fragment()/first_link()/segments() describe it.
  std::string_view Add(const LinkHeader& link, std::span<const uint8_t> user_data);
  // Drops a fragment in progress (after a gap or a corrupt frame); true if
  // there was one.
  bool Reset();

  bool in_progress() const { return in_progress_; }
  bool complete() const { return complete_; }
  std::span<const uint8_t> fragment() const { return buffer_; }
  const LinkHeader& first_link() const { return first_link_; }
  uint32_t segments() const { return segments_; }

 private:
  std::vector<uint8_t> buffer_;
  LinkHeader first_link_;
  uint32_t segments_ = 0;
  uint8_t next_seq_ = 0;
  bool in_progress_ = false;
  bool complete_ = false;
};

}  // namespace qilian::security::dnp3

#endif  // QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_TRANSPORT_H_
