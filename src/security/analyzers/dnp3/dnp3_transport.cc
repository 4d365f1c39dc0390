#include "security/analyzers/dnp3/dnp3_transport.h"

namespace qilian::security::dnp3 {
namespace {

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kFir = 0x40;
constexpr uint8_t kSeqMask = 0x3f;

}  // namespace

bool Reassembler::Reset() {
  bool had = in_progress_;
  in_progress_ = false;
  complete_ = false;
  buffer_.clear();
  segments_ = 0;
  return had;
}

std::string_view Reassembler::Add(const LinkHeader& link, std::span<const uint8_t> user_data) {
  if (complete_) Reset();
  if (user_data.empty()) return "dnp3_transport_empty";
  uint8_t th = user_data[0];
  uint8_t seq = th & kSeqMask;
  std::span<const uint8_t> payload = user_data.subspan(1);
  std::string_view weird;
  if (th & kFir) {
    // A new first segment abandons an unfinished fragment (clause 8.2.2).
    if (Reset()) weird = "dnp3_transport_fragment_abandoned";
    in_progress_ = true;
    first_link_ = link;
  } else if (!in_progress_) {
    return "dnp3_transport_missing_first";
  } else if (seq == static_cast<uint8_t>((next_seq_ - 1) & kSeqMask)) {
    return "dnp3_transport_duplicate";  // a repeat of the last segment: ignored
  } else if (seq != next_seq_) {
    Reset();
    return "dnp3_transport_bad_sequence";
  }
  if (buffer_.size() + payload.size() > kMaxFragmentSize) {
    Reset();
    return "dnp3_fragment_too_large";
  }
  buffer_.insert(buffer_.end(), payload.begin(), payload.end());
  ++segments_;
  next_seq_ = static_cast<uint8_t>((seq + 1) & kSeqMask);
  if (th & kFin) {
    in_progress_ = false;
    complete_ = true;
  }
  return weird;
}

}  // namespace qilian::security::dnp3
