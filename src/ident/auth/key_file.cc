#include "ident/auth/key_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace qilian::ident::auth {

absl::StatusOr<std::string> ReadKeyFile(const std::string& path, std::string_view what,
                                        size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(path);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", std::string(what), " file ", path, ": ", std::strerror(errno)));
  }
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) {
    out.append(buffer, static_cast<size_t>(n));
    if (out.size() > max_bytes) break;
  }
  int saved = errno;
  ::close(fd);
  if (n < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", std::string(what), " file ", path, ": ", std::strerror(saved)));
  }
  if (out.size() > max_bytes) {
    return absl::FailedPreconditionError(
        absl::StrCat(std::string(what), " file ", path, " is longer than ", max_bytes, " octets"));
  }
  return out;
}

absl::Status WriteKeyFile(const std::string& path, std::string_view what,
                          std::string_view octets) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create directory ", parent.string(), ": ", ec.message()));
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", std::string(what), " file ", path, ": ", std::strerror(errno)));
  }
  bool ok = ::write(fd, octets.data(), octets.size()) == static_cast<ssize_t>(octets.size()) &&
            ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    return absl::FailedPreconditionError(
        absl::StrCat("cannot write ", std::string(what), " file ", path, ": ", std::strerror(saved)));
  }
  // The directory entry too: a key that a crash could lose is worse than
  // none (secrets sealed with it, a key already published).
  int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return absl::OkStatus();
}

}  // namespace qilian::ident::auth
