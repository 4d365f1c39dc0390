#include "platform/tsdb/query/query_eval.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "platform/tsdb/query/series_select.h"
#include "platform/tsdb/query/series_windows.h"
#include "platform/tsdb/query/window_values.h"

namespace qilian::platform::tsdb {
namespace {

Cell PointCell(const PointValue& value) {
  return std::visit([](const auto& v) { return Cell(v); }, value);
}

AnswerSeries SeriesAnswer(const SeriesInfo& s, std::vector<std::string> columns) {
  AnswerSeries out;
  out.id = s.id;
  out.device = s.device;
  out.property = s.property;
  out.labels = s.labels;
  out.columns = std::move(columns);
  return out;
}

// Counts answer rows against limits.max_rows.
absl::Status CountRows(uint64_t more, uint64_t* rows, const QueryLimits& limits) {
  *rows += more;
  if (*rows > limits.max_rows) {
    return OverLimit(absl::StrCat("answers more than ", limits.max_rows, " rows"), limits.max_rows,
                     kMaxRowsKey);
  }
  return absl::OkStatus();
}

absl::Status EvaluateLatest(const SeriesSource& source, const std::vector<SeriesInfo>& series,
                            QueryAnswer* answer) {
  for (const SeriesInfo& s : series) {
    AnswerSeries out = SeriesAnswer(s, {"value"});
    absl::StatusOr<Point> p = source.Latest(s.id);
    if (p.ok()) {
      out.rows.push_back({p->time_ms, {PointCell(p->value)}});
      ++answer->stats.points_read;
    } else if (!absl::IsNotFound(p.status())) {
      return p.status();
    }
    answer->series.push_back(std::move(out));
  }
  return absl::OkStatus();
}

absl::Status EvaluateRaw(const SeriesSource& source, const std::vector<SeriesInfo>& series,
                         const QueryRequest& request, const QueryLimits& limits,
                         QueryAnswer* answer) {
  ReadCounter counter{&limits};
  uint64_t rows = 0;
  for (const SeriesInfo& s : series) {
    AnswerSeries out = SeriesAnswer(s, {"value"});
    // One row past the answer's limit is enough to refuse: rows are never
    // held past it.
    uint64_t most = limits.max_rows - rows + 1;
    if (request.limit > 0) most = std::min<uint64_t>(most, request.limit);
    absl::Status status = ReadPoints(source, s.id, request.start_ms, request.end_ms, most, &counter,
                                     [&](const Point& p) {
                                       out.rows.push_back({p.time_ms, {PointCell(p.value)}});
                                     });
    if (!status.ok()) return status;
    if (status = CountRows(out.rows.size(), &rows, limits); !status.ok()) return status;
    answer->series.push_back(std::move(out));
  }
  answer->stats.points_read = counter.points_read;
  return absl::OkStatus();
}

// Text has no numbers: only count, first and last apply. Checked before
// anything is read.
absl::Status CheckText(const std::vector<SeriesInfo>& series,
                       const std::vector<Aggregate>& aggregates) {
  for (const SeriesInfo& s : series) {
    if (s.kind != ValueKind::kText) continue;
    for (const Aggregate& a : aggregates) {
      if (a.kind == AggregateKind::kCount || a.kind == AggregateKind::kFirst ||
          a.kind == AggregateKind::kLast) {
        continue;
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "aggregates: series ", s.id, " (device \"", s.device, "\", property \"", s.property,
          "\") holds text; only count, first and last apply to it, not ", a.name));
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> GroupKeyValue(const SeriesInfo& s, const GroupKey& key) {
  switch (key.kind) {
    case GroupKey::kDevice:
      return s.device;
    case GroupKey::kProperty:
      return s.property;
    case GroupKey::kLabel:
      for (const Label& l : s.labels) {
        if (l.key == key.label) return l.value;
      }
      return std::nullopt;
  }
  return std::nullopt;
}

struct Group {
  std::vector<std::optional<std::string>> key;
  std::vector<const SeriesInfo*> members;  // by id
};

// Ungrouped: one group per series, by id. Grouped: by the keys' values.
std::vector<Group> MakeGroups(const std::vector<SeriesInfo>& series,
                              const std::vector<GroupKey>& keys) {
  std::vector<Group> groups;
  if (keys.empty()) {
    for (const SeriesInfo& s : series) groups.push_back({{}, {&s}});
    return groups;
  }
  std::map<std::vector<std::optional<std::string>>, std::vector<const SeriesInfo*>> by_key;
  for (const SeriesInfo& s : series) {
    std::vector<std::optional<std::string>> key;
    for (const GroupKey& k : keys) key.push_back(GroupKeyValue(s, k));
    by_key[key].push_back(&s);
  }
  for (auto& [key, members] : by_key) groups.push_back({key, std::move(members)});
  return groups;
}

// A group's non-empty windows while its members are read: a slot per
// window of the grid (4 bytes each, reused from group to group) points into
// a list of only the windows that have data, so a member's window is found
// without a search and sparse data costs few entries. A grid of more than
// kDenseWindows windows (max_windows_per_query allows 100 million) finds
// its slots in a hash map instead, so memory still follows the data.
class GroupWindows {
 public:
  static constexpr size_t kDenseWindows = size_t{1} << 20;

  explicit GroupWindows(size_t count) {
    if (count <= kDenseWindows) dense_.assign(count, kNone);
    // Dense data fills every window: no regrowth for grids up to a few
    // thousand windows (a day of minutes), at most ~1 MiB held ahead.
    windows_.reserve(std::min<size_t>(count, 4096));
  }

  GroupWindow& At(size_t i) {
    uint32_t& slot = dense_.empty() ? sparse_.try_emplace(i, kNone).first->second : dense_[i];
    if (slot == kNone) {
      slot = static_cast<uint32_t>(used_);
      if (used_ == windows_.size()) {
        windows_.emplace_back(std::piecewise_construct, std::forward_as_tuple(i),
                              std::forward_as_tuple());
      } else {
        // An earlier group's window, emptied rather than built anew:
        // constructing one zeroes ~250 bytes (perf).
        windows_[used_].first = i;
        ResetGroupWindow(&windows_[used_].second);
      }
      ++used_;
    }
    return windows_[slot].second;
  }
  size_t size() const { return used_; }
  // The windows in ascending order (members' windows come ascending, so
  // usually already are).
  std::span<std::pair<size_t, GroupWindow>> Sorted() {
    std::span<std::pair<size_t, GroupWindow>> used(windows_.data(), used_);
    auto by_index = [](const auto& a, const auto& b) { return a.first < b.first; };
    if (!std::is_sorted(used.begin(), used.end(), by_index)) {
      std::sort(used.begin(), used.end(), by_index);
    }
    return used;
  }
  // Empties the list for the next group; its windows are kept for reuse.
  void Clear() {
    if (dense_.empty()) {
      sparse_.clear();
    } else {
      for (size_t k = 0; k < used_; ++k) dense_[windows_[k].first] = kNone;
    }
    used_ = 0;
  }

 private:
  // Fits: a grid has at most max_windows_per_query (100 million) windows.
  static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
  std::vector<uint32_t> dense_;
  absl::flat_hash_map<size_t, uint32_t> sparse_;
  std::vector<std::pair<size_t, GroupWindow>> windows_;  // [0, used_) in use
  size_t used_ = 0;
};

std::optional<Resolution> RollupFor(const QueryRequest& request) {
  for (const Aggregate& a : request.aggregates) {
    if (a.kind == AggregateKind::kPercentile) return std::nullopt;  // exact: raw values
  }
  if (*request.window_ms % ResolutionMs(Resolution::k1h) == 0) return Resolution::k1h;
  if (*request.window_ms % ResolutionMs(Resolution::k1m) == 0) return Resolution::k1m;
  return std::nullopt;
}

absl::Status EvaluateWindows(const SeriesSource& source, const std::vector<SeriesInfo>& series,
                             const QueryRequest& request, const QueryLimits& limits,
                             QueryAnswer* answer) {
  if (absl::Status s = CheckText(series, request.aggregates); !s.ok()) return s;
  absl::StatusOr<WindowGrid> grid =
      WindowGrid::Make(request.start_ms, request.end_ms, *request.window_ms, limits);
  if (!grid.ok()) return grid.status();
  std::vector<Group> groups = MakeGroups(series, request.group_by);
  if (request.fill.kind != FillKind::kNone) {
    // Every window gets a row: the row count is known before reading.
    uint64_t per_group =
        request.limit > 0 ? std::min<uint64_t>(request.limit, grid->count) : grid->count;
    uint64_t total = per_group * groups.size();
    if (total > limits.max_rows) {
      return OverLimit(absl::StrCat("answers ", total, " rows"), limits.max_rows, kMaxRowsKey);
    }
  }
  WindowPlan plan{RollupFor(request), false};
  for (const Aggregate& a : request.aggregates) {
    plan.keep_values |= a.kind == AggregateKind::kPercentile;
    if (a.kind == AggregateKind::kIncrease || a.kind == AggregateKind::kRate) {
      plan.increase = true;
      plan.lookback_ms = kIncreaseLookbackMs;
    }
  }
  ReadCounter counter{&limits};
  uint64_t rows = 0;
  std::vector<std::string> columns;
  for (const Aggregate& a : request.aggregates) columns.push_back(a.name);
  GroupWindows windows(grid->count);
  const WindowNeeds needs = WindowNeeds::Of(request.aggregates);
  for (Group& group : groups) {
    for (const SeriesInfo* member : group.members) {
      bool text = member->kind == ValueKind::kText;
      absl::Status s =
          ReadSeriesWindows(source, *member, *grid, plan, &counter,
                            [&](size_t i, SeriesWindow& w) {
                              AddMember(&windows.At(i), w, text, needs);
                            });
      if (!s.ok()) return s;
    }
    WindowCells cells;
    cells.reserve(windows.size());
    for (auto& [i, window] : windows.Sorted()) {
      cells.emplace_back(i, AggregateCells(&window, request.aggregates, grid->ClippedLength(i)));
    }
    windows.Clear();
    AnswerSeries out;
    if (request.group_by.empty()) {
      out = SeriesAnswer(*group.members.front(), columns);
    } else {
      out.grouped = true;
      out.members = group.members.size();
      out.columns = columns;
      for (size_t k = 0; k < request.group_by.size(); ++k) {
        out.group.push_back({request.group_by[k].name, group.key[k]});
      }
    }
    out.rows = FillRows(std::move(cells), *grid, request.fill, columns.size(), request.limit);
    if (absl::Status s = CountRows(out.rows.size(), &rows, limits); !s.ok()) return s;
    answer->series.push_back(std::move(out));
  }
  answer->stats.points_read = counter.points_read;
  answer->stats.buckets_read = counter.buckets_read;
  answer->stats.rollup = counter.rollup;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<QueryAnswer> EvaluateQuery(const SeriesSource& source, uint64_t enterprise,
                                          const QueryRequest& request, const QueryLimits& limits) {
  absl::StatusOr<std::vector<SeriesInfo>> series =
      SelectSeries(source, enterprise, request.series, limits);
  if (!series.ok()) return series.status();
  QueryAnswer answer;
  answer.stats.series = series->size();
  absl::Status status;
  if (request.latest) {
    status = EvaluateLatest(source, *series, &answer);
  } else if (!request.window_ms) {
    status = EvaluateRaw(source, *series, request, limits, &answer);
  } else {
    status = EvaluateWindows(source, *series, request, limits, &answer);
  }
  if (!status.ok()) return status;
  return answer;
}

}  // namespace qilian::platform::tsdb
