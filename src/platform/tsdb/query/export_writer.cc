#include "platform/tsdb/query/export_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace qilian::platform::tsdb {
namespace {

using json = nlohmann::ordered_json;

// The shortest text that reads back as the same double; CSV spells the
// non-finite values as NaN, Inf and -Inf (what spreadsheets and pandas
// read).
void AppendDouble(std::string* out, double d) {
  if (std::isnan(d)) {
    out->append("NaN");
  } else if (std::isinf(d)) {
    out->append(d > 0 ? "Inf" : "-Inf");
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    out->append(buf, end);
  }
}

void AppendCsvValue(std::string* out, const PointValue& value) {
  switch (value.index()) {
    case 0:
      AppendDouble(out, std::get<double>(value));
      break;
    case 1:
      absl::StrAppend(out, std::get<int64_t>(value));
      break;
    case 2:
      out->append(std::get<bool>(value) ? "true" : "false");
      break;
    default:
      AppendCsvField(out, std::get<std::string>(value));
  }
}

json JsonValue(const PointValue& value) {
  return std::visit(
      [](const auto& v) -> json {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, double>) {
          if (!std::isfinite(v)) return nullptr;
        }
        return v;
      },
      value);
}

// Formats one format's lines; the export loop is the same for both.
class Formatter {
 public:
  Formatter(ExportFormat format, const std::vector<SeriesInfo>& series) : format_(format) {
    std::set<std::string> keys;
    for (const SeriesInfo& s : series) {
      for (const Label& l : s.labels) keys.insert(l.key);
    }
    label_keys_.assign(keys.begin(), keys.end());
  }

  void Header(std::string* out) const {
    if (format_ != ExportFormat::kCsv) return;
    out->append("time,device,property,value");
    for (const std::string& key : label_keys_) {
      out->push_back(',');
      bool taken = key == "time" || key == "device" || key == "property" || key == "value";
      AppendCsvField(out, taken ? "label:" + key : key);
    }
    out->append("\r\n");
  }

  // What every line of the series repeats, formatted once per series.
  void StartSeries(const SeriesInfo& s) {
    prefix_.clear();
    suffix_.clear();
    if (format_ == ExportFormat::kCsv) {
      prefix_.push_back(',');
      AppendCsvField(&prefix_, s.device);
      prefix_.push_back(',');
      AppendCsvField(&prefix_, s.property);
      prefix_.push_back(',');
      for (const std::string& key : label_keys_) {
        suffix_.push_back(',');
        for (const Label& l : s.labels) {
          if (l.key == key) AppendCsvField(&suffix_, l.value);
        }
      }
      suffix_.append("\r\n");
      return;
    }
    series_ = json{{"time", 0}, {"device", s.device}, {"property", s.property}, {"value", 0}};
    if (!s.labels.empty()) {
      json labels = json::object();
      for (const Label& l : s.labels) labels[l.key] = l.value;
      series_["labels"] = std::move(labels);
    }
  }

  void Line(std::string* out, const Point& p) {
    if (format_ == ExportFormat::kCsv) {
      absl::StrAppend(out, p.time_ms);
      out->append(prefix_);
      AppendCsvValue(out, p.value);
      out->append(suffix_);
      return;
    }
    series_["time"] = p.time_ms;
    series_["value"] = JsonValue(p.value);
    out->append(series_.dump(-1, ' ', false, json::error_handler_t::replace));
    out->push_back('\n');
  }

 private:
  ExportFormat format_;
  std::vector<std::string> label_keys_;
  std::string prefix_, suffix_;  // CSV
  json series_;                  // JSON lines
};

}  // namespace

void AppendCsvField(std::string* out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(field);
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

std::string FormatExportCursor(const ExportCursor& cursor) {
  return absl::StrCat(cursor.series, ":", cursor.from_ms);
}

std::optional<ExportCursor> ParseExportCursor(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  ExportCursor cursor;
  std::string_view id = text.substr(0, colon), from = text.substr(colon + 1);
  auto [id_end, id_ec] = std::from_chars(id.data(), id.data() + id.size(), cursor.series);
  auto [from_end, from_ec] =
      std::from_chars(from.data(), from.data() + from.size(), cursor.from_ms);
  if (id.empty() || from.empty() || id_ec != std::errc() || from_ec != std::errc() ||
      id_end != id.data() + id.size() || from_end != from.data() + from.size() ||
      cursor.series == 0) {
    return std::nullopt;
  }
  return cursor;
}

absl::Status ExportPoints(const SeriesSource& source, const std::vector<SeriesInfo>& series,
                          int64_t from_ms, int64_t to_ms, const ExportOptions& options,
                          const ExportSink& sink, const ExportProgressFn& progress) {
  return ExportPage(source, series, from_ms, to_ms, options, std::nullopt, sink, progress)
      .status();
}

absl::StatusOr<std::optional<ExportCursor>> ExportPage(
    const SeriesSource& source, const std::vector<SeriesInfo>& series, int64_t from_ms,
    int64_t to_ms, const ExportOptions& options, const std::optional<ExportCursor>& start,
    const ExportSink& sink, const ExportProgressFn& progress) {
  size_t first = 0;
  if (start.has_value()) {
    while (first < series.size() && series[first].id != start->series) ++first;
    if (first == series.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cursor: series ", start->series, " is not among the series this export selects"));
    }
  }
  Formatter formatter(options.format, series);
  ExportProgress done{0, first, series.size()};
  std::string chunk;
  uint64_t delivered = 0;  // points in chunks the sink took
  auto flush = [&]() -> absl::Status {
    if (chunk.empty() || sink(chunk)) {
      chunk.clear();
      delivered = done.points_written;
      return absl::OkStatus();
    }
    return absl::CancelledError(
        absl::StrCat("export: the client went away after ", delivered, " points"));
  };
  if (options.header) formatter.Header(&chunk);
  const size_t page = std::max<size_t>(options.page_points, 1);
  for (size_t i = first; i < series.size(); ++i) {
    const SeriesInfo& s = series[i];
    formatter.StartSeries(s);
    int64_t from = i == first && start.has_value() ? std::max(start->from_ms, from_ms) : from_ms;
    while (from < to_ms) {
      size_t want = page;
      if (options.max_points > 0) {
        if (done.points_written >= options.max_points) {
          if (absl::Status st = flush(); !st.ok()) return st;
          return ExportCursor{s.id, from};
        }
        want = std::min<size_t>(want, options.max_points - done.points_written);
      }
      absl::StatusOr<std::vector<Point>> points = source.ReadRange(s.id, from, to_ms, want);
      if (!points.ok()) return points.status();
      for (const Point& p : *points) {
        formatter.Line(&chunk, p);
        ++done.points_written;
        if (chunk.size() >= options.chunk_bytes) {
          if (absl::Status st = flush(); !st.ok()) return st;
        }
      }
      if (progress) progress(done);
      if (points->size() < want) break;
      from = points->back().time_ms + 1;
    }
    ++done.series_done;
    if (progress) progress(done);
  }
  if (absl::Status st = flush(); !st.ok()) return st;
  return std::optional<ExportCursor>();
}

}  // namespace qilian::platform::tsdb
