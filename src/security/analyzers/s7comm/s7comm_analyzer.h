// The S7comm analyzer (ISO-on-TCP, port 102): frames each direction's byte
// stream into TPKTs (which may span or share TCP segments), reads the COTP
// TPDU in each, joins DT segments up to the one marked end-of-TSDU, and
// decodes the S7comm PDU that results (s7comm_pdu.h). It emits one event per
// COTP connection TPDU (CR, CC, DR, DC, ER) and per S7 PDU; S7comm-plus
// (protocol id 0x72, S7-1200/1500) is recognised and counted, one event per
// PDU with proto "s7comm-plus", not decoded further.
//
// A malformed TPKT header counts `s7comm_bad_tpkt` and the analyzer skips
// ahead to the next plausible header; after a gap it drops the partial TPKT
// and the partial TSDU and resyncs the same way.
#ifndef QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_ANALYZER_H_
#define QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_ANALYZER_H_

#include <cstdint>
#include <span>
#include <vector>

#include "security/analyzers/analyzer.h"
#include "security/analyzers/s7comm/cotp.h"
#include "security/analyzers/s7comm/s7comm_session.h"

namespace qilian::security::s7comm {

// A reassembled TSDU larger than this is dropped (the largest S7 PDU size a
// CPU negotiates is 960 bytes; S7comm-plus goes further, not this far).
constexpr size_t kMaxTsduSize = 65536;

// Whether `bytes` start with a plausible TPKT and COTP header.
bool LooksLikeS7(std::span<const uint8_t> bytes);

class S7commAnalyzer : public Analyzer {
 public:
  explicit S7commAnalyzer(AnalyzerHost* host) : host_(host) {}

  void DeliverStream(Direction dir, std::span<const uint8_t> data) override;
  void Gap(Direction dir, uint64_t length) override;
  void EndOfData(Direction dir) override;

 private:
  void Tpkt(Direction dir, std::span<const uint8_t> payload);
  void Connection(const CotpTpdu& t);
  void Tsdu(std::span<const uint8_t> tsdu);

  AnalyzerHost* host_;
  std::vector<uint8_t> buffer_[2];  // an incomplete TPKT per direction
  std::vector<uint8_t> tsdu_[2];    // DT segments awaiting end-of-TSDU
  bool resync_[2] = {false, false};
  bool dropping_[2] = {false, false};  // an oversized TSDU's rest is skipped
  S7Session session_;
};

}  // namespace qilian::security::s7comm

#endif  // QILIAN_SECURITY_ANALYZERS_S7COMM_S7COMM_ANALYZER_H_
