#include "platform/tsdb/query/window_values.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace qilian::platform::tsdb {
namespace {

// Chan's parallel combination of two summaries' counts and moments; unlike
// rollup.h's Append it assumes no time order (members overlap in time) and
// leaves area and increase alone.
void MergeStats(RollupBucket* into, const RollupBucket& b, bool moments) {
  if (b.count == 0) return;
  if (into->count == 0) {
    *into = b;
    return;
  }
  if (moments) {
    double na = static_cast<double>(into->count), nb = static_cast<double>(b.count);
    double n = na + nb;
    double delta = b.mean - into->mean;
    into->m2 += b.m2 + delta * delta * na * nb / n;
    into->mean += delta * nb / n;
  }
  into->count += b.count;
  into->sum += b.sum;
  into->min = std::min(into->min, b.min);
  into->max = std::max(into->max, b.max);
}

// Nearest rank: the smallest value with at least q% of the values at or
// below it (q = 0: the minimum).
double Percentile(std::vector<double>* values, double q) {
  size_t n = values->size();
  size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(n) / 100.0));
  rank = std::clamp<size_t>(rank, 1, n);
  std::nth_element(values->begin(), values->begin() + (rank - 1), values->end());
  return (*values)[rank - 1];
}

Cell Number(double d) { return Cell(d); }

// A cell's number for linear fill: a double, or a count (an integer); an
// interpolated count is a double like the other columns.
std::optional<double> NumberOf(const Cell& cell) {
  if (const double* d = std::get_if<double>(&cell)) return *d;
  if (const int64_t* i = std::get_if<int64_t>(&cell)) return static_cast<double>(*i);
  return std::nullopt;
}

}  // namespace

void ResetGroupWindow(GroupWindow* group) {
  // AddMember's first member overwrites the rest (stats, first and last).
  group->stats.count = 0;
  group->twa = 0;
  group->increase = 0;
  group->values.clear();
}

WindowNeeds WindowNeeds::Of(const std::vector<Aggregate>& aggregates) {
  WindowNeeds needs;
  for (const Aggregate& a : aggregates) {
    switch (a.kind) {
      case AggregateKind::kStddev:
        needs.moments = true;
        break;
      case AggregateKind::kFirst:
      case AggregateKind::kLast:
        needs.first_last = true;
        break;
      case AggregateKind::kTwa:
        needs.twa = true;
        break;
      case AggregateKind::kIncrease:
      case AggregateKind::kRate:
        needs.increase = true;
        break;
      case AggregateKind::kPercentile:
        needs.values = true;
        break;
      default:
        break;
    }
  }
  return needs;
}

void AddMember(GroupWindow* group, const SeriesWindow& member, bool text,
               const WindowNeeds& needs) {
  const RollupBucket& b = member.bucket;
  if (needs.first_last) {
    bool was_empty = group->stats.count == 0;
    if (was_empty || b.first_ms < group->first_ms) {
      group->first_ms = b.first_ms;
      group->first = text ? Cell(member.first_text) : Number(b.first);
    }
    if (was_empty || b.last_ms > group->last_ms) {
      group->last_ms = b.last_ms;
      group->last = text ? Cell(member.last_text) : Number(b.last);
    }
  }
  MergeStats(&group->stats, b, needs.moments);
  if (!text) {
    // twa: the area between the window's first and last point over their
    // distance; a single point (or points at one time) is its value.
    if (needs.twa) {
      group->twa +=
          b.last_ms > b.first_ms ? b.area / static_cast<double>(b.last_ms - b.first_ms) : b.first;
    }
    if (needs.increase) group->increase += member.increase;
    if (needs.values && !member.values.empty()) {
      group->values.insert(group->values.end(), member.values.begin(), member.values.end());
    }
  }
}

