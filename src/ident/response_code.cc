#include "ident/response_code.h"

#include <charconv>
#include <string>

#include "absl/strings/cord.h"

namespace qilian::ident {
namespace {

// The payload that carries the exact Handle response code, as decimal text,
// so a Status crossing module boundaries keeps the code it was made with.
constexpr char kPayloadKey[] = "qilian.ident/rc";

absl::StatusCode CanonicalCodeFor(ResponseCode code) {
  switch (code) {
    case ResponseCode::kSuccess:
      return absl::StatusCode::kOk;
    case ResponseCode::kHandleNotFound:
    case ResponseCode::kValuesNotFound:
      return absl::StatusCode::kNotFound;
    case ResponseCode::kHandleAlreadyExists:
    case ResponseCode::kValueAlreadyExists:
      return absl::StatusCode::kAlreadyExists;
    case ResponseCode::kInvalidHandle:
    case ResponseCode::kInvalidValue:
    case ResponseCode::kProtocolError:
      return absl::StatusCode::kInvalidArgument;
    case ResponseCode::kOperationNotSupported:
    case ResponseCode::kSessionNoSupport:
      return absl::StatusCode::kUnimplemented;
    case ResponseCode::kServerBusy:
    case ResponseCode::kServerBackup:
      return absl::StatusCode::kUnavailable;
    case ResponseCode::kRecursionLimitExceeded:
    case ResponseCode::kIdisQuotaExceeded:
    case ResponseCode::kIdisRateLimited:
    case ResponseCode::kIdisIdentifierLimit:
      return absl::StatusCode::kResourceExhausted;
    case ResponseCode::kInvalidAdmin:
    case ResponseCode::kInsufficientPermissions:
      return absl::StatusCode::kPermissionDenied;
    case ResponseCode::kAuthenticationNeeded:
    case ResponseCode::kAuthenticationFailed:
    case ResponseCode::kInvalidCredential:
    case ResponseCode::kAuthenticationTimeout:
    case ResponseCode::kAuthenticationError:
      return absl::StatusCode::kUnauthenticated;
    case ResponseCode::kExpiredSiteInfo:
    case ResponseCode::kServerNotResponsible:
    case ResponseCode::kServiceReferral:
    case ResponseCode::kPrefixReferral:
    case ResponseCode::kSessionTimeout:
    case ResponseCode::kSessionFailed:
    case ResponseCode::kNoSessionKey:
    case ResponseCode::kSessionKeyInvalid:
    case ResponseCode::kSessionMessageRejected:
    case ResponseCode::kIdisPrefixNotActive:
    case ResponseCode::kIdisPrefixExpired:
      return absl::StatusCode::kFailedPrecondition;
    case ResponseCode::kReserved:
    case ResponseCode::kError:
    case ResponseCode::kTrying:
    case ResponseCode::kForwarded:
    case ResponseCode::kQueued:
      break;
  }
  return absl::StatusCode::kInternal;
}

}  // namespace

std::string_view ResponseCodeName(ResponseCode code) {
  switch (code) {
    case ResponseCode::kReserved: return "RESERVED";
    case ResponseCode::kSuccess: return "SUCCESS";
    case ResponseCode::kError: return "ERROR";
    case ResponseCode::kServerBusy: return "SERVER TOO BUSY";
    case ResponseCode::kProtocolError: return "PROTOCOL ERROR";
    case ResponseCode::kOperationNotSupported: return "OPERATION NOT SUPPORTED";
    case ResponseCode::kRecursionLimitExceeded: return "RECURSION LIMIT EXCEEDED";
    case ResponseCode::kServerBackup: return "SERVER BACKUP";
    case ResponseCode::kHandleNotFound: return "HANDLE NOT FOUND";
    case ResponseCode::kHandleAlreadyExists: return "HANDLE ALREADY EXISTS";
    case ResponseCode::kInvalidHandle: return "INVALID HANDLE";
    case ResponseCode::kValuesNotFound: return "VALUES NOT FOUND";
    case ResponseCode::kValueAlreadyExists: return "VALUE ALREADY EXISTS";
    case ResponseCode::kInvalidValue: return "INVALID VALUE";
    case ResponseCode::kExpiredSiteInfo: return "EXPIRED SITE INFO";
    case ResponseCode::kServerNotResponsible: return "SERVER NOT RESPONSIBLE";
    case ResponseCode::kServiceReferral: return "SERVICE REFERRAL";
    case ResponseCode::kPrefixReferral: return "PREFIX REFERRAL";
    case ResponseCode::kInvalidAdmin: return "INVALID ADMIN";
    case ResponseCode::kInsufficientPermissions: return "INSUFFICIENT PERMISSIONS";
    case ResponseCode::kAuthenticationNeeded: return "AUTHENTICATION NEEDED";
    case ResponseCode::kAuthenticationFailed: return "AUTHENTICATION FAILED";
    case ResponseCode::kInvalidCredential: return "INVALID CREDENTIAL";
    case ResponseCode::kAuthenticationTimeout: return "AUTHENTICATION TIMEOUT";
    case ResponseCode::kAuthenticationError: return "AUTHENTICATION ERROR";
    case ResponseCode::kSessionTimeout: return "SESSION TIMEOUT";
    case ResponseCode::kSessionFailed: return "SESSION FAILED";
    case ResponseCode::kNoSessionKey: return "NO SESSION KEY";
    case ResponseCode::kSessionNoSupport: return "SESSION NOT SUPPORTED";
    case ResponseCode::kSessionKeyInvalid: return "SESSION KEY INVALID";
    case ResponseCode::kSessionMessageRejected: return "SESSION MESSAGE REJECTED";
    case ResponseCode::kIdisPrefixNotActive: return "PREFIX NOT ACTIVE";
    case ResponseCode::kIdisPrefixExpired: return "PREFIX EXPIRED";
    case ResponseCode::kIdisQuotaExceeded: return "QUOTA EXCEEDED";
    case ResponseCode::kIdisRateLimited: return "RATE LIMITED";
    case ResponseCode::kIdisIdentifierLimit: return "IDENTIFIER LIMIT REACHED";
    case ResponseCode::kTrying: return "TRYING";
    case ResponseCode::kForwarded: return "FORWARDED";
    case ResponseCode::kQueued: return "QUEUED";
  }
  return "UNKNOWN";
}

absl::Status HandleError(ResponseCode code, std::string_view message) {
  absl::StatusCode canonical = CanonicalCodeFor(code);
  // A success code is not an error; returning OK keeps StatusOr's rule that
  // an error Status is never OK from being broken by a caller's mistake.
  if (canonical == absl::StatusCode::kOk) return absl::OkStatus();
  absl::Status status(canonical, std::string(message));
  status.SetPayload(kPayloadKey, absl::Cord(std::to_string(static_cast<uint32_t>(code))));
  return status;
}

ResponseCode ResponseCodeOf(const absl::Status& status) {
  if (status.ok()) return ResponseCode::kSuccess;
  if (auto payload = status.GetPayload(kPayloadKey)) {
    std::string text(*payload);
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) {
      return static_cast<ResponseCode>(value);
    }
  }
  // A Status from outside ident (a store, a parser) has no payload; map its
  // canonical code to the nearest Handle meaning.
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return ResponseCode::kHandleNotFound;
    case absl::StatusCode::kAlreadyExists:
      return ResponseCode::kHandleAlreadyExists;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return ResponseCode::kProtocolError;
    case absl::StatusCode::kUnimplemented:
      return ResponseCode::kOperationNotSupported;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
      return ResponseCode::kServerBusy;
    case absl::StatusCode::kPermissionDenied:
      return ResponseCode::kInsufficientPermissions;
    case absl::StatusCode::kUnauthenticated:
      return ResponseCode::kAuthenticationNeeded;
    default:
      return ResponseCode::kError;
  }
}

