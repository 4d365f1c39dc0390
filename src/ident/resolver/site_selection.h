// Which server of an HS_SITE holds a handle (RFC 3651 section 3.2.2,
// RFC 3652 section 3.3, as Handle.Net's SiteInfo.determineServerNum does
// it): a site of several servers spreads its handles over them by hash.
// The part of the handle named by the site's hash option (0: the prefix,
// 1: the suffix, 2: the whole handle) is upper-cased (ASCII letters, as
// deployed software folds), hashed with MD5, and the last 4 octets of the
// digest, read as a big-endian signed 32-bit integer, give the server:
// |int| modulo the number of servers. Every client and server must agree
// on this, or a query lands on a server that does not hold the handle.
#ifndef QILIAN_IDENT_RESOLVER_SITE_SELECTION_H_
#define QILIAN_IDENT_RESOLVER_SITE_SELECTION_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ident/handle_value.h"

namespace qilian::ident::resolver {

namespace site_hash {
inline constexpr uint8_t kByPrefix = 0;  // RFC 3651 HASH_BY_NA
inline constexpr uint8_t kBySuffix = 1;  // HASH_BY_LOCAL
inline constexpr uint8_t kByHandle = 2;  // HASH_BY_HANDLE
}  // namespace site_hash

// The non-negative hash of `handle` for `hash_option`. The prefix is the
// part before the first '/', the suffix the part after it; a name without
// '/' is used whole for either. InvalidArgument for an unknown option.
absl::StatusOr<uint32_t> HandleHash(std::string_view handle, uint8_t hash_option);

// The index into `site.servers` of the server responsible for `handle`.
// InvalidArgument for a site without servers or an unknown hash option.
absl::StatusOr<size_t> ResponsibleServer(const SiteInfo& site, std::string_view handle);

// The order to ask the site's servers in: the responsible one first, then
// the others in the site's order, so that a time-out moves on to the next.
// Falls back to the site's order when the hash option is unknown.
std::vector<size_t> ServerOrder(const SiteInfo& site, std::string_view handle);

}  // namespace qilian::ident::resolver

#endif  // QILIAN_IDENT_RESOLVER_SITE_SELECTION_H_
