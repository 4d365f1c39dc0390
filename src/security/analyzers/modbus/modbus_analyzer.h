// The Modbus/TCP analyzer: frames each direction's byte stream into MBAP
// messages (7-byte header: transaction id, protocol id 0, length, unit id;
// frames may span or share TCP segments), decodes each PDU (modbus_pdu.h)
// and emits one event per request and per response. The side not on port
// 502 sends requests (normally the originator); reads are matched to their request by
// transaction id so a response event carries the address it answers.
//
// Malformed headers count `modbus_bad_header` and the analyzer resyncs on the
// next plausible header; after a gap it drops the partial frame and resyncs
// the same way (a plausible header: protocol id 0, a length within the
// specification, a function code in 1..127, with or without the exception bit).
#ifndef QILIAN_SECURITY_ANALYZERS_MODBUS_MODBUS_ANALYZER_H_
#define QILIAN_SECURITY_ANALYZERS_MODBUS_MODBUS_ANALYZER_H_

#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "security/analyzers/analyzer.h"
#include "security/analyzers/modbus/modbus_pdu.h"

namespace qilian::security::modbus {

constexpr uint16_t kModbusPort = 502;
constexpr size_t kMbapHeaderSize = 7;
// The length field counts the unit id and the PDU; a PDU is at most 253 bytes.
constexpr uint16_t kMinMbapLength = 2;
constexpr uint16_t kMaxMbapLength = 254;
// Requests remembered while waiting for their responses, per flow.
constexpr size_t kMaxPendingRequests = 256;

// Whether `bytes` start with a plausible MBAP header and function code.
bool LooksLikeModbus(std::span<const uint8_t> bytes);

class ModbusAnalyzer : public Analyzer {
 public:
  explicit ModbusAnalyzer(AnalyzerHost* host);

  void DeliverStream(Direction dir, std::span<const uint8_t> data) override;
  void Gap(Direction dir, uint64_t length) override;
  void EndOfData(Direction dir) override;

 private:
  void Frame(Direction dir, std::span<const uint8_t> frame);
  void Remember(uint16_t tid, const RequestContext& request);

  AnalyzerHost* host_;
  Direction client_;                // the direction requests travel in
  std::vector<uint8_t> buffer_[2];  // an incomplete frame per direction
  bool resync_[2] = {false, false};
  absl::flat_hash_map<uint16_t, RequestContext> pending_;
  // Oldest first, to bound pending_. A vector, not a deque: libstdc++'s
  // deque allocates 576 bytes as it is made, per flow (a million flows'
  // memory: docs/benchmarks.md, "ICS sensor"); at most 256 entries to shift.
  std::vector<uint16_t> pending_order_;
};

}  // namespace qilian::security::modbus

#endif  // QILIAN_SECURITY_ANALYZERS_MODBUS_MODBUS_ANALYZER_H_
