#include "api/value_json.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <set>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/bytes.h"
#include "core/json_text.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"

namespace qilian::api {

using nlohmann::json;
using ident::ResponseCode;

namespace {

absl::Status Invalid(std::string_view where, std::string_view message) {
  return ident::HandleError(ResponseCode::kInvalidValue,
                            absl::StrCat(std::string(where), ": ", std::string(message)));
}

std::string Quote(std::string_view s) { return absl::StrCat("'", std::string(s), "'"); }

std::string Sub(std::string_view where, std::string_view field) {
  return absl::StrCat(std::string(where), ".", std::string(field));
}

std::string At(std::string_view where, size_t i) {
  return absl::StrCat(std::string(where), "[", i, "]");
}

// Every object in a body is checked for fields we do not know, so a typo
// ("ttl_type") is an error rather than a silently ignored setting.
absl::Status CheckObject(const json& j, std::string_view where,
                         std::initializer_list<std::string_view> known) {
  if (!j.is_object()) return Invalid(where, "expected an object");
  for (const auto& [key, unused] : j.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return Invalid(where, absl::StrCat("unknown field ", Quote(key)));
    }
  }
  return absl::OkStatus();
}

// The field, or nullptr when absent (and then an error if `required`).
absl::StatusOr<const json*> Field(const json& obj, std::string_view where, const char* name,
                                  bool required) {
  auto it = obj.find(name);
  if (it == obj.end()) {
    if (required) return Invalid(where, absl::StrCat("missing field '", name, "'"));
    return nullptr;
  }
  return &*it;
}

absl::StatusOr<uint64_t> Integer(const json& j, std::string_view where, uint64_t min,
                                 uint64_t max) {
  if (!j.is_number_integer()) return Invalid(where, "expected an integer");
  // The parser stores non-negative numbers unsigned, but a DOM built in
  // code may hold a signed one.
  if (!j.is_number_unsigned() && j.get<int64_t>() < 0) {
    return Invalid(where, absl::StrCat(j.get<int64_t>(), " is out of range ", min, "..", max));
  }
  uint64_t v = j.get<uint64_t>();
  if (v < min || v > max) {
    return Invalid(where, absl::StrCat(v, " is out of range ", min, "..", max));
  }
  return v;
}

absl::StatusOr<std::string> String(const json& j, std::string_view where) {
  if (!j.is_string()) return Invalid(where, "expected a string");
  const std::string& s = j.get_ref<const std::string&>();
  // The parser checks UTF-8, but a DOM built in code may hold anything.
  if (!IsValidUtf8(s)) return Invalid(where, "not valid UTF-8");
  return s;
}

absl::StatusOr<std::string> HandleRef(const json& j, std::string_view where) {
  QL_ASSIGN_OR_RETURN(std::string handle, String(j, where));
  if (handle.empty()) return Invalid(where, "must not be empty");
  if (handle.size() > ident::kMaxHandleBytes) {
    return Invalid(where, absl::StrCat("longer than ", ident::kMaxHandleBytes, " bytes"));
  }
  return handle;
}

absl::StatusOr<std::string> Base64(const json& j, std::string_view where) {
  QL_ASSIGN_OR_RETURN(std::string text, String(j, where));
  std::string out;
  if (!absl::Base64Unescape(text, &out)) return Invalid(where, "invalid base64");
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::StatusOr<std::string> Hex(const json& j, std::string_view where) {
  QL_ASSIGN_OR_RETURN(std::string text, String(j, where));
  if (text.size() % 2 != 0) return Invalid(where, "invalid hex");
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = HexDigit(text[i]);
    int lo = HexDigit(text[i + 1]);
    if (hi < 0 || lo < 0) return Invalid(where, "invalid hex");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

// '0'/'1' string, most significant bit first.
absl::StatusOr<uint32_t> Bits(const json& j, std::string_view where, size_t width) {
  QL_ASSIGN_OR_RETURN(std::string text, String(j, where));
  uint32_t v = 0;
  bool ok = text.size() == width;
  for (char c : text) {
    if (c != '0' && c != '1') ok = false;
    v = (v << 1) | (c == '1' ? 1u : 0u);
  }
  if (!ok) return Invalid(where, absl::StrCat("expected ", width, " characters '0' or '1'"));
  return v;
}

std::string BitString(uint32_t v, size_t width) {
  std::string s(width, '0');
  for (size_t i = 0; i < width; ++i) {
    if (v & (1u << (width - 1 - i))) s[i] = '1';
  }
  return s;
}

absl::StatusOr<ident::ValueReference> ReferenceFromJson(const json& j, std::string_view where) {
  QL_RETURN_IF_ERROR(CheckObject(j, where, {"handle", "index"}));
  ident::ValueReference ref;
  QL_ASSIGN_OR_RETURN(const json* handle, Field(j, where, "handle", true));
  QL_ASSIGN_OR_RETURN(ref.handle, HandleRef(*handle, Sub(where, "handle")));
  QL_ASSIGN_OR_RETURN(const json* index, Field(j, where, "index", true));
  QL_ASSIGN_OR_RETURN(uint64_t i, Integer(*index, Sub(where, "index"), 0, ident::kMaxValueIndex));
  ref.index = static_cast<uint32_t>(i);
  return ref;
}

absl::StatusOr<std::vector<ident::ValueReference>> ReferencesFromJson(const json& j,
                                                                      std::string_view where,
                                                                      size_t max) {
  if (!j.is_array()) return Invalid(where, "expected an array");
  if (j.size() > max) return Invalid(where, absl::StrCat("more than ", max, " entries"));
  std::vector<ident::ValueReference> refs;
  refs.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    QL_ASSIGN_OR_RETURN(auto ref, ReferenceFromJson(j[i], At(where, i)));
    refs.push_back(std::move(ref));
  }
  return refs;
}

json ReferencesToJson(const std::vector<ident::ValueReference>& refs) {
  json out = json::array();
  for (const auto& ref : refs) out.push_back({{"handle", ref.handle}, {"index", ref.index}});
  return out;
}

absl::StatusOr<std::string> AdminFromJson(const json& j, std::string_view where) {
  QL_RETURN_IF_ERROR(CheckObject(j, where, {"handle", "index", "permissions"}));
  ident::AdminRecord admin;
  QL_ASSIGN_OR_RETURN(const json* handle, Field(j, where, "handle", true));
  QL_ASSIGN_OR_RETURN(admin.admin_handle, HandleRef(*handle, Sub(where, "handle")));
  QL_ASSIGN_OR_RETURN(const json* index, Field(j, where, "index", true));
  QL_ASSIGN_OR_RETURN(uint64_t i, Integer(*index, Sub(where, "index"), 0, ident::kMaxValueIndex));
  admin.admin_index = static_cast<uint32_t>(i);
  QL_ASSIGN_OR_RETURN(const json* perms, Field(j, where, "permissions", true));
  QL_ASSIGN_OR_RETURN(uint32_t bits, Bits(*perms, Sub(where, "permissions"), 12));
  admin.permissions = static_cast<uint16_t>(bits);
  return ident::EncodeAdminData(admin);
}

absl::StatusOr<std::array<uint8_t, 16>> AddressFromJson(const json& j, std::string_view where) {
  QL_ASSIGN_OR_RETURN(std::string text, String(j, where));
  std::array<uint8_t, 16> addr{};
  in_addr v4;
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    // HS_SITE keeps IPv4 as ::a.b.c.d (IPv4-compatible), not ::ffff:a.b.c.d.
    std::memcpy(addr.data() + 12, &v4, 4);
    return addr;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    std::memcpy(addr.data(), &v6, 16);
    return addr;
  }
  return Invalid(where, absl::StrCat("invalid IP address ", Quote(text)));
}

std::string AddressToText(const std::array<uint8_t, 16>& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (std::all_of(addr.begin(), addr.begin() + 12, [](uint8_t b) { return b == 0; })) {
    inet_ntop(AF_INET, addr.data() + 12, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, addr.data(), buf, sizeof(buf));
  }
  return buf;
}

constexpr std::pair<std::string_view, uint8_t> kServiceTypes[] = {
    {"admin", 1}, {"query", 2}, {"both", 3}};
constexpr std::pair<std::string_view, uint8_t> kProtocols[] = {{"UDP", 0}, {"TCP", 1}, {"HTTP", 2}};

template <size_t N>
absl::StatusOr<uint8_t> Name(const json& j, std::string_view where,
                             const std::pair<std::string_view, uint8_t> (&names)[N]) {
  // Numbers nobody named are shown as numbers (NameOf), so take them back.
  if (j.is_number_integer()) {
    QL_ASSIGN_OR_RETURN(uint64_t v, Integer(j, where, 0, 255));
    return static_cast<uint8_t>(v);
  }
  QL_ASSIGN_OR_RETURN(std::string text, String(j, where));
  for (const auto& [name, v] : names) {
    if (name == text) return v;
  }
  std::string expected;
  for (size_t i = 0; i < N; ++i) {
    absl::StrAppend(&expected, i == 0 ? "" : (i + 1 == N ? " or " : ", "), "'",
                    std::string(names[i].first), "'");
  }
  return Invalid(where, absl::StrCat("expected ", expected, ", got ", Quote(text)));
}

template <size_t N>
json NameOf(uint8_t v, const std::pair<std::string_view, uint8_t> (&names)[N]) {
  for (const auto& [name, n] : names) {
    if (n == v) return std::string(name);
  }
  return v;  // a number nobody named; still shown, as a number
}

absl::StatusOr<std::string> KeyFromJson(const json& j, std::string_view where) {
  QL_RETURN_IF_ERROR(CheckObject(j, where, {"format", "value"}));
  QL_ASSIGN_OR_RETURN(const json* format, Field(j, where, "format", true));
  QL_ASSIGN_OR_RETURN(std::string f, String(*format, Sub(where, "format")));
  QL_ASSIGN_OR_RETURN(const json* value, Field(j, where, "value", true));
  if (f == "base64" || f == "key") return Base64(*value, Sub(where, "value"));
  if (f == "hex") return Hex(*value, Sub(where, "value"));
  return Invalid(Sub(where, "format"), absl::StrCat("unknown key format ", Quote(f)));
}

absl::StatusOr<ident::SiteInterface> InterfaceFromJson(const json& j, std::string_view where) {
  QL_RETURN_IF_ERROR(CheckObject(j, where, {"type", "protocol", "port"}));
  ident::SiteInterface iface;
  QL_ASSIGN_OR_RETURN(const json* type, Field(j, where, "type", true));
  QL_ASSIGN_OR_RETURN(iface.service_type, Name(*type, Sub(where, "type"), kServiceTypes));
  QL_ASSIGN_OR_RETURN(const json* protocol, Field(j, where, "protocol", true));
  QL_ASSIGN_OR_RETURN(iface.protocol, Name(*protocol, Sub(where, "protocol"), kProtocols));
  QL_ASSIGN_OR_RETURN(const json* port, Field(j, where, "port", true));
  QL_ASSIGN_OR_RETURN(uint64_t p, Integer(*port, Sub(where, "port"), 0, 65535));
  iface.port = static_cast<uint32_t>(p);
  return iface;
}

absl::StatusOr<ident::SiteServer> ServerFromJson(const json& j, std::string_view where) {
  QL_RETURN_IF_ERROR(CheckObject(j, where, {"serverId", "address", "publicKey", "interfaces"}));
  ident::SiteServer server;
  QL_ASSIGN_OR_RETURN(const json* id, Field(j, where, "serverId", false));
  if (id != nullptr) {
    QL_ASSIGN_OR_RETURN(uint64_t v, Integer(*id, Sub(where, "serverId"), 0, UINT32_MAX));
    server.server_id = static_cast<uint32_t>(v);
  }
  QL_ASSIGN_OR_RETURN(const json* address, Field(j, where, "address", true));
  QL_ASSIGN_OR_RETURN(server.address, AddressFromJson(*address, Sub(where, "address")));
  QL_ASSIGN_OR_RETURN(const json* key, Field(j, where, "publicKey", false));
  if (key != nullptr) {
    QL_ASSIGN_OR_RETURN(server.public_key, KeyFromJson(*key, Sub(where, "publicKey")));
  }
  QL_ASSIGN_OR_RETURN(const json* ifaces, Field(j, where, "interfaces", false));
  if (ifaces != nullptr) {
    std::string w = Sub(where, "interfaces");
    if (!ifaces->is_array()) return Invalid(w, "expected an array");
    if (ifaces->size() > ident::kMaxSiteInterfaces) {
      return Invalid(w, absl::StrCat("more than ", ident::kMaxSiteInterfaces, " entries"));
    }
    for (size_t i = 0; i < ifaces->size(); ++i) {
      QL_ASSIGN_OR_RETURN(auto iface, InterfaceFromJson((*ifaces)[i], At(w, i)));
      server.interfaces.push_back(iface);
    }
  }
  return server;
}

absl::StatusOr<std::string> SiteFromJson(const json& j, std::string_view where) {
  QL_RETURN_IF_ERROR(CheckObject(j, where,
                                 {"version", "protocolVersion", "serialNumber", "primaryMask",
                                  "hashOption", "hashFilter", "attributes", "servers"}));
  ident::SiteInfo site;
  QL_ASSIGN_OR_RETURN(const json* f, Field(j, where, "version", false));
  if (f != nullptr) {
    QL_ASSIGN_OR_RETURN(uint64_t v, Integer(*f, Sub(where, "version"), 0, 65535));
    site.version = static_cast<uint16_t>(v);
  }
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "protocolVersion", false));
  if (f != nullptr) {
    std::string w = Sub(where, "protocolVersion");
    QL_ASSIGN_OR_RETURN(std::string text, String(*f, w));
    unsigned major = 0, minor = 0;
    char tail = 0;
    if (std::sscanf(text.c_str(), "%3u.%3u%c", &major, &minor, &tail) != 2 || major > 255 ||
        minor > 255 || text.find_first_not_of("0123456789.") != std::string::npos) {
      return Invalid(w, absl::StrCat("expected 'major.minor' such as '2.11', got ", Quote(text)));
    }
    site.protocol_major = static_cast<uint8_t>(major);
    site.protocol_minor = static_cast<uint8_t>(minor);
  }
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "serialNumber", false));
  if (f != nullptr) {
    QL_ASSIGN_OR_RETURN(uint64_t v, Integer(*f, Sub(where, "serialNumber"), 0, 65535));
    site.serial_number = static_cast<uint16_t>(v);
  }
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "primaryMask", false));
  if (f != nullptr) {
    QL_ASSIGN_OR_RETURN(uint64_t v, Integer(*f, Sub(where, "primaryMask"), 0, 255));
    site.primary_mask = static_cast<uint8_t>(v);
  }
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "hashOption", false));
  if (f != nullptr) {
    QL_ASSIGN_OR_RETURN(uint64_t v, Integer(*f, Sub(where, "hashOption"), 0, 255));
    site.hash_option = static_cast<uint8_t>(v);
  }
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "hashFilter", false));
  if (f != nullptr) {
    QL_ASSIGN_OR_RETURN(site.hash_filter, String(*f, Sub(where, "hashFilter")));
  }
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "attributes", false));
  if (f != nullptr) {
    std::string w = Sub(where, "attributes");
    if (!f->is_array()) return Invalid(w, "expected an array");
    if (f->size() > ident::kMaxSiteAttributes) {
      return Invalid(w, absl::StrCat("more than ", ident::kMaxSiteAttributes, " entries"));
    }
    for (size_t i = 0; i < f->size(); ++i) {
      std::string wi = At(w, i);
      const json& a = (*f)[i];
      QL_RETURN_IF_ERROR(CheckObject(a, wi, {"name", "value"}));
      QL_ASSIGN_OR_RETURN(const json* name, Field(a, wi, "name", true));
      QL_ASSIGN_OR_RETURN(std::string n, String(*name, Sub(wi, "name")));
      QL_ASSIGN_OR_RETURN(const json* value, Field(a, wi, "value", true));
      QL_ASSIGN_OR_RETURN(std::string v, String(*value, Sub(wi, "value")));
      site.attributes.emplace_back(std::move(n), std::move(v));
    }
  }
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "servers", false));
  if (f != nullptr) {
    std::string w = Sub(where, "servers");
    if (!f->is_array()) return Invalid(w, "expected an array");
    if (f->size() > ident::kMaxSiteServers) {
      return Invalid(w, absl::StrCat("more than ", ident::kMaxSiteServers, " entries"));
    }
    for (size_t i = 0; i < f->size(); ++i) {
      QL_ASSIGN_OR_RETURN(auto server, ServerFromJson((*f)[i], At(w, i)));
      site.servers.push_back(std::move(server));
    }
  }
  return ident::EncodeSiteData(site);
}

