// The EtherNet/IP analyzer: frames each TCP direction into encapsulation
// messages (a 24-byte header, then `length` bytes; messages may span or share
// segments), takes UDP datagrams on 44818 as one message each and UDP 2222
// datagrams as class 0/1 I/O, and emits one event per message
// (enip_encap.h), with the CIP message of SendRRData/SendUnitData decoded
// (cip.h). The side on port 44818 is the target: its messages are responses.
//
// CIP responses carry no path, so requests are remembered until answered:
// SendRRData by sender context (answers come in order, the oldest request
// with the same context is taken), SendUnitData by the connected data's
// sequence count. Both are bounded (kMaxPendingRequests, oldest forgotten).
// A header with an undefined command or non-zero options counts
// `enip_bad_header` and the analyzer resyncs on the next plausible header, as
// it does after a TCP gap.
#ifndef QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_ANALYZER_H_
#define QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_ANALYZER_H_

#include <array>
#include <cstdint>
#include <deque>
#include <span>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "security/analyzers/analyzer.h"
#include "security/analyzers/enip/cip.h"
#include "security/analyzers/enip/enip_encap.h"

namespace qilian::security::enip {

constexpr uint16_t kEnipPort = 44818;  // TCP and UDP
constexpr uint16_t kIoPort = 2222;     // UDP, class 0/1 I/O
constexpr size_t kMaxPendingRequests = 256;

// Whether `bytes` start like an encapsulation header (a defined command;
// with all 24 bytes, also options 0).
bool LooksLikeEnip(std::span<const uint8_t> bytes);
// Whether a UDP datagram starts like I/O: 1-4 items, the first an address item.
bool LooksLikeEnipIo(std::span<const uint8_t> bytes);

class EnipAnalyzer : public Analyzer {
 public:
  explicit EnipAnalyzer(AnalyzerHost* host);

  void DeliverStream(Direction dir, std::span<const uint8_t> data) override;
  void Gap(Direction dir, uint64_t length) override;
  void EndOfData(Direction dir) override;
  void DeliverPacket(Direction dir, std::span<const uint8_t> data) override;

 private:
  void Message(Direction dir, std::span<const uint8_t> frame);
  void Report(const Weirds& weirds);

  using Context = std::array<uint8_t, 8>;

  AnalyzerHost* host_;
  Direction client_;  // the direction away from port 44818
  bool io_;           // a UDP 2222 flow
  std::vector<uint8_t> buffer_[2];
  bool resync_[2] = {false, false};
  std::deque<std::pair<Context, CipRequestInfo>> rr_pending_;  // oldest first
  absl::flat_hash_map<uint16_t, CipRequestInfo> unit_pending_;
  std::deque<uint16_t> unit_order_;  // oldest first, to bound unit_pending_
};

}  // namespace qilian::security::enip

#endif  // QILIAN_SECURITY_ANALYZERS_ENIP_ENIP_ANALYZER_H_
