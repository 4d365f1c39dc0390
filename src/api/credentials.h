// Who is calling the REST API (issue 5, docs/api.md "Authentication"): turns
// an Authorization header into an ident::Caller. Two schemes:
//  - Basic base64("<index>%3A<handle>:<secret>") (the Handle.Net
//    convention; also "<index>:<handle>:<secret>" with a literal first
//    ':'), checked against that identity's HS_SECKEY;
//  - Bearer <token>, a console user's login token (tenant/token_service.h).
// No header: an anonymous caller. Any header that does not verify is an
// error (never silently anonymous): 402 for a malformed or unsupported
// credential, 403 for a wrong one, 405 for an expired token.
#ifndef QILIAN_API_CREDENTIALS_H_
#define QILIAN_API_CREDENTIALS_H_

#include <functional>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "ident/caller.h"
#include "ident/registry.h"
#include "net/http_message.h"

namespace qilian::api {

struct CredentialOptions {
  // Where Basic credentials' HS_SECKEY values are read; null: Basic is
  // refused.
  const ident::Registry* registry = nullptr;
  // The role and tenancy of a Handle identity, if it has one.
  std::function<std::optional<ident::Principal>(const ident::AdminIdentity&)> principal_of;
  // Resolves a Bearer token; null: Bearer is refused.
  std::function<absl::StatusOr<ident::Caller>(std::string_view token)> bearer;
};

absl::StatusOr<ident::Caller> AuthenticateRequest(const CredentialOptions& options,
                                                  const net::HttpRequest& request);

// "Basic base64(<index>%3A<handle>:<secret>)", as a client sends it.
std::string BasicAuthorization(const ident::AdminIdentity& identity, std::string_view secret);

// The actor a failed credential names, for the audit log ("300:X",
// "bearer"), or empty when none can be read.
std::string ClaimedActor(const net::HttpRequest& request);

}  // namespace qilian::api

#endif  // QILIAN_API_CREDENTIALS_H_
