// The answer to a telemetry query (docs/telemetry-query.md, "Answer"): one
// answer series per selected series (or per group), each a table whose
// first column is the time in epoch milliseconds, and what the query read.
// Serialized to the JSON that the REST route returns and the CLI prints.
#ifndef QILIAN_PLATFORM_TSDB_QUERY_QUERY_ANSWER_H_
#define QILIAN_PLATFORM_TSDB_QUERY_QUERY_ANSWER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "platform/tsdb/engine/engine.h"
#include "platform/tsdb/engine/rollup.h"

namespace qilian::platform::tsdb {

// One value of a row: absent (null), a number (aggregates, float points),
// or a raw point's own int, bool or text. NaN and ±Inf serialize as null.
using Cell = std::variant<std::monostate, double, int64_t, bool, std::string>;

struct AnswerRow {
  int64_t time_ms = 0;  // the point's time, or the window's aligned start
  std::vector<Cell> cells;
  bool operator==(const AnswerRow&) const = default;
};

// A group key's value; nullopt for a member without the label.
using GroupValue = std::pair<std::string, std::optional<std::string>>;

struct AnswerSeries {
  // Ungrouped: the series.
  SeriesId id = 0;
  std::string device, property;
  LabelSet labels;
  // Grouped (the request had group_by): the group's key values in
  // group_by order and how many series it combines.
  bool grouped = false;
  std::vector<GroupValue> group;
  size_t members = 0;
  std::vector<std::string> columns;  // after "time", which is implicit
  std::vector<AnswerRow> rows;
};

struct QueryStats {
  size_t series = 0;                 // series selected and read
  uint64_t points_read = 0;          // raw points
  uint64_t buckets_read = 0;         // rollup buckets
  std::optional<Resolution> rollup;  // the rollups used, if any
};

struct QueryAnswer {
  std::vector<AnswerSeries> series;
  QueryStats stats;
};

// {"series":[...],"stats":{...}}, compact.
std::string QueryAnswerJson(const QueryAnswer& answer);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_QUERY_ANSWER_H_
