#include "security/delivery/rejected_file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace qilian::security {

namespace {

absl::Status AppendLine(const std::string& path, std::string_view a, std::string_view b) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path, ": ", std::strerror(errno)));
  }
  std::fwrite(a.data(), 1, a.size(), f);
  std::fwrite(b.data(), 1, b.size(), f);
  std::fputc('\n', f);
  const bool failed = std::ferror(f) != 0;
  if (std::fclose(f) != 0 || failed) {
    return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RejectedFile::Add(std::string_view id, std::string_view line,
                               std::string_view reason) {
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return absl::UnavailableError(absl::StrCat("cannot create ", dir_, ": ", std::strerror(errno)));
  }
  struct stat st {};
  if (::stat(events_path().c_str(), &st) == 0 &&
      static_cast<uint64_t>(st.st_size) + line.size() > kMaxRejectedBytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat(events_path(), " holds ", kMaxRejectedBytes, " bytes already"));
  }
  if (absl::Status s = AppendLine(events_path(), line, ""); !s.ok()) return s;
  return AppendLine(reasons_path(), std::string(id) + " ", reason);
}

}  // namespace qilian::security
