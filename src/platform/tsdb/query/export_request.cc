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
  for (const auto& [key, value] : parsed.items()) {
    if (key != "series" && key != "start" && key != "end") {
      return absl::InvalidArgumentError(
          "request: unknown key " + json(key).dump(-1, ' ', false, json::error_handler_t::replace) +
          " (known: series, start, end, format)");
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
