// Key files: the node key (secret_store.h) and the node's signing keys
// (signing_keys.h) are kept the same careful way. A key file is created
// with mode 0600, never over an existing one, written and synced with its
// directory entry before anything depends on it; reading it is bounded.
#ifndef QILIAN_IDENT_AUTH_KEY_FILE_H_
#define QILIAN_IDENT_AUTH_KEY_FILE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace qilian::ident::auth {

// The file's octets. NotFound(path) when it does not exist;
// FailedPrecondition "cannot read <what> file <path>: <errno text>" when it
// cannot be read, or "<what> file <path> is longer than <max> octets".
absl::StatusOr<std::string> ReadKeyFile(const std::string& path, std::string_view what,
                                        size_t max_bytes);

// Creates `path` (mode 0600, O_EXCL) holding `octets`, synced together with
// its directory entry; the parent directory is created if missing. A file
// that already exists is an error (FailedPrecondition "cannot create <what>
// file <path>: File exists"): keys are never overwritten.
absl::Status WriteKeyFile(const std::string& path, std::string_view what,
                          std::string_view octets);

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_KEY_FILE_H_