json SiteToJson(const ident::SiteInfo& site) {
  json attributes = json::array();
  for (const auto& [name, value] : site.attributes) {
    attributes.push_back({{"name", name}, {"value", value}});
  }
  json servers = json::array();
  for (const auto& s : site.servers) {
    json server = {{"serverId", s.server_id}, {"address", AddressToText(s.address)}};
    if (!s.public_key.empty()) {
      server["publicKey"] = {{"format", "base64"}, {"value", absl::Base64Escape(s.public_key)}};
    }
    json ifaces = json::array();
    for (const auto& i : s.interfaces) {
      ifaces.push_back({{"type", NameOf(i.service_type, kServiceTypes)},
                        {"protocol", NameOf(i.protocol, kProtocols)},
                        {"port", i.port}});
    }
    server["interfaces"] = std::move(ifaces);
    servers.push_back(std::move(server));
  }
  return {{"version", site.version},
          {"protocolVersion", absl::StrCat(site.protocol_major, ".", site.protocol_minor)},
          {"serialNumber", site.serial_number},
          {"primaryMask", site.primary_mask},
          {"hashOption", site.hash_option},
          {"hashFilter", site.hash_filter},
          {"attributes", std::move(attributes)},
          {"servers", std::move(servers)}};
}

absl::StatusOr<std::string> DataFromJson(const json& j, std::string_view where) {
  // A bare string is shorthand for {"format":"string","value":...}.
  if (j.is_string()) return String(j, where);
  if (!j.is_object()) return Invalid(where, "expected an object or a string");
  QL_RETURN_IF_ERROR(CheckObject(j, where, {"format", "value"}));
  QL_ASSIGN_OR_RETURN(const json* format, Field(j, where, "format", true));
  QL_ASSIGN_OR_RETURN(std::string f, String(*format, Sub(where, "format")));
  QL_ASSIGN_OR_RETURN(const json* value, Field(j, where, "value", true));
  std::string w = Sub(where, "value");
  if (f == "string") return String(*value, w);
  if (f == "base64" || f == "key") return Base64(*value, w);
  if (f == "hex") return Hex(*value, w);
  if (f == "admin") return AdminFromJson(*value, w);
  if (f == "vlist") {
    QL_ASSIGN_OR_RETURN(auto refs, ReferencesFromJson(*value, w, ident::kMaxVListEntries));
    return ident::EncodeVListData(refs);
  }
  if (f == "site") return SiteFromJson(*value, w);
  return Invalid(Sub(where, "format"), absl::StrCat("unknown data format ", Quote(f)));
}

