#include "security/analyzers/opcua/opcua_decoder.h"

#include <bit>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "security/analyzers/opcua/opcua_names.h"

namespace qilian::security::opcua {
namespace {

// Ticks (100 ns) from 1601-01-01 to 1970-01-01.
constexpr int64_t kUnixEpochTicks = 116444736000000000;

// NodeId encoding bytes (§5.2.2.9): the low 6 bits, and the two flags only
// an ExpandedNodeId may set.
constexpr uint8_t kTwoByte = 0, kFourByte = 1, kNumeric = 2, kString = 3, kGuid = 4, kOpaque = 5;
constexpr uint8_t kServerIndexFlag = 0x40, kNamespaceUriFlag = 0x80;

// The fewest bytes an element of a built-in type takes, to bound array counts.
size_t MinEncodedSize(uint8_t type) {
  switch (type) {
    case 4:
    case 5:
      return 2;
    case 6:
    case 7:
    case 10:
    case 12:
    case 15:
    case 16:
    case 19:
      return 4;
    case 8:
    case 9:
    case 11:
    case 13:
      return 8;
    case 14:
      return 16;
    default:
      return 1;
  }
}

}  // namespace

std::string Escape(std::span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t c : bytes) {
    if (out.size() >= kMaxEventString) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      AppendHexByte(c, &out);
    }
  }
  return out;
}

