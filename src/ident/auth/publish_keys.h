// Publishes the node's signing keys (signing_keys.h) as HS_PUBKEY values
// of its prefix handles, where verifiers of its signatures (ledger
// checkpoints, Qilian clients, other nodes) look them up by handle and
// index, as Handle.Net identities are looked up:
//   301:0.NA/<prefix>  RSA      (the same key as in the node's HS_SITE)
//   302:0.NA/<prefix>  Ed25519  (when the node holds one)
//   303:0.NA/<prefix>  SM2      (when the node holds one)
// Run at every start: after a rotation the values change to the new keys;
// a key the node no longer holds is removed. Prefix handles that do not
// exist (a recursive-only node) are left alone.
#ifndef QILIAN_IDENT_AUTH_PUBLISH_KEYS_H_
#define QILIAN_IDENT_AUTH_PUBLISH_KEYS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "ident/auth/signing_keys.h"
#include "ident/registry.h"

namespace qilian::ident::auth {

// The HS_PUBKEY index of a node key of `type` in its prefix handles.
uint32_t PublishedKeyIndex(KeyType type);

// Writes (or leaves, when unchanged) the HS_PUBKEY values of `keys` in
// 0.NA/<prefix> for each of `prefixes`, and removes those of key types not
// in `keys`. Returns the number of prefix handles changed.
absl::StatusOr<int> PublishSigningKeys(Registry* registry, const std::vector<std::string>& prefixes,
                                       const SigningKeys& keys);

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_PUBLISH_KEYS_H_