bool IsPrintableText(std::string_view data) {
  for (unsigned char c : data) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return false;
  }
  return IsValidUtf8(data);
}

json StructuredDataToJson(const ident::HandleValue& value) {
  const std::string& data = value.data;
  if (value.type == ident::kTypeAdmin) {
    ByteReader in(data);
    ident::AdminRecord admin;
    if (ident::DecodeAdmin(&in, &admin) && in.at_end()) {
      return {{"format", "admin"},
              {"value",
               {{"handle", admin.admin_handle},
                {"index", admin.admin_index},
                {"permissions", BitString(admin.permissions, 12)}}}};
    }
  } else if (value.type == ident::kTypeVList) {
    ByteReader in(data);
    std::vector<ident::ValueReference> refs;
    if (ident::DecodeVList(&in, &refs) && in.at_end()) {
      return {{"format", "vlist"}, {"value", ReferencesToJson(refs)}};
    }
  } else if (value.type == ident::kTypeSite) {
    ByteReader in(data);
    ident::SiteInfo site;
    if (ident::DecodeSite(&in, &site) && in.at_end()) {
      return {{"format", "site"}, {"value", SiteToJson(site)}};
    }
  }
  return nullptr;
}

json DataToJson(const ident::HandleValue& value) {
  const std::string& data = value.data;
  json structured = StructuredDataToJson(value);
  if (!structured.is_null()) {
    // Stored data may decode yet not map back to the same bytes (a string
    // that is not UTF-8, a port above 65535 ...): show such data as bytes,
    // so that what a GET returns can always be PUT back unchanged.
    auto back = DataFromJson(structured, "data");
    if (back.ok() && *back == data) return structured;
  }
  if (value.type == ident::kTypePubKey || value.type == ident::kTypeSecKey) {
    return {{"format", "key"}, {"value", absl::Base64Escape(data)}};
  }
  if (IsPrintableText(data)) return {{"format", "string"}, {"value", data}};
  return {{"format", "base64"}, {"value", absl::Base64Escape(data)}};
}

