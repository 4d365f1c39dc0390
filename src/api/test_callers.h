// Tests only: helpers of the REST route tests. TestCallers gives
// RestAuthOptions whose Bearer tokens name fixed callers, so route tests can
// act as an operator or enterprise staff without a user store. "operator" and "auditor" are those roles; "admin:<prefix>" and
// "member:<prefix>" are enterprise staff owning <prefix>; anything else is
// refused with 403.
#ifndef QILIAN_API_TEST_CALLERS_H_
#define QILIAN_API_TEST_CALLERS_H_

#include <string>
#include <string_view>

#include "api/rest_api.h"
#include "ident/processor.h"
#include "ident/response_code.h"
#include "net/http_message.h"

namespace qilian::api {

inline RestAuthOptions TestCallers() {
  RestAuthOptions auth;
  auth.credentials.bearer = [](std::string_view token) -> absl::StatusOr<ident::Caller> {
    ident::Caller caller;
    caller.actor = "user:" + std::string(token);
    ident::Principal p;
    if (token == "operator") {
      p.role = ident::Role::kOperator;
    } else if (token == "auditor") {
      p.role = ident::Role::kAuditor;
    } else if (token.starts_with("admin:") || token.starts_with("member:")) {
      const size_t colon = token.find(':');
      p.role = token.starts_with("admin:") ? ident::Role::kEnterpriseAdmin
                                           : ident::Role::kEnterpriseMember;
      p.prefixes = {std::string(token.substr(colon + 1))};
    } else {
      return ident::HandleError(ident::ResponseCode::kAuthenticationFailed,
                                "bearer token is not valid");
    }
    caller.principal = std::move(p);
    return caller;
  };
  return auth;
}

// A PUT of `body` to /api/handles/<handle> through `api`, from loopback:
// how route tests set up records through an API without access policy.
inline net::HttpResponse PutHandle(RestApi& api, const std::string& handle,
                                   const std::string& body) {
  net::HttpRequest request;
  request.method = "PUT";
  request.target = "/api/handles/" + handle;
  request.body = body;
  request.remote_is_loopback = true;
  request.remote_address = "127.0.0.1";
  return api.Handle(request);
}

// Processor options whose access policy is `access`.
inline ident::ProcessorOptions WithAccess(const ident::AccessPolicy* access) {
  ident::ProcessorOptions options;
  options.access = access;
  return options;
}

}  // namespace qilian::api

#endif  // QILIAN_API_TEST_CALLERS_H_
