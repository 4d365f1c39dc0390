// CIP EPATH decoding (CIP Vol 1, appendix C-1): port segments (routes),
// logical segments (class, instance, member, connection point, attribute,
// electronic key, service id in 8-, 16- and 32-bit formats), network
// segments (skipped), symbolic and ANSI extended symbol segments (tag names)
// and simple data segments (skipped). Padded paths, as in requests and
// connection paths, are the only kind on EtherNet/IP.
#ifndef QILIAN_SECURITY_ANALYZERS_ENIP_CIP_PATH_H_
#define QILIAN_SECURITY_ANALYZERS_ENIP_CIP_PATH_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "security/analyzers/json_writer.h"

namespace qilian::security::enip {

struct CipRoute {
  uint16_t port = 0;
  std::string link;  // a number, or an extended link address (e.g. an IP address) as text
};

struct CipPath {
  std::optional<uint32_t> cls;
  std::optional<uint32_t> instance;
  std::optional<uint32_t> attribute;
  std::optional<uint32_t> connection_point;
  // Members with no symbol before them (members after a symbol are
  // elements of the tag and go into `tag` as [i]).
  std::vector<uint32_t> members;
  std::string tag;  // "Program:Main.Counts[3].ACC"
  std::vector<CipRoute> route;
  bool electronic_key = false;
};

// Decodes a whole path. Returns "" or the weird that stopped it
// ("cip_bad_path_segment", "cip_path_truncated"); what came before is kept.
std::string_view ParsePath(std::span<const uint8_t> bytes, CipPath* path);

// The path's fields as members: class, class_name, instance, attribute,
// connection_point, member, tag, route (each only when present).
void PutPath(const CipPath& path, JsonWriter& j);
// A route as the "route" member's value: [{"port":1,"link":"0"},...].
void PutRoute(const std::vector<CipRoute>& route, JsonWriter& j);

}  // namespace qilian::security::enip

#endif  // QILIAN_SECURITY_ANALYZERS_ENIP_CIP_PATH_H_
