// Who is calling the REST API (issue 5, docs/api.md "Authentication"): turns
// an Authorization header into an ident::Caller. Three schemes:
//  - Basic base64("<index>%3A<handle>:<secret>") (the Handle.Net
//    convention; also "<index>:<handle>:<secret>" with a literal first
//    ':'), checked against that identity's HS_SECKEY;
//  - Bearer <token>, a console user's login token (tenant/token_service.h),
//    or a sensor's token ("qsn.<id>.<secret>", docs/security/events-api.md);
//  - Handle sessionId="...", ... : Handle.Net v9's REST session, whose
//    server nonce the client signs once with its HS_PUBKEY (or MACs with
//    its HS_SECKEY); see api/session_routes.h.
// No header: an anonymous caller. Any header that does not verify is an
// error (never silently anonymous): 402 for a malformed or unsupported
// credential, 403 for a wrong one, 405 for an expired token or session.
#ifndef QILIAN_API_CREDENTIALS_H_
#define QILIAN_API_CREDENTIALS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ident/caller.h"
#include "ident/registry.h"
#include "net/http_message.h"

namespace qilian::api {

class RestSessions;

struct CredentialOptions {
  // Where Basic credentials' HS_SECKEY values are read; null: Basic is
  // refused.
  const ident::Registry* registry = nullptr;
  // The role and tenancy of a Handle identity, if it has one.
  std::function<std::optional<ident::Principal>(const ident::AdminIdentity&)> principal_of;
  // The actor a Bearer token names, even a refused one (ClaimedActor);
  // null: "bearer".
  std::function<std::string(std::string_view token)> bearer_actor;
  // Resolves a Bearer token; null: Bearer is refused.
  std::function<absl::StatusOr<ident::Caller>(std::string_view token)> bearer;
  // Resolves a sensor's Bearer token, one that starts "qsn."
  // (security/events/sensor_registry.h; a console token, base64url, never
  // holds a '.'); null: sensor tokens are refused.
  std::function<absl::StatusOr<ident::Caller>(std::string_view token)> sensor;
  // REST sessions (Authorization: Handle); null: that scheme is refused.
  RestSessions* sessions = nullptr;
  // Verifies a session's challenge answer: `answer` is what a native
  // opcode-200 answer of `auth_type` would carry (ident/auth/
  // challenge_answer.h) for the challenge (nonce, digest = the client
  // nonce). Null: ident::auth::VerifyChallengeAnswer against `registry`.
  std::function<absl::Status(std::string_view auth_type, const ident::AdminIdentity& who,
                             std::string_view nonce, std::string_view digest,
                             std::string_view answer)>
      verify_answer;
};

// The parameters of `Authorization: Handle k=v, k="v", ...` (Handle.Net's
// HandleAuthorizationHeader): names case-insensitive, values a token or a
// quoted string, `id` percent-decoded; unknown names are kept but unused.
struct HandleAuthorization {
  std::optional<std::string> version, session_id, id, cnonce, type, alg, signature;
  std::optional<std::string> salt, iterations, length;  // PBKDF2-HMAC-SHA1 only
  // Whether it tries to authenticate (any of id, type, alg, signature).
  bool authenticating() const {
    return id.has_value() || type.has_value() || alg.has_value() || signature.has_value();
  }
};
// `credentials` is what follows "Handle ". 402 naming what is wrong.
absl::StatusOr<HandleAuthorization> ParseHandleAuthorization(std::string_view credentials);
// The request's Handle header if it has a well-formed one; else nullopt.
std::optional<HandleAuthorization> HandleAuthorizationOf(const net::HttpRequest& request);

// Besides the header, InfluxDB clients' forms (docs/line-protocol.md,
// "Credentials"): `Authorization: Token <index>:<handle>:<secret>` (InfluxDB
// 2's 1.x-compatible token), and on /write `?u=<index>:<handle>&p=<secret>`
// when there is no header; both are checked as Basic is.
absl::StatusOr<ident::Caller> AuthenticateRequest(const CredentialOptions& options,
                                                  const net::HttpRequest& request);

// "<u>:<p>" of a /write request's ?u=&p= (InfluxDB 1.x), or empty.
std::string InfluxQueryCredentials(const net::HttpRequest& request);

// "Basic base64(<index>%3A<handle>:<secret>)", as a client sends it.
std::string BasicAuthorization(const ident::AdminIdentity& identity, std::string_view secret);

// The actor a failed credential names, for the audit log and the
// throttle ("300:X"; "user:<name>" of a known or recently expired Bearer
// token, else "bearer"; the id of a Handle header), or empty when none can
// be read (also a Handle header with only a sessionId).
std::string ClaimedActor(const CredentialOptions& options, const net::HttpRequest& request);
std::string ClaimedActor(const net::HttpRequest& request);

}  // namespace qilian::api

#endif  // QILIAN_API_CREDENTIALS_H_
