// ISO transport on TCP as S7 uses it: TPKT (RFC 1006: version 3, a reserved
// byte, a 16-bit length counting its own 4 bytes) carrying one COTP TPDU
// (ISO 8073 class 0: CR, CC, DR, DC, DT, ER). Pure parsing of one TPKT
// payload; the analyzer frames the stream and reassembles DT segments.
#ifndef QILIAN_SECURITY_ANALYZERS_S7COMM_COTP_H_
#define QILIAN_SECURITY_ANALYZERS_S7COMM_COTP_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace qilian::security::s7comm {

constexpr uint16_t kIsoTsapPort = 102;
constexpr size_t kTpktHeaderSize = 4;
// The smallest TPKT that carries a TPDU: header, LI and a DT's 2 bytes.
constexpr uint16_t kMinTpktLength = 7;

// TPDU codes (the high nibble of the second COTP byte).
enum CotpType : uint8_t {
  kCotpEd = 0x10,
  kCotpEa = 0x20,
  kCotpRj = 0x50,
  kCotpAk = 0x60,
  kCotpEr = 0x70,
  kCotpDr = 0x80,
  kCotpDc = 0xc0,
  kCotpCc = 0xd0,
  kCotpCr = 0xe0,
  kCotpDt = 0xf0,
};

// COTP parameter codes in CR and CC.
constexpr uint8_t kParamTpduSize = 0xc0;
constexpr uint8_t kParamSrcTsap = 0xc1;
constexpr uint8_t kParamDstTsap = 0xc2;

struct CotpTpdu {
  uint8_t type = 0;  // CotpType
  // CR, CC, DR, DC.
  uint16_t dst_ref = 0;
  uint16_t src_ref = 0;
  uint8_t class_option = 0;             // CR, CC
  std::optional<uint8_t> reason;        // DR: disconnect reason; ER: reject cause
  std::optional<uint8_t> tpdu_size;     // CR, CC: the size code (2^code bytes)
  std::optional<std::string> src_tsap;  // raw bytes
  std::optional<std::string> dst_tsap;
  // DT.
  bool eot = true;
  uint8_t tpdu_number = 0;
  std::span<const uint8_t> payload;  // DT user data (aliases the input)
};

// Whether `b` starts with a plausible TPKT header followed by a known TPDU
// code (needs 6 bytes).
bool PlausibleTpkt(std::span<const uint8_t> b);

// Parses the bytes after a TPKT header. Returns "" when well formed, else
// the weird's name; `out` holds what could be read.
std::string_view ParseCotp(std::span<const uint8_t> tpkt_payload, CotpTpdu* out);

}  // namespace qilian::security::s7comm

#endif  // QILIAN_SECURITY_ANALYZERS_S7COMM_COTP_H_
