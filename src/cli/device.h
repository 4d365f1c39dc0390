// `qilian device create|list|get|update|delete|rotate-secret|import` and
// `shadow|properties|desired|write|invoke`: devices through qiliand's
// /api/devices (docs/devices.md, docs/shadow.md), in the manner of
// `qilian product`. Bodies, tables, CSV pieces and the fleet file are
// in device_args; this file holds the flags, the requests and the exit
// codes.
#ifndef QILIAN_CLI_DEVICE_H_
#define QILIAN_CLI_DEVICE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/device_args.h"

namespace CLI {
class App;
}  // namespace CLI

namespace qilian::cli {

class RestClient;

class DeviceCommand {
 public:
  // Adds the "device" subcommand group to `app`.
  explicit DeviceCommand(CLI::App* app);

  bool parsed() const;

  // Runs the chosen subcommand; `json` prints the server's replies as they
  // are. Returns the process exit code (cli/exit_code.h).
  int Run(RestClient& client, bool json) const;

 private:
  int RunImport(RestClient& client, bool raw) const;
  // write and invoke: wait for the device, with exits 7 (refused) and 8
  // (no reply in time).
  int RunDeviceCall(RestClient& client, bool raw) const;

  CLI::App* group_ = nullptr;
  CLI::App* create_ = nullptr;
  CLI::App* list_ = nullptr;
  CLI::App* get_ = nullptr;
  CLI::App* update_ = nullptr;
  CLI::App* delete_ = nullptr;
  CLI::App* rotate_ = nullptr;
  CLI::App* import_ = nullptr;
  CLI::App* shadow_ = nullptr;
  CLI::App* properties_ = nullptr;
  CLI::App* desired_ = nullptr;
  CLI::App* write_ = nullptr;
  CLI::App* invoke_ = nullptr;

  std::string id_, product_, file_, secrets_out_;
  std::optional<std::string> list_product_, list_gateway_, after_;
  DeviceFieldArgs fields_;
  bool enable_ = false, disable_ = false;
  std::optional<uint64_t> enterprise_, limit_;
  size_t piece_bytes_ = 512 * 1024;
  // desired, write, invoke.
  std::string function_;
  std::vector<std::string> assignments_;  // NAME=VALUE, each
  std::optional<uint64_t> version_;
  std::optional<int64_t> call_timeout_ms_;
};

}  // namespace qilian::cli

#endif  // QILIAN_CLI_DEVICE_H_
