// A window's answer (docs/telemetry-query.md, "Aggregates", "Group by",
// "Fill"): the members' window summaries combined, each aggregate's value
// taken from them, and empty windows filled.
#ifndef QILIAN_PLATFORM_TSDB_QUERY_WINDOW_VALUES_H_
#define QILIAN_PLATFORM_TSDB_QUERY_WINDOW_VALUES_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "platform/tsdb/engine/rollup.h"
#include "platform/tsdb/query/query_answer.h"
#include "platform/tsdb/query/query_request.h"
#include "platform/tsdb/query/series_windows.h"

namespace qilian::platform::tsdb {

// The window of a group (or of one series: a group of one).
struct GroupWindow {
  // count, sum, min, max and Welford's moments over every member's points;
  // area, increase and first/last are not combined here.
  RollupBucket stats;
  double twa = 0;              // sum of the members' time-weighted averages
  double increase = 0;         // sum of the members' increases
  std::vector<double> values;  // every member's values, for percentiles
  // The earliest and latest point over the members (a text member's text).
  int64_t first_ms = 0, last_ms = 0;
  Cell first, last;
};

// Empties `group` for another window, keeping its buffers.
void ResetGroupWindow(GroupWindow* group);

// What a query's aggregates take from its windows, so that combining a
// member's window costs only what is asked (an avg needs no moments, no
// twa division, no first and last).
struct WindowNeeds {
  bool moments = false;     // stddev: Welford's mean and m2
  bool first_last = false;  // first, last
  bool twa = false;
  bool increase = false;  // increase, rate
  bool values = false;    // percentiles

  static WindowNeeds Of(const std::vector<Aggregate>& aggregates);
};

// Adds one member series' non-empty window. Members are added in id order;
// of two first (last) points at the same time the earlier-added wins.
// Fields that `needs` does not ask for are left out (unspecified).
void AddMember(GroupWindow* group, const SeriesWindow& member, bool text,
               const WindowNeeds& needs);

// The window's value for each aggregate. `length_ms` is the window's part
// of [start, end) (rate divides the increase by it). Nearest-rank
// percentiles sort group->values in place.
std::vector<Cell> AggregateCells(GroupWindow* group, const std::vector<Aggregate>& aggregates,
                                 int64_t length_ms);

// The non-empty windows' cells, ascending window index.
using WindowCells = std::vector<std::pair<size_t, std::vector<Cell>>>;

// Rows for the grid's windows, empty windows (absent from `cells`) filled
// as `fill` says, at most `limit` rows (0: all). The cells are moved into
// the rows.
std::vector<AnswerRow> FillRows(WindowCells cells, const WindowGrid& grid, const Fill& fill,
                                size_t width, size_t limit);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_WINDOW_VALUES_H_
