// IEC 61850-8-1 GOOSE (EtherType 0x88b8) and IEC 61850-9-2 sampled values
// (0x88ba): an 8-byte header (APPID, length, two reserved words) and a BER
// PDU. GOOSE's control block reference, data set, goID, stNum, sqNum and
// confRev, and the SV ID and sample count, are noted: who publishes what,
// and how far the state has moved.
#include "security/analyzers/recognize/recognizers.h"

namespace qilian::security::recognize {
namespace {

constexpr uint16_t kEtherTypeGoose = 0x88b8;
constexpr uint16_t kEtherTypeSv = 0x88ba;
constexpr size_t kHeader = 8;
constexpr uint8_t kGoosePdu = 0x61;  // [APPLICATION 1] IMPLICIT SEQUENCE
constexpr uint8_t kSavPdu = 0x60;    // [APPLICATION 0] IMPLICIT SEQUENCE

// One BER TLV: definite lengths up to 4 bytes.
struct Tlv {
  uint8_t tag = 0;
  std::span<const uint8_t> value;
  size_t size = 0;  // tag, length and value
};

bool ReadTlv(std::span<const uint8_t> b, Tlv* out) {
  if (b.size() < 2) return false;
  size_t at = 2;
  size_t length = b[1];
  if (length & 0x80) {
    const size_t n = length & 0x7f;
    if (n == 0 || n > 4 || b.size() < 2 + n) return false;
    length = 0;
    for (size_t i = 0; i < n; ++i) length = length << 8 | b[2 + i];
    at += n;
  }
  if (b.size() - at < length) return false;
  *out = Tlv{b[0], b.subspan(at, length), at + length};
  return true;
}

uint64_t Unsigned(std::span<const uint8_t> v) {
  uint64_t n = 0;
  for (uint8_t byte : v.first(std::min<size_t>(v.size(), 8))) n = n << 8 | byte;
  return n;
}

// The PDU inside the header, when the header's length is consistent.
bool Pdu(std::span<const uint8_t> b, uint8_t pdu_tag, Tlv* pdu) {
  if (b.size() < kHeader + 2) return false;
  const uint16_t length = Be16(b, 2);
  if (length < kHeader || length > b.size()) return false;
  return b[kHeader] == pdu_tag && ReadTlv(b.subspan(kHeader, length - kHeader), pdu);
}

bool GooseSignature(std::span<const uint8_t> b) {
  Tlv pdu;
  return Pdu(b, kGoosePdu, &pdu);
}

bool SvSignature(std::span<const uint8_t> b) {
  Tlv pdu;
  return Pdu(b, kSavPdu, &pdu);
}

bool GooseInspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) {
  Tlv pdu;
  if (!Pdu(b, kGoosePdu, &pdu)) return false;
  notes->First("appid", Hex(Be16(b, 0), 4));
  for (std::span<const uint8_t> rest = pdu.value; !rest.empty();) {
    Tlv f;
    if (!ReadTlv(rest, &f)) return false;
    switch (f.tag) {
      case 0x80: notes->First("gocb_ref", Printable(f.value)); break;
      case 0x82: notes->First("dat_set", Printable(f.value)); break;
      case 0x83: notes->First("go_id", Printable(f.value)); break;
      case 0x85: notes->Last("st_num", Unsigned(f.value)); break;
      case 0x86: notes->Last("sq_num", Unsigned(f.value)); break;
      case 0x88: notes->Last("conf_rev", Unsigned(f.value)); break;
      default: break;
    }
    rest = rest.subspan(f.size);
  }
  return true;
}

bool SvInspect(Direction, std::span<const uint8_t> b, FlowNotes* notes) {
  Tlv pdu;
  if (!Pdu(b, kSavPdu, &pdu)) return false;
  notes->First("appid", Hex(Be16(b, 0), 4));
  for (std::span<const uint8_t> rest = pdu.value; !rest.empty();) {
    Tlv f;
    if (!ReadTlv(rest, &f)) return false;
    if (f.tag == 0x80) notes->Last("no_asdu", Unsigned(f.value));
    if (f.tag == 0xa2) {  // seqASDU: the first ASDU's svID and smpCnt
      Tlv asdu;
      if (!ReadTlv(f.value, &asdu) || asdu.tag != 0x30) return false;
      for (std::span<const uint8_t> a = asdu.value; !a.empty();) {
        Tlv g;
        if (!ReadTlv(a, &g)) return false;
        if (g.tag == 0x80) notes->First("sv_id", Printable(g.value));
        if (g.tag == 0x82) notes->Last("smp_cnt", Unsigned(g.value));
        a = a.subspan(g.size);
      }
    }
    rest = rest.subspan(f.size);
  }
  return true;
}

}  // namespace

const Recognizer& GooseRecognizer() {
  static const Recognizer r{.name = "goose",
                            .ethertypes = {kEtherTypeGoose},
                            .signature = GooseSignature,
                            .inspect = GooseInspect};
  return r;
}

const Recognizer& SvRecognizer() {
  static const Recognizer r{.name = "sv",
                            .ethertypes = {kEtherTypeSv},
                            .signature = SvSignature,
                            .inspect = SvInspect};
  return r;
}

}  // namespace qilian::security::recognize
