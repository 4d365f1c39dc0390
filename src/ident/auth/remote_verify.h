// Secret keys held at another node (RFC 3652 opcode 201, docs/
// authentication.md "Identities homed on another node (opcode 201)").
//
// An administrator `index:handle` may be homed elsewhere: its HS_SECKEY
// lives only at the node that serves the handle's prefix, and the secret
// never leaves it. When a client answers our challenge as such an identity,
// this node cannot recompute the MAC; it asks the identity's home with a
// Verification Request (opcode 201: key handle, key index, nonce, the
// original request digest, the client's answer) and the home answers
// "verified" or "not verified". Both halves live here:
//  - AnswerVerification: the home's side, against the node's own registry;
//  - RemoteVerifier: the asking side, which finds the home site, picks the
//    server that holds the handle, and speaks opcode 201 over TCP.
#ifndef QILIAN_IDENT_AUTH_REMOTE_VERIFY_H_
#define QILIAN_IDENT_AUTH_REMOTE_VERIFY_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/metrics.h"
#include "ident/caller.h"
#include "ident/handle_value.h"
#include "ident/registry.h"
#include "ident/wire/codec.h"

namespace qilian::ident::auth {

// The prefix whose sites hold `handle`'s values: the prefix itself, or for a
// prefix handle 0.NA/<p>, <p> (as Registry serves 0.NA/<p> where <p> is
// served). InvalidHandle (102) when `handle` does not parse.
absl::StatusOr<std::string> HomePrefixOf(std::string_view handle);

// Whether `handle` is homed on this node, by Registry's own rule: its prefix
// is one the node is authoritative for, or it is 0.NA/<such a prefix>.
// False for a handle that does not parse.
bool IsHomedHere(const Registry& registry, std::string_view handle);

// The home's side of opcode 201: whether the client's answer `body.signature`
// (algorithm octet + MAC, as in opcode 200) was made with an HS_SECKEY of
// `body.key_index:body.key_handle` held in `registry` over body.nonce ‖
// body.digest. Key index 0 means any HS_SECKEY value of the handle, as
// Handle.Net servers read it.
// Outcomes, as Handle.Net's HandleServer answers (verifyChallenge):
//   true / false: false also when the handle or the HS_SECKEY value is
//       absent here, so that the asking node learns nothing more than
//       "this answer does not prove that identity";
//   301 kServerNotResponsible "this node is not responsible for prefix
//       'P'": the identity is not homed here (a 201 is answered only by
//       the identity's home);
//   404 kInvalidCredential "verification request: <field> ...": an empty
//       key handle, nonce, request digest or answer, a key handle that does
//       not parse, or a malformed answer (ParseSecretKeyAnswer's message);
//   any other code: a storage failure, passed on.
absl::StatusOr<bool> AnswerVerification(const Registry& registry, const wire::RequestBody& body);

// Finds the sites of a prefix (HS_SITE records of 0.NA/<prefix>): wired to
// the recursive resolver or to configured sites.
using SiteLookup = std::function<absl::StatusOr<std::vector<SiteInfo>>(std::string_view prefix)>;

// A lookup that gives `sites` for every prefix (a fixed home, or the
// configured roots of a deployment whose top node answers for all).
SiteLookup FixedSites(std::vector<SiteInfo> sites);

// The sites in a prefix record's values (HS_SITE; HS_SITE.PREFIX values
// too, which name the sites of derived prefixes). Values that do not decode
// are skipped; NotFound when none is left. HS_SERV indirection is not
// followed (the resolver's lookup does that).
absl::StatusOr<std::vector<SiteInfo>> SitesOfValues(const std::vector<HandleValue>& values);

struct RemoteVerifierOptions {
  // The whole verification, lookup excluded: every server tried shares it.
  absl::Duration timeout = absl::Seconds(5);
  // One server's share: connect, send, answer.
  absl::Duration per_server_timeout = absl::Seconds(2);
  // Servers asked before giving up (the responsible server of each site
  // first, then the others), on transport failures and 3/301 answers only.
  size_t max_servers = 4;
  // Verifications waiting on the network at once; more fail at once with
  // 3 kServerBusy, so a slow home cannot hold every worker.
  size_t max_in_flight = 64;
  // Servers whose HS_SITE record has a public key are always asked for a
  // certified (signed) reply and must sign it. With this set, servers
  // without a key are not asked at all: an unsigned verdict could come from
  // anyone on the path.
  bool require_signed_replies = false;
  // The largest reply accepted (a 201 reply is a few dozen octets).
  size_t max_reply_bytes = 64 << 10;
};

// The asking side. Thread-safe; one per node.
class RemoteVerifier {
 public:
  RemoteVerifier(SiteLookup lookup, MetricsRegistry* metrics, RemoteVerifierOptions options = {});

  // OK when the home of `who` says that `answer` (the client's opcode-200
  // answer: algorithm octet + MAC) answers (nonce, digest) for who's
  // HS_SECKEY. Outcomes (IdentityText(who) is written I:H):
  //   OK;
  //   403 kAuthenticationFailed "secret key answer does not match
  //       (verified by <address>:<port>)": the home said no;
  //   403 "cannot authenticate I:H: <address>:<port> answered <code>
  //       (<its message>)": the home refused the question (not its
  //       identity, permissions, ...);
  //   404 kInvalidCredential: a malformed answer (ParseSecretKeyAnswer's
  //       message; nothing is sent), or the home's own 404 "... (from
  //       <address>:<port>)";
  //   2 kError "cannot verify I:H: no home site for prefix 'P' (<why>)";
  //   2 kError "cannot verify I:H at its home <address>:<port>: <why>"
  //       (unreachable, timed out, a reply that does not decode or does not
  //       belong to the request), naming the last server tried;
  //   3 kServerBusy "too many remote verifications in flight".
  absl::Status Verify(const AdminIdentity& who, std::string_view nonce, std::string_view digest,
                      std::string_view answer);

 private:
  SiteLookup lookup_;
  RemoteVerifierOptions options_;
  std::atomic<size_t> in_flight_{0};
  Counter* verified_;
  Counter* not_verified_;
  Counter* refused_;       // the home answered an error code
  Counter* no_site_;       // the lookup failed
  Counter* unreachable_;   // every server tried failed at transport level
  Counter* bad_reply_;     // the last server's reply did not decode or match
  Counter* malformed_;     // the answer was malformed; nothing sent
  Counter* busy_;          // over max_in_flight
};

// The check of one opcode-200 answer for a node that knows identities homed
// elsewhere, in the shape of NativeAuthOptions::verify_answer: HS_SECKEY
// answers of an identity whose handle parses and is not homed here
// (IsHomedHere) go to `remote`; everything else (HS_PUBKEY answers, local
// identities, unparsable handles) to VerifyChallengeAnswer against
// `registry`, exactly as without this. A null `remote` is the local check
// alone. Both must outlive the returned function.
using AnswerCheck = std::function<absl::Status(const wire::RequestBody& answer,
                                               std::string_view nonce, std::string_view digest)>;
AnswerCheck HomeAwareAnswerCheck(const Registry* registry, RemoteVerifier* remote);

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_REMOTE_VERIFY_H_
