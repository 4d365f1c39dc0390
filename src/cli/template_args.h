// The local half of `qilian template` (docs/cli.md): request targets and
// the text forms of the /api/prefixes/{prefix}/templates replies. No I/O,
// so that it is unit-tested apart from the server.
#ifndef QILIAN_CLI_TEMPLATE_ARGS_H_
#define QILIAN_CLI_TEMPLATE_ARGS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace qilian::cli {

// "/api/prefixes/P/templates[/NAME[/versions[/V]]]", each part
// percent-encoded; `versions` adds "/versions" (with `version`, "/V").
std::string TemplateTarget(std::string_view prefix, std::string_view name = "",
                           bool versions = false, std::optional<uint64_t> version = std::nullopt);

// Templates as a table: NAME, VERSION, INDUSTRY, FIELDS, DESCRIPTION (the
// Chinese description, else the English one).
std::string FormatTemplates(const nlohmann::json& templates);

// One template's fields as a table: FIELD, TYPE, REQUIRED, PUBLIC, DETAILS
// ("unit U; len 1..64 >=0 <=9 ~PATTERN {a|b}; description"), after a
// "NAME@VERSION industry CODE DESCRIPTION" line.
std::string FormatTemplate(const nlohmann::json& tmpl);

// The starter names chosen by --only (all when `only` is empty), in the
// starter set's order; InvalidArgument naming an unknown one and the
// known ones.
struct StarterChoice {
  std::vector<std::string> names;
  std::string error;  // non-empty: a usage error
};
StarterChoice ChooseStarters(const std::vector<std::string>& known,
                             const std::vector<std::string>& only);

}  // namespace qilian::cli

#endif  // QILIAN_CLI_TEMPLATE_ARGS_H_
