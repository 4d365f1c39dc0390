// Reassembles one direction of a TCP connection into the ordered byte
// stream an analyzer reads, the way Zeek's TCP_Reassembler does:
//
// - Segments are placed by sequence number (32-bit wrap handled by keeping
//   64-bit stream offsets) and delivered in order as soon as they are
//   contiguous; later segments wait in a buffer.
// - Retransmissions and overlaps: first wins. Bytes already delivered or
//   already buffered are never replaced; only new bytes are taken.
// - Gaps: a hole that cannot be filled is reported to the sink as a gap of
//   so many bytes, and delivery goes on after it. A hole is given up when
//   the peer acknowledges data past it (the capture missed it), when the
//   buffer bounds are reached, or when the stream ends.
// - Mid-stream starts: without a SYN, the peer's first acknowledgement (or
//   else the first segment seen) sets the start.
// - FIN ends the stream once everything before it is delivered; RST ends it
//   at once (buffered data is delivered across gaps first).
//
// Bounds: bytes buffered per stream and, through a shared budget, in total.
#ifndef QILIAN_SECURITY_TCP_TCP_STREAM_H_
#define QILIAN_SECURITY_TCP_TCP_STREAM_H_

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "security/common/weird.h"

namespace qilian::security {

struct TcpLimits {
  size_t max_stream_buffer = 256 << 10;
  size_t max_total_buffer = 64 << 20;
  // An acknowledgement further ahead than this is taken as bogus rather
  // than as capture loss.
  uint64_t max_ack_gap = 1u << 30;
};

// Bytes buffered by all streams together, against TcpLimits::max_total_buffer.
struct TcpBudget {
  size_t used = 0;
};

// Where a stream's ordered bytes go.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void Deliver(std::span<const uint8_t> data) = 0;
  virtual void Gap(uint64_t length) = 0;
  virtual void End() = 0;
};

struct TcpStreamStats {
  uint64_t delivered = 0;  // bytes
  uint64_t gap_bytes = 0;  // bytes never seen
  uint64_t gaps = 0;
  uint64_t duplicate_bytes = 0;  // retransmitted or overlapping bytes dropped
};

class TcpStream {
 public:
  TcpStream(const TcpLimits* limits, TcpBudget* budget, WeirdCounter* weirds, StreamSink* sink)
      : limits_(limits), budget_(budget), weirds_(weirds), sink_(sink) {}
  ~TcpStream();
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  // A segment sent in this stream's direction (flags as in the TCP header).
  void Segment(uint32_t seq, uint8_t flags, std::span<const uint8_t> payload);
  // The other direction acknowledged `ack`: bytes below it were sent.
  void PeerAck(uint32_t ack);
  // The flow ends: delivers what is buffered (across gaps) and ends.
  void Finish();

  bool started() const { return started_; }
  bool mid_stream() const { return mid_stream_; }
  bool ended() const { return ended_; }
  size_t buffered() const { return buffered_; }
  const TcpStreamStats& stats() const { return stats_; }

 private:
  int64_t OffsetOf(uint32_t seq) const {
    return static_cast<int64_t>(next_) + static_cast<int32_t>(seq - next_seq_);
  }
  void Insert(uint64_t off, std::span<const uint8_t> data);
  void DeliverNow(std::span<const uint8_t> data);
  void Drain();
  void SkipTo(uint64_t off);
  void MaybeEnd();
  void EndNow();
  void Release(size_t n);

  const TcpLimits* limits_;
  TcpBudget* budget_;
  WeirdCounter* weirds_;
  StreamSink* sink_;
  bool started_ = false;
  bool mid_stream_ = false;
  bool started_from_ack_ = false;  // started by PeerAck, not yet confirmed by data
  bool ended_ = false;
  uint64_t next_ = 0;                                 // stream offset of the next byte to deliver
  uint32_t next_seq_ = 0;                             // its sequence number
  int64_t fin_at_ = -1;                               // stream offset of the FIN, once seen
  std::map<uint64_t, std::vector<uint8_t>> pending_;  // by stream offset, never overlapping
  size_t buffered_ = 0;
  TcpStreamStats stats_;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_TCP_TCP_STREAM_H_
