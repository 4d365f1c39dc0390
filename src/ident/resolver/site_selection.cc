#include "ident/resolver/site_selection.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace qilian::ident::resolver {

absl::StatusOr<uint32_t> HandleHash(std::string_view handle, uint8_t hash_option) {
  size_t slash = handle.find('/');
  std::string_view part;
  switch (hash_option) {
    case site_hash::kByPrefix:
      part = slash == std::string_view::npos ? handle : handle.substr(0, slash);
      break;
    case site_hash::kBySuffix:
      part = slash == std::string_view::npos ? handle : handle.substr(slash + 1);
      break;
    case site_hash::kByHandle:
      part = handle;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat("unknown HS_SITE hash option ", hash_option));
  }
  // ASCII-only folding: deployed software upper-cases bytes a-z and keeps
  // every other byte, non-ASCII UTF-8 included.
  std::string upper = absl::AsciiStrToUpper(std::string(part));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(upper.data(), upper.size(), digest, &digest_len, EVP_md5(), nullptr) != 1 ||
      digest_len != 16) {
    return absl::InternalError("MD5 unavailable");
  }
  int32_t last = static_cast<int32_t>((uint32_t{digest[12]} << 24) | (uint32_t{digest[13]} << 16) |
                                      (uint32_t{digest[14]} << 8) | uint32_t{digest[15]});
  // Java's Math.abs leaves INT_MIN negative (and the Java client then
  // fails); taking 2^31 instead keeps the result defined.
  return static_cast<uint32_t>(std::llabs(static_cast<long long>(last)));
}

absl::StatusOr<size_t> ResponsibleServer(const SiteInfo& site, std::string_view handle) {
  if (site.servers.empty()) return absl::InvalidArgumentError("HS_SITE has no servers");
  QL_ASSIGN_OR_RETURN(uint32_t hash, HandleHash(handle, site.hash_option));
  return hash % site.servers.size();
}

std::vector<size_t> ServerOrder(const SiteInfo& site, std::string_view handle) {
  std::vector<size_t> order;
  size_t n = site.servers.size();
  if (n == 0) return order;
  absl::StatusOr<size_t> first = ResponsibleServer(site, handle);
  size_t start = first.ok() ? *first : 0;
  for (size_t i = 0; i < n; ++i) order.push_back((start + i) % n);
  return order;
}

}  // namespace qilian::ident::resolver