// Builds a DOM like nlohmann's own DOM parser, but reports where a syntax
// error is through the SAX error callback instead of an exception.
class PositionedDomParser {
 public:
  explicit PositionedDomParser(json* out) : dom_(*out, /*allow_exceptions_=*/false) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& s) {
    return dom_.number_float(v, s);
  }
  bool string(json::string_t& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return dom_.start_object(n); }
  bool key(json::string_t& v) { return dom_.key(v); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  template <typename Exception>
  bool parse_error(std::size_t position, const std::string&, const Exception&) {
    failed_ = true;
    position_ = position;
    return false;
  }

  bool failed() const { return failed_; }
  size_t position() const { return position_; }

 private:
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  bool failed_ = false;
  size_t position_ = 0;
};

}  // namespace

bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::string FormatTimestamp(uint32_t seconds) {
  std::string out;
  AppendTimestamp(seconds, &out);
  return out;
}

std::string DumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<json> ParseJsonBody(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return ident::HandleError(ResponseCode::kProtocolError, "body: empty");
  }
  // nlohmann's parser keeps its own stack, but a DOM a million levels deep
  // is still a large allocation and a deep recursion to destroy; count the
  // brackets first.
  size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : body) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return ident::HandleError(
            ResponseCode::kProtocolError,
            absl::StrCat("body: nested deeper than ", kMaxJsonDepth, " levels"));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  json out;
  PositionedDomParser parser(&out);
  json::sax_parse(body.begin(), body.end(), &parser);
  if (parser.failed()) {
    return ident::HandleError(ResponseCode::kProtocolError,
                              absl::StrCat("body: malformed JSON at byte ", parser.position()));
  }
  return out;
}

