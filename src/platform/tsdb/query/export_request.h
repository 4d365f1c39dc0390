// The export request (docs/telemetry-query.md, "Export"): which series,
// over what range, in which format. The same `series`, `start` and `end` as
// a query (and the same errors), plus `format`.
#ifndef QILIAN_PLATFORM_TSDB_QUERY_EXPORT_REQUEST_H_
#define QILIAN_PLATFORM_TSDB_QUERY_EXPORT_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "platform/tsdb/query/export_writer.h"
#include "platform/tsdb/query/query_request.h"

namespace qilian::platform::tsdb {

inline constexpr size_t kDefaultExportPagePoints = 100'000;
inline constexpr size_t kMaxExportPagePoints = 1'000'000;

struct ExportRequest {
  SeriesSelector series;
  int64_t start_ms = 0;  // inclusive
  int64_t end_ms = 0;    // exclusive
  ExportFormat format = ExportFormat::kCsv;
  // Paging over HTTP (the route answers one page per request): where this
  // page starts (nullopt: the first page) and at most how many points it
  // holds.
  std::optional<ExportCursor> cursor;
  size_t page_points = kDefaultExportPagePoints;
};

// {"series": {...}, "start": ..., "end": ..., "format": "csv" | "jsonl"};
// `now_ms` is the default end. InvalidArgument "<field>: <reason>".
absl::StatusOr<ExportRequest> ParseExportRequest(std::string_view body, int64_t now_ms);

// The HTTP Content-Type of a format.
std::string_view ExportContentType(ExportFormat format);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_EXPORT_REQUEST_H_
