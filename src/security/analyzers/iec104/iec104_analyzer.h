// The IEC 60870-5-104 analyzer: frames each direction's byte stream into
// APDUs (start octet 0x68, a length octet of 4..253, four control octets,
// then for I-format an ASDU; APDUs may span or share TCP segments), decodes
// each (iec104_asdu.h) and emits one event per APDU. The side on port 2404 is
// the controlled station (normally the responder).
//
// Send sequence numbers are checked per direction: an I-format APDU whose
// N(S) does not follow the previous one counts `iec104_sequence_gap` (frames
// lost or injected); an N(R) acknowledging frames the peer never sent counts
// `iec104_ack_unsent`. A bad start octet or length counts a weird and the
// analyzer resyncs on the next plausible APCI; after a TCP gap it drops the
// partial frame and forgets the sequence numbers.
#ifndef QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_ANALYZER_H_
#define QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_ANALYZER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "security/analyzers/analyzer.h"

namespace qilian::security::iec104 {

constexpr uint16_t kIec104Port = 2404;
constexpr uint8_t kStartOctet = 0x68;
constexpr size_t kApciSize = 6;  // start, length, four control octets
constexpr uint8_t kMinLength = 4;
constexpr uint8_t kMaxLength = 253;
constexpr uint16_t kSequenceModulo = 32768;  // 15-bit N(S), N(R)

// Whether `bytes` start with a plausible APCI (start octet, length, and a
// control field that is I-, S- or a single U-format function).
bool LooksLikeIec104(std::span<const uint8_t> bytes);

class Iec104Analyzer : public Analyzer {
 public:
  explicit Iec104Analyzer(AnalyzerHost* host);

  void DeliverStream(Direction dir, std::span<const uint8_t> data) override;
  void Gap(Direction dir, uint64_t length) override;
  void EndOfData(Direction dir) override;

 private:
  void Frame(Direction dir, std::span<const uint8_t> frame);
  void CheckAck(Direction dir, uint16_t rx_seq);

  AnalyzerHost* host_;
  Direction controlling_;           // the direction away from port 2404
  std::vector<uint8_t> buffer_[2];  // an incomplete frame per direction
  bool resync_[2] = {false, false};
  std::optional<uint16_t> next_tx_[2];  // the N(S) the next I-format should carry
};

}  // namespace qilian::security::iec104

#endif  // QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_ANALYZER_H_
