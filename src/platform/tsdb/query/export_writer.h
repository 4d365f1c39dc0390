// Export of raw points (docs/telemetry-query.md, "Export"): the selected
// series over a range as CSV (RFC 4180) or JSON lines, streamed in chunks
// to a writer so that memory stays bounded whatever the range: each series
// is read in pages, and a chunk goes out as soon as it is full.
#ifndef QILIAN_PLATFORM_TSDB_QUERY_EXPORT_WRITER_H_
#define QILIAN_PLATFORM_TSDB_QUERY_EXPORT_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "platform/tsdb/query/series_source.h"

namespace qilian::platform::tsdb {

enum class ExportFormat { kCsv, kJsonLines };

// Where a page of an export starts: the series (by id, in the order given)
// and the time from which its points are still to come.
struct ExportCursor {
  SeriesId series = 0;
  int64_t from_ms = 0;
  bool operator==(const ExportCursor&) const = default;
};
// "<series id>:<from ms>", the X-Qilian-Export-Cursor header; nullopt for
// anything else.
std::string FormatExportCursor(const ExportCursor& cursor);
std::optional<ExportCursor> ParseExportCursor(std::string_view text);

struct ExportOptions {
  ExportFormat format = ExportFormat::kCsv;
  size_t page_points = 100'000;    // points per ReadRange
  size_t chunk_bytes = 64 * 1024;  // a chunk goes out once it holds this much
  // Stop after this many points (0: never) and return where to go on.
  size_t max_points = 0;
  // The CSV header (a later page of a paged export has none).
  bool header = true;
};

struct ExportProgress {
  uint64_t points_written = 0;
  size_t series_done = 0;
  size_t series_total = 0;
};

// Takes a chunk; false when the client has gone (the export stops).
using ExportSink = std::function<bool(std::string_view chunk)>;
// Called after each page and each finished series.
using ExportProgressFn = std::function<void(const ExportProgress&)>;

// Writes the points of `series` (in the given order) with
// from_ms <= t < to_ms. CSV: a header `time,device,property,value` and one
// column per label key of the series (sorted; "label:<key>" where a key is
// one of the four), lines ending CRLF. JSON lines: one object per point,
// {"time","device","property","value"} and "labels" when the series has
// any. Times are epoch ms. Returns Cancelled when the sink refuses a
// chunk, and the source's errors as they are (what was written stays
// written: the client sees a cut stream).
absl::Status ExportPoints(const SeriesSource& source, const std::vector<SeriesInfo>& series,
                          int64_t from_ms, int64_t to_ms, const ExportOptions& options,
                          const ExportSink& sink, const ExportProgressFn& progress = nullptr);

// ExportPoints from `start` (nullopt: the first series from from_ms) that
// stops once options.max_points points are written: returns the cursor of
// the next page, or nullopt when the export is complete. A cursor naming a
// series not in `series` is InvalidArgument.
absl::StatusOr<std::optional<ExportCursor>> ExportPage(
    const SeriesSource& source, const std::vector<SeriesInfo>& series, int64_t from_ms,
    int64_t to_ms, const ExportOptions& options, const std::optional<ExportCursor>& start,
    const ExportSink& sink, const ExportProgressFn& progress = nullptr);

// One CSV field per RFC 4180: quoted when it holds a comma, a quote, CR or
// LF, quotes doubled.
void AppendCsvField(std::string* out, std::string_view field);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_EXPORT_WRITER_H_