absl::StatusOr<ident::HandleValue> ValueFromJson(const json& j, std::string_view where) {
  QL_RETURN_IF_ERROR(CheckObject(j, where,
                                 {"index", "type", "data", "ttl", "ttlType", "permissions",
                                  "timestamp", "references"}));
  ident::HandleValue value;
  QL_ASSIGN_OR_RETURN(const json* f, Field(j, where, "index", true));
  QL_ASSIGN_OR_RETURN(uint64_t index, Integer(*f, Sub(where, "index"), ident::kMinValueIndex,
                                              ident::kMaxValueIndex));
  value.index = static_cast<uint32_t>(index);

  QL_ASSIGN_OR_RETURN(f, Field(j, where, "type", true));
  QL_ASSIGN_OR_RETURN(value.type, String(*f, Sub(where, "type")));
  if (value.type.empty()) return Invalid(Sub(where, "type"), "must not be empty");
  if (value.type.size() > ident::kMaxTypeBytes) {
    return Invalid(Sub(where, "type"), absl::StrCat("longer than ", ident::kMaxTypeBytes, " bytes"));
  }

  QL_ASSIGN_OR_RETURN(f, Field(j, where, "data", true));
  QL_ASSIGN_OR_RETURN(value.data, DataFromJson(*f, Sub(where, "data")));
  if (value.data.size() > ident::kMaxValueDataBytes) {
    return Invalid(Sub(where, "data"),
                   absl::StrCat("longer than ", ident::kMaxValueDataBytes, " bytes"));
  }

  QL_ASSIGN_OR_RETURN(f, Field(j, where, "ttlType", false));
  if (f != nullptr) {
    std::string w = Sub(where, "ttlType");
    if (*f == 0 || *f == "relative") {
      value.ttl_type = ident::TtlType::kRelative;
    } else if (*f == 1 || *f == "absolute") {
      value.ttl_type = ident::TtlType::kAbsolute;
    } else {
      return Invalid(w, "expected 0, 1, 'relative' or 'absolute'");
    }
  }
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "ttl", false));
  if (f != nullptr) {
    QL_ASSIGN_OR_RETURN(uint64_t ttl, Integer(*f, Sub(where, "ttl"), 0, UINT32_MAX));
    value.ttl = static_cast<uint32_t>(ttl);
  }
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "permissions", false));
  if (f != nullptr) {
    QL_ASSIGN_OR_RETURN(uint32_t perms, Bits(*f, Sub(where, "permissions"), 4));
    value.permissions = static_cast<uint8_t>(perms);
  }
  // Accepted for round trips but ignored: the server stamps each write.
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "timestamp", false));
  if (f != nullptr && !f->is_string()) {
    return Invalid(Sub(where, "timestamp"), "expected a string");
  }
  QL_ASSIGN_OR_RETURN(f, Field(j, where, "references", false));
  if (f != nullptr) {
    QL_ASSIGN_OR_RETURN(value.references, ReferencesFromJson(*f, Sub(where, "references"),
                                                             ident::kMaxReferencesPerValue));
  }
  return value;
}

