// Exit codes of the `qilian` command, the contract scripts rely on
// (docs/cli.md): one code per kind of outcome, derived from the server's
// Handle response code and HTTP status in one place.
#ifndef QILIAN_CLI_EXIT_CODE_H_
#define QILIAN_CLI_EXIT_CODE_H_

#include <optional>

namespace qilian::cli {

enum class ExitCode : int {
  kOk = 0,
  kNotFound = 1,     // responseCode 100/200: handle or values not found
  kUsage = 2,        // bad flags, unreadable file, malformed --value
  kConflict = 3,     // responseCode 101/201: already exists
  kRejected = 4,     // bad input per the server: 102/202/301/4, other 4xx
  kPermission = 5,   // authentication or permission: 400-406, HTTP 401/403
  kServerError = 6,  // server or network failure, HTTP 5xx, unparsable reply
  // `qilian device write|invoke` only (HTTP status decides, device.cc):
  kDeviceRefused = 7,  // HTTP 422: the device answered with a refusal
  kDeviceTimeout = 8,  // HTTP 504: the device did not answer in time
};

// The exit code for a reply that was not a success. `response_code` is the
// Handle response code the body carried, if it carried one; it wins over
// the HTTP status, which only decides when the code says nothing specific.
ExitCode ExitCodeForFailure(int http_status, std::optional<int> response_code);

inline int ToInt(ExitCode code) { return static_cast<int>(code); }

}  // namespace qilian::cli

#endif  // QILIAN_CLI_EXIT_CODE_H_
