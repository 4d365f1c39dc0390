#include "api/credentials.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/query.h"
#include "core/status.h"
#include "ident/auth/seckey_lookup.h"
#include "ident/response_code.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;

namespace {

// Compares without an early exit, so the time taken does not tell how much
// of a guessed secret was right.
bool SecretsEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

constexpr std::string_view kCredentialForm = "<index>%3A<handle>:<secret>";

absl::Status NeedCredentials(std::string_view why) {
  return HandleError(ResponseCode::kAuthenticationNeeded, std::string(why));
}

// Verifies `Authorization: Basic base64("<index>%3A<handle>:<secret>")`
// (also "<index>:<handle>:<secret>" with a literal first ':', where the
// handle then must not contain ':') against the identity's HS_SECKEY.
absl::StatusOr<ident::AdminIdentity> AuthenticateBasic(const CredentialOptions& options,
                                                       std::string_view credentials) {
  if (options.registry == nullptr) {
    return NeedCredentials("Basic credentials are not accepted by this node");
  }
  std::string encoded(credentials);
  absl::StripAsciiWhitespace(&encoded);
  std::string decoded;
  if (encoded.empty() || !absl::Base64Unescape(encoded, &decoded)) {
    return NeedCredentials("Basic credentials are not valid base64");
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    return NeedCredentials(absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
  }
  std::string user = decoded.substr(0, colon);
  std::string secret = decoded.substr(colon + 1);
  std::string index_text, handle;
  bool digits_only = !user.empty() && std::all_of(user.begin(), user.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c));
  });
  if (digits_only) {
    // The literal form: the first ':' ended the index, the next one the
    // handle; the rest (which may hold ':') is the secret.
    size_t next = secret.find(':');
    if (next == std::string::npos) {
      return NeedCredentials(
          absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
    }
    index_text = user;
    handle = secret.substr(0, next);
    secret = secret.substr(next + 1);
  } else {
    std::optional<std::string> name = PercentDecode(user, /*plus_is_space=*/false);
    size_t split = name ? name->find(':') : std::string::npos;
    if (split == std::string::npos) {
      return NeedCredentials(
          absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
    }
    index_text = name->substr(0, split);
    handle = name->substr(split + 1);
  }
  uint32_t index = 0;
  if (index_text.empty() || handle.empty() ||
      !std::all_of(index_text.begin(), index_text.end(),
                   [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) ||
      !absl::SimpleAtoi(index_text, &index)) {
    return NeedCredentials(absl::StrCat("Basic credentials must be ", std::string(kCredentialForm)));
  }
  const std::string identity = absl::StrCat(index, ":", handle);
  QL_ASSIGN_OR_RETURN(std::optional<std::string> stored,
                      ident::auth::LookUpSecretKey(*options.registry, handle, index));
  if (!stored.has_value()) {
    return HandleError(ResponseCode::kAuthenticationFailed,
                       absl::StrCat("cannot authenticate ", identity,
                                    ": no HS_SECKEY value at that index"));
  }
  if (!SecretsEqual(*stored, secret)) {
    return HandleError(ResponseCode::kAuthenticationFailed,
                       absl::StrCat("secret does not match for ", identity));
  }
  return ident::AdminIdentity{handle, index};
}


// Splits "Scheme credentials" with a case-insensitive scheme.
bool HasScheme(std::string_view value, std::string_view scheme, std::string_view* rest) {
  if (value.size() <= scheme.size() || value[scheme.size()] != ' ') return false;
  if (absl::AsciiStrToLower(std::string(value.substr(0, scheme.size()))) != std::string(scheme)) {
    return false;
  }
  *rest = value.substr(scheme.size() + 1);
  while (!rest->empty() && rest->front() == ' ') rest->remove_prefix(1);
  return true;
}

}  // namespace

absl::StatusOr<ident::Caller> AuthenticateRequest(const CredentialOptions& options,
                                                  const net::HttpRequest& request) {
  const std::string* header = request.Header("authorization");
  if (header == nullptr) return ident::Caller::Anonymous();
  std::string_view rest;
  if (HasScheme(*header, "basic", &rest)) {
    QL_ASSIGN_OR_RETURN(ident::AdminIdentity who, AuthenticateBasic(options, rest));
    ident::Caller caller;
    caller.actor = ident::IdentityText(who);
    if (options.principal_of) caller.principal = options.principal_of(who);
    caller.identity = std::move(who);
    caller.method = "basic";
    return caller;
  }
  if (HasScheme(*header, "bearer", &rest)) {
    if (!options.bearer) return NeedCredentials("Bearer tokens are not accepted by this node");
    QL_ASSIGN_OR_RETURN(ident::Caller caller, options.bearer(rest));
    caller.method = "bearer";
    return caller;
  }
  return NeedCredentials(absl::StrCat("Authorization must use the Basic scheme (",
                                      std::string(kCredentialForm),
                                      ") or the Bearer scheme"));
}

std::string BasicAuthorization(const ident::AdminIdentity& identity, std::string_view secret) {
  return absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(identity.index, "%3A",
                                                                identity.handle, ":",
                                                                std::string(secret))));
}

std::string ClaimedActor(const net::HttpRequest& request) {
  const std::string* header = request.Header("authorization");
  if (header == nullptr) return "";
  std::string_view rest;
  if (HasScheme(*header, "bearer", &rest)) return "bearer";
  if (!HasScheme(*header, "basic", &rest)) return "";
  std::string decoded;
  if (!absl::Base64Unescape(std::string(rest), &decoded)) return "";
  size_t colon = decoded.find(':');
  std::optional<std::string> user = PercentDecode(decoded.substr(0, colon), false);
  if (!user.has_value()) return "";
  if (user->find(':') != std::string::npos) return *user;
  // The literal form "<index>:<handle>:<secret>".
  size_t next = colon == std::string::npos ? colon : decoded.find(':', colon + 1);
  return next == std::string::npos ? *user : decoded.substr(0, next);
}

}  // namespace qilian::api
