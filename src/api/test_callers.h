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
#include "gtest/gtest.h"
#include "ident/processor.h"
#include "ident/response_code.h"
#include "net/http_message.h"
#include "nlohmann/json.hpp"

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

// `method` `target` with `body` through `api` as the caller a TestCallers
// Bearer token names (none when `bearer` is empty), from a documentation
// address (192.0.2.1).
inline net::HttpResponse SendAs(RestApi& api, const std::string& method,
                                const std::string& target, const std::string& body,
                                const std::string& bearer) {
  net::HttpRequest request;
  request.method = method;
  request.target = target;
  request.body = body;
  request.remote_address = "192.0.2.1";
  if (!bearer.empty()) request.headers.emplace_back("authorization", "Bearer " + bearer);
  return api.Handle(request);
}

// The response body as JSON (a test failure when it is not JSON).
inline nlohmann::json ResponseJson(const net::HttpResponse& response) {
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << response.body;
  return j;
}

// The exact error answer: `http_status` and the body {"responseCode",
// "field" (when given), "message"}.
inline void ExpectErrorResponse(const net::HttpResponse& response, int http_status, int code,
                                const std::string& field, const std::string& message) {
  EXPECT_EQ(response.status, http_status) << response.body;
  nlohmann::json expected = {{"responseCode", code}, {"message", message}};
  if (!field.empty()) expected["field"] = field;
  EXPECT_EQ(ResponseJson(response), expected);
}

// Processor options whose access policy is `access`.
inline ident::ProcessorOptions WithAccess(const ident::AccessPolicy* access) {
  ident::ProcessorOptions options;
  options.access = access;
  return options;
}

}  // namespace qilian::api

#endif  // QILIAN_API_TEST_CALLERS_H_