std::vector<Cell> AggregateCells(GroupWindow* group, const std::vector<Aggregate>& aggregates,
                                 int64_t length_ms) {
  const RollupBucket& s = group->stats;
  double n = static_cast<double>(s.count);
  std::vector<Cell> cells;
  cells.reserve(aggregates.size());
  for (const Aggregate& a : aggregates) {
    switch (a.kind) {
      case AggregateKind::kAvg:
        cells.push_back(Number(s.sum / n));
        break;
      case AggregateKind::kMin:
        cells.push_back(Number(s.min));
        break;
      case AggregateKind::kMax:
        cells.push_back(Number(s.max));
        break;
      case AggregateKind::kSum:
        cells.push_back(Number(s.sum));
        break;
      case AggregateKind::kCount:  // an integer in the answer: 2, not 2.0
        cells.push_back(Cell(static_cast<int64_t>(s.count)));
        break;
      case AggregateKind::kFirst:
        cells.push_back(group->first);
        break;
      case AggregateKind::kLast:
        cells.push_back(group->last);
        break;
      case AggregateKind::kStddev:
        cells.push_back(Number(std::sqrt(s.m2 / n)));
        break;
      case AggregateKind::kPercentile:
        cells.push_back(group->values.empty() ? Cell()
                                              : Number(Percentile(&group->values, a.quantile)));
        break;
      case AggregateKind::kTwa:
        cells.push_back(Number(group->twa));
        break;
      case AggregateKind::kIncrease:
        cells.push_back(Number(group->increase));
        break;
      case AggregateKind::kRate:
        cells.push_back(Number(group->increase * 1000.0 / static_cast<double>(length_ms)));
        break;
    }
  }
  return cells;
}

std::vector<AnswerRow> FillRows(WindowCells cells, const WindowGrid& grid, const Fill& fill,
                                size_t width, size_t limit) {
  std::vector<AnswerRow> rows;
  if (fill.kind == FillKind::kNone) {
    // Only the non-empty windows: sparse data costs nothing per window.
    size_t n = limit > 0 ? std::min(limit, cells.size()) : cells.size();
    rows.reserve(n);
    for (size_t k = 0; k < n; ++k) {
      rows.push_back({grid.Start(cells[k].first), std::move(cells[k].second)});
    }
    return rows;
  }
  // Every window gets a row (their count was checked against max_rows).
  const size_t n = limit > 0 ? std::min(limit, grid.count) : grid.count;
  rows.reserve(n);
  size_t next = 0;             // the first non-empty window at or after i
  size_t previous_row = n;     // the row of the last non-empty window before i
  size_t previous_window = 0;  // and its window
  for (size_t i = 0; i < n; ++i) {
    if (next < cells.size() && cells[next].first == i) {
      previous_row = rows.size();
      previous_window = i;
      rows.push_back({grid.Start(i), std::move(cells[next++].second)});
      continue;
    }
    std::vector<Cell> filled(width);
    switch (fill.kind) {
      case FillKind::kNone:
      case FillKind::kNull:
        break;
      case FillKind::kNumber:
        std::fill(filled.begin(), filled.end(), Cell(fill.number));
        break;
      case FillKind::kPrevious:
        if (previous_row < n) filled = rows[previous_row].cells;
        break;
      case FillKind::kLinear:
        if (previous_row < n && next < cells.size()) {
          const std::vector<Cell>& before = rows[previous_row].cells;
          const std::vector<Cell>& after = cells[next].second;
          double f = static_cast<double>(grid.Start(i) - grid.Start(previous_window)) /
                     static_cast<double>(grid.Start(cells[next].first) - grid.Start(previous_window));
          for (size_t c = 0; c < width; ++c) {
            std::optional<double> a = NumberOf(before[c]), b = NumberOf(after[c]);
            if (a && b) filled[c] = *a + (*b - *a) * f;
          }
        }
        break;
    }
    rows.push_back({grid.Start(i), std::move(filled)});
  }
  return rows;
}

}  // namespace qilian::platform::tsdb
