#include "security/analyzers/enip/cip.h"

#include "security/analyzers/enip/cip_identity.h"
#include "security/analyzers/enip/cip_path.h"
#include "security/analyzers/enip/enip_names.h"
#include "security/analyzers/enip/enip_reader.h"

namespace qilian::security::enip {
namespace {

using Json = JsonWriter;
using Bytes = std::span<const uint8_t>;

constexpr std::string_view kTruncated = "cip_truncated";
constexpr std::string_view kBadMsp = "cip_bad_multiple_service_offset";
constexpr std::string_view kTooDeep = "cip_nesting_too_deep";
constexpr std::string_view kTooMany = "cip_too_many_services";
constexpr std::string_view kResponseInRequest = "cip_response_in_request";
constexpr std::string_view kRequestInResponse = "cip_request_in_response";
constexpr uint16_t kStructType = 0x02a0;

void PutService(Json& j, uint8_t service, std::optional<uint32_t> cls) {
  j.Key("service").Uint(service);
  std::string_view name = ServiceName(service, cls);
  j.Key("service_name").String(name.empty() ? "unknown" : name);
}

// A message too short for its header: null when empty, else its service.
void PutTruncated(Bytes bytes, uint8_t service, Json& j, Weirds* w) {
  w->push_back(kTruncated);
  if (bytes.empty()) {
    j.Null();
    return;
  }
  PutService(j.BeginObject(), service & ~kResponseBit, std::nullopt);
  j.EndObject();
}

void PutData(Json& j, Bytes data, bool hex) {
  if (data.empty()) return;
  j.Key("data_length").Uint(data.size());
  if (hex && data.size() <= kMaxDataHex) j.Key("data").String(HexBytes(data));
}

void PutDataType(Json& j, LeReader& d) {
  uint16_t type = d.U16();
  if (!d.ok()) return;
  j.Key("data_type").Uint(type);
  if (std::string_view n = DataTypeName(type); !n.empty()) j.Key("data_type_name").String(n);
  if (type == kStructType) j.Key("struct_handle").Uint(d.U16());
}

// A path as a member's value: an object, or null when it has no fields.
void PutPathValue(const CipPath& path, Json& j) {
  if (!path.cls && !path.instance && !path.attribute && !path.connection_point &&
      path.members.empty() && path.tag.empty() && path.route.empty()) {
    j.Null();
    return;
  }
  j.BeginObject();
  PutPath(path, j);
  j.EndObject();
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
  uint8_t cmd = d.U8();
  uint8_t sts = d.U8();
  uint16_t tns = d.U16();
  std::optional<uint8_t> fnc;
  uint8_t command = cmd & 0x0f;
  if (request && (command == 0x06 || command == 0x07 || command == 0x0f)) fnc = d.U8();
  if (!d.ok()) {
    w->push_back(kTruncated);
    return;
  }
  j.Key("pccc").BeginObject().Key("cmd").Uint(cmd).Key("sts").Uint(sts).Key("tns").Uint(tns);
  if (fnc) j.Key("fnc").Uint(*fnc);
  j.EndObject();
  PutData(j, d.Rest(), false);
}

void DecodeForwardOpen(Bytes data, bool large, Json& j, Weirds* w) {
  LeReader d(data);
  d.Take(2);  // priority/time tick, timeout ticks
  j.Key("o_t_connection_id").Uint(d.U32());
  j.Key("t_o_connection_id").Uint(d.U32());
  j.Key("connection_serial").Uint(d.U16());
  j.Key("originator_vendor_id").Uint(d.U16());
  j.Key("originator_serial").Uint(d.U32());
  d.Take(4);  // timeout multiplier, reserved
  j.Key("o_t_rpi_us").Uint(d.U32());
  uint32_t o_t = d.Uint(large ? 4 : 2);
  j.Key("t_o_rpi_us").Uint(d.U32());
  uint32_t t_o = d.Uint(large ? 4 : 2);
  uint32_t size_mask = large ? 0xffff : 0x1ff;
  j.Key("o_t_connection_size").Uint(o_t & size_mask);
  j.Key("t_o_connection_size").Uint(t_o & size_mask);
  j.Key("transport_class_trigger").Uint(d.U8());
  uint8_t words = d.U8();
  Bytes path_bytes = d.Take(size_t{words} * 2);
  if (!d.ok()) {
    w->push_back(kTruncated);
    return;
  }
  CipPath path;
  if (std::string_view pw = ParsePath(path_bytes, &path); !pw.empty()) w->push_back(pw);
  PutPathValue(path, j.Key("connection_path"));
}

void DecodeForwardClose(Bytes data, Json& j, Weirds* w) {
  LeReader d(data);
  d.Take(2);
  j.Key("connection_serial").Uint(d.U16());
  j.Key("originator_vendor_id").Uint(d.U16());
  j.Key("originator_serial").Uint(d.U32());
  uint8_t words = d.U8();
  d.Take(1);
  Bytes path_bytes = d.Take(size_t{words} * 2);
  if (!d.ok()) {
    w->push_back(kTruncated);
    return;
  }
  CipPath path;
  if (std::string_view pw = ParsePath(path_bytes, &path); !pw.empty()) w->push_back(pw);
  PutPathValue(path, j.Key("connection_path"));
}

// Unconnected_Send's data, read before anything is written: its route
// takes the place of a route in the request path (the event has one
// "route", where the path's was, with the Unconnected_Send's value).
struct UnconnectedSend {
  uint32_t timeout_ms = 0;
  Bytes message;
  CipPath route;
  std::string_view route_weird;  // ParsePath's
  bool truncated = false;
};

UnconnectedSend ParseUnconnectedSend(Bytes data) {
  UnconnectedSend u;
  LeReader d(data);
  uint8_t tick = d.U8();
  uint8_t ticks = d.U8();
  uint16_t size = d.U16();
  u.message = d.Take(size);
  if (size % 2) d.Take(1);
  uint8_t words = d.U8();
  d.Take(1);
  Bytes route_bytes = d.Take(size_t{words} * 2);
  u.truncated = !d.ok();
  u.timeout_ms = (uint32_t{1} << (tick & 0x0f)) * ticks;
  u.route_weird = ParsePath(route_bytes, &u.route);
  return u;
}

// `path_route` is whether the request path had a route (then the route is
// already written, with this value).
void DecodeUnconnectedSend(const UnconnectedSend& u, bool path_route, CipRequestInfo* info,
                           Json& j, Weirds* w, int depth) {
  if (u.truncated) w->push_back(kTruncated);
  j.Key("timeout_ms").Uint(u.timeout_ms);
  if (!u.message.empty()) {
    if (depth + 1 >= kMaxNesting) {
      w->push_back(kTooDeep);
    } else {
      CipRequestInfo embedded;
      DecodeCipRequest(u.message, &embedded, w, j.Key("request"), depth + 1);
      info->embedded.push_back(std::move(embedded));
    }
  }
  if (!u.route_weird.empty()) w->push_back(u.route_weird);
  if (!path_route && !u.route.route.empty()) PutRoute(u.route.route, j.Key("route"));
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
      std::vector<Bytes> parts = SplitServices(data, w);
      j.Key("services").BeginArray();
      for (Bytes part : parts) {
        CipRequestInfo embedded;
        DecodeCipRequest(part, &embedded, w, j, depth + 1);
        info->embedded.push_back(std::move(embedded));
      }
      j.EndArray();
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
      j.Key("attributes").BeginArray();
      for (uint16_t i = 0; i < n; ++i) j.Uint(d.U16());
      j.EndArray();
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
      // kUnconnectedSend: DecodeCipRequest's
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
      j.Key("elements").Uint(d.U16());
      break;
    case kReadTagFragmented:
      j.Key("elements").Uint(d.U16());
      j.Key("offset").Uint(d.U32());
      break;
    case kWriteTag:
    case kWriteTagFragmented:
      PutDataType(j, d);
      j.Key("elements").Uint(d.U16());
      if (service == kWriteTagFragmented) j.Key("offset").Uint(d.U32());
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
    std::vector<Bytes> parts = SplitServices(data, w);
    j.Key("services").BeginArray();
    for (size_t i = 0; i < parts.size(); ++i) {
      const CipRequestInfo* sub =
          match && i < match->embedded.size() ? &match->embedded[i] : nullptr;
      DecodeCipResponse(parts[i], sub, w, j, depth + 1);
    }
    j.EndArray();
    return;
  }
  if (status == 0 && cls == kIdentityClass &&
      (service == kGetAttributesAll || service == kGetAttributeSingle)) {
    CipIdentity identity;
    bool ok = service == kGetAttributesAll
                  ? ReadIdentity(d, &identity)
                  : match->attribute && ReadIdentityAttribute(*match->attribute, d, &identity);
    if (ok) {
      j.Key("identity").BeginObject();
      WriteIdentity(identity, j);
      j.EndObject();
      return;
    }
    if (service == kGetAttributesAll) w->push_back(kTruncated);
    PutData(j, data, true);
    return;
  }
  if (service >= 0x4b && IsConnectionManager(cls)) {
    if ((service == kForwardOpen || service == kLargeForwardOpen) && status == 0) {
      j.Key("o_t_connection_id").Uint(d.U32());
      j.Key("t_o_connection_id").Uint(d.U32());
    }
    if (service == kForwardOpen || service == kLargeForwardOpen || service == kForwardClose) {
      j.Key("connection_serial").Uint(d.U16());
      j.Key("originator_vendor_id").Uint(d.U16());
      j.Key("originator_serial").Uint(d.U32());
      if (status == 0 && service != kForwardClose) {
        j.Key("o_t_api_us").Uint(d.U32());
        j.Key("t_o_api_us").Uint(d.U32());
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

void DecodeCipRequest(Bytes bytes, CipRequestInfo* info, Weirds* w, Json& j, int depth) {
  CipRequestInfo local;
  CipRequestInfo* ri = info != nullptr ? info : &local;
  LeReader r(bytes);
  uint8_t service = r.U8();
  uint8_t words = r.U8();
  Bytes path_bytes = r.Take(size_t{words} * 2);
  if (!r.ok()) {
    PutTruncated(bytes, service, j, w);
    return;
  }
  if (service & kResponseBit) w->push_back(kResponseInRequest);
  service &= ~kResponseBit;
  CipPath path;
  if (std::string_view pw = ParsePath(path_bytes, &path); !pw.empty()) w->push_back(pw);
  ri->service = service;
  ri->cls = path.cls;
  ri->instance = path.instance;
  ri->attribute = path.attribute;
  ri->tag = path.tag;
  j.BeginObject();
  PutService(j, service, path.cls);
  if (service == kUnconnectedSend && IsConnectionManager(path.cls)) {
    UnconnectedSend u = ParseUnconnectedSend(r.Rest());
    bool path_route = !path.route.empty();
    if (path_route && !u.route.route.empty()) path.route = u.route.route;
    PutPath(path, j);
    DecodeUnconnectedSend(u, path_route, ri, j, w, depth);
  } else {
    PutPath(path, j);
    DecodeRequestData(service, path.cls, r.Rest(), ri, j, w, depth);
  }
  j.EndObject();
}

void DecodeCipResponse(Bytes bytes, const CipRequestInfo* request, Weirds* w, Json& j, int depth) {
  LeReader r(bytes);
  uint8_t service = r.U8();
  r.U8();  // reserved
  uint8_t status = r.U8();
  uint8_t words = r.U8();
  if (!r.ok()) {
    PutTruncated(bytes, service, j, w);
    return;
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
  j.BeginObject();
  PutService(j, service, match ? match->cls : std::nullopt);
  if (match) {
    CipPath path;
    path.cls = match->cls;
    path.instance = match->instance;
    path.attribute = match->attribute;
    path.tag = match->tag;
    PutPath(path, j);
  }
  if (routed) j.Key("routed").Bool(true);
  j.Key("status").Uint(status);
  std::string_view status_name = GeneralStatusName(status);
  j.Key("status_name").String(status_name.empty() ? "unknown" : status_name);
  if (size_t{words} * 2 > r.remaining()) {
    w->push_back(kTruncated);
    j.EndObject();
    return;
  }
  if (words > 0) {
    uint16_t first = 0;
    j.Key("ext_status").BeginArray();
    for (uint8_t i = 0; i < words; ++i) {
      uint16_t v = r.U16();
      if (i == 0) first = v;
      j.Uint(v);
    }
    j.EndArray();
    std::string_view ext_name = ExtendedStatusName(status, first);
    if (!ext_name.empty()) j.Key("ext_status_name").String(ext_name);
  }
  DecodeResponseData(service, status, match, r.Rest(), j, w, depth);
  j.EndObject();
}

}  // namespace qilian::security::enip
