#include "cli/exit_code.h"

namespace qilian::cli {

ExitCode ExitCodeForFailure(int http_status, std::optional<int> response_code) {
  if (response_code.has_value()) {
    switch (*response_code) {
      case 100:  // handle not found
      case 200:  // values not found
        return ExitCode::kNotFound;
      case 101:  // handle already exists
      case 201:  // value already exists
        return ExitCode::kConflict;
      case 4:    // protocol error
      case 102:  // invalid handle
      case 202:  // invalid value
      case 301:  // server not responsible
        return ExitCode::kRejected;
      case 400:
      case 401:
      case 402:
      case 403:
      case 404:
      case 405:
      case 406:
        return ExitCode::kPermission;
      case 2:  // server error
        return ExitCode::kServerError;
      default:
        break;
    }
  }
  if (http_status == 401 || http_status == 403) return ExitCode::kPermission;
  if (http_status >= 400 && http_status < 500) return ExitCode::kRejected;
  return ExitCode::kServerError;
}

}  // namespace qilian::cli
