#include "cli/telemetry.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "cli/exit_code.h"
#include "cli/product_args.h"
#include "cli/rest_client.h"

namespace qilian::cli {
namespace {

using nlohmann::json;
using Query = std::vector<std::pair<std::string, std::string>>;

constexpr char kEnterpriseHelp[] =
    "the enterprise whose telemetry this is (operators and auditors; staff act on their own)";

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

int Usage(absl::string_view message) {
  std::cerr << "qilian: " << message << "\n";
  return ToInt(ExitCode::kUsage);
}

void PrintRaw(const std::string& raw) {
  std::cout << raw;
  if (raw.empty() || raw.back() != '\n') std::cout << "\n";
}

std::string Target(std::string_view path, std::optional<uint64_t> enterprise, Query query = {}) {
  if (enterprise) query.emplace_back("enterprise", std::to_string(*enterprise));
  return std::string(path) + BuildQuery(query);
}

// What a failed answer says, for people. 400 and 422 carry a message that
// names the field or the limit and is meant to be shown as it is; other
// refusals name their Handle response code, as the other commands do.
std::string FailureMessage(int http_status, const json& reply) {
  std::string message = "server answered HTTP " + std::to_string(http_status);
  if (reply.is_object() && reply.contains("message") && reply["message"].is_string()) {
    message = reply["message"].get<std::string>();
    if (http_status == 400 || http_status == 422) return message;
  }
  if (reply.is_object() && reply.contains("responseCode") &&
      reply["responseCode"].is_number_integer()) {
    return message + " (responseCode " + std::to_string(reply["responseCode"].get<int>()) + ")";
  }
  return message + " (HTTP " + std::to_string(http_status) + ")";
}

int FailureExit(int http_status, const json& reply) {
  std::optional<int> code;
  if (reply.is_object() && reply.contains("responseCode") &&
      reply["responseCode"].is_number_integer()) {
    code = reply["responseCode"].get<int>();
  }
  return ToInt(ExitCodeForFailure(http_status, code));
}

int Fail(int http_status, const json& reply) {
  std::cerr << "qilian: " << FailureMessage(http_status, reply) << "\n";
  return FailureExit(http_status, reply);
}

int FailLocal(const absl::Status& status) {
  std::cerr << "qilian: " << status.message() << "\n";
  return ToInt(ExitCode::kServerError);
}

// One JSON request: a 2xx answer with a JSON object is handed to `print`
// (or printed as it came with `raw`); anything else is a failure.
int JsonExchange(RestClient& client, bool raw, std::string_view method, const std::string& target,
                 const std::string& body, const std::function<void(const json&)>& print) {
  absl::StatusOr<HttpReply> http = client.Send(method, target, body);
  if (!http.ok()) return FailLocal(http.status());
  const json reply = json::parse(http->body, nullptr, /*allow_exceptions=*/false);
  if (raw && !reply.is_discarded()) PrintRaw(http->body);
  if (http->status >= 200 && http->status < 300 && reply.is_object()) {
    if (!raw) print(reply);
    return ToInt(ExitCode::kOk);
  }
  return Fail(http->status, reply);
}

void AddEnterprise(CLI::App* cmd, std::optional<uint64_t>* enterprise) {
  cmd->add_option("--enterprise", *enterprise, kEnterpriseHelp)
      ->type_name("N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{UINT64_MAX}).description(""));
}

void AddSelectionOptions(CLI::App* cmd, SeriesSelectionArgs* s) {
  cmd->add_option("--device", s->devices, "only this device's series (repeatable)")
      ->type_name("ID")
      ->allow_extra_args(false);
  cmd->add_option("--property", s->properties, "only this property (repeatable)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  cmd->add_option("--where", s->where, "only series with this label (repeatable; AND)")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  cmd->add_option("--series-id", s->ids, "only this series (repeatable)")
      ->type_name("N")
      ->allow_extra_args(false);
}

void AddRangeOptions(CLI::App* cmd, QueryArgs* q) {
  cmd->add_option("--start", q->start, "inclusive: epoch ms or RFC 3339 (2026-12-07T00:00:00Z)")
      ->type_name("TIME");
  cmd->add_option("--end", q->end, "exclusive: epoch ms or RFC 3339 (default now)")
      ->type_name("TIME");
}

// The export's pages over HTTP: each answer's body and X-Qilian-Export-*
// headers. A refusal keeps its exit code for the command to return.
class HttpPageSource : public ExportPageSource {
 public:
  HttpPageSource(RestClient& client, std::string target, json body)
      : client_(client), target_(std::move(target)), body_(std::move(body)) {}

  absl::StatusOr<ExportPage> Fetch(const std::optional<std::string>& cursor) override {
    if (cursor) body_["cursor"] = *cursor;
    absl::StatusOr<HttpReply> http = client_.Send("POST", target_, Dump(body_));
    if (!http.ok()) {
      exit_code_ = ToInt(ExitCode::kServerError);
      return http.status();
    }
    if (http->status != 200) {
      const json reply = json::parse(http->body, nullptr, /*allow_exceptions=*/false);
      exit_code_ = FailureExit(http->status, reply);
      return absl::FailedPreconditionError(FailureMessage(http->status, reply));
    }
    return PageOf(*http);
  }

  int exit_code() const { return exit_code_; }

 private:
  absl::StatusOr<ExportPage> PageOf(HttpReply& http) {
    ExportPage page;
    page.body = std::move(http.body);
    if (std::string cursor = http.Header("X-Qilian-Export-Cursor"); !cursor.empty()) {
      page.cursor = std::move(cursor);
    }
    page.points = std::strtoull(http.Header("X-Qilian-Export-Points").c_str(), nullptr, 10);
    absl::StatusOr<std::pair<uint64_t, uint64_t>> series =
        ParseSeriesProgress(http.Header("X-Qilian-Export-Series"));
    if (!series.ok()) {
      exit_code_ = ToInt(ExitCode::kServerError);
      return series.status();
    }
    std::tie(page.series_done, page.series_total) = *series;
    return page;
  }

  RestClient& client_;
  std::string target_;
  json body_;
  int exit_code_ = ToInt(ExitCode::kServerError);
};

// Progress on stderr: one line rewritten in place on a terminal, a line
// per page otherwise (a log keeps every step).
class ProgressLine {
 public:
  ProgressLine() : terminal_(::isatty(STDERR_FILENO) == 1) {}

  void Show(const ExportProgress& progress) {
    const std::string text = FormatExportProgress(progress, Seconds());
    if (terminal_) {
      std::cerr << "\r" << text << "\x1b[K" << std::flush;
      shown_ = true;
    } else {
      std::cerr << text << "\n";
    }
  }

  void End() {
    if (shown_) std::cerr << "\n";
  }

 private:
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  bool terminal_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Sends line-protocol batches and tallies lines written and refused; the
// server numbers lines per batch, the messages use the file's numbers.
class BatchWriter {
 public:
  BatchWriter(RestClient& client, std::string target, bool gzip, bool raw)
      : client_(client), target_(std::move(target)), gzip_(gzip), raw_(raw) {}

  // Sends one batch; the exit code when the request as a whole failed
  // (nothing of it written: a permission, a body too large, the network).
  std::optional<int> Send(const LineBatch& batch) {
    absl::StatusOr<std::string> body = gzip_ ? Gzip(batch.text) : batch.text;
    if (!body.ok()) return FailLocal(body.status());
    absl::StatusOr<HttpReply> http = client_.Send("POST", target_, *body);
    if (!http.ok()) return FailLocal(http.status());
    if (http->status == 204) {
      written_ += batch.entries;
      return std::nullopt;
    }
    const json reply = json::parse(http->body, nullptr, /*allow_exceptions=*/false);
    if (http->status != 400 || !reply.is_object() || !reply.contains("errors") ||
        !reply["errors"].is_array()) {
      return Fail(http->status, reply);
    }
    uint64_t bad = reply.value("errors_omitted", uint64_t{0});
    for (const json& error : reply["errors"]) {
      ++bad;
      const uint64_t line = error.value("line", uint64_t{1}) + batch.first_line - 1;
      if (!raw_) std::cerr << "qilian: " << FileLineError(error, batch.first_line) << "\n";
      errors_.push_back({{"line", line},
                         {"column", error.value("column", 0)},
                         {"message", MemberText(error, "message")}});
    }
    refused_ += bad;
    written_ += batch.entries > bad ? batch.entries - bad : 0;
    return std::nullopt;
  }

  // "wrote N lines, refused M", or with --json {"written", "refused",
  // "errors"} (file line numbers).
  void PrintTotals() const {
    if (raw_) {
      std::cout << Dump({{"written", written_}, {"refused", refused_}, {"errors", errors_}})
                << "\n";
    } else {
      std::cout << "wrote " << written_ << " lines, refused " << refused_ << "\n";
    }
  }

  uint64_t refused() const { return refused_; }

 private:
  RestClient& client_;
  std::string target_;
  bool gzip_, raw_;
  uint64_t written_ = 0, refused_ = 0;
  json errors_ = json::array();
};

}  // namespace

TelemetryCommand::TelemetryCommand(CLI::App* app) {
  group_ =
      app->add_subcommand("telemetry",
                          "device telemetry: query, latest values, series, line-protocol writes, "
                          "export, retention");
  group_->require_subcommand(1);
  AddReadCommands();
  AddWriteCommand();
  AddExportCommand();
  AddRetentionCommand();
}

void TelemetryCommand::AddReadCommands() {
  query_ = group_->add_subcommand("query", "query points: raw, windowed aggregates, groups");
  AddSelectionOptions(query_, &query_args_.selection);
  AddRangeOptions(query_, &query_args_);
  query_->add_option("--window", query_args_.window, "aggregate per window: 250ms, 1m, 15m, 1h, 1d")
      ->type_name("DURATION");
  query_
      ->add_option("--agg", query_args_.aggregates,
                   "aggregates, a comma list: avg,min,max,sum,count,first,last,stddev,p50,"
                   "p90,p95,p99,percentile:<q>,twa,increase,rate (default avg)")
      ->type_name("LIST");
  query_
      ->add_option("--fill", query_args_.fill,
                   "empty windows: none (omit), null, previous, linear or a number")
      ->type_name("FILL");
  query_
      ->add_option("--group-by", query_args_.group_by,
                   "combine series: a comma list of device, property, product, tag:<key>")
      ->type_name("LIST");
  query_->add_option("--limit", query_args_.limit, "at most N rows per answer series")
      ->type_name("N");
  query_->add_flag("--latest", query_args_.latest, "each series' newest point (as `latest`)");
  AddEnterprise(query_, &enterprise_);
  query_->footer(
      "Prints per answer series a header line (\"series ID: DEVICE/PROPERTY labels\" or\n"
      "\"group KEY=VALUE (N members)\") and a table TIME (RFC 3339, UTC) and one column\n"
      "per aggregate (VALUE for raw points); --json prints the server's answer.\n\n"
      "Examples:\n"
      "  qilian telemetry query --device pump-1 --property pressure --start 2026-12-07T00:00:00Z\n"
      "  qilian telemetry query --where product=pump --start 0 --window 15m --agg avg,max,p95 \\\n"
      "      --fill previous --group-by product\n\n"
      "Exit codes: 0 answered, 2 usage, 4 refused (the message names the field, or the\n"
      "limit the query is over: HTTP 422), 5 permission, 6 server or network error.\n");

  latest_ = group_->add_subcommand("latest", "each selected series' newest point");
  AddSelectionOptions(latest_, &query_args_.selection);
  AddEnterprise(latest_, &enterprise_);
  latest_->footer("Exit codes as query.\n");

  series_ = group_->add_subcommand("series", "list series: ID, DEVICE, PROPERTY, KIND, LABELS");
  series_->add_option("--device", series_device_, "only this device's series")->type_name("ID");
  AddEnterprise(series_, &enterprise_);
  series_->footer("Exit codes: 0 listed, 4 refused, 5 permission, 6 server or network error.\n");
}

void TelemetryCommand::AddWriteCommand() {
  write_ = group_->add_subcommand("write", "write a line-protocol file (InfluxDB's /api/v2/write)");
  write_->add_option("--file", file_, "the line-protocol file, \"-\" for stdin")
      ->type_name("FILE")
      ->required();
  write_->add_option("--precision", precision_, "timestamp unit: ns, us, ms, s (default ms)")
      ->type_name("UNIT");
  write_->add_flag("--gzip", gzip_, "send each batch gzip-compressed");
  write_
      ->add_option("--batch", batch_lines_,
                   "lines per request (default 5000; an entry is never split)")
      ->type_name("N")
      ->check(CLI::Range(size_t{1}, size_t{500000}).description(""));
  AddEnterprise(write_, &enterprise_);
  write_->footer(
      "Sends the file in batches; the good lines of a batch are written even when some\n"
      "are refused. Prints \"wrote N lines, refused M\"; each refused line goes to stderr\n"
      "as \"qilian: line L: reason\" with L the file's line.\n\n"
      "Exit codes: 0 every line written, 2 usage (unreadable file), 4 some lines or the\n"
      "request refused, 5 permission, 6 server or network error.\n");
}

void TelemetryCommand::AddExportCommand() {
  export_ = group_->add_subcommand("export", "export raw points to a CSV or JSON-lines file");
  AddSelectionOptions(export_, &query_args_.selection);
  AddRangeOptions(export_, &query_args_);
  export_->add_option("--format", format_, "csv (default) or jsonl")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  export_->add_option("--out", out_, "the file to write (FILE.part until complete)")
      ->type_name("FILE")
      ->required();
  export_
      ->add_option("--page-points", page_points_,
                   "points per request (default 100000, at most 1000000)")
      ->type_name("N")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1000000}).description(""));
  AddEnterprise(export_, &enterprise_);
  export_->footer(
      "Asks page after page and appends each to FILE.part, renamed FILE at the end.\n"
      "Progress (points, series done/total, rate) goes to stderr.\n\n"
      "Exit codes: 0 exported, 2 usage (FILE not writable), 4 refused, 5 permission,\n"
      "6 server or network error.\n");
}

void TelemetryCommand::AddRetentionCommand() {
  retention_ = group_->add_subcommand("retention", "show or set how long raw points are kept");
  retention_->add_option("--days", retention_args_.days, "the enterprise's days (0: forever)")
      ->type_name("N");
  retention_->add_flag("--node-default", retention_args_.node_default,
                       "use the node's default days");
  retention_->add_option("--product", retention_args_.products, "a product's own days (repeatable)")
      ->type_name("ID=DAYS")
      ->allow_extra_args(false);
  AddEnterprise(retention_, &enterprise_);
  retention_->footer(
      "Without flags prints the retention; with them changes what they name and prints\n"
      "the result.\n"
      "Exit codes: 0 done, 2 usage, 4 refused, 5 permission, 6 server or network error.\n");
}

bool TelemetryCommand::parsed() const { return group_->parsed(); }

int TelemetryCommand::Run(RestClient& client, bool raw) const {
  if (query_->parsed()) return RunQuery(client, raw, query_args_.latest);
  if (latest_->parsed()) return RunQuery(client, raw, true);
  if (series_->parsed()) return RunSeries(client, raw);
  if (write_->parsed()) return RunWrite(client, raw);
  if (export_->parsed()) return RunExport(client);
  return RunRetention(client, raw);
}

int TelemetryCommand::RunQuery(RestClient& client, bool raw, bool latest) const {
  QueryArgs args = query_args_;
  args.latest = latest;
  absl::StatusOr<json> body = BuildQueryBody(args);
  if (!body.ok()) return Usage(body.status().message());
  return JsonExchange(client, raw, "POST", Target("/api/telemetry/query", enterprise_), Dump(*body),
                      [](const json& answer) { std::cout << FormatQueryAnswer(answer); });
}

int TelemetryCommand::RunSeries(RestClient& client, bool raw) const {
  Query query;
  if (series_device_) query.emplace_back("device", *series_device_);
  return JsonExchange(client, raw, "GET", Target("/api/telemetry/series", enterprise_, query), "",
                      [](const json& reply) {
                        std::cout << FormatSeriesList(reply);
                        if (reply.value("truncated", false)) {
                          std::cerr << "qilian: the list stops at the node's row limit; "
                                    << MemberText(reply, "total") << " series in all\n";
                        }
                      });
}

int TelemetryCommand::RunWrite(RestClient& client, bool raw) const {
  std::ifstream file;
  if (file_ != "-") {
    file.open(file_, std::ios::binary);
    if (!file) return Usage("cannot read '" + file_ + "': " + std::strerror(errno));
  }
  std::istream& in = file_ == "-" ? std::cin : file;
  client.set_content_type("text/plain; charset=utf-8");
  if (gzip_) client.set_content_encoding("gzip");
  BatchWriter writer(
      client,
      Target("/api/v2/write", enterprise_,
             {{"org", "qilian"}, {"bucket", "telemetry"}, {"precision", precision_}}),
      gzip_, raw);
  LineBatcher batcher(batch_lines_);
  std::optional<int> failed;
  std::string line;
  while (!failed && std::getline(in, line)) {
    if (std::optional<LineBatch> batch = batcher.Add(line)) failed = writer.Send(*batch);
  }
  if (!failed && in.bad()) failed = Usage("cannot read '" + file_ + "'");
  if (!failed) {
    if (std::optional<LineBatch> batch = batcher.Finish()) failed = writer.Send(*batch);
  }
  writer.PrintTotals();
  if (failed) return *failed;
  return writer.refused() == 0 ? ToInt(ExitCode::kOk) : ToInt(ExitCode::kRejected);
}

int TelemetryCommand::RunExport(RestClient& client) const {
  absl::StatusOr<std::optional<json>> series = BuildSelection(query_args_.selection);
  if (!series.ok()) return Usage(series.status().message());
  QueryArgs range;
  range.start = query_args_.start;
  range.end = query_args_.end;
  absl::StatusOr<json> body = BuildQueryBody(range);  // start and end as a query reads them
  if (!body.ok()) return Usage(body.status().message());
  if (*series) (*body)["series"] = **series;
  (*body)["format"] = format_;
  (*body)["page_points"] = page_points_;

  const std::string part = out_ + ".part";
  std::ofstream file(part, std::ios::binary | std::ios::trunc);
  if (!file) return Usage("cannot write '" + part + "': " + std::strerror(errno));
  HttpPageSource source(client, Target("/api/telemetry/export", enterprise_), *std::move(body));
  ProgressLine progress;
  absl::StatusOr<ExportProgress> done =
      ExportAllPages(source, file, [&progress](const ExportProgress& p) { progress.Show(p); });
  progress.End();
  file.close();
  if (done.ok() && !file) done = absl::DataLossError("cannot write '" + part + "'");
  if (done.ok() && std::rename(part.c_str(), out_.c_str()) != 0) {
    done = absl::DataLossError("cannot rename '" + part + "': " + std::strerror(errno));
  }
  if (!done.ok()) {
    std::remove(part.c_str());
    std::cerr << "qilian: " << done.status().message() << "\n";
    return absl::IsDataLoss(done.status()) ? ToInt(ExitCode::kUsage) : source.exit_code();
  }
  std::cout << "exported " << done->points << " points of " << done->series_total << " series to "
            << out_ << "\n";
  return ToInt(ExitCode::kOk);
}

int TelemetryCommand::RunRetention(RestClient& client, bool raw) const {
  const std::string target = Target("/api/telemetry/retention", enterprise_);
  auto print = [](const json& reply) { std::cout << FormatRetention(reply); };
  if (!RetentionChanges(retention_args_))
    return JsonExchange(client, raw, "GET", target, "", print);
  // A read, then the whole retention back with the flags applied: the
  // route replaces it, and products not named must keep their days.
  absl::StatusOr<HttpReply> http = client.Send("GET", target, "");
  if (!http.ok()) return FailLocal(http.status());
  const json current = json::parse(http->body, nullptr, /*allow_exceptions=*/false);
  if (http->status != 200 || !current.is_object()) return Fail(http->status, current);
  absl::StatusOr<json> body = MergeRetention(current, retention_args_);
  if (!body.ok()) return Usage(body.status().message());
  return JsonExchange(client, raw, "PUT", target, Dump(*body), print);
}

}  // namespace qilian::cli
