// Where a front door finds an identity's key: the HS_SECKEY (or HS_PUBKEY)
// value at index:handle in the node's own registry. Shared by the native front end
// (challenge answers) and the REST API (Basic credentials) so both treat an
// unknown identity the same way. Secrets are stored sealed; the registry
// opens them, so this sees the plain secret (docs/authentication.md,
// "Secrets at rest").
#ifndef QILIAN_IDENT_AUTH_SECKEY_LOOKUP_H_
#define QILIAN_IDENT_AUTH_SECKEY_LOOKUP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ident/registry.h"

namespace qilian::ident::auth {

// The secret of the HS_SECKEY value at (handle, index); nullopt when this node
// has none there (no such handle here, not a handle this node serves, or no
// HS_SECKEY at that index). Errors only for storage failures and a sealed
// secret that does not open (response code 2).
absl::StatusOr<std::optional<std::string>> LookUpSecretKey(const Registry& registry,
                                                           std::string_view handle,
                                                           uint32_t index);

// The same for a value of `type` (HS_PUBKEY: the public key record).
absl::StatusOr<std::optional<std::string>> LookUpKeyValue(const Registry& registry,
                                                          std::string_view handle,
                                                          uint32_t index, std::string_view type);

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_SECKEY_LOOKUP_H_
