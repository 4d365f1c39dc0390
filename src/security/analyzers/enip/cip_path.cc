#include "security/analyzers/enip/cip_path.h"

#include "security/analyzers/enip/enip_names.h"
#include "security/analyzers/enip/enip_reader.h"

namespace qilian::security::enip {
namespace {

constexpr std::string_view kBadSegment = "cip_bad_path_segment";
constexpr std::string_view kTruncated = "cip_path_truncated";

void AppendSymbol(std::span<const uint8_t> chars, CipPath* path) {
  if (!path->tag.empty()) path->tag.push_back('.');
  path->tag += PrintableBytes(chars);
}

// A member after a symbol is an array index: "[3]", and a second one right
// after it another dimension, "[3,4]".
void AppendElement(uint32_t index, CipPath* path, bool* in_index) {
  if (path->tag.empty()) {
    path->members.push_back(index);
    return;
  }
  std::string i = std::to_string(index);
  if (*in_index) {
    path->tag.insert(path->tag.size() - 1, "," + i);
  } else {
    path->tag += "[" + i + "]";
  }
  *in_index = true;
}

// Logical segment value in the format of its low two bits: 8-bit, or a pad
// byte then 16 or 32 bits.
std::optional<uint32_t> LogicalValue(uint8_t seg, LeReader& r) {
  switch (seg & 3) {
    case 0:
      return r.U8();
    case 1:
      r.Take(1);
      return r.U16();
    case 2:
      r.Take(1);
      return r.U32();
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string_view ParsePath(std::span<const uint8_t> bytes, CipPath* path) {
  LeReader r(bytes);
  bool in_index = false;  // the tag ends in an index that may get more dimensions
  while (r.remaining() > 0) {
    uint8_t seg = r.U8();
    switch (seg >> 5) {
      case 0: {  // port
        CipRoute route;
        route.port = seg & 0x0f;
        bool extended = seg & 0x10;
        uint8_t size = extended ? r.U8() : 1;
        if (route.port == 0x0f) route.port = r.U16();
        std::span<const uint8_t> link = r.Take(size);
        if (extended) {
          route.link = PrintableBytes(link);
          if ((size + 2) % 2) r.Take(1);  // padded to 16 bits
        } else if (!link.empty()) {
          route.link = std::to_string(link[0]);
        }
        if (!r.ok()) return kTruncated;
        path->route.push_back(std::move(route));
        break;
      }
      case 1: {  // logical
        uint8_t type = (seg >> 2) & 7;
        if (type == 5) {  // electronic key: format 4, 8 bytes
          uint8_t format = r.U8();
          if (format != 4) return kBadSegment;
          r.Take(8);
          path->electronic_key = true;
          break;
        }
        std::optional<uint32_t> v = LogicalValue(seg, r);
        if (!v) return kBadSegment;
        switch (type) {
          case 0:
            path->cls = v;
            break;
          case 1:
            path->instance = v;
            break;
          case 2:
            if (!r.ok()) return kTruncated;
            AppendElement(*v, path, &in_index);
            continue;  // a following element adds a dimension
            break;
          case 3:
            path->connection_point = v;
            break;
          case 4:
            path->attribute = v;
            break;
          default:  // 6: service id; 7: reserved
            if (type == 7) return kBadSegment;
            break;
        }
        break;
      }
      case 2: {  // network: 1 byte, or a word count and that many words
        if (seg & 0x10) {
          r.Take(size_t{r.U8()} * 2);
        } else {
          r.Take(1);
        }
        break;
      }
      case 3: {  // symbolic
        uint8_t size = seg & 0x1f;
        if (size == 0) return kBadSegment;  // extended formats: not on EtherNet/IP
        AppendSymbol(r.Take(size), path);
        break;
      }
      case 4: {  // data
        if (seg == 0x80) {
          r.Take(size_t{r.U8()} * 2);
        } else if (seg == 0x91) {
          uint8_t size = r.U8();
          std::span<const uint8_t> chars = r.Take(size);
          if (size % 2) r.Take(1);
          if (r.ok()) AppendSymbol(chars, path);
        } else {
          return kBadSegment;
        }
        break;
      }
      default:
        return kBadSegment;
    }
    if (!r.ok()) return kTruncated;
    in_index = false;
  }
  return "";
}

void PutRoute(const std::vector<CipRoute>& route, JsonWriter& j) {
  j.BeginArray();
  for (const CipRoute& r : route) j.BeginObject().Key("port").Uint(r.port).Key("link").String(r.link).EndObject();
  j.EndArray();
}

void PutPath(const CipPath& path, JsonWriter& j) {
  if (path.cls) {
    j.Key("class").Uint(*path.cls);
    if (std::string_view n = ClassName(*path.cls); !n.empty()) j.Key("class_name").String(n);
  }
  if (path.instance) j.Key("instance").Uint(*path.instance);
  if (path.attribute) j.Key("attribute").Uint(*path.attribute);
  if (path.connection_point) j.Key("connection_point").Uint(*path.connection_point);
  if (!path.members.empty()) j.Key("member").Uints(path.members);
  if (!path.tag.empty()) j.Key("tag").String(path.tag);
  if (!path.route.empty()) PutRoute(path.route, j.Key("route"));
}

}  // namespace qilian::security::enip
