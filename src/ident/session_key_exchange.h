// The node's side of a session setup's key exchange (opcode 400,
// docs/authentication.md "Sessions"), by key exchange mode:
//   4  the client's DH_PUB_KEY (hdllib) or X25519_PUB_KEY (Qilian): a key of
//      the node's in the same group, the key derived as the client derives
//      it (wire::ExchangeKey);
//   1  a random 32-octet key, RSA-encrypted to the client's key in the setup;
//   3  the same, to the HS_PUBKEY value the setup names on this node;
//   2  refused: the reference client sends its exchange key without a
//      session id, so no server can complete it.
#ifndef QILIAN_IDENT_SESSION_KEY_EXCHANGE_H_
#define QILIAN_IDENT_SESSION_KEY_EXCHANGE_H_

#include <string>

#include "absl/status/statusor.h"
#include "ident/registry.h"
#include "ident/wire/session.h"

namespace qilian::ident {

struct SessionKeyAgreement {
  std::string key;         // the session key (32 octets)
  std::string reply_data;  // the Data of the setup reply
};

// Errors carry the response code to answer: 501 naming what is wrong
// ("session setup: DH group of 512 bits outside 1024..4096", "key exchange
// mode 2 is not supported; ..."), 2 for a storage failure. `registry`
// (mode 3) may be null: then mode 3 finds no key.
absl::StatusOr<SessionKeyAgreement> AgreeSessionKey(const wire::SessionSetup& setup,
                                                    const Registry* registry);

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_SESSION_KEY_EXCHANGE_H_
