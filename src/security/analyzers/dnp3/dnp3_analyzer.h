// The DNP3 analyzer (IEEE 1815), over TCP and UDP port 20000: finds link
// frames in each direction's bytes (frames may span or share TCP segments;
// a UDP datagram holds whole frames), checks the header and data block
// CRCs, reassembles transport segments into application fragments and
// emits one event per fragment (dnp3_app.h decodes it) and one per
// link-layer-only frame. A response is matched to its request by the
// application sequence number, so its event names the function it answers.
//
// Bad frames are weirds, never failures: bad start bytes or a header CRC
// mismatch count once and the analyzer resynchronises on the next 0x05 0x64
// whose header CRC is right; a data block CRC mismatch drops the frame and
// any fragment it belonged to. Memory per flow is bounded: one frame's
// bytes and one fragment (kMaxFragmentSize) per direction.
#ifndef QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_ANALYZER_H_
#define QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_ANALYZER_H_

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "security/analyzers/analyzer.h"
#include "security/analyzers/dnp3/dnp3_link.h"
#include "security/analyzers/dnp3/dnp3_transport.h"

namespace qilian::security::dnp3 {

constexpr uint16_t kDnp3Port = 20000;

// Whether `bytes` start like a DNP3 link frame: 0x05 0x64 and, once the
// header is there, a length of at least 5 and a right header CRC.
bool LooksLikeDnp3(std::span<const uint8_t> bytes);

class Dnp3Analyzer : public Analyzer {
 public:
  explicit Dnp3Analyzer(AnalyzerHost* host);

  void DeliverStream(Direction dir, std::span<const uint8_t> data) override;
  void Gap(Direction dir, uint64_t length) override;
  void EndOfData(Direction dir) override;
  void DeliverPacket(Direction dir, std::span<const uint8_t> data) override;

 private:
  // Frames as many whole frames as `bytes` hold; returns the bytes used.
  size_t Frames(Direction dir, std::span<const uint8_t> bytes);
  void Frame(Direction dir, const LinkHeader& link, std::span<const uint8_t> user_data);
  void Fragment(const Reassembler& r);

  AnalyzerHost* host_;
  std::vector<uint8_t> buffer_[2];  // an incomplete frame per direction
  bool resync_[2] = {false, false};
  std::vector<uint8_t> user_data_;  // scratch: one frame's data without CRCs
  Reassembler reassembler_[2];
  // Outstanding requests by application sequence number (4 bits).
  std::array<std::optional<uint8_t>, 16> pending_;
  // The request a multi-fragment response answers, for its later fragments.
  std::optional<uint8_t> answering_;
};

}  // namespace qilian::security::dnp3

#endif  // QILIAN_SECURITY_ANALYZERS_DNP3_DNP3_ANALYZER_H_
