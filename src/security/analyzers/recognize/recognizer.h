// Recognisers: industrial protocols the sensor identifies and counts but does
// not analyze in depth (BACnet/IP, PROFINET, IEC 61850 GOOSE/SV/MMS, MELSEC,
// FINS, HART-IP, C37.118, ADS/AMS, ...), as Zeek's DPD plus conn.log
// `service`. Each is a few functions of plain data, described by a
// Recognizer: its ports or EtherTypes, a signature check on the first bytes,
// how to cut a TCP stream into PDUs, and which cheap and certain header
// fields of a PDU to note. One generic analyzer (RecognizingAnalyzer) does
// the rest for all of them: it counts PDUs and bytes per direction and, when
// the flow ends, emits one event with the counts and the notes
// (docs/security/recognized.md).
//
// Adding one: a file <p>.cc here defining `const Recognizer& <P>Recognizer()`
// and its line in kRecognizers (recognizers.cc) and the CMake source list.
#ifndef QILIAN_SECURITY_ANALYZERS_RECOGNIZE_RECOGNIZER_H_
#define QILIAN_SECURITY_ANALYZERS_RECOGNIZE_RECOGNIZER_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "security/analyzers/analyzer.h"
#include "security/analyzers/registry.h"

namespace qilian::security::recognize {

// What a flow's PDUs showed, kept small: a few values per key.
class FlowNotes {
 public:
  // Distinct values noted under one key beyond this are counted as "other".
  static constexpr size_t kMaxValues = 16;

  // Counts one occurrence of `value` under `key` (e.g. "services",
  // "read-property"): the event shows {"read-property": 3, ...}.
  void Count(std::string_view key, std::string_view value);
  // Keeps the first value noted under `key` (an identity: APPID, gocbRef).
  void First(std::string_view key, nlohmann::ordered_json value);
  // Keeps the last value noted under `key` (a state: stNum, sqNum).
  void Last(std::string_view key, nlohmann::ordered_json value);

  // The notes, in the order their keys were first noted.
  const nlohmann::ordered_json& fields() const { return fields_; }

  // One word per direction a recogniser may keep between PDUs (MMS: whether
  // the next COTP segment continues a TSDU). Starts at 0.
  uint64_t& state(Direction dir) { return state_[Index(dir)]; }

 private:
  nlohmann::ordered_json fields_ = nlohmann::ordered_json::object();
  uint64_t state_[2] = {0, 0};
};

// For Recognizer::pdu_length.
constexpr size_t kNeedMore = 0;
constexpr size_t kNotFramed = std::numeric_limits<size_t>::max();

struct Recognizer {
  std::string_view name;  // as in events and the summary ("bacnet")
  std::vector<uint16_t> tcp_ports = {};
  std::vector<uint16_t> udp_ports = {};
  std::vector<uint16_t> ethertypes = {};  // link-layer protocols
  // Whether the first bytes of a datagram, frame payload or TCP direction
  // look like the protocol (a near miss must be refused).
  bool (*signature)(std::span<const uint8_t> first) = nullptr;
  // Transports on which the signature is strong enough to recognise the
  // protocol on any port (a flow on no registered port is offered to it).
  std::vector<Transport> any_port = {};
  // TCP: the length of the PDU that starts `head` (header included),
  // kNeedMore when `head` is too short to tell, kNotFramed when it does not
  // start a PDU. nullptr: TCP is not framed (a UDP or link-layer protocol).
  size_t (*pdu_length)(std::span<const uint8_t> head) = nullptr;
  // Notes a PDU's key fields. False: the PDU is malformed (counted as the
  // weird `<name>_malformed`).
  bool (*inspect)(Direction dir, std::span<const uint8_t> pdu, FlowNotes* notes) = nullptr;
};

// One flow (or link-layer conversation) of a recognised protocol.
class RecognizingAnalyzer : public Analyzer {
 public:
  // A TCP stream's bytes held while a PDU is incomplete, per direction;
  // beyond it the PDU is skipped, counted, not buffered.
  static constexpr size_t kMaxBufferedPdu = 64 * 1024;

  RecognizingAnalyzer(const Recognizer* recognizer, AnalyzerHost* host)
      : recognizer_(recognizer), host_(host) {}

  void DeliverStream(Direction dir, std::span<const uint8_t> data) override;
  void Gap(Direction dir, uint64_t length) override;
  void DeliverPacket(Direction dir, std::span<const uint8_t> data) override;
  void EndOfFlow() override;

 private:
  void Pdu(Direction dir, std::span<const uint8_t> pdu);
  void Weird(std::string_view what);

  const Recognizer* recognizer_;
  AnalyzerHost* host_;
  FlowNotes notes_;
  uint64_t pdus_[2] = {0, 0};
  uint64_t bytes_[2] = {0, 0};
  std::vector<uint8_t> buffer_[2];  // TCP: an incomplete PDU
  size_t skip_[2] = {0, 0};         // TCP: bytes of an oversized PDU still to skip
  bool resync_[2] = {false, false};  // TCP: after a gap or a bad header, until a PDU starts
};

// Registers every recogniser in kRecognizers: one AnalyzerInfo per transport
// it runs on.
void RegisterRecognizers(AnalyzerRegistry* registry);
// The recognisers, in registration order.
std::span<const Recognizer* const> AllRecognizers();

// Byte access for the recognisers (bounds are the caller's).
inline uint16_t Be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
inline uint16_t Le16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] | b[at + 1] << 8);
}
inline uint32_t Be32(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(Be16(b, at)) << 16 | Be16(b, at + 2);
}
inline uint32_t Le32(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint32_t>(Le16(b, at + 2)) << 16 | Le16(b, at);
}
// "0x0401" style, `digits` hex digits.
std::string Hex(uint32_t value, int digits);
// Text from the wire for an event: printable ASCII kept, every other byte
// and '\' written as \xNN (events must be valid UTF-8, names on the wire
// need not be), cut after kMaxText bytes of input.
constexpr size_t kMaxText = 128;
std::string Printable(std::span<const uint8_t> bytes);

}  // namespace qilian::security::recognize

#endif  // QILIAN_SECURITY_ANALYZERS_RECOGNIZE_RECOGNIZER_H_
