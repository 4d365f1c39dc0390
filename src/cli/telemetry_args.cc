#include "cli/telemetry_args.h"

#include <cctype>
#include <cstdio>
#include <set>
#include <utility>

#include "cli/device_args.h"
#include "cli/product_args.h"

namespace qilian::cli {
namespace {

using nlohmann::json;

// Beyond this an open string cannot be valid (the server's longest line,
// docs/line-protocol.md): the batcher stops waiting for its closing quote
// so that a stray quote cannot pull the rest of a big file into one batch.
constexpr size_t kMaxEntryBytes = 262144;

std::string Compact(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "KEY=VALUE" split at the first '='; nullopt without one or with an
// empty key.
std::optional<std::pair<std::string, std::string>> SplitAssignment(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  return std::pair<std::string, std::string>(text.substr(0, eq), text.substr(eq + 1));
}

// Epoch milliseconds when the text is an integer, else the text (RFC 3339
// for the server to read).
json TimeValue(const std::string& text) {
  size_t digits = text.starts_with('-') ? 1 : 0;
  bool integer = text.size() > digits && text.size() - digits <= 18;
  for (size_t i = digits; integer && i < text.size(); ++i) {
    integer = std::isdigit(static_cast<unsigned char>(text[i])) != 0;
  }
  return integer ? json(std::stoll(text)) : json(text);
}

// A --fill: the named fills as strings, a number as a number, anything
// else as a string the server refuses by name.
json FillValue(const std::string& text) {
  if (text == "none" || text == "null" || text == "previous" || text == "linear") return text;
  json number = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return number.is_number() ? number : json(text);
}

std::string Cell(const json& value) {
  if (value.is_null()) return "-";
  if (value.is_string()) return value.get<std::string>();
  return Compact(value);
}

// "k=v k=v" of a JSON object of labels (or a group).
std::string Pairs(const json& object, const char* separator) {
  std::string out;
  if (!object.is_object()) return out;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (!out.empty()) out += separator;
    out += it.key() + "=" + Cell(*it);
  }
  return out;
}

std::string AnswerSeriesHeader(const json& series) {
  if (series.contains("group")) {
    std::string out = "group " + Pairs(series["group"], " ");
    return out + " (" + MemberText(series, "members") + " members)";
  }
  std::string out = "series " + MemberText(series, "id") + ": " + MemberText(series, "device") +
                    "/" + MemberText(series, "property");
  const std::string labels = Pairs(series.value("labels", json::object()), " ");
  return labels.empty() ? out : out + "  " + labels;
}

std::string AnswerSeriesTable(const json& series) {
  const json columns = series.value("columns", json::array());
  std::vector<std::vector<std::string>> rows(1);
  for (const json& column : columns) rows[0].push_back(Upper(Cell(column)));
  for (const json& values : series.value("values", json::array())) {
    if (!values.is_array() || values.empty()) continue;
    std::vector<std::string> row;
    row.push_back(values[0].is_number_integer() ? FormatEpochMs(values[0].get<int64_t>())
                                                : Cell(values[0]));
    for (size_t i = 1; i < values.size(); ++i) row.push_back(Cell(values[i]));
    rows.push_back(std::move(row));
  }
  return TextTable(rows);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitList(std::string_view flag, std::string_view text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) {
      return absl::InvalidArgumentError(std::string(flag) + ": empty name in '" +
                                        std::string(text) + "'");
    }
    items.emplace_back(item);
    if (comma == std::string_view::npos) return items;
    start = comma + 1;
  }
}

absl::StatusOr<std::optional<json>> BuildSelection(const SeriesSelectionArgs& args) {
  json series = json::object();
  if (!args.ids.empty()) series["ids"] = args.ids;
  if (!args.devices.empty()) series["devices"] = args.devices;
  if (!args.properties.empty()) series["properties"] = args.properties;
  if (!args.where.empty()) {
    json where = json::object();
    for (const std::string& text : args.where) {
      auto pair = SplitAssignment(text);
      if (!pair) return absl::InvalidArgumentError("--where '" + text + "' is not KEY=VALUE");
      if (where.contains(pair->first)) {
        return absl::InvalidArgumentError("--where '" + pair->first + "' is given twice");
      }
      where[pair->first] = pair->second;
    }
    series["where"] = std::move(where);
  }
  if (series.empty()) return std::optional<json>();
  return std::optional<json>(std::move(series));
}

absl::StatusOr<json> BuildQueryBody(const QueryArgs& args) {
  json body = json::object();
  absl::StatusOr<std::optional<json>> series = BuildSelection(args.selection);
  if (!series.ok()) return series.status();
  if (*series) body["series"] = **series;
  if (args.latest) body["latest"] = true;
  if (args.start) body["start"] = TimeValue(*args.start);
  if (args.end) body["end"] = TimeValue(*args.end);
  if (args.window) body["window"] = *args.window;
  if (args.aggregates) {
    absl::StatusOr<std::vector<std::string>> names = SplitList("--agg", *args.aggregates);
    if (!names.ok()) return names.status();
    body["aggregates"] = *names;
  }
  if (args.fill) body["fill"] = FillValue(*args.fill);
  if (args.group_by) {
    absl::StatusOr<std::vector<std::string>> keys = SplitList("--group-by", *args.group_by);
    if (!keys.ok()) return keys.status();
    body["group_by"] = *keys;
  }
  if (args.limit) body["limit"] = *args.limit;
  return body;
}

std::string FormatQueryAnswer(const json& answer) {
  const json series = answer.value("series", json::array());
  if (!series.is_array() || series.empty()) return "no series\n";
  std::string out;
  for (const json& one : series) {
    if (!out.empty()) out += "\n";
    out += AnswerSeriesHeader(one) + "\n" + AnswerSeriesTable(one);
  }
  return out;
}

std::string FormatSeriesList(const json& reply) {
  std::vector<std::vector<std::string>> rows = {{"ID", "DEVICE", "PROPERTY", "KIND", "LABELS"}};
  for (const json& s : reply.value("series", json::array())) {
    const std::string labels = Pairs(s.value("labels", json::object()), ",");
    rows.push_back({MemberText(s, "id"), MemberText(s, "device"), MemberText(s, "property"),
                    MemberText(s, "kind"), labels.empty() ? "-" : labels});
  }
  return TextTable(rows);
}

bool RetentionChanges(const RetentionArgs& args) {
  return args.days.has_value() || args.node_default || !args.products.empty();
}

absl::StatusOr<json> MergeRetention(const json& current, const RetentionArgs& args) {
  if (args.days && args.node_default) {
    return absl::InvalidArgumentError("give --days or --node-default, not both");
  }
  json body = {{"days", current.value("days", json())},
               {"products", current.value("products", json::object())}};
  if (args.days) body["days"] = *args.days;
  if (args.node_default) body["days"] = nullptr;
  for (const std::string& text : args.products) {
    auto pair = SplitAssignment(text);
    uint64_t days = 0;
    bool number = pair && !pair->second.empty() && pair->second.size() <= 18;
    for (size_t i = 0; number && i < pair->second.size(); ++i) {
      number = std::isdigit(static_cast<unsigned char>(pair->second[i])) != 0;
      days = days * 10 + static_cast<uint64_t>(pair->second[i] - '0');
    }
    if (!number) return absl::InvalidArgumentError("--product '" + text + "' is not ID=DAYS");
    body["products"][pair->first] = days;
  }
  return body;
}

std::string FormatRetention(const json& reply) {
  const json days = reply.value("days", json());
  std::string out = "days: ";
  if (days.is_null()) {
    const std::string node_days = MemberText(reply, "node_default_days");
    out +=
        "node default (" + (node_days == "0" ? std::string("forever") : node_days + " days") + ")";
  } else {
    out += Cell(days);
  }
  out += "\n";
  const json products = reply.value("products", json::object());
  for (auto it = products.begin(); it != products.end(); ++it) {
    out += "product " + it.key() + ": " + Cell(*it) + " days\n";
  }
  return out;
}

std::optional<LineBatch> LineBatcher::Add(std::string_view line) {
  const bool continues_entry = in_string_;
  if (batch_.text.empty()) batch_.first_line = next_line_;
  ++next_line_;
  batch_.text.append(line);
  batch_.text += '\n';
  if (!continues_entry) {
    size_t i = 0;
    while (i < line.size() && line[i] == ' ') ++i;
    if (i == line.size() || line[i] == '#') return std::nullopt;  // blank or comment
    ++batch_.entries;
  }
  Scan(line);
  if (in_string_ || batch_.entries < max_entries_) return std::nullopt;
  return Take();
}

std::optional<LineBatch> LineBatcher::Finish() {
  in_string_ = false;
  if (batch_.text.empty()) return std::nullopt;
  return Take();
}

std::optional<LineBatch> LineBatcher::Take() {
  LineBatch out = std::move(batch_);
  batch_ = LineBatch{};
  return out;
}

void LineBatcher::Scan(std::string_view line) {
  // Outside a string the only way in is `="` in the fields, which come
  // after the first unescaped space of the entry; an escaped `\=` or a
  // quote elsewhere (measurement, tags, keys) opens nothing.
  size_t i = 0;
  bool in_fields = in_string_;
  if (!in_string_) {
    while (i < line.size() && line[i] == ' ') ++i;
  }
  for (; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string_) {
      ++string_bytes_;
      if (c == '\\' && i + 1 < line.size()) {
        ++i;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '\\') {
      ++i;
    } else if (c == ' ') {
      in_fields = true;
    } else if (in_fields && c == '=' && i + 1 < line.size() && line[i + 1] == '"') {
      in_string_ = true;
      string_bytes_ = 0;
      ++i;
    }
  }
  if (in_string_) string_bytes_ += 1;  // the newline
  if (in_string_ && string_bytes_ > kMaxEntryBytes) in_string_ = false;
}

std::string FileLineError(const json& error, size_t first_line) {
  const size_t line = error.value("line", size_t{1}) + first_line - 1;
  return "line " + std::to_string(line) + ": " + MemberText(error, "message");
}

absl::StatusOr<std::pair<uint64_t, uint64_t>> ParseSeriesProgress(std::string_view text) {
  uint64_t done = 0, total = 0;
  char rest = 0;
  const std::string copy(text);
  if (std::sscanf(copy.c_str(), "%lu/%lu%c", &done, &total, &rest) != 2 || done > total) {
    return absl::InvalidArgumentError("X-Qilian-Export-Series '" + copy + "' is not DONE/TOTAL");
  }
  return std::pair<uint64_t, uint64_t>(done, total);
}

absl::StatusOr<ExportProgress> ExportAllPages(
    ExportPageSource& source, std::ostream& out,
    const std::function<void(const ExportProgress&)>& on_page) {
  ExportProgress progress;
  std::optional<std::string> cursor;
  std::set<std::string> seen;
  while (true) {
    absl::StatusOr<ExportPage> page = source.Fetch(cursor);
    if (!page.ok()) return page.status();
    out.write(page->body.data(), static_cast<std::streamsize>(page->body.size()));
    if (!out) return absl::DataLossError("cannot write the export file");
    ++progress.pages;
    progress.points += page->points;
    progress.series_done = page->series_done;
    progress.series_total = page->series_total;
    if (on_page) on_page(progress);
    if (!page->cursor) return progress;
    if (!seen.insert(*page->cursor).second) {
      return absl::InternalError("the server sent cursor '" + *page->cursor +
                                 "' twice; the export stops");
    }
    cursor = page->cursor;
  }
}

std::string FormatExportProgress(const ExportProgress& progress, double seconds) {
  const double rate = seconds > 0 ? static_cast<double>(progress.points) / seconds : 0;
  char text[160];
  std::snprintf(text, sizeof text, "exported %lu points, series %lu/%lu, %.0f points/s",
                static_cast<unsigned long>(progress.points),
                static_cast<unsigned long>(progress.series_done),
                static_cast<unsigned long>(progress.series_total), rate);
  return text;
}

}  // namespace qilian::cli
