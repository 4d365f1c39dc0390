#include "security/analyzers/enip/cip.h"

#include "security/analyzers/enip/cip_identity.h"
#include "security/analyzers/enip/cip_path.h"
#include "security/analyzers/enip/enip_names.h"
#include "security/analyzers/enip/enip_reader.h"

namespace qilian::security::enip {
namespace {

using Json = nlohmann::ordered_json;
using Bytes = std::span<const uint8_t>;

constexpr std::string_view kTruncated = "cip_truncated";
constexpr std::string_view kBadMsp = "cip_bad_multiple_service_offset";
constexpr std::string_view kTooDeep = "cip_nesting_too_deep";
constexpr std::string_view kTooMany = "cip_too_many_services";
constexpr std::string_view kResponseInRequest = "cip_response_in_request";
constexpr std::string_view kRequestInResponse = "cip_request_in_response";
constexpr uint16_t kStructType = 0x02a0;

void PutService(Json& j, uint8_t service, std::optional<uint32_t> cls) {
  j["service"] = service;
  std::string_view name = ServiceName(service, cls);
  j["service_name"] = name.empty() ? "unknown" : name;
}

void PutData(Json& j, Bytes data, bool hex) {
  if (data.empty()) return;
  j["data_length"] = data.size();
  if (hex && data.size() <= kMaxDataHex) j["data"] = Hex(data);
}

void PutDataType(Json& j, LeReader& d) {
  uint16_t type = d.U16();
  if (!d.ok()) return;
  j["data_type"] = type;
  if (std::string_view n = DataTypeName(type); !n.empty()) j["data_type_name"] = n;
  if (type == kStructType) j["struct_handle"] = d.U16();
}

bool IsConnectionManager(std::optional<uint32_t> cls) { return cls == kConnectionManagerClass; }
bool IsPccc(std::optional<uint32_t> cls) { return cls == kPcccClass; }
// Object-specific services 0x4B and up addressed to neither of the classes
// above are read as Logix tag services (the tag classes, or a symbolic path).
bool IsLogix(std::optional<uint32_t> cls) { return !IsConnectionManager(cls) && !IsPccc(cls); }

// Multiple_Service_Packet's body: a count, that many offsets (from the
// count), and the messages between them.
std::vector<Bytes> SplitServices(Bytes data, Weirds* w) {
  std::vector<Bytes> parts;
  LeReader r(data);
  uint16_t n = r.U16();
  if (!r.ok() || size_t{n} * 2 > r.remaining()) {
    w->push_back(kTruncated);
    return parts;
  }
  std::vector<uint16_t> offsets;
  for (uint16_t i = 0; i < n; ++i) offsets.push_back(r.U16());
  size_t first = 2 + size_t{n} * 2;
  for (size_t i = 0; i < offsets.size(); ++i) {
    size_t start = offsets[i];
    size_t end = i + 1 < offsets.size() ? offsets[i + 1] : data.size();
    if (start < first || start > end || end > data.size()) {
      w->push_back(kBadMsp);
      break;
    }
    if (parts.size() == kMaxEmbeddedServices) {
      w->push_back(kTooMany);
      break;
    }
    parts.push_back(data.subspan(start, end - start));
  }
  return parts;
}

// PCCC encapsulated by Execute_PCCC (CIP Vol 1's PCCC object): a requestor
// id (its first byte is its length), then CMD, STS, TNS and, for the
// commands that have one, FNC.
void DecodePccc(Bytes data, bool request, Json& j, Weirds* w) {
  LeReader d(data);
  uint8_t id_length = d.U8();
  if (id_length >= 1) d.Take(id_length - 1u);
  Json p;
  p["cmd"] = d.U8();
  p["sts"] = d.U8();
  p["tns"] = d.U16();
  uint8_t cmd = p["cmd"].get<uint8_t>() & 0x0f;
  if (request && (cmd == 0x06 || cmd == 0x07 || cmd == 0x0f)) p["fnc"] = d.U8();
  if (!d.ok()) {
    w->push_back(kTruncated);
    return;
  }
  j["pccc"] = std::move(p);
  PutData(j, d.Rest(), false);
}

void DecodeForwardOpen(Bytes data, bool large, Json& j, Weirds* w) {
  LeReader d(data);
  d.Take(2);  // priority/time tick, timeout ticks
  j["o_t_connection_id"] = d.U32();
  j["t_o_connection_id"] = d.U32();
  j["connection_serial"] = d.U16();
  j["originator_vendor_id"] = d.U16();
  j["originator_serial"] = d.U32();
  d.Take(4);  // timeout multiplier, reserved
  j["o_t_rpi_us"] = d.U32();
  uint32_t o_t = d.Uint(large ? 4 : 2);
  j["t_o_rpi_us"] = d.U32();
  uint32_t t_o = d.Uint(large ? 4 : 2);
  uint32_t size_mask = large ? 0xffff : 0x1ff;
  j["o_t_connection_size"] = o_t & size_mask;
  j["t_o_connection_size"] = t_o & size_mask;
  j["transport_class_trigger"] = d.U8();
  uint8_t words = d.U8();
  Bytes path_bytes = d.Take(size_t{words} * 2);
  if (!d.ok()) {
    w->push_back(kTruncated);
    return;
  }
  CipPath path;
  if (std::string_view pw = ParsePath(path_bytes, &path); !pw.empty()) w->push_back(pw);
  Json p;
  PutPath(path, p);
  j["connection_path"] = std::move(p);
}

void DecodeForwardClose(Bytes data, Json& j, Weirds* w) {
  LeReader d(data);
  d.Take(2);
  j["connection_serial"] = d.U16();
  j["originator_vendor_id"] = d.U16();
  j["originator_serial"] = d.U32();
  uint8_t words = d.U8();
  d.Take(1);
  Bytes path_bytes = d.Take(size_t{words} * 2);
  if (!d.ok()) {
    w->push_back(kTruncated);
    return;
  }
  CipPath path;
  if (std::string_view pw = ParsePath(path_bytes, &path); !pw.empty()) w->push_back(pw);
  Json p;
  PutPath(path, p);
  j["connection_path"] = std::move(p);
}

void DecodeUnconnectedSend(Bytes data, CipRequestInfo* info, Json& j, Weirds* w, int depth) {
  LeReader d(data);
  uint8_t tick = d.U8();
  uint8_t ticks = d.U8();
  uint16_t size = d.U16();
  Bytes message = d.Take(size);
  if (size % 2) d.Take(1);
  uint8_t words = d.U8();
  d.Take(1);
  Bytes route_bytes = d.Take(size_t{words} * 2);
  if (!d.ok()) w->push_back(kTruncated);
  j["timeout_ms"] = (uint32_t{1} << (tick & 0x0f)) * ticks;
  if (!message.empty()) {
    if (depth + 1 >= kMaxNesting) {
      w->push_back(kTooDeep);
    } else {
      CipRequestInfo embedded;
      j["request"] = DecodeCipRequest(message, &embedded, w, depth + 1);
      info->embedded.push_back(std::move(embedded));
    }
  }
  CipPath route;
  if (std::string_view pw = ParsePath(route_bytes, &route); !pw.empty()) w->push_back(pw);
  Json r;
  PutPath(route, r);
  if (r.contains("route")) j["route"] = std::move(r["route"]);
}

void DecodeRequestData(uint8_t service, std::optional<uint32_t> cls, Bytes data,
                       CipRequestInfo* info, Json& j, Weirds* w, int depth) {
  LeReader d(data);
  switch (service) {
    case kMultipleServicePacket: {
      if (depth + 1 >= kMaxNesting) {
        w->push_back(kTooDeep);
        PutData(j, data, false);
        return;
      }
      Json services = Json::array();
      for (Bytes part : SplitServices(data, w)) {
        CipRequestInfo embedded;
        services.push_back(DecodeCipRequest(part, &embedded, w, depth + 1));
        info->embedded.push_back(std::move(embedded));
      }
      j["services"] = std::move(services);
      return;
    }
    case 0x02:  // Set_Attributes_All
    case 0x04:  // Set_Attribute_List
    case kSetAttributeSingle:
      PutData(j, data, true);
      return;
    case 0x03: {  // Get_Attribute_List
      uint16_t n = d.U16();
      if (size_t{n} * 2 > d.remaining()) {
        w->push_back(kTruncated);
        return;
      }
      Json attributes = Json::array();
      for (uint16_t i = 0; i < n; ++i) attributes.push_back(d.U16());
      j["attributes"] = std::move(attributes);
      PutData(j, d.Rest(), false);
      return;
    }
    default:
      break;
  }
  if (service < 0x4b) {
    PutData(j, data, false);
    return;
  }
  if (IsConnectionManager(cls)) {
    switch (service) {
      case kUnconnectedSend:
        DecodeUnconnectedSend(data, info, j, w, depth);
        return;
      case kForwardOpen:
      case kLargeForwardOpen:
        DecodeForwardOpen(data, service == kLargeForwardOpen, j, w);
        return;
      case kForwardClose:
        DecodeForwardClose(data, j, w);
        return;
      default:
        PutData(j, data, false);
        return;
    }
  }
  if (IsPccc(cls)) {
    if (service == kExecutePccc) {
      DecodePccc(data, true, j, w);
    } else {
      PutData(j, data, false);
    }
    return;
  }
  switch (service) {
    case kReadTag:
      j["elements"] = d.U16();
      break;
    case kReadTagFragmented:
      j["elements"] = d.U16();
      j["offset"] = d.U32();
      break;
    case kWriteTag:
    case kWriteTagFragmented:
      PutDataType(j, d);
      j["elements"] = d.U16();
      if (service == kWriteTagFragmented) j["offset"] = d.U32();
      if (d.ok()) PutData(j, d.Rest(), true);
      break;
    default:
      PutData(j, data, false);
      return;
  }
  if (!d.ok()) w->push_back(kTruncated);
}

void DecodeResponseData(uint8_t service, uint8_t status, const CipRequestInfo* match, Bytes data,
                        Json& j, Weirds* w, int depth) {
  std::optional<uint32_t> cls = match ? match->cls : std::nullopt;
  LeReader d(data);
  if (service == kMultipleServicePacket && !data.empty()) {
    if (depth + 1 >= kMaxNesting) {
      w->push_back(kTooDeep);
      PutData(j, data, false);
      return;
    }
    Json services = Json::array();
    std::vector<Bytes> parts = SplitServices(data, w);
    for (size_t i = 0; i < parts.size(); ++i) {
      const CipRequestInfo* sub =
          match && i < match->embedded.size() ? &match->embedded[i] : nullptr;
      services.push_back(DecodeCipResponse(parts[i], sub, w, depth + 1));
    }
    j["services"] = std::move(services);
    return;
  }
  if (status == 0 && cls == kIdentityClass &&
      (service == kGetAttributesAll || service == kGetAttributeSingle)) {
    Json identity;
    bool ok = service == kGetAttributesAll
                  ? ReadIdentity(d, identity)
                  : match->attribute && ReadIdentityAttribute(*match->attribute, d, identity);
    if (ok) {
      j["identity"] = std::move(identity);
      return;
    }
    if (service == kGetAttributesAll) w->push_back(kTruncated);
    PutData(j, data, true);
    return;
  }
  if (service >= 0x4b && IsConnectionManager(cls)) {
    if ((service == kForwardOpen || service == kLargeForwardOpen) && status == 0) {
      j["o_t_connection_id"] = d.U32();
      j["t_o_connection_id"] = d.U32();
    }
    if (service == kForwardOpen || service == kLargeForwardOpen || service == kForwardClose) {
      j["connection_serial"] = d.U16();
      j["originator_vendor_id"] = d.U16();
      j["originator_serial"] = d.U32();
      if (status == 0 && service != kForwardClose) {
        j["o_t_api_us"] = d.U32();
        j["t_o_api_us"] = d.U32();
      }
      if (!d.ok()) w->push_back(kTruncated);
      return;
    }
    PutData(j, data, false);
    return;
  }
  if (service == kExecutePccc && IsPccc(cls) && status == 0) {
    DecodePccc(data, false, j, w);
    return;
  }
  if ((service == kReadTag || service == kReadTagFragmented) && IsLogix(cls) &&
      (status == 0 || status == 6) && data.size() >= 2) {
    PutDataType(j, d);
    PutData(j, d.Rest(), false);
    return;
  }
  PutData(j, data, service == kGetAttributeSingle);
}

}  // namespace

Json DecodeCipRequest(Bytes bytes, CipRequestInfo* info, Weirds* w, int depth) {
  Json j;
  CipRequestInfo local;
  CipRequestInfo* ri = info != nullptr ? info : &local;
  LeReader r(bytes);
  uint8_t service = r.U8();
  uint8_t words = r.U8();
  Bytes path_bytes = r.Take(size_t{words} * 2);
  if (!r.ok()) {
    w->push_back(kTruncated);
    if (!bytes.empty()) PutService(j, service & ~kResponseBit, std::nullopt);
    return j;
  }
  if (service & kResponseBit) w->push_back(kResponseInRequest);
  service &= ~kResponseBit;
  CipPath path;
  if (std::string_view pw = ParsePath(path_bytes, &path); !pw.empty()) w->push_back(pw);
  PutService(j, service, path.cls);
  PutPath(path, j);
  ri->service = service;
  ri->cls = path.cls;
  ri->instance = path.instance;
  ri->attribute = path.attribute;
  ri->tag = path.tag;
  DecodeRequestData(service, path.cls, r.Rest(), ri, j, w, depth);
  return j;
}

Json DecodeCipResponse(Bytes bytes, const CipRequestInfo* request, Weirds* w, int depth) {
  Json j;
  LeReader r(bytes);
  uint8_t service = r.U8();
  r.U8();  // reserved
  uint8_t status = r.U8();
  uint8_t words = r.U8();
  if (!r.ok()) {
    w->push_back(kTruncated);
    if (!bytes.empty()) PutService(j, service & ~kResponseBit, std::nullopt);
    return j;
  }
  if (!(service & kResponseBit)) w->push_back(kRequestInResponse);
  service &= ~kResponseBit;
  // A successful Unconnected_Send is answered by the embedded request's
  // reply; a failed one by the Connection Manager itself.
  const CipRequestInfo* match = nullptr;
  bool routed = false;
  if (request != nullptr && request->service == service) {
    match = request;
  } else if (request != nullptr && request->service == kUnconnectedSend &&
             IsConnectionManager(request->cls) && request->embedded.size() == 1 &&
             request->embedded[0].service == service) {
    match = &request->embedded[0];
    routed = true;
  }
  PutService(j, service, match ? match->cls : std::nullopt);
  if (match) {
    CipPath path;
    path.cls = match->cls;
    path.instance = match->instance;
    path.attribute = match->attribute;
    path.tag = match->tag;
    PutPath(path, j);
  }
  if (routed) j["routed"] = true;
  j["status"] = status;
  std::string_view status_name = GeneralStatusName(status);
  j["status_name"] = status_name.empty() ? "unknown" : status_name;
  if (size_t{words} * 2 > r.remaining()) {
    w->push_back(kTruncated);
    return j;
  }
  if (words > 0) {
    Json ext = Json::array();
    for (uint8_t i = 0; i < words; ++i) ext.push_back(r.U16());
    std::string_view ext_name = ExtendedStatusName(status, ext[0].get<uint16_t>());
    j["ext_status"] = std::move(ext);
    if (!ext_name.empty()) j["ext_status_name"] = ext_name;
  }
  DecodeResponseData(service, status, match, r.Rest(), j, w, depth);
  return j;
}

}  // namespace qilian::security::enip
