// Handle response codes (RFC 3652 section 2.2.2.3, the codes deployed
// Handle.Net software added, and IDIS's 601-605) and their carriage inside
// absl::Status.
//
// Inside Qilian an operation fails with an absl::Status built by
// HandleError(): the canonical code says what kind of failure it is, and a
// payload carries the exact Handle response code. Each edge maps a Status
// once: ResponseCodeOf() for the native protocol, HttpStatusOf() for REST.
#ifndef QILIAN_IDENT_RESPONSE_CODE_H_
#define QILIAN_IDENT_RESPONSE_CODE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace qilian::ident {

enum class ResponseCode : uint32_t {
  kReserved = 0,
  kSuccess = 1,
  kError = 2,
  kServerBusy = 3,
  kProtocolError = 4,
  kOperationNotSupported = 5,
  kRecursionLimitExceeded = 6,
  kServerBackup = 7,  // deployed software only
  kHandleNotFound = 100,
  kHandleAlreadyExists = 101,
  kInvalidHandle = 102,
  kValuesNotFound = 200,
  kValueAlreadyExists = 201,
  kInvalidValue = 202,
  kExpiredSiteInfo = 300,
  kServerNotResponsible = 301,
  kServiceReferral = 302,
  kPrefixReferral = 303,
  kInvalidAdmin = 400,
  kInsufficientPermissions = 401,
  kAuthenticationNeeded = 402,
  kAuthenticationFailed = 403,
  kInvalidCredential = 404,
  kAuthenticationTimeout = 405,
  kAuthenticationError = 406,
  kSessionTimeout = 500,
  kSessionFailed = 501,
  kNoSessionKey = 502,
  kSessionNoSupport = 503,
  kSessionKeyInvalid = 504,
  kSessionMessageRejected = 505,  // deployed software only
  // IDIS (China industrial internet identifier system) extensions.
  kIdisPrefixNotActive = 601,
  kIdisPrefixExpired = 602,
  kIdisQuotaExceeded = 603,
  kIdisRateLimited = 604,
  kIdisIdentifierLimit = 605,
  kTrying = 900,
  kForwarded = 901,
  kQueued = 902,
};

// The RFC's short description, e.g. "HANDLE NOT FOUND".
std::string_view ResponseCodeName(ResponseCode code);

// An error Status carrying `code`. The canonical absl code is chosen to
// match (NotFound for 100/200, AlreadyExists for 101/201, ...).
absl::Status HandleError(ResponseCode code, std::string_view message);

// The Handle response code for `status`: the carried code when present,
// kSuccess for OK, otherwise derived from the canonical code (Internal and
// unknown failures become kError).
ResponseCode ResponseCodeOf(const absl::Status& status);

// The HTTP status the REST API answers with for a response code (issue 2's
// mapping: 200 for success, 404 for 100/200, 409 for 101/201, 400 for
// 102/202/301, 401/403 for authentication, 500 for 2).
int HttpStatusOf(ResponseCode code);

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_RESPONSE_CODE_H_
