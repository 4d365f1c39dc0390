#include "security/tcp/tcp_stream.h"

#include <algorithm>

namespace qilian::security {
namespace {
constexpr uint8_t kFin = 0x01;
constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kRst = 0x04;
}  // namespace

TcpStream::~TcpStream() { Release(buffered_); }

void TcpStream::Release(size_t n) {
  buffered_ -= n;
  budget_->used -= n;
}

void TcpStream::DeliverNow(std::span<const uint8_t> data) {
  next_ += data.size();
  next_seq_ += static_cast<uint32_t>(data.size());
  stats_.delivered += data.size();
  if (!ended_) sink_->Deliver(data);
}

void TcpStream::Drain() {
  while (!pending_.empty() && pending_.begin()->first == next_) {
    auto node = pending_.extract(pending_.begin());
    Release(node.mapped().size());
    DeliverNow(node.mapped());
  }
  MaybeEnd();
}

void TcpStream::SkipTo(uint64_t off) {
  if (off <= next_) return;
  uint64_t len = off - next_;
  ++stats_.gaps;
  stats_.gap_bytes += len;
  next_ = off;
  next_seq_ += static_cast<uint32_t>(len);
  if (!ended_) sink_->Gap(len);
}

void TcpStream::MaybeEnd() {
  if (!ended_ && fin_at_ >= 0 && next_ >= static_cast<uint64_t>(fin_at_)) EndNow();
}

void TcpStream::EndNow() {
  ended_ = true;
  // Bytes buffered past the FIN are never delivered (found by fuzzing:
  // they used to stay counted against the budget until the flow died).
  pending_.clear();
  Release(buffered_);
  sink_->End();
}

void TcpStream::Insert(uint64_t off, std::span<const uint8_t> data) {
  // First wins: cut the new bytes around every buffered segment they touch
  // and keep only the pieces that fill holes.
  uint64_t end = off + data.size();
  auto it = pending_.upper_bound(off);
  if (it != pending_.begin()) --it;
  uint64_t at = off;
  while (at < end) {
    while (it != pending_.end() && it->first + it->second.size() <= at) ++it;
    uint64_t hole_end = it == pending_.end() ? end : std::min<uint64_t>(end, it->first);
    if (hole_end > at) {
      auto piece = data.subspan(at - off, hole_end - at);
      pending_.emplace(at, std::vector<uint8_t>(piece.begin(), piece.end()));
      buffered_ += piece.size();
      budget_->used += piece.size();
      at = hole_end;
    } else {
      uint64_t covered_end = std::min<uint64_t>(end, it->first + it->second.size());
      stats_.duplicate_bytes += covered_end - at;
      at = covered_end;
    }
  }
}

void TcpStream::Segment(uint32_t seq, uint8_t flags, std::span<const uint8_t> payload) {
  if (started_from_ack_ && (flags & kSyn || !payload.empty())) {
    // The start guessed from the peer's acknowledgement holds only if this
    // first segment lands near it; otherwise the segment decides.
    started_from_ack_ = false;
    int64_t off = OffsetOf(seq);
    if (flags & kSyn || off < 0 || off > static_cast<int64_t>(limits_->max_stream_buffer)) {
      started_ = false;
    }
  }
  if (!started_) {
    started_ = true;
    mid_stream_ = !(flags & kSyn);
    next_seq_ = (flags & kSyn) ? seq + 1 : seq;
  }
  if (ended_) return;
  uint32_t data_seq = (flags & kSyn) ? seq + 1 : seq;
  int64_t off = OffsetOf(data_seq);
  if (flags & kFin) {
    int64_t fin = off + static_cast<int64_t>(payload.size());
    if (fin_at_ < 0 || fin < fin_at_) fin_at_ = fin;
  }
  // Trim bytes already delivered (retransmissions, keep-alives).
  if (off < static_cast<int64_t>(next_)) {
    uint64_t old = std::min<uint64_t>(payload.size(), next_ - off);
    stats_.duplicate_bytes += old;
    payload = payload.subspan(old);
    off = static_cast<int64_t>(next_);
  }
  if (!payload.empty()) {
    uint64_t uoff = static_cast<uint64_t>(off);
    if (uoff == next_ && (pending_.empty() || pending_.begin()->first >= next_ + payload.size())) {
      DeliverNow(payload);  // the common case: in order, nothing to merge
    } else {
      if (buffered_ + payload.size() > limits_->max_stream_buffer ||
          budget_->used + payload.size() > limits_->max_total_buffer) {
        // Out of room: give up the oldest hole rather than grow.
        weirds_->Add("tcp_reassembly_buffer_full");
        while (!pending_.empty() && (buffered_ + payload.size() > limits_->max_stream_buffer ||
                                     budget_->used + payload.size() > limits_->max_total_buffer)) {
          SkipTo(std::min(uoff, pending_.begin()->first));
          Drain();
          if (uoff <= next_) break;
        }
        if (uoff > next_ && (budget_->used + payload.size() > limits_->max_total_buffer)) {
          SkipTo(uoff);  // still no room anywhere: deliver past the hole
        }
      }
      if (!ended_) {
        if (uoff < next_) {
          payload = payload.subspan(std::min<uint64_t>(payload.size(), next_ - uoff));
          uoff = next_;
        }
        Insert(uoff, payload);
      }
    }
  }
  Drain();
  if (flags & kRst) Finish();
}

void TcpStream::PeerAck(uint32_t ack) {
  if (!started_) {
    // Mid-stream, the peer's acknowledgement says where this direction's
    // next byte is, so a first segment that arrives out of order is still
    // placed right.
    started_ = started_from_ack_ = mid_stream_ = true;
    next_seq_ = ack;
    return;
  }
  if (ended_) return;
  int64_t off = OffsetOf(ack);
  if (off <= static_cast<int64_t>(next_)) return;
  uint64_t target = static_cast<uint64_t>(off);
  if (fin_at_ >= 0) target = std::min(target, static_cast<uint64_t>(fin_at_));  // FIN takes a seq
  if (target - next_ > limits_->max_ack_gap) return;
  // The peer has everything up to `target`: holes below it were lost by
  // the capture, not by the network, and will never be filled.
  while (next_ < target && !ended_) {
    uint64_t hole_end = pending_.empty() ? target : std::min(target, pending_.begin()->first);
    SkipTo(hole_end);
    Drain();
  }
  MaybeEnd();
}

void TcpStream::Finish() {
  while (!pending_.empty() && !ended_) {
    SkipTo(pending_.begin()->first);
    Drain();
  }
  if (!ended_) EndNow();
}

}  // namespace qilian::security
