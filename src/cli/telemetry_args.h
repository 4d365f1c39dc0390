// The local half of `qilian telemetry` (docs/telemetry-query.md, "Command
// line"): query bodies built from flags, the text forms of query answers,
// the series list and retention, line-protocol files cut into batches
// that never split an entry, gzip, and the paging loop of an export over
// an abstract page source. No sockets and no files, so all of it is
// unit-tested apart from the server.
#ifndef QILIAN_CLI_TELEMETRY_ARGS_H_
#define QILIAN_CLI_TELEMETRY_ARGS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cli/rest_client.h"  // Gzip

namespace qilian::cli {

// --- Queries -----------------------------------------------------------------

// Which series: every given part must match (the request's "series").
struct SeriesSelectionArgs {
  std::vector<std::string> devices;
  std::vector<std::string> properties;
  std::vector<std::string> where;  // "key=value", each
  std::vector<uint64_t> ids;
};

struct QueryArgs {
  SeriesSelectionArgs selection;
  std::optional<std::string> start, end;  // epoch ms or RFC 3339, passed through
  std::optional<std::string> window;
  std::optional<std::string> aggregates;  // "avg,max,p95"
  std::optional<std::string> fill;        // none|null|previous|linear|<number>
  std::optional<std::string> group_by;    // "product,property"
  std::optional<uint64_t> limit;
  bool latest = false;
};

// The request's "series" object; nullopt when no selection flag was given
// (every series). InvalidArgument "--where 'x' is not KEY=VALUE" or
// "--where 'k' is given twice".
absl::StatusOr<std::optional<nlohmann::json>> BuildSelection(const SeriesSelectionArgs& args);

// The POST /api/telemetry/query body. Times that are all digits (with an
// optional '-') go as epoch milliseconds, anything else as a string for
// the server to read; the server checks the rest and names the field.
// InvalidArgument for an empty item in a comma list ("--agg: empty name
// in 'avg,,max'") and for the selection errors above.
absl::StatusOr<nlohmann::json> BuildQueryBody(const QueryArgs& args);

// "a, b,c" as {"a", "b", "c"}; InvalidArgument naming `flag` for an empty
// item.
absl::StatusOr<std::vector<std::string>> SplitList(std::string_view flag, std::string_view text);

// A query answer as text: per answer series a header line, then a table
// whose first column is the time (RFC 3339 UTC with milliseconds) and the
// others the answer's columns; answer series apart by a blank line.
//   series 1: d1/temp  product=pump site=a
//   TIME                      AVG  MAX
//   2026-12-07T00:00:00.000Z  2    3
// Grouped: "group product=pump (2 members)". Null values print "-".
// "no series" when the answer has none.
std::string FormatQueryAnswer(const nlohmann::json& answer);

// The reply of GET /api/telemetry/series: ID, DEVICE, PROPERTY, KIND,
// LABELS ("k=v,k=v" or "-").
std::string FormatSeriesList(const nlohmann::json& reply);

// --- Retention ---------------------------------------------------------------

struct RetentionArgs {
  std::optional<uint64_t> days;
  bool node_default = false;          // days: null (the node's default)
  std::vector<std::string> products;  // "id=days", each
};

// Whether the flags change anything (else the command only reads).
bool RetentionChanges(const RetentionArgs& args);

// The PUT /api/telemetry/retention body: `current` (the GET reply) with
// the flags applied; products not named keep their days. InvalidArgument
// "--product 'x' is not ID=DAYS", "give --days or --node-default, not
// both".
absl::StatusOr<nlohmann::json> MergeRetention(const nlohmann::json& current,
                                              const RetentionArgs& args);

// "days: 30" (or "days: node default (0: forever)"), then "product ID:
// N days" per product.
std::string FormatRetention(const nlohmann::json& reply);

// --- Line-protocol writes ----------------------------------------------------

// Some whole entries of a line-protocol file, ready to send.
struct LineBatch {
  std::string text;
  size_t first_line = 1;  // the file's line number of text's first line
  size_t entries = 0;     // lines that are neither blank nor comments
};

// Cuts a line-protocol stream into batches of about `max_entries` entries
// without splitting an entry: a string field value may hold raw newlines
// (docs/line-protocol.md), so a physical line inside an open string
// belongs to the entry before it. Feed physical lines without their "\n".
class LineBatcher {
 public:
  explicit LineBatcher(size_t max_entries) : max_entries_(max_entries) {}

  // Adds one physical line; returns a full batch when this line completed
  // one.
  std::optional<LineBatch> Add(std::string_view line);
  // What is left at the end of the file (nullopt when nothing).
  std::optional<LineBatch> Finish();

 private:
  // Scans `line` for the start or end of a string field value.
  void Scan(std::string_view line);
  std::optional<LineBatch> Take();

  size_t max_entries_;
  LineBatch batch_;
  size_t next_line_ = 1;
  bool in_string_ = false;
  size_t string_bytes_ = 0;  // bytes of the open string so far
};

// An entry of the write answer's "errors" ({"line", "column", "message"},
// lines counted in the batch) as "line N: message" with N the file's line.
std::string FileLineError(const nlohmann::json& error, size_t first_line);

// --- Export ------------------------------------------------------------------

// One answer of POST /api/telemetry/export.
struct ExportPage {
  std::string body;                   // CSV or JSON lines
  std::optional<std::string> cursor;  // X-Qilian-Export-Cursor: more follow
  uint64_t points = 0;                // X-Qilian-Export-Points
  uint64_t series_done = 0;           // X-Qilian-Export-Series "done/total"
  uint64_t series_total = 0;
};

// "3/12" as {3, 12}; InvalidArgument otherwise.
absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseSeriesProgress(std::string_view text);

// Fetches the page after `cursor` (nullopt: the first page). An error ends
// the export; its message is printed as is.
class ExportPageSource {
 public:
  virtual ~ExportPageSource() = default;
  virtual absl::StatusOr<ExportPage> Fetch(const std::optional<std::string>& cursor) = 0;
};

struct ExportProgress {
  uint64_t pages = 0;
  uint64_t points = 0;
  uint64_t series_done = 0;
  uint64_t series_total = 0;
};

// Fetches pages until one comes without a cursor, writing each body to
// `out` and calling `on_page` after each. Internal if the server repeats a
// cursor (the loop would never end); DataLoss if `out` fails.
absl::StatusOr<ExportProgress> ExportAllPages(
    ExportPageSource& source, std::ostream& out,
    const std::function<void(const ExportProgress&)>& on_page);

// "exported 12000 points, series 3/12, 4000 points/s".
std::string FormatExportProgress(const ExportProgress& progress, double seconds);

}  // namespace qilian::cli

#endif  // QILIAN_CLI_TELEMETRY_ARGS_H_
