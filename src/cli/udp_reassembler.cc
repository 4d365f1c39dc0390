#include "cli/udp_reassembler.h"

#include "core/bytes.h"

namespace qilian::cli {

using ident::wire::Envelope;
using ident::wire::kEnvelopeSize;
using ident::wire::kFlagTruncated;
using ident::wire::kMaxUdpFragmentPayload;

UdpReassembler::UdpReassembler(uint32_t request_id, size_t max_message_bytes)
    : request_id_(request_id), max_message_bytes_(max_message_bytes) {}

UdpReassembler::Result UdpReassembler::Add(std::span<const uint8_t> datagram) {
  if (done_) return Result::kIgnored;
  Envelope envelope;
  if (!ident::wire::DecodeEnvelope(datagram, &envelope)) return Result::kIgnored;
  if (envelope.request_id != request_id_) return Result::kIgnored;
  std::span<const uint8_t> payload = datagram.subspan(kEnvelopeSize);
  const size_t length = envelope.message_length;

  if (!envelope.truncated()) {
    // A whole message in one datagram; anything else is not a reply.
    if (envelope.sequence_number != 0 || length != payload.size()) return Result::kIgnored;
    if (length > max_message_bytes_) return Result::kTooLarge;
    fragments_.clear();
    fragments_.emplace(0, std::string(payload.begin(), payload.end()));
    first_ = envelope;
    message_.assign(datagram.begin(), datagram.end());
    done_ = true;
    return Result::kComplete;
  }

  if (length < payload.size()) return Result::kIgnored;
  if (length > payload.size()) {
    // Deployed style: every fragment names the whole message's length, and
    // each but the last carries exactly kMaxUdpFragmentPayload octets.
    if (length > max_message_bytes_) return Result::kTooLarge;
    if (total_ != 0 && total_ != length) return Result::kIgnored;
    uint64_t offset = uint64_t{envelope.sequence_number} * kMaxUdpFragmentPayload;
    if (offset + payload.size() > length) return Result::kIgnored;
    if (offset + payload.size() < length && payload.size() != kMaxUdpFragmentPayload) {
      return Result::kIgnored;
    }
    total_ = length;
  } else if (total_ != 0) {
    return Result::kIgnored;  // an RFC-style packet among deployed-style ones
  }
  if (fragments_.contains(envelope.sequence_number)) return Result::kIgnored;
  size_t have = 0;
  for (const auto& [seq, bytes] : fragments_) have += bytes.size();
  if (have + payload.size() > max_message_bytes_) return Result::kTooLarge;
  fragments_.emplace(envelope.sequence_number, std::string(payload.begin(), payload.end()));
  if (!have_first_ || envelope.sequence_number == 0) {
    first_ = envelope;
    have_first_ = true;
  }
  return TryComplete();
}

UdpReassembler::Result UdpReassembler::TryComplete() {
  if (total_ != 0) {
    size_t have = 0;
    for (const auto& [seq, bytes] : fragments_) have += bytes.size();
    // Offsets are fixed and duplicates refused, so the sum says it all.
    if (have != total_) return Result::kIncomplete;
    Assemble(total_);
    return Result::kComplete;
  }
  // RFC style: a contiguous run from sequence 0 that ends in a short packet
  // is the whole message (every packet but the last is full). A message
  // that fills its last packet exactly is completed from the header's
  // BodyLength and the CredentialLength that follows the body.
  std::string run;
  uint32_t expect = 0;
  bool short_end = false;
  for (const auto& [seq, bytes] : fragments_) {
    if (seq != expect) break;
    run += bytes;
    ++expect;
    if (bytes.size() < kMaxUdpFragmentPayload) {
      short_end = true;
      break;
    }
  }
  if (expect == 0) return Result::kIncomplete;
  bool complete = short_end;
  if (!complete && run.size() >= kHeaderSize) {
    ByteReader header(std::string_view(run).substr(kHeaderBodyLengthOffset, 4));
    uint64_t body_end = kHeaderSize + uint64_t{header.ReadU32()};
    if (run.size() >= body_end + 4) {
      ByteReader cred(std::string_view(run).substr(body_end, 4));
      complete = run.size() == body_end + 4 + cred.ReadU32();
    }
  }
  if (!complete) return Result::kIncomplete;
  fragments_.erase(fragments_.lower_bound(expect), fragments_.end());
  Assemble(run.size());
  single_truncated_ = fragments_.size() == 1;
  return Result::kComplete;
}

void UdpReassembler::Assemble(size_t total) {
  Envelope envelope = first_;
  envelope.sequence_number = 0;
  envelope.message_length = static_cast<uint32_t>(total);
  if (fragments_.size() > 1) envelope.flags &= ~kFlagTruncated;
  message_.clear();
  message_.reserve(kEnvelopeSize + total);
  ByteWriter out(&message_);
  ident::wire::EncodeEnvelope(envelope, &out);
  for (const auto& [seq, bytes] : fragments_) message_ += bytes;
  done_ = true;
}

}  // namespace qilian::cli
