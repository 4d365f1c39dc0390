// Fuzz target: the `qilian` command's value arguments (cli/value_args.h).
// The first octet picks --value, --admin or a values document (and whether
// a TTL is given); the rest is the text. Any text gives a value or an
// InvalidArgument, never a crash or an escaping nlohmann exception; what is
// accepted renders as a table, one line per value plus the header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "cli/value_args.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian::cli;
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::optional<uint32_t> ttl;
  if (data[0] & 4) ttl = 86400;
  absl::StatusOr<nlohmann::json> parsed;
  switch (data[0] % 3) {
    case 0:
      parsed = ParseValueFlag(text, ttl);
      break;
    case 1:
      parsed = ParseAdminFlag(text, ttl);
      break;
    default:
      parsed = ParseValuesDocument(text, "fuzz.json");
      break;
  }
  if (!parsed.ok()) {
    if (parsed.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return 0;
  }
  nlohmann::json values = parsed->is_array() ? *parsed : nlohmann::json::array({*parsed});
  std::string table = FormatValuesTable(values);
  size_t lines = 0;
  for (char c : table) lines += c == '\n';
  if (lines != values.size() + 1 || table.back() != '\n') std::abort();
  if (data[0] % 3 != 2 && !IsValidUtf8(RenderData((*parsed)["data"]))) std::abort();
  return 0;
}
