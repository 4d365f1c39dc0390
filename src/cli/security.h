// `qilian security sensors add|list|show|remove|rotate-token` and
// `qilian security events`: the sensors of an enterprise and the events
// they delivered, through qiliand's /api/enterprises/N/sensors and
// /api/security/events (docs/security/events-api.md). Targets and tables
// are in security_args; this file holds the flags, the requests and the
// exit codes.
#ifndef QILIAN_CLI_SECURITY_H_
#define QILIAN_CLI_SECURITY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "cli/security_args.h"

namespace CLI {
class App;
}  // namespace CLI

namespace qilian::cli {

class RestClient;

class SecurityCommand {
 public:
  // Adds the "security" subcommand group to `app`.
  explicit SecurityCommand(CLI::App* app);

  bool parsed() const;

  // Runs the chosen subcommand; `json` prints the server's replies as they
  // are (events: one JSON object a line). Returns the process exit code
  // (cli/exit_code.h).
  int Run(RestClient& client, bool json) const;

 private:
  int RunEvents(RestClient& client, bool json) const;

  CLI::App* group_ = nullptr;
  CLI::App* sensors_ = nullptr;
  CLI::App* add_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* show_ = nullptr;
  CLI::App* remove_ = nullptr;
  CLI::App* rotate_ = nullptr;
  CLI::App* events_ = nullptr;

  uint64_t enterprise_ = 0;
  std::string id_, name_;
  std::optional<std::string> description_;
  EventFilter filter_;
  uint64_t limit_ = 100;
};

}  // namespace qilian::cli

#endif  // QILIAN_CLI_SECURITY_H_