absl::StatusOr<std::vector<ident::HandleValue>> ValuesFromJson(const json& values) {
  if (!values.is_array()) return Invalid("values", "expected an array");
  if (values.size() > ident::kMaxValuesPerHandle) {
    return Invalid("values", absl::StrCat("more than ", ident::kMaxValuesPerHandle, " values"));
  }
  std::vector<ident::HandleValue> out;
  out.reserve(values.size());
  std::set<uint32_t> seen;
  for (size_t i = 0; i < values.size(); ++i) {
    std::string where = At("values", i);
    QL_ASSIGN_OR_RETURN(ident::HandleValue value, ValueFromJson(values[i], where));
    if (!seen.insert(value.index).second) {
      return Invalid(Sub(where, "index"), absl::StrCat("duplicate index ", value.index));
    }
    out.push_back(std::move(value));
  }
  return out;
}

absl::StatusOr<std::vector<ident::HandleValue>> ValuesFromBody(std::string_view body) {
  QL_ASSIGN_OR_RETURN(json doc, ParseJsonBody(body));
  QL_RETURN_IF_ERROR(CheckObject(doc, "body", {"values"}));
  QL_ASSIGN_OR_RETURN(const json* values, Field(doc, "body", "values", true));
  return ValuesFromJson(*values);
}

