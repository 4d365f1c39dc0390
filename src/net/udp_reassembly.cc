#include "net/udp_reassembly.h"

#include <algorithm>
#include <utility>

#include "core/bytes.h"

namespace qilian::net {

namespace wire = ident::wire;

namespace {

// RFC 3652 message header: BodyLength is its last field (octets 20-23).
constexpr size_t kHeaderSize = 24;
constexpr size_t kBodyLengthOffset = 20;

std::string EnvelopeBytes(const wire::Envelope& e) {
  std::string out;
  ByteWriter w(&out);
  wire::EncodeEnvelope(e, &w);
  return out;
}

}  // namespace

const char* FragmentOutcomeName(FragmentOutcome outcome) {
  switch (outcome) {
    case FragmentOutcome::kComplete: return "complete";
    case FragmentOutcome::kPending: return "pending";
    case FragmentOutcome::kDuplicate: return "duplicate";
    case FragmentOutcome::kMalformed: return "malformed";
    case FragmentOutcome::kTooLarge: return "too_large";
    case FragmentOutcome::kPeerLimit: return "peer_limit";
    case FragmentOutcome::kPeersFull: return "peers_full";
  }
  return "unknown";
}

UdpReassembler::UdpReassembler(ReassemblyOptions options, const Clock* clock)
    : options_(options), clock_(clock != nullptr ? clock : &Clock::Real()) {}

UdpReassembler::~UdpReassembler() = default;

size_t UdpReassembler::pending_messages() const {
  size_t n = 0;
  for (const auto& [address, peer] : peers_) n += peer.messages.size();
  return n;
}

void UdpReassembler::DropMessage(PeerState* peer, const MessageKey& key) {
  auto it = peer->messages.find(key);
  if (it == peer->messages.end()) return;
  peer->bytes -= it->second.bytes;
  total_bytes_ -= it->second.bytes;
  peer->messages.erase(it);
}

FragmentOutcome UdpReassembler::Add(std::string_view address, uint16_t port,
                                    std::span<const uint8_t> datagram, std::string* message) {
  wire::Envelope env;
  if (!wire::DecodeEnvelope(datagram, &env)) return FragmentOutcome::kMalformed;
  const size_t payload_size = datagram.size() - wire::kEnvelopeSize;
  std::string_view payload(reinterpret_cast<const char*>(datagram.data()) + wire::kEnvelopeSize,
                           payload_size);
  const uint32_t seq = env.sequence_number;
  const size_t max_bytes = std::min(options_.max_bytes_per_peer, wire::kMaxMessageBytes);

  // What this fragment says on its own.
  if (payload_size == 0 || payload_size > wire::kMaxUdpFragmentPayload ||
      env.message_length < payload_size) {
    return FragmentOutcome::kMalformed;
  }
  const bool total_style = env.message_length > payload_size;
  if (total_style) {
    if (env.message_length > max_bytes) return FragmentOutcome::kTooLarge;
    size_t count = (env.message_length + wire::kMaxUdpFragmentPayload - 1) /
                   wire::kMaxUdpFragmentPayload;
    size_t expected = seq + 1 < count ? wire::kMaxUdpFragmentPayload
                                      : env.message_length - (count - 1) *
                                                                 wire::kMaxUdpFragmentPayload;
    if (seq >= count || payload_size != expected) return FragmentOutcome::kMalformed;
  } else if (static_cast<uint64_t>(seq) * wire::kMaxUdpFragmentPayload + payload_size >
             max_bytes) {
    return FragmentOutcome::kTooLarge;
  }

  const absl::Time now = clock_->Now();
  std::string peer_key(address);
  auto peer_it = peers_.find(peer_key);
  if (peer_it == peers_.end()) {
    if (peers_.size() >= options_.max_peers) return FragmentOutcome::kPeersFull;
    peer_it = peers_.emplace(std::move(peer_key), PeerState{}).first;
  }
  PeerState& peer = peer_it->second;
  const MessageKey key{port, env.request_id};
  auto msg_it = peer.messages.find(key);
  if (msg_it != peer.messages.end() && now - msg_it->second.started >= options_.timeout) {
    // A stale message under a reused RequestId: the new fragment starts over.
    DropMessage(&peer, key);
    msg_it = peer.messages.end();
  }
  auto drop = [&](FragmentOutcome outcome) {
    DropMessage(&peer, key);
    if (peer.messages.empty()) peers_.erase(peer_it);
    return outcome;
  };
  if (msg_it == peer.messages.end()) {
    if (peer.messages.size() >= options_.max_messages_per_peer) {
      if (peer.messages.empty()) peers_.erase(peer_it);
      return FragmentOutcome::kPeerLimit;
    }
    msg_it = peer.messages.emplace(key, Message{}).first;
    msg_it->second.started = now;
  }
  Message& m = msg_it->second;

  if (m.fragments.count(seq) > 0) return FragmentOutcome::kDuplicate;

  // Consistency with the fragments already held.
  if (total_style) {
    if (m.style == Style::kPerPacket ||
        (m.style == Style::kTotal && m.total != env.message_length)) {
      return drop(FragmentOutcome::kMalformed);
    }
    m.style = Style::kTotal;
    m.total = env.message_length;
  } else {
    if (m.style == Style::kTotal) return drop(FragmentOutcome::kMalformed);
    m.style = Style::kPerPacket;
    const bool is_short = payload_size < wire::kMaxUdpFragmentPayload;
    if (is_short) {
      if (m.last_seq != UINT32_MAX || (!m.fragments.empty() && m.fragments.rbegin()->first > seq)) {
        return drop(FragmentOutcome::kMalformed);
      }
      m.last_seq = seq;
    } else if (m.last_seq != UINT32_MAX && seq > m.last_seq) {
      return drop(FragmentOutcome::kMalformed);
    }
  }

  if (peer.bytes + payload_size > options_.max_bytes_per_peer) {
    return drop(FragmentOutcome::kPeerLimit);
  }
  m.fragments.emplace(seq, std::string(payload));
  m.bytes += payload_size;
  peer.bytes += payload_size;
  total_bytes_ += payload_size;
  if (seq == 0) {
    m.first = env;
    m.have_first = true;
  }

  if (!TryComplete(m, message)) return FragmentOutcome::kPending;
  DropMessage(&peer, key);
  if (peer.messages.empty()) peers_.erase(peer_it);
  return FragmentOutcome::kComplete;
}

bool UdpReassembler::TryComplete(const Message& m, std::string* out) const {
  if (!m.have_first) return false;
  size_t count = 0;  // fragments 0..count-1 make the message
  if (m.style == Style::kTotal) {
    count = (m.total + wire::kMaxUdpFragmentPayload - 1) / wire::kMaxUdpFragmentPayload;
    if (m.fragments.size() != count) return false;
  } else {
    // Per-packet style: every fragment but the last holds exactly 492
    // octets, so message offset o lives in fragment o / 492. The message
    // ends at the short fragment, or where its header's lengths say.
    const size_t n = wire::kMaxUdpFragmentPayload;
    uint32_t contiguous = 0;  // fragments 0..contiguous-1 are all present
    for (const auto& [seq, payload] : m.fragments) {
      if (seq != contiguous) break;
      ++contiguous;
    }
    if (contiguous == 0) return false;
    if (m.last_seq != UINT32_MAX && contiguous == m.last_seq + 1) {
      count = contiguous;
    } else {
      const size_t held = contiguous * n;  // no short fragment among them
      auto read_u32 = [&](uint64_t offset, uint32_t* v) {
        if (offset + 4 > held) return false;
        uint32_t r = 0;
        for (uint64_t o = offset; o < offset + 4; ++o) {
          r = (r << 8) | static_cast<uint8_t>(m.fragments.at(o / n)[o % n]);
        }
        *v = r;
        return true;
      };
      uint32_t body = 0, cred = 0;
      if (!read_u32(kBodyLengthOffset, &body)) return false;
      uint64_t cred_at = kHeaderSize + uint64_t{body};
      if (!read_u32(cred_at, &cred)) return false;
      uint64_t total = cred_at + 4 + cred;
      if (total > held) return false;
      count = (total + n - 1) / n;
    }
  }
  size_t length = 0;
  for (uint32_t i = 0; i < count; ++i) length += m.fragments.at(i).size();
  wire::Envelope env = m.first;
  env.flags &= ~wire::kFlagTruncated;
  env.sequence_number = 0;
  env.message_length = static_cast<uint32_t>(length);
  out->clear();
  out->reserve(wire::kEnvelopeSize + length);
  out->append(EnvelopeBytes(env));
  for (uint32_t i = 0; i < count; ++i) out->append(m.fragments.at(i));
  return true;
}

size_t UdpReassembler::Expire() {
  const absl::Time now = clock_->Now();
  size_t expired = 0;
  for (auto peer_it = peers_.begin(); peer_it != peers_.end();) {
    PeerState& peer = peer_it->second;
    for (auto it = peer.messages.begin(); it != peer.messages.end();) {
      if (now - it->second.started >= options_.timeout) {
        peer.bytes -= it->second.bytes;
        total_bytes_ -= it->second.bytes;
        peer.messages.erase(it++);
        ++expired;
      } else {
        ++it;
      }
    }
    if (peer.messages.empty()) {
      peers_.erase(peer_it++);
    } else {
      ++peer_it;
    }
  }
  return expired;
}

std::vector<std::string> FragmentReply(std::string_view reply) {
  if (reply.size() <= wire::kMaxUdpPacket) return {std::string(reply)};
  wire::Envelope env;
  wire::DecodeEnvelope(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reply.data()), reply.size()),
      &env);
  std::string_view body = reply.substr(wire::kEnvelopeSize);
  env.flags |= wire::kFlagTruncated;
  env.message_length = static_cast<uint32_t>(body.size());
  std::vector<std::string> out;
  out.reserve((body.size() + wire::kMaxUdpFragmentPayload - 1) / wire::kMaxUdpFragmentPayload);
  for (size_t off = 0; off < body.size(); off += wire::kMaxUdpFragmentPayload) {
    env.sequence_number = static_cast<uint32_t>(out.size());
    std::string packet = EnvelopeBytes(env);
    packet.append(body.substr(off, wire::kMaxUdpFragmentPayload));
    out.push_back(std::move(packet));
  }
  return out;
}

std::string TruncatedReply(std::string_view reply) {
  wire::Envelope env;
  if (!wire::DecodeEnvelope(
          std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(reply.data()), reply.size()),
          &env)) {
    env = wire::Envelope{};
  }
  env.flags |= wire::kFlagTruncated;
  env.sequence_number = 0;
  env.message_length = 0;
  return EnvelopeBytes(env);
}

}  // namespace qilian::net
