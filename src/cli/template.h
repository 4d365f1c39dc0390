// `qilian template list|get|versions|create|add-version|update|starters|
// install-starter`: identifier data templates through qiliand's
// /api/prefixes/{prefix}/templates (docs/templates.md). Targets and tables
// are in template_args; this file holds the flags, the requests and the
// exit codes.
#ifndef QILIAN_CLI_TEMPLATE_H_
#define QILIAN_CLI_TEMPLATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace qilian::cli {

class RestClient;

class TemplateCommand {
 public:
  // Adds the "template" subcommand group to `app`.
  explicit TemplateCommand(CLI::App* app);

  bool parsed() const;

  // Runs the chosen subcommand; `json` prints the server's replies as they
  // are. Returns the process exit code (cli/exit_code.h).
  int Run(RestClient& client, bool json) const;

 private:
  int InstallStarters(RestClient& client, bool json) const;

  CLI::App* group_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* get_ = nullptr;
  CLI::App* versions_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* add_version_ = nullptr;
  CLI::App* update_ = nullptr;
  CLI::App* starters_ = nullptr;
  CLI::App* install_ = nullptr;

  std::string prefix_, name_, file_;
  std::optional<uint64_t> version_;
  std::vector<std::string> only_;
};

}  // namespace qilian::cli

#endif  // QILIAN_CLI_TEMPLATE_H_