void AppendValueJson(const ident::HandleValue& value, std::string* out) {
  // Typed data (HS_ADMIN, HS_VLIST, HS_SITE, keys) and a type that is not
  // UTF-8 take the DOM path; they are rare in resolution answers. Keys are
  // written in nlohmann's (sorted) order so both paths give the same bytes.
  const bool typed = value.type == ident::kTypeAdmin || value.type == ident::kTypeVList ||
                     value.type == ident::kTypeSite || value.type == ident::kTypePubKey ||
                     value.type == ident::kTypeSecKey;
  if (typed || !IsValidUtf8(value.type)) {
    out->append(DumpJson(ValueToJson(value)));
    return;
  }
  if (IsPrintableText(value.data)) {
    out->append(R"({"data":{"format":"string","value":)");
    AppendJsonString(value.data, out);
  } else {
    out->append(R"({"data":{"format":"base64","value":")");
    out->append(absl::Base64Escape(value.data));
    out->push_back('"');
  }
  absl::StrAppend(out, R"(},"index":)", value.index, R"(,"permissions":")",
                  BitString(value.permissions & 0x0f, 4), "\"");
  if (!value.references.empty()) {
    out->append(R"(,"references":)");
    out->append(DumpJson(ReferencesToJson(value.references)));
  }
  out->append(R"(,"timestamp":")");
  AppendTimestamp(value.timestamp, out);
  absl::StrAppend(out, R"(","ttl":)", value.ttl);
  if (value.ttl_type == ident::TtlType::kAbsolute) out->append(R"(,"ttlType":1)");
  out->append(R"(,"type":)");
  AppendJsonString(value.type, out);
  out->push_back('}');
}

json ValueToJson(const ident::HandleValue& value) {
  json out = {{"index", value.index}, {"type", value.type}, {"data", DataToJson(value)}};
  if (value.ttl_type == ident::TtlType::kAbsolute) out["ttlType"] = 1;
  out["ttl"] = value.ttl;
  out["permissions"] = BitString(value.permissions & 0x0f, 4);
  out["timestamp"] = FormatTimestamp(value.timestamp);
  if (!value.references.empty()) out["references"] = ReferencesToJson(value.references);
  return out;
}

}  // namespace qilian::api
