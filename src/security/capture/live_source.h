// Captures from a live network interface through libpcap. On Linux, libpcap
// (1.10 on Debian 12) reads a memory-mapped TPACKET_V3 ring: the kernel
// fills blocks of frames and hands a block over when it is full or when the
// block timeout passes, so a quiet link still delivers within that timeout.
// The ring is `buffer_mib` MiB, rounded up to whole 256 KiB blocks
// (docs/security/sensor.md, "Live capture").
//
// Next() never blocks for long: it returns kIdle after `idle` without a
// packet, so the sensor can expire idle flows by the clock, and RequestStop()
// (safe from a signal handler) wakes it at once. After a stop, Next() drains
// what the kernel has already accepted, then returns kEnd.
//
// Timestamps are the kernel's receive time (CLOCK_REALTIME), in nanoseconds
// where libpcap offers them.
#ifndef QILIAN_SECURITY_CAPTURE_LIVE_SOURCE_H_
#define QILIAN_SECURITY_CAPTURE_LIVE_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "security/capture/packet_source.h"

struct pcap;

namespace qilian::security {

struct LiveOptions {
  std::string interface;
  std::string filter;           // pcap-filter(7) expression; empty: every frame
  int snaplen = 262144;         // bytes kept of each frame (libpcap's maximum)
  int buffer_mib = 64;          // the kernel ring
  bool promiscuous = true;      // frames to other hosts too (a mirror port's traffic)
  int block_timeout_ms = 100;   // a partly filled ring block is handed over after this
  absl::Duration idle = absl::Milliseconds(250);  // Next() returns kIdle after this
};

// The kernel's counters for this capture (pcap_stats): frames that passed
// the filter, those of them dropped because the ring was full, and the
// interface's own receive drops since the capture began (promiscuous only).
struct CaptureStats {
  uint64_t received = 0;
  uint64_t dropped = 0;
  uint64_t interface_dropped = 0;
};

class LiveSource : public PacketSource {
 public:
  // Errors name the interface or the filter:
  //   NotFound          "cannot capture on IF: no such interface"
  //   PermissionDenied  "cannot capture on IF: permission denied (capturing needs CAP_NET_RAW)"
  //   InvalidArgument   "bad capture filter 'EXPR': REASON"
  //   FailedPrecondition "cannot capture on IF: the interface is down"
  //   Unavailable       "cannot capture on IF: " and libpcap's words, otherwise
  // The filter is checked before the interface is touched, so a bad filter
  // is reported without privileges.
  static absl::StatusOr<std::unique_ptr<LiveSource>> Open(const LiveOptions& options);
  ~LiveSource() override;

  ReadResult Next(RawPacket* packet) override;
  const std::string& error() const override { return error_; }
  int link_type() const { return link_type_; }
  // pcap_activate's warning (for example promiscuous mode not supported);
  // empty when there was none. The capture runs regardless.
  const std::string& warning() const { return warning_; }
  // Ends the capture: Next() drains what the kernel already holds, then
  // returns kEnd. Async-signal-safe (an atomic store and a write(2)).
  void RequestStop();
  uint64_t packets() const { return packets_; }
  absl::StatusOr<CaptureStats> Stats();

 private:
  LiveSource(const LiveOptions& options, pcap* handle, int stop_fd);
  // Waits up to `timeout` for the ring (or a stop request); true if woken
  // before it passed.
  bool Wait(absl::Duration timeout, bool include_stop);
  // True once every frame the kernel accepted has been read or dropped.
  bool Drained();

  LiveOptions options_;
  pcap* handle_;
  int stop_fd_;  // an eventfd that RequestStop() makes readable
  std::atomic<bool> stop_requested_{false};
  int link_type_;
  TimeNs ts_scale_;  // 1 with nanosecond timestamps, 1000 with microseconds
  uint64_t packets_ = 0;
  std::string warning_;
  std::string error_;
};

}  // namespace qilian::security

#endif  // QILIAN_SECURITY_CAPTURE_LIVE_SOURCE_H_
