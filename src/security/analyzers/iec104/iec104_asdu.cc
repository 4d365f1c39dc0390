#include "security/analyzers/iec104/iec104_asdu.h"

#include <charconv>
#include <cstdio>
#include <cstring>

#include "security/analyzers/iec104/iec104_types.h"

namespace qilian::security::iec104 {
namespace {

constexpr std::string_view kOk = "";
constexpr std::string_view kTruncated = "iec104_asdu_truncated";
constexpr std::string_view kLength = "iec104_asdu_length_mismatch";
constexpr std::string_view kNoObjects = "iec104_asdu_no_objects";
constexpr std::string_view kUnknownType = "iec104_unknown_type";
constexpr std::string_view kUnknownCause = "iec104_unknown_cause";

using Json = nlohmann::ordered_json;

// Little-endian (the standard's octet order) with a sticky error, as
// core/bytes.h's ByteReader is for big-endian formats.
class LeReader {
 public:
  explicit LeReader(std::span<const uint8_t> b) : b_(b) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return b_.size() - pos_; }
  std::span<const uint8_t> Take(size_t n) {
    if (!ok_ || n > remaining()) {
      ok_ = false;
      return {};
    }
    std::span<const uint8_t> s = b_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  uint32_t Uint(size_t n) {
    std::span<const uint8_t> s = Take(n);
    uint32_t v = 0;
    for (size_t i = s.size(); i > 0; --i) v = v << 8 | s[i - 1];
    return v;
  }
  uint8_t U8() { return static_cast<uint8_t>(Uint(1)); }
  std::span<const uint8_t> Rest() { return Take(remaining()); }

 private:
  std::span<const uint8_t> b_;
  size_t pos_ = 0;
  bool ok_ = true;
};

constexpr char kDigits[] = "0123456789abcdef";

std::string Hex(std::span<const uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

// A float written with the fewest digits that read back as the same float,
// so 1.1f is 1.1 in JSON rather than 1.100000023841858.
double ShortestFloat(float f) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
  double d = f;
  if (ec == std::errc()) std::from_chars(buf, end, d);
  return d;
}

// Quality bits shared by QDS, SIQ, DIQ, QDP and SEP, as their abbreviations.
void PutQuality(Json& o, uint8_t q, uint8_t mask) {
  static constexpr struct {
    uint8_t bit;
    const char* name;
  } kBits[] = {{0x01, "OV"}, {0x08, "EI"}, {0x10, "BL"}, {0x20, "SB"}, {0x40, "NT"}, {0x80, "IV"}};
  Json flags = Json::array();
  for (const auto& b : kBits) {
    if (q & mask & b.bit) flags.push_back(b.name);
  }
  if (!flags.empty()) o["quality"] = std::move(flags);
}

constexpr uint8_t kQdsBits = 0xf1;  // OV, BL, SB, NT, IV
constexpr uint8_t kSiqBits = 0xf0;
constexpr uint8_t kQdpBits = 0xf8;  // EI, BL, SB, NT, IV

// A command's qualifier octet: S/E bit and QU (pulse kind).
void PutCommandQualifier(Json& o, uint8_t v) {
  o["select"] = (v & 0x80) != 0;
  o["qu"] = (v >> 2) & 0x1f;
}

void PutCp56(Json& o, const char* key, std::span<const uint8_t> b) {
  if (b.size() != 7) return;
  o[key] = Cp56ToString(b.first<7>());
  std::string k(key);
  if (b[2] & 0x80) o[k + "_invalid"] = true;
  if (b[3] & 0x80) o[k + "_summer"] = true;
}

void DecodeElement(Element e, LeReader& r, Json& o) {
  if (e == Element::kSegment) {
    uint8_t los = r.U8();
    o["segment_length"] = los;
    r.Take(los);
    return;
  }
  std::span<const uint8_t> b = r.Take(ElementSize(e));
  if (b.empty()) return;
  auto u = [&b]() {
    uint32_t v = 0;
    for (size_t i = b.size(); i > 0; --i) v = v << 8 | b[i - 1];
    return v;
  };
  switch (e) {
    case Element::kSiq:
      o["value"] = (b[0] & 1) != 0;
      PutQuality(o, b[0], kSiqBits);
      break;
    case Element::kDiq: {
      static constexpr const char* kDp[] = {"intermediate", "off", "on", "indeterminate"};
      o["value"] = b[0] & 3;
      o["value_name"] = kDp[b[0] & 3];
      PutQuality(o, b[0], kSiqBits);
      break;
    }
    case Element::kVti:
      // A 7-bit two's complement value; bit 7 marks a transient state.
      o["value"] = static_cast<int8_t>(static_cast<uint8_t>(b[0] << 1)) >> 1;
      o["transient"] = (b[0] & 0x80) != 0;
      break;
    case Element::kQds:
      PutQuality(o, b[0], kQdsBits);
      break;
    case Element::kBsi:
      o["bits"] = u();
      break;
    case Element::kNva:
      o["value"] = static_cast<int16_t>(u()) / 32768.0;
      break;
    case Element::kSva:
      o["value"] = static_cast<int16_t>(u());
      break;
    case Element::kFloat: {
      uint32_t bits = u();
      float f;
      std::memcpy(&f, &bits, sizeof f);
      o["value"] = ShortestFloat(f);
      break;
    }
    case Element::kBcr: {
      o["counter"] =
          static_cast<int32_t>(b[0] | b[1] << 8 | b[2] << 16 | static_cast<uint32_t>(b[3]) << 24);
      o["sequence"] = b[4] & 0x1f;
      o["carry"] = (b[4] & 0x20) != 0;
      o["adjusted"] = (b[4] & 0x40) != 0;
      o["invalid"] = (b[4] & 0x80) != 0;
      break;
    }
    case Element::kSep:
      o["value"] = b[0] & 3;
      PutQuality(o, b[0], kQdpBits);
      break;
    case Element::kSpe:
      o["start_events"] = b[0];
      break;
    case Element::kOci:
      o["output_circuits"] = b[0];
      break;
    case Element::kQdp:
      PutQuality(o, b[0], kQdpBits);
      break;
    case Element::kCp16:
      o["ms"] = u();
      break;
    case Element::kCp24: {
      // Minutes and milliseconds only (the rest is the receiver's clock).
      char buf[16];
      std::snprintf(buf, sizeof buf, "%02u:%02u.%03u", b[2] & 0x3fu, (b[0] | b[1] << 8) / 1000u,
                    (b[0] | b[1] << 8) % 1000u);
      o["time"] = buf;
      if (b[2] & 0x80) o["time_invalid"] = true;
      break;
    }
    case Element::kCp56:
      PutCp56(o, "time", b);
      break;
    case Element::kStopTime:
      PutCp56(o, "stop_time", b);
      break;
    case Element::kScd:
      o["status"] = b[0] | b[1] << 8;
      o["change"] = b[2] | b[3] << 8;
      break;
    case Element::kSco:
      o["value"] = (b[0] & 1) != 0;
      PutCommandQualifier(o, b[0]);
      break;
    case Element::kDco:
    case Element::kRco: {
      static constexpr const char* kDc[] = {"not_permitted", "off", "on", "not_permitted"};
      static constexpr const char* kRc[] = {"not_permitted", "lower", "higher", "not_permitted"};
      o["value"] = b[0] & 3;
      o["value_name"] = (e == Element::kDco ? kDc : kRc)[b[0] & 3];
      PutCommandQualifier(o, b[0]);
      break;
    }
    case Element::kQos:
      o["select"] = (b[0] & 0x80) != 0;
      o["ql"] = b[0] & 0x7f;
      break;
    case Element::kCoi: {
      static constexpr const char* kCoi[] = {"local_power_on", "local_manual_reset",
                                             "remote_reset"};
      uint8_t c = b[0] & 0x7f;
      o["coi"] = c;
      if (c < std::size(kCoi)) o["coi_name"] = kCoi[c];
      o["after_parameter_change"] = (b[0] & 0x80) != 0;
      break;
    }
    case Element::kQoi:
      o["qoi"] = b[0];
      if (b[0] == 20) {
        o["qoi_name"] = "station";
      } else if (b[0] >= 21 && b[0] <= 36) {
        o["qoi_name"] = "group" + std::to_string(b[0] - 20);
      }
      break;
    case Element::kQcc:
      o["rqt"] = b[0] & 0x3f;
      o["frz"] = b[0] >> 6;
      break;
    case Element::kQrp:
      o["qrp"] = b[0];
      if (b[0] == 1) o["qrp_name"] = "general_reset";
      if (b[0] == 2) o["qrp_name"] = "reset_time_tagged_events";
      break;
    case Element::kFbp:
      o["fbp"] = u();
      break;
    case Element::kTsc:
      o["tsc"] = u();
      break;
    case Element::kQpm:
      o["qpm"] = b[0];
      break;
    case Element::kQpa:
      o["qpa"] = b[0];
      break;
    case Element::kNof:
      o["file"] = u();
      break;
    case Element::kLof:
      o["file_length"] = u();
      break;
    case Element::kNos:
      o["section"] = b[0];
      break;
    case Element::kFrq:
    case Element::kSrq:
    case Element::kScq:
    case Element::kLsq:
    case Element::kAfq:
      o["qualifier"] = b[0];
      break;
    case Element::kChs:
      o["checksum"] = b[0];
      break;
    case Element::kSof:
      o["status"] = b[0];
      break;
    case Element::kSegment:
      break;
  }
}

// The object's size when every element is fixed; 0 for F_SG_NA_1.
size_t FixedSize(const TypeInfo& t) {
  size_t n = 0;
  for (uint8_t i = 0; i < t.count; ++i) {
    if (t.elements[i] == Element::kSegment) return 0;
    n += ElementSize(t.elements[i]);
  }
  return n;
}

}  // namespace

std::string Cp56ToString(std::span<const uint8_t, 7> b) {
  unsigned ms = b[0] | b[1] << 8;
  char buf[32];
  std::snprintf(buf, sizeof buf, "20%02u-%02u-%02uT%02u:%02u:%02u.%03u", b[6] & 0x7fu, b[5] & 0x0fu,
                b[4] & 0x1fu, b[3] & 0x1fu, b[2] & 0x3fu, ms / 1000, ms % 1000);
  return buf;
}

std::string_view ParseAsdu(std::span<const uint8_t> bytes, Asdu* asdu) {
  LeReader r(bytes);
  asdu->type_id = r.U8();
  uint8_t vsq = r.U8();
  uint8_t cot = r.U8();
  asdu->originator = r.U8();
  asdu->common_address = static_cast<uint16_t>(r.Uint(2));
  if (!r.ok()) return kTruncated;
  asdu->sq = (vsq & 0x80) != 0;
  asdu->num_objects = vsq & 0x7f;
  asdu->cot = cot & 0x3f;
  asdu->negative = (cot & 0x40) != 0;
  asdu->test = (cot & 0x80) != 0;
  std::string_view weird = CauseName(asdu->cot).empty() ? kUnknownCause : kOk;

  const TypeInfo* type = FindType(asdu->type_id);
  if (type == nullptr) {
    asdu->data = Hex(r.Rest());
    return kUnknownType;
  }
  if (asdu->num_objects == 0) {
    if (r.remaining() > 0) asdu->data = Hex(r.Rest());
    return kNoObjects;
  }
  // Every object must fit: a declared number of objects that the bytes
  // cannot hold is the length mismatch, found before anything is decoded.
  size_t size = FixedSize(*type);
  if (size > 0 || type->count == 0) {
    size_t want =
        asdu->sq ? kIoaSize + asdu->num_objects * size : asdu->num_objects * (kIoaSize + size);
    if (want != r.remaining() && weird.empty()) weird = kLength;
  }
  uint32_t ioa = 0;
  for (uint8_t i = 0; i < asdu->num_objects; ++i) {
    if (i == 0 || !asdu->sq) {
      ioa = r.Uint(kIoaSize);
    } else {
      ioa = (ioa + 1) & 0xffffff;
    }
    Json o;
    o["ioa"] = ioa;
    for (uint8_t k = 0; k < type->count; ++k) DecodeElement(type->elements[k], r, o);
    if (!r.ok()) break;  // a partial object is not reported
    asdu->objects.push_back(std::move(o));
  }
  if (!r.ok()) return kLength;
  if (r.remaining() > 0) {
    asdu->data = Hex(r.Rest());
    return kLength;
  }
  return weird;
}

}  // namespace qilian::security::iec104
