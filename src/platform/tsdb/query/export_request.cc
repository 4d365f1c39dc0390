#include "platform/tsdb/query/export_request.h"

#include <string>

#include "nlohmann/json.hpp"

namespace qilian::platform::tsdb {

absl::StatusOr<ExportRequest> ParseExportRequest(std::string_view body, int64_t now_ms) {
  using json = nlohmann::json;
  json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return absl::InvalidArgumentError("request: not valid JSON");
  if (!parsed.is_object()) return absl::InvalidArgumentError("request: must be a JSON object");
  ExportRequest request;
  if (auto it = parsed.find("format"); it != parsed.end()) {
    if (*it == "csv") {
      request.format = ExportFormat::kCsv;
    } else if (*it == "jsonl") {
      request.format = ExportFormat::kJsonLines;
    } else {
      return absl::InvalidArgumentError("format: must be \"csv\" or \"jsonl\"");
    }
    parsed.erase(it);
  }
  if (auto it = parsed.find("cursor"); it != parsed.end()) {
    std::optional<ExportCursor> cursor =
        it->is_string() ? ParseExportCursor(it->get<std::string>()) : std::nullopt;
    if (!cursor.has_value()) {
      return absl::InvalidArgumentError(
          "cursor: must be the X-Qilian-Export-Cursor of the previous page");
    }
    request.cursor = cursor;
    parsed.erase(it);
  }
  if (auto it = parsed.find("page_points"); it != parsed.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1 ||
        it->get<int64_t>() > static_cast<int64_t>(kMaxExportPagePoints)) {
      return absl::InvalidArgumentError("page_points: must be an integer, 1 to 1000000");
    }
    request.page_points = it->get<size_t>();
    parsed.erase(it);
  }
  for (const auto& [key, value] : parsed.items()) {
    if (key != "series" && key != "start" && key != "end") {
      return absl::InvalidArgumentError(
          "request: unknown key " + json(key).dump(-1, ' ', false, json::error_handler_t::replace) +
          " (known: series, start, end, format, cursor, page_points)");
    }
  }
  // The rest is a query for raw points: the same fields, the same errors.
  absl::StatusOr<QueryRequest> query = ParseQueryRequest(parsed.dump(), now_ms);
  if (!query.ok()) return query.status();
  request.series = std::move(query->series);
  request.start_ms = query->start_ms;
  request.end_ms = query->end_ms;
  return request;
}

std::string_view ExportContentType(ExportFormat format) {
  return format == ExportFormat::kCsv ? "text/csv; charset=utf-8" : "application/x-ndjson";
}

}  // namespace qilian::platform::tsdb
