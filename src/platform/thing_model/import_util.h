// Shared by the importers (internal to thing_model/): walking a source
// document while collecting warnings, and turning its loosely typed numbers
// ("-40", 12.5) into ours.
#ifndef QILIAN_PLATFORM_THING_MODEL_IMPORT_UTIL_H_
#define QILIAN_PLATFORM_THING_MODEL_IMPORT_UTIL_H_

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "platform/thing_model/import.h"

namespace qilian::platform::import_internal {

std::string Sub(std::string_view path, std::string_view key);
std::string At(std::string_view path, size_t index);
absl::Status Error(std::string_view path, std::string_view message);

class Importer {
 public:
  void Warn(std::string_view path, std::string_view message);
  // A warning "no equivalent, dropped" for each key of `object` not in
  // `mapped`.
  void DropOthers(const nlohmann::json& object, std::string_view path,
                  std::initializer_list<std::string_view> mapped);

  // A source number given as a JSON number or a numeric string, as our JSON
  // number: an integer if `integral` (else an error), any number otherwise.
  absl::StatusOr<nlohmann::json> Number(const nlohmann::json& value, std::string_view path,
                                        bool integral);
  // A string member, or "" if absent; an error if present and not a string.
  absl::StatusOr<std::string> String(const nlohmann::json& object, std::string_view key,
                                     std::string_view path);
  // {"zh": name} from a source name, falling back to the identifier (with a
  // warning) when the source has none.
  absl::StatusOr<nlohmann::json> Name(const nlohmann::json& object, std::string_view key,
                                      std::string_view path, const std::string& identifier);
  // Puts our converted lists together, checks the model as the parser
  // does, and packs the result.
  absl::StatusOr<ImportResult> Finish(uint32_t version, nlohmann::json properties,
                                      nlohmann::json events, nlohmann::json services);

 private:
  std::vector<std::string> warnings_;
};

// The source document must be a JSON object within our size limits.
absl::StatusOr<nlohmann::json> ParseSource(std::string_view text);
// The member `key` of `object` as an array (absent: empty).
absl::StatusOr<const nlohmann::json*> ArrayMember(const nlohmann::json& object,
                                                  std::string_view key, std::string_view path);

}  // namespace qilian::platform::import_internal

#endif  // QILIAN_PLATFORM_THING_MODEL_IMPORT_UTIL_H_