int HttpStatusOf(ResponseCode code) {
  switch (code) {
    case ResponseCode::kSuccess:
      return 200;
    case ResponseCode::kHandleNotFound:
    case ResponseCode::kValuesNotFound:
      return 404;
    case ResponseCode::kHandleAlreadyExists:
    case ResponseCode::kValueAlreadyExists:
      return 409;
    case ResponseCode::kInvalidHandle:
    case ResponseCode::kInvalidValue:
    case ResponseCode::kServerNotResponsible:
    case ResponseCode::kProtocolError:
    case ResponseCode::kOperationNotSupported:
      return 400;
    case ResponseCode::kAuthenticationNeeded:
    case ResponseCode::kAuthenticationFailed:
    case ResponseCode::kInvalidCredential:
    case ResponseCode::kAuthenticationTimeout:
    case ResponseCode::kAuthenticationError:
      return 401;
    case ResponseCode::kInvalidAdmin:
    case ResponseCode::kInsufficientPermissions:
      return 403;
    case ResponseCode::kServerBusy:
      return 503;
    // IDIS write quotas: too many writes now or today (429 Too Many
    // Requests, RFC 6585), or no room left under the prefix.
    case ResponseCode::kIdisQuotaExceeded:
    case ResponseCode::kIdisRateLimited:
      return 429;
    case ResponseCode::kIdisIdentifierLimit:
      return 403;
    default:
      return 500;
  }
}

}  // namespace qilian::ident
