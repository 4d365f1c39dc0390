// Certified answers (docs/handle_wire.md, "Certified answers"): every reply
// to a native request with the CT flag — values, errors, referrals,
// challenges, site info, session setup — is signed with the node's RSA
// signing key the way deployed Handle.Net servers sign (HandleServer
// sendResponse) and deployed clients verify (HandleResolver
// verifyResponseWithServerPublicKey, against the key in the node's
// HS_SITE): CT set in the reply's OpFlag, and the credential
//   version 0, reserved 0, options 0, signer "" index <session counter>,
//   type "HS_SIGNED", digest "SHA1" (below 2.7) or "SHA-256" (2.7 on),
//   the PKCS#1 v1.5 signature
// over auth::SignedReplyBytes (envelope fields from 2.6 on, then header and
// body). A reply that already carries a credential (a session MAC) is
// left as it is.
#ifndef QILIAN_IDENT_REPLY_CERTIFIER_H_
#define QILIAN_IDENT_REPLY_CERTIFIER_H_

#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ident/auth/public_key.h"
#include "ident/wire/codec.h"

namespace qilian::ident {

class ReplyCertifier {
 public:
  // `key` (the node's RSA signing key) must outlive the certifier.
  explicit ReplyCertifier(const auth::PrivateKey* key) : key_(key) {}

  // Whether `request` (a whole native message) asks for a certified
  // answer: its header is there and has CT.
  static bool WantsCertified(std::span<const uint8_t> request);

  // `reply` with CT set and signed. A reply that does not decode, or that
  // already has a credential, comes back unchanged.
  absl::StatusOr<std::string> Certify(std::string_view reply) const;

 private:
  const auth::PrivateKey* key_;
};

// Checks a certified reply as deployed clients do (hdllib
// verifyResponseWithServerPublicKey): an HS_SIGNED credential whose
// signature over auth::SignedReplyBytes verifies with `key_record`, the key
// of the server asked (its HS_SITE). At 2.6 Handle.Net's overwritten form
// is accepted too. InvalidArgument naming what is wrong ("reply is not
// signed", "reply signature does not verify", ...).
absl::Status VerifyCertifiedReply(const wire::RawMessage& raw, std::string_view key_record);

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_REPLY_CERTIFIER_H_
