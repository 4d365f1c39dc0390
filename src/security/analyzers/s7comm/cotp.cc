#include "security/analyzers/s7comm/cotp.h"

#include "core/bytes.h"

namespace qilian::security::s7comm {
namespace {

bool KnownType(uint8_t code) {
  switch (code & 0xf0) {
    case kCotpEd:
    case kCotpEa:
    case kCotpRj:
    case kCotpAk:
    case kCotpEr:
    case kCotpDr:
    case kCotpDc:
    case kCotpCc:
    case kCotpCr:
    case kCotpDt:
      return true;
    default:
      return false;
  }
}

// The variable part of CR/CC/DR: (code, length, value) triples.
bool ReadParameters(ByteReader& r, CotpTpdu* out) {
  while (r.ok() && !r.at_end()) {
    uint8_t code = r.ReadU8();
    uint8_t len = r.ReadU8();
    std::string_view value = r.ReadBytes(len);
    if (!r.ok()) return false;
    if (code == kParamTpduSize && len == 1) {
      out->tpdu_size = static_cast<uint8_t>(value[0]);
    } else if (code == kParamSrcTsap) {
      out->src_tsap = std::string(value);
    } else if (code == kParamDstTsap) {
      out->dst_tsap = std::string(value);
    }
  }
  return r.ok();
}

}  // namespace

bool PlausibleTpkt(std::span<const uint8_t> b) {
  if (b.size() < 6) return false;
  uint16_t length = static_cast<uint16_t>(b[2] << 8 | b[3]);
  // The LI counts the header bytes after itself; it cannot pass the TPKT.
  return b[0] == 3 && b[1] == 0 && length >= kMinTpktLength && b[4] >= 1 &&
         b[4] <= length - kTpktHeaderSize - 1 && KnownType(b[5]);
}

std::string_view ParseCotp(std::span<const uint8_t> p, CotpTpdu* out) {
  if (p.size() < 2) return "s7comm_bad_cotp";
  size_t li = p[0];
  if (li < 1 || li + 1 > p.size()) return "s7comm_bad_cotp";
  out->type = p[1] & 0xf0;
  ByteReader r(p.subspan(2, li - 1));  // the header after LI and the code
  std::span<const uint8_t> user_data = p.subspan(li + 1);
  switch (out->type) {
    case kCotpDt: {
      uint8_t nr = r.ReadU8();
      if (!r.ok()) return "s7comm_bad_cotp";
      out->eot = nr & 0x80;
      out->tpdu_number = nr & 0x7f;
      out->payload = user_data;
      return "";
    }
    case kCotpCr:
    case kCotpCc:
      out->dst_ref = r.ReadU16();
      out->src_ref = r.ReadU16();
      out->class_option = r.ReadU8();
      if (!r.ok() || !ReadParameters(r, out)) return "s7comm_bad_cotp";
      return "";
    case kCotpDr:
      out->dst_ref = r.ReadU16();
      out->src_ref = r.ReadU16();
      out->reason = r.ReadU8();
      if (!r.ok() || !ReadParameters(r, out)) return "s7comm_bad_cotp";
      return "";
    case kCotpDc:
      out->dst_ref = r.ReadU16();
      out->src_ref = r.ReadU16();
      return r.ok() ? "" : "s7comm_bad_cotp";
    case kCotpEr:
      out->dst_ref = r.ReadU16();
      out->reason = r.ReadU8();
      return r.ok() ? "" : "s7comm_bad_cotp";
    default:
      // Expedited data, acknowledgements and rejects belong to classes
      // above 0, which S7 never negotiates.
      return "s7comm_unexpected_cotp_type";
  }
}

}  // namespace qilian::security::s7comm
