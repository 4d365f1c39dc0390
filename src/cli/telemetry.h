// `qilian telemetry query|latest|series|write|export|retention`: the
// time-series engine through qiliand's /api/telemetry routes and its
// InfluxDB write endpoint (docs/telemetry-query.md, "Command line";
// docs/line-protocol.md). Bodies, tables, batching and the export's
// paging loop are in telemetry_args; this file holds the flags, the
// requests, the files and the exit codes.
#ifndef QILIAN_CLI_TELEMETRY_H_
#define QILIAN_CLI_TELEMETRY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "cli/telemetry_args.h"

namespace CLI {
class App;
}  // namespace CLI

namespace qilian::cli {

class RestClient;

class TelemetryCommand {
 public:
  // Adds the "telemetry" subcommand group to `app`.
  explicit TelemetryCommand(CLI::App* app);

  bool parsed() const;

  // Runs the chosen subcommand; `json` prints the server's answers as they
  // are. Returns the process exit code (cli/exit_code.h).
  int Run(RestClient& client, bool json) const;

 private:
  // The subcommands and their flags, one group each.
  void AddReadCommands();  // query, latest, series
  void AddWriteCommand();
  void AddExportCommand();
  void AddRetentionCommand();

  int RunQuery(RestClient& client, bool raw, bool latest) const;
  int RunSeries(RestClient& client, bool raw) const;
  int RunWrite(RestClient& client, bool raw) const;
  int RunExport(RestClient& client) const;
  int RunRetention(RestClient& client, bool raw) const;

  CLI::App* group_ = nullptr;
  CLI::App* query_ = nullptr;
  CLI::App* latest_ = nullptr;
  CLI::App* series_ = nullptr;
  CLI::App* write_ = nullptr;
  CLI::App* export_ = nullptr;
  CLI::App* retention_ = nullptr;

  std::optional<uint64_t> enterprise_;
  QueryArgs query_args_;
  std::optional<std::string> series_device_;
  // write
  std::string file_;
  std::string precision_ = "ms";
  bool gzip_ = false;
  size_t batch_lines_ = 5000;
  // export
  std::string format_ = "csv";
  std::string out_;
  uint64_t page_points_ = 100000;
  RetentionArgs retention_args_;
};

}  // namespace qilian::cli

#endif  // QILIAN_CLI_TELEMETRY_H_
