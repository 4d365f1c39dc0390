// `qilian enterprise register|get|list`: enterprise onboarding through
// qiliand's /api/enterprises (docs/enterprises.md). Kept apart from
// qilian.cc so that the command's argument handling, output and exit codes
// live in one place; qilian.cc only adds the group and runs it.
#ifndef QILIAN_CLI_ENTERPRISE_H_
#define QILIAN_CLI_ENTERPRISE_H_

#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}  // namespace CLI

namespace qilian::cli {

class RestClient;

class EnterpriseCommand {
 public:
  // Adds the "enterprise" subcommand group to `app`.
  explicit EnterpriseCommand(CLI::App* app);

  // Whether the command line chose `enterprise`.
  bool parsed() const;

  // Runs the chosen subcommand; `json` prints the server's replies as they
  // are. Returns the process exit code (cli/exit_code.h).
  int Run(RestClient& client, bool json) const;

 private:
  CLI::App* group_ = nullptr;
  CLI::App* register_ = nullptr;
  CLI::App* get_ = nullptr;
  CLI::App* list_ = nullptr;

  std::string name_, credit_code_, industry_, region_;
  std::string contact_name_, contact_phone_, contact_email_;
  std::string key_;  // get: id or credit code
  std::optional<uint64_t> page_, page_size_;
};

}  // namespace qilian::cli

#endif  // QILIAN_CLI_ENTERPRISE_H_
