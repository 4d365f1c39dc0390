#include "security/sensor/event_writer.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace qilian::security {

absl::StatusOr<std::unique_ptr<JsonLinesFile>> JsonLinesFile::Create(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write events to ", path, ": ", std::strerror(errno)));
  }
  // Events come at up to hundreds of MB/s: write them in large blocks.
  std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
  return std::unique_ptr<JsonLinesFile>(new JsonLinesFile(path, f));
}

JsonLinesFile::~JsonLinesFile() {
  if (file_ != nullptr) std::fclose(file_);
}

void JsonLinesFile::Write(const EventLine& event) {
  if (file_ == nullptr) return;
  // One writer per file: stdio's per-call locking is not needed.
  fwrite_unlocked(event.json.data(), 1, event.json.size(), file_);
  fputc_unlocked('\n', file_);
}

absl::Status JsonLinesFile::Close() {
  if (file_ == nullptr) return absl::OkStatus();
  bool failed = std::ferror(file_) != 0;
  failed |= std::fclose(file_) != 0;
  file_ = nullptr;
  if (failed) return absl::DataLossError(absl::StrCat("writing events to ", path_, " failed"));
  return absl::OkStatus();
}

}  // namespace qilian::security
