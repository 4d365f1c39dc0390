#include "platform/tsdb/query/window_values.h"

#include <algorithm>
#include <cmath>

namespace qilian::platform::tsdb {
namespace {

// Chan's parallel combination of two summaries' counts and moments; unlike
// rollup.h's Append it assumes no time order (members overlap in time) and
// leaves area and increase alone.
void MergeStats(RollupBucket* into, const RollupBucket& b) {
  if (b.count == 0) return;
  if (into->count == 0) {
    *into = b;
    return;
  }
  double na = static_cast<double>(into->count), nb = static_cast<double>(b.count);
  double n = na + nb;
  double delta = b.mean - into->mean;
  into->m2 += b.m2 + delta * delta * na * nb / n;
  into->mean += delta * nb / n;
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

}  // namespace

void AddMember(GroupWindow* group, const SeriesWindow& member, bool text) {
  const RollupBucket& b = member.bucket;
  bool was_empty = group->stats.count == 0;
  Cell first = text ? Cell(member.first_text) : Number(b.first);
  Cell last = text ? Cell(member.last_text) : Number(b.last);
  if (was_empty || b.first_ms < group->first_ms) {
    group->first_ms = b.first_ms;
    group->first = std::move(first);
  }
  if (was_empty || b.last_ms > group->last_ms) {
    group->last_ms = b.last_ms;
    group->last = std::move(last);
  }
  MergeStats(&group->stats, b);
  if (!text) {
    // twa: the area between the window's first and last point over their
    // distance; a single point (or points at one time) is its value.
    group->twa +=
        b.last_ms > b.first_ms ? b.area / static_cast<double>(b.last_ms - b.first_ms) : b.first;
    group->increase += member.increase;
    group->values.insert(group->values.end(), member.values.begin(), member.values.end());
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
      case AggregateKind::kCount:
        cells.push_back(Number(n));
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

std::vector<AnswerRow> FillRows(const WindowCells& cells, const WindowGrid& grid, const Fill& fill,
                                size_t width, size_t limit) {
  std::vector<AnswerRow> rows;
  auto full = [&] { return limit > 0 && rows.size() >= limit; };
  if (fill.kind == FillKind::kNone) {
    // Only the non-empty windows: sparse data costs nothing per window.
    for (const auto& [i, row] : cells) {
      if (full()) break;
      rows.push_back({grid.Start(i), row});
    }
    return rows;
  }
  // Every window gets a row (their count was checked against max_rows).
  auto next = cells.begin();    // the first non-empty window at or after i
  auto previous = cells.end();  // the last non-empty window before i
  for (size_t i = 0; i < grid.count && !full(); ++i) {
    if (next != cells.end() && next->first == i) {
      rows.push_back({grid.Start(i), next->second});
      previous = next++;
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
        if (previous != cells.end()) filled = previous->second;
        break;
      case FillKind::kLinear:
        if (previous != cells.end() && next != cells.end()) {
          double f = static_cast<double>(grid.Start(i) - grid.Start(previous->first)) /
                     static_cast<double>(grid.Start(next->first) - grid.Start(previous->first));
          for (size_t c = 0; c < width; ++c) {
            const double* a = std::get_if<double>(&previous->second[c]);
            const double* b = std::get_if<double>(&next->second[c]);
            if (a != nullptr && b != nullptr) filled[c] = *a + (*b - *a) * f;
          }
        }
        break;
    }
    rows.push_back({grid.Start(i), std::move(filled)});
  }
  return rows;
}

}  // namespace qilian::platform::tsdb
