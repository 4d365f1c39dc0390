// Fuzz target: segments through one TcpStream under small bounds. Input:
// records of [flags][seq delta u16][ack delta u8][length u8][bytes]. What is
// delivered plus what is reported as gaps must only grow, buffered bytes
// stay within the stream's bound, and the budget returns to 0.
#include <cstdint>
#include <cstdlib>

#include "security/tcp/tcp_stream.h"

using namespace qilian::security;

namespace {
class Sink : public StreamSink {
 public:
  void Deliver(std::span<const uint8_t> data) override {
    if (ended || data.empty()) std::abort();
  }
  void Gap(uint64_t length) override {
    if (ended || length == 0) std::abort();
  }
  void End() override {
    if (ended) std::abort();
    ended = true;
  }
  bool ended = false;
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  TcpLimits limits{512, 1024, 1u << 20};
  TcpBudget budget;
  WeirdCounter weirds;
  Sink sink;
  {
    TcpStream stream(&limits, &budget, &weirds, &sink);
    uint32_t base = 0xfffff000;  // near the wrap
    uint64_t progress = 0;
    size_t at = 0;
    while (at + 5 <= size) {
      uint8_t flags = data[at];
      uint32_t seq = base + (uint32_t{data[at + 1]} << 8 | data[at + 2]);
      uint32_t ack = base + data[at + 3] * 16u;
      size_t len = std::min<size_t>(data[at + 4], size - at - 5);
      stream.Segment(seq, flags, {data + at + 5, len});
      if (flags & 0x80) stream.PeerAck(ack);
      at += 5 + len;
      uint64_t now = stream.stats().delivered + stream.stats().gap_bytes;
      if (now < progress || stream.buffered() > limits.max_stream_buffer) std::abort();
      if (budget.used != stream.buffered()) std::abort();
      progress = now;
    }
    stream.Finish();
    if (!sink.ended || stream.buffered() != 0) std::abort();
  }
  if (budget.used != 0) std::abort();
  return 0;
}