std::optional<std::string> DateTimeText(int64_t ticks) {
  if (ticks <= 0 || ticks == INT64_MAX) return std::nullopt;
  absl::Time t = absl::FromUnixMicros((ticks - kUnixEpochTicks) / 10);
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

std::span<const uint8_t> Decoder::Take(size_t n) {
  if (!ok() || n > b_.size() - pos_) {
    Fail("opcua_truncated_body");
    return {};
  }
  std::span<const uint8_t> s = b_.subspan(pos_, n);
  pos_ += n;
  return s;
}

uint64_t Decoder::Uint(size_t n) {
  std::span<const uint8_t> s = Take(n);
  uint64_t v = 0;
  for (size_t i = s.size(); i > 0; --i) v = v << 8 | s[i - 1];
  return v;
}

double Decoder::Double() { return std::bit_cast<double>(U64()); }
float Decoder::Float() { return std::bit_cast<float>(U32()); }

std::optional<std::span<const uint8_t>> Decoder::Bytes() {
  int32_t n = I32();
  if (!ok() || n < 0) return std::nullopt;  // -1 (and any negative) is null
  if (static_cast<size_t>(n) > remaining()) {
    Fail("opcua_bad_string_length");
    return std::nullopt;
  }
  return Take(static_cast<size_t>(n));
}

std::string Decoder::String() {
  std::optional<std::span<const uint8_t>> b = Bytes();
  return b ? Escape(*b) : std::string();
}

size_t Decoder::ArrayCount(size_t min_element_size) {
  int32_t n = I32();
  if (!ok() || n <= 0) return 0;
  if (static_cast<size_t>(n) > remaining() / std::max<size_t>(min_element_size, 1)) {
    Fail("opcua_bad_array_length");
    return 0;
  }
  return static_cast<size_t>(n);
}

bool Decoder::Enter() {
  if (++depth_ > kMaxDepth) {
    Fail("opcua_nesting_too_deep");
    return false;
  }
  return ok();
}

NodeId Decoder::NodeIdBody(uint8_t encoding) {
  NodeId id;
  switch (encoding & 0x3f) {
    case kTwoByte:
      id.numeric = U8();
      break;
    case kFourByte:
      id.ns = U8();
      id.numeric = U16();
      break;
    case kNumeric:
      id.ns = U16();
      id.numeric = U32();
      break;
    case kString:
      id.ns = U16();
      id.text = "s=" + String();
      break;
    case kGuid:
      id.ns = U16();
      id.text = "g=" + Guid();
      break;
    case kOpaque: {
      id.ns = U16();
      std::optional<std::span<const uint8_t>> b = Bytes();
      std::span<const uint8_t> shown = b ? *b : std::span<const uint8_t>();
      id.text = "b=" + HexBytes(shown.first(std::min(shown.size(), kMaxEventString / 2)));
      break;
    }
    default:
      Fail("opcua_bad_nodeid_encoding");
      return id;
  }
  if (id.numeric) id.text = absl::StrCat("i=", *id.numeric);
  if (id.ns != 0) id.text = absl::StrCat("ns=", id.ns, ";", id.text);
  return id;
}

NodeId Decoder::ReadNodeId() {
  uint8_t encoding = U8();
  if (encoding & (kServerIndexFlag | kNamespaceUriFlag)) {
    Fail("opcua_bad_nodeid_encoding");
    return {};
  }
  return NodeIdBody(encoding);
}

NodeId Decoder::ReadExpandedNodeId() {
  uint8_t encoding = U8();
  NodeId id = NodeIdBody(encoding);
  std::string prefix;
  if (encoding & kNamespaceUriFlag) {
    std::string uri = String();
    // The URI replaces the namespace index.
    if (id.ns != 0) id.text = id.text.substr(id.text.find(';') + 1);
    prefix = absl::StrCat("nsu=", uri, ";");
  }
  if (encoding & kServerIndexFlag) prefix = absl::StrCat("svr=", U32(), ";", prefix);
  id.text = prefix + id.text;
  return id;
}

nlohmann::ordered_json Decoder::DateTime() {
  std::optional<std::string> t = DateTimeText(I64());
  return t && ok() ? nlohmann::ordered_json(*t) : nlohmann::ordered_json();
}

std::string Decoder::Guid() {
  uint32_t d1 = U32();
  uint16_t d2 = U16(), d3 = U16();
  std::span<const uint8_t> d4 = Take(8);
  if (!ok()) return "";
  return absl::StrFormat("%08x-%04x-%04x-%s-%s", d1, d2, d3, HexBytes(d4.first(2)), HexBytes(d4.subspan(2)));
}

std::string Decoder::QualifiedName() {
  uint16_t ns = U16();
  std::string name = String();
  return ns == 0 ? name : absl::StrCat(ns, ":", name);
}

std::string Decoder::LocalizedText() {
  uint8_t mask = U8();
  if (mask & ~0x03) Fail("opcua_bad_localized_text");
  if (mask & 0x01) String();  // locale
  return mask & 0x02 ? String() : std::string();
}

nlohmann::ordered_json Decoder::Scalar(uint8_t type) {
  using json = nlohmann::ordered_json;
  switch (type) {
    case 1:
      return Bool();
    case 2:
      return static_cast<int8_t>(U8());
    case 3:
      return U8();
    case 4:
      return static_cast<int16_t>(U16());
    case 5:
      return U16();
    case 6:
      return I32();
    case 7:
      return U32();
    case 8:
      return I64();
    case 9:
      return U64();
    case 10:
      return Float();
    case 11:
      return Double();
    case 12: {
      std::optional<std::span<const uint8_t>> b = Bytes();
      return b ? json(Escape(*b)) : json();
    }
    case 13:
      return DateTime();
    case 14:
      return Guid();
    case 15:
    case 16: {  // ByteString, XmlElement
      std::optional<std::span<const uint8_t>> b = Bytes();
      if (!b) return json();
      if (b->size() <= kMaxEventBytesHex) return HexBytes(*b);
      return json{{"length", b->size()}};
    }
    case 17:
      return ReadNodeId().text;
    case 18:
      return ReadExpandedNodeId().text;
    case 19:
      return U32();
    case 20:
      return QualifiedName();
    case 21:
      return LocalizedText();
    case 22:
      return ExtensionObject();
    case 23:
      return DataValue();
    case 24:
      return Variant();
    case 25:
      SkipDiagnosticInfo();
      return json();
    default:
      Fail("opcua_bad_variant");
      return json();
  }
}

nlohmann::ordered_json Decoder::Variant() {
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  if (!Enter()) {
    Leave();
    return v;
  }
  uint8_t mask = U8();
  uint8_t type = mask & 0x3f;
  if (type == 0) {  // null variant
    Leave();
    return v;
  }
  if (type > 25) {
    Fail("opcua_bad_variant");
    Leave();
    return v;
  }
  v["type"] = BuiltinTypeName(type);
  if (mask & 0x80) {
    size_t n = ArrayCount(MinEncodedSize(type));
    nlohmann::ordered_json items = nlohmann::ordered_json::array();
    for (size_t i = 0; i < n && ok(); ++i) {
      nlohmann::ordered_json x = Scalar(type);
      if (Keep(i)) items.push_back(std::move(x));
    }
    v["array"] = std::move(items);
    if (n > v["array"].size()) v["length"] = n;
    if (mask & 0x40) {  // array dimensions
      size_t dims = ArrayCount(4);
      for (size_t i = 0; i < dims && ok(); ++i) I32();
    }
  } else {
    if (mask & 0x40) Fail("opcua_bad_variant");  // dimensions without an array
    v["value"] = Scalar(type);
  }
  Leave();
  return v;
}

nlohmann::ordered_json Decoder::DataValue() {
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  if (!Enter()) {
    Leave();
    return v;
  }
  uint8_t mask = U8();
  if (mask & 0xc0) Fail("opcua_bad_data_value");
  if (mask & 0x01) {
    nlohmann::ordered_json value = Variant();
    if (value.contains("type")) v["type"] = value["type"];
    if (value.contains("value")) v["value"] = std::move(value["value"]);
    if (value.contains("array")) v["array"] = std::move(value["array"]);
    if (value.contains("length")) v["length"] = value["length"];
  }
  if (mask & 0x02) {
    uint32_t status = U32();
    v["status"] = status;
    v["status_name"] = StatusCodeName(status);
  }
  if (mask & 0x04) v["source_timestamp"] = DateTime();
  if (mask & 0x10) U16();  // source picoseconds
  if (mask & 0x08) v["server_timestamp"] = DateTime();
  if (mask & 0x20) U16();  // server picoseconds
  Leave();
  return v;
}

nlohmann::ordered_json Decoder::ExtensionObject(NodeId* type_id, std::span<const uint8_t>* body) {
  nlohmann::ordered_json v = nlohmann::ordered_json::object();
  if (!Enter()) {
    Leave();
    return v;
  }
  NodeId id = ReadNodeId();
  uint8_t encoding = U8();
  v["type_id"] = id.text;
  if (encoding > 2) Fail("opcua_bad_extension_object");
  std::span<const uint8_t> bytes;
  if (encoding != 0) {
    std::optional<std::span<const uint8_t>> b = Bytes();
    if (b) bytes = *b;
    v["length"] = bytes.size();
  }
  if (type_id != nullptr) *type_id = id;
  if (body != nullptr) *body = bytes;
  Leave();
  return v;
}

void Decoder::SkipDiagnosticInfo() {
  if (!Enter()) {
    Leave();
    return;
  }
  uint8_t mask = U8();
  if (mask & 0x80) Fail("opcua_bad_diagnostic_info");
  // Symbolic id, namespace URI, locale, localized text: string table indexes.
  for (uint8_t bit : {0x01, 0x02, 0x08, 0x04}) {
    if (mask & bit) I32();
  }
  if (mask & 0x10) Bytes();  // additional info
  if (mask & 0x20) U32();    // inner status code
  if (mask & 0x40) SkipDiagnosticInfo();
  Leave();
}

void Decoder::SkipDiagnosticInfos() {
  size_t n = ArrayCount(1);
  for (size_t i = 0; i < n && ok(); ++i) SkipDiagnosticInfo();
}

}  // namespace qilian::security::opcua
