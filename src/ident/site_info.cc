#include "ident/site_info.h"

#include <arpa/inet.h>

#include <cstring>

namespace qilian::ident {

bool ParseSiteAddress(std::string_view text, std::array<uint8_t, 16>* address) {
  std::string literal(text);  // inet_pton wants a NUL-terminated string
  address->fill(0);
  in_addr v4;
  if (inet_pton(AF_INET, literal.c_str(), &v4) == 1) {
    // ::a.b.c.d (IPv4-compatible), as deployed servers write it, not the
    // ::ffff:a.b.c.d mapped form.
    std::memcpy(address->data() + 12, &v4, 4);
    return true;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, literal.c_str(), &v6) == 1) {
    std::memcpy(address->data(), &v6, 16);
    return true;
  }
  return false;
}

SiteInfo BuildSiteInfo(const SiteOptions& options) {
  SiteInfo site;
  site.version = 1;
  site.protocol_major = 2;
  site.protocol_minor = 11;
  site.serial_number = options.serial_number;
  site.primary_mask = 0x80;
  site.hash_option = kSiteHashByHandle;
  if (!options.description.empty()) site.attributes.emplace_back("desc", options.description);

  SiteServer server;
  server.server_id = 1;
  if (!ParseSiteAddress(options.address, &server.address)) server.address.fill(0);
  server.public_key = options.public_key;
  server.interfaces.push_back(
      {site_service::kAdminAndQuery, site_protocol::kTcp, options.handle_port});
  // Administration over UDP is refused (no way to authenticate a reply
  // path, and amplification), so UDP is advertised for queries only.
  server.interfaces.push_back({site_service::kQuery, site_protocol::kUdp, options.handle_port});
  if (options.http_port != 0) {
    server.interfaces.push_back(
        {site_service::kAdminAndQuery, site_protocol::kHttp, options.http_port});
  }
  site.servers.push_back(std::move(server));
  return site;
}

}  // namespace qilian::ident
