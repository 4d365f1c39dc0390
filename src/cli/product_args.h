// The local half of `qilian product` (docs/cli.md): reading model files,
// building request bodies and targets, and the text forms of the
// /api/products replies. No I/O but reading the files named on the command
// line, so that it is unit-tested apart from the server.
#ifndef QILIAN_CLI_PRODUCT_ARGS_H_
#define QILIAN_CLI_PRODUCT_ARGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/status/statusor.h"

namespace qilian::cli {

// Reads a JSON document from `path`; `flag` names the option in messages.
// InvalidArgument (a usage error) when the file cannot be read
// ("cannot read --model file 'm.json': No such file or directory") or is
// not JSON ("--model file 'm.json' is not JSON (at byte 7)").
absl::StatusOr<nlohmann::json> ReadJsonFile(const std::string& path, std::string_view flag);

struct ProductCreateArgs {
  std::string id;
  std::string name_zh, name_en, description;
  // Exactly one of these four says where version 1 of the model comes from.
  std::string model_file, alibaba_file, jetlinks_file, from_starter;
};

// The POST /api/products body. InvalidArgument when not exactly one model
// source is given, when --name-zh is missing without --from-starter (whose
// name is the default), or when a file is unreadable or not JSON.
absl::StatusOr<nlohmann::json> BuildCreateBody(const ProductCreateArgs& args);

// "BASE[/ID][SUFFIX]?enterprise=N&..." with the id percent-encoded (the
// targets of /api/products and /api/devices).
std::string CollectionTarget(std::string_view base, std::string_view id, std::string_view suffix,
                             std::optional<uint64_t> enterprise,
                             std::vector<std::pair<std::string, std::string>> query);

// Rows as a table: columns padded to their widest cell (in bytes: every
// column but the last is ASCII), the last one not padded.
std::string TextTable(const std::vector<std::vector<std::string>>& rows);

// Member `key` of `object` as text: a string as it is, anything else as
// JSON; "" when absent.
std::string MemberText(const nlohmann::json& object, const char* key);

// "/api/products[/ID][SUFFIX]?enterprise=N&..." with the id percent-encoded.
std::string ProductTarget(std::string_view id, std::string_view suffix,
                          std::optional<uint64_t> enterprise,
                          std::vector<std::pair<std::string, std::string>> query = {});

// "zh (en)", or "zh" without an English name.
std::string ProductName(const nlohmann::json& name);

// The starter library as a table: ID, PROPERTIES, EVENTS, SERVICES, NAME.
std::string FormatStarters(const nlohmann::json& products);

// A page of products as a table: ENTERPRISE, ID, VERSION, NAME.
std::string FormatProducts(const nlohmann::json& products);

// One product and the counts of its latest model, "key: value" lines.
std::string FormatProduct(const nlohmann::json& product, const nlohmann::json& model);

// "path: reason" per breaking change, one a line.
std::string FormatBreakingChanges(const nlohmann::json& changes);

// "qilian: import warning: W" per import warning, one a line.
std::string FormatImportWarnings(const nlohmann::json& warnings);

}  // namespace qilian::cli

#endif  // QILIAN_CLI_PRODUCT_ARGS_H_
