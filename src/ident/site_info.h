// This node's own HS_SITE record (RFC 3651 3.2.2, deployed form of
// ../shared/HANDLE-INTEROP.md "Value encodings"), built from the addresses
// and ports it serves on. Get-site-info (opcode 2) returns it, and clients
// use it to find the node's interfaces and (from issue 5) its public key.
#ifndef QILIAN_IDENT_SITE_INFO_H_
#define QILIAN_IDENT_SITE_INFO_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ident/handle_value.h"

namespace qilian::ident {

// Service types and protocol numbers of an HS_SITE interface.
namespace site_service {
inline constexpr uint8_t kAdmin = 1;
inline constexpr uint8_t kQuery = 2;
inline constexpr uint8_t kAdminAndQuery = 3;
}  // namespace site_service
namespace site_protocol {
inline constexpr uint8_t kUdp = 0;
inline constexpr uint8_t kTcp = 1;
inline constexpr uint8_t kHttp = 2;
}  // namespace site_protocol

// Handle.Net's default hash option (by the whole handle). With one server
// per site it selects nothing, but deployed clients expect it.
inline constexpr uint8_t kSiteHashByHandle = 2;

struct SiteOptions {
  // The address clients reach the node at: an IPv4 or IPv6 literal, such as
  // the handle server's listen address. A wildcard (0.0.0.0, ::) is written
  // as given, which tells clients nothing; set a reachable address.
  std::string address = "127.0.0.1";
  uint16_t handle_port = 2641;  // UDP and TCP
  // The HTTP port, advertised as an HTTP interface when non-zero. Note
  // that a Handle client uses an HTTP interface for the native protocol
  // over HTTP, which this node does not serve (only the REST API); leave it
  // 0 unless that is understood.
  uint16_t http_port = 0;
  uint16_t serial_number = 1;
  std::string description;  // the "desc" attribute; left out when empty
  std::string public_key;   // RFC 3651 public-key record; empty until issue 5
};

// Builds the record: format version 1, protocol 2.11, primary site (0x80),
// hash option by handle, one server (id 1) with interfaces TCP (admin and
// query), UDP (query only: administration needs TCP) and, when http_port is
// set, HTTP (admin and query). `options.address` must be a valid literal
// (see ParseSiteAddress); an invalid one is written as all zeros.
SiteInfo BuildSiteInfo(const SiteOptions& options);

// Parses an IPv4 or IPv6 literal into the 16-octet HS_SITE address field
// (IPv4 as ::a.b.c.d, the deployed form). False if it is not a literal.
bool ParseSiteAddress(std::string_view text, std::array<uint8_t, 16>* address);

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_SITE_INFO_H_
