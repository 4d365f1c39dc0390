// The handle data model of RFC 3651 section 3: a handle is a set of values,
// each with an index, a type, data, a TTL, permissions, a timestamp and
// references. Typed data (HS_ADMIN, HS_VLIST, HS_SITE) have structured forms
// here; their binary encodings live in value_codec.h.
#ifndef QILIAN_IDENT_HANDLE_VALUE_H_
#define QILIAN_IDENT_HANDLE_VALUE_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qilian::ident {

enum class TtlType : uint8_t { kRelative = 0, kAbsolute = 1 };

// Value permission bits (RFC 3651 3.1, "Permission").
inline constexpr uint8_t kPermPublicWrite = 0x01;
inline constexpr uint8_t kPermPublicRead = 0x02;
inline constexpr uint8_t kPermAdminWrite = 0x04;
inline constexpr uint8_t kPermAdminRead = 0x08;
inline constexpr uint8_t kPermDefault = kPermAdminRead | kPermAdminWrite | kPermPublicRead;

// Valid value indexes. The wire carries a u32, but Handle.Net (a Java int)
// and its REST API only accept 1..2^31-1; we take the intersection.
inline constexpr uint32_t kMinValueIndex = 1;
inline constexpr uint32_t kMaxValueIndex = 0x7fffffff;

inline constexpr uint32_t kDefaultTtl = 86400;

struct ValueReference {
  std::string handle;
  uint32_t index = 0;
  bool operator==(const ValueReference&) const = default;
};

struct HandleValue {
  uint32_t index = 0;
  std::string type;  // UTF-8, e.g. "URL", "HS_ADMIN", "EMAIL"
  std::string data;  // raw bytes; for HS_ADMIN etc. the RFC 3651 binary form
  TtlType ttl_type = TtlType::kRelative;
  uint32_t ttl = kDefaultTtl;  // seconds, or seconds since the epoch if absolute
  uint8_t permissions = kPermDefault;
  uint32_t timestamp = 0;  // seconds since the epoch, set by the server on write
  std::vector<ValueReference> references;
  bool operator==(const HandleValue&) const = default;
};

// HS_ADMIN permission bits (RFC 3651 3.2.5 "AdminPermission").
namespace admin_perm {
inline constexpr uint16_t kAddHandle = 0x0001;
inline constexpr uint16_t kDeleteHandle = 0x0002;
inline constexpr uint16_t kAddDerivedPrefix = 0x0004;
inline constexpr uint16_t kDeleteDerivedPrefix = 0x0008;
inline constexpr uint16_t kModifyValue = 0x0010;
inline constexpr uint16_t kRemoveValue = 0x0020;
inline constexpr uint16_t kAddValue = 0x0040;
inline constexpr uint16_t kReadValue = 0x0080;
inline constexpr uint16_t kModifyAdmin = 0x0100;
inline constexpr uint16_t kRemoveAdmin = 0x0200;
inline constexpr uint16_t kAddAdmin = 0x0400;
inline constexpr uint16_t kListHandles = 0x0800;
inline constexpr uint16_t kAll = 0x0fff;
}  // namespace admin_perm

// HS_ADMIN data.
struct AdminRecord {
  uint16_t permissions = 0;
  std::string admin_handle;
  uint32_t admin_index = 0;
  bool operator==(const AdminRecord&) const = default;
};

// HS_SITE data (RFC 3651 3.2.2, with the deployed conventions of
// ../shared/HANDLE-INTEROP.md).
struct SiteInterface {
  uint8_t service_type = 3;  // 1 admin, 2 query, 3 both
  uint8_t protocol = 0;      // 0 UDP, 1 TCP, 2 HTTP
  uint32_t port = 2641;
  bool operator==(const SiteInterface&) const = default;
};

struct SiteServer {
  uint32_t server_id = 1;
  std::array<uint8_t, 16> address{};  // IPv6, or IPv4 as ::a.b.c.d
  std::string public_key;             // RFC 3651 public-key record bytes
  std::vector<SiteInterface> interfaces;
  bool operator==(const SiteServer&) const = default;
};

struct SiteInfo {
  uint16_t version = 1;
  uint8_t protocol_major = 2;
  uint8_t protocol_minor = 11;
  uint16_t serial_number = 1;
  uint8_t primary_mask = 0x80;  // 0x80 primary, 0x40 multi-primary
  uint8_t hash_option = 0;
  std::string hash_filter;
  std::vector<std::pair<std::string, std::string>> attributes;
  std::vector<SiteServer> servers;
  bool operator==(const SiteInfo&) const = default;
};

// Well-known value types.
inline constexpr std::string_view kTypeAdmin = "HS_ADMIN";
inline constexpr std::string_view kTypeSite = "HS_SITE";
inline constexpr std::string_view kTypeVList = "HS_VLIST";
inline constexpr std::string_view kTypeSecKey = "HS_SECKEY";
inline constexpr std::string_view kTypePubKey = "HS_PUBKEY";

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_HANDLE_VALUE_H_
