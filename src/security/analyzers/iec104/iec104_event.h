// The typed record of one IEC 60870-5-104 APDU (an I-, S- or U-format
// frame, with its ASDU for I-format) and its JSON form. Information objects
// are kept as JSON objects: their fields depend on the type identification
// (iec104_asdu.cc decodes them). docs/security/iec104.md describes every field.
#ifndef QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_EVENT_H_
#define QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nlohmann/json.hpp"

namespace qilian::security::iec104 {

struct Asdu {
  uint8_t type_id = 0;
  bool sq = false;          // one address, then consecutive objects
  uint8_t num_objects = 0;  // the variable structure qualifier's number
  uint8_t cot = 0;          // cause of transmission, 6 bits
  bool negative = false;    // P/N bit: a negative confirmation
  bool test = false;
  uint8_t originator = 0;
  uint16_t common_address = 0;
  std::vector<nlohmann::ordered_json> objects;
  // Lower-case hex of information objects that could not be decoded (an
  // unknown type identification).
  std::optional<std::string> data;
};

enum class Format : char { kI = 'I', kS = 'S', kU = 'U' };

struct Apdu {
  Format format = Format::kI;
  bool from_controlled = false;      // sent by the side on port 2404
  uint8_t length = 0;                // the APCI length field
  std::optional<uint16_t> tx_seq;    // N(S), I-format
  std::optional<uint16_t> rx_seq;    // N(R), I- and S-format
  std::optional<uint8_t> u_control;  // U-format: the first control octet
  // I-format whose N(S) is not the one that should follow: the one expected.
  std::optional<uint16_t> expected_tx_seq;
  std::optional<Asdu> asdu;
};

// The event's own fields, in schema order (the host adds time and flow).
nlohmann::ordered_json ToJson(const Apdu& a);

}  // namespace qilian::security::iec104

#endif  // QILIAN_SECURITY_ANALYZERS_IEC104_IEC104_EVENT_H_
