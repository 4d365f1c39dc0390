#include "platform/tsdb/query/series_windows.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"

namespace qilian::platform::tsdb {
namespace {

// How many rollup buckets one ReadRollups call asks for, so that a long
// range of 1m buckets is read in bounded pieces.
constexpr int64_t kBucketsPerRead = 10'000;

// Folds points and buckets, in time order, into the current window; hands
// each finished non-empty window to `emit` with its increase joined to the
// previous non-empty window.
class Accumulator {
 public:
  Accumulator(const WindowGrid& grid, bool text, bool keep_values, bool increase,
              const std::function<void(size_t, SeriesWindow&)>& emit)
      : grid_(grid), text_(text), keep_values_(keep_values), increase_(increase), emit_(emit) {}

  void AddRaw(const Point& p) {
    MoveTo(IndexOf(p.time_ms));
    if (fresh_) {
      window_.bucket = RollupBucket{};
      window_.bucket.start_ms = grid_.Start(current_);
      fresh_ = false;
    }
    if (text_) {
      const std::string* s = std::get_if<std::string>(&p.value);
      if (s == nullptr) return;  // another kind cannot be in a text series
      if (window_.bucket.count == 0) window_.first_text = *s;
      window_.last_text = *s;
      AddPoint(&window_.bucket, p.time_ms, 0.0);
      return;
    }
    double v = NumericValue(p.value);
    if (std::isnan(v)) return;
    AddPoint(&window_.bucket, p.time_ms, v);
    if (keep_values_) window_.values.push_back(v);
  }

  // b.count > 0.
  void AddBucket(const RollupBucket& b) {
    MoveTo(IndexOf(b.start_ms));
    if (fresh_) {
      // What Append into an empty summary gives, without zeroing it first.
      window_.bucket = b;
      window_.bucket.start_ms = grid_.Start(current_);
      fresh_ = false;
    } else {
      Append(&window_.bucket, b);
    }
  }

  void Finish() { Flush(); }

  // The summary of what came before the grid (only its last point is
  // used: the joint into the first non-empty window).
  void SetPrevious(const RollupBucket& before) { previous_ = before; }

 private:
  static constexpr size_t kNone = std::numeric_limits<size_t>::max();

  // grid_.Index(t) without its two divisions when t is in the last
  // window found or the one after it: points and buckets come in time
  // order, so almost always.
  size_t IndexOf(int64_t t) {
    if (hint_ != kNone) {
      int64_t offset = t - hint_start_;
      if (offset >= 0 && offset < grid_.width) return hint_;
      if (offset >= grid_.width && offset < 2 * grid_.width) {
        ++hint_;
        hint_start_ += grid_.width;
        return hint_;
      }
    }
    hint_ = grid_.Index(t);
    hint_start_ = grid_.Start(hint_);
    return hint_;
  }

  void MoveTo(size_t i) {
    if (i == current_) return;
    Flush();
    current_ = i;
    // Reset in place: the values' and texts' buffers are kept for the next
    // window, so a window costs no allocation. The bucket is reset by the
    // first point, or replaced by the first rollup bucket: zeroing it here
    // (a `rep stos`) cost more than the rest of a rollup window (perf).
    fresh_ = true;
    window_.increase = 0;
    window_.values.clear();
    window_.first_text.clear();
    window_.last_text.clear();
  }

  void Flush() {
    if (current_ == kNone || fresh_ || window_.bucket.count == 0) return;
    if (increase_) {
      window_.increase = window_.bucket.increase;
      if (previous_.count > 0) window_.increase += JointIncrease(previous_, window_.bucket);
      // Only what JointIncrease reads: copying the whole summary here cost
      // a store-forwarding stall per window (perf).
      previous_.count = window_.bucket.count;
      previous_.last = window_.bucket.last;
    }
    emit_(current_, window_);
    current_ = kNone;
  }

  const WindowGrid& grid_;
  bool text_, keep_values_, increase_;
  const std::function<void(size_t, SeriesWindow&)>& emit_;
  size_t current_ = kNone;
  bool fresh_ = true;    // window_.bucket holds nothing of current_ yet
  size_t hint_ = kNone;  // IndexOf's last window and its start
  int64_t hint_start_ = 0;
  SeriesWindow window_;
  RollupBucket previous_;  // the last non-empty window's count and last value
};

// Feeds the accumulator the rollup buckets of [from, to) (aligned) that
// are complete, and returns where the complete buckets end: raw points
// from there on.
absl::StatusOr<int64_t> ReadRollupPart(const SeriesSource& source, SeriesId id,
                                       Resolution resolution, int64_t from, int64_t to,
                                       ReadCounter* counter, Accumulator* acc) {
  const int64_t width = ResolutionMs(resolution);
  int64_t done = from;
  while (done < to) {
    int64_t piece_end = std::min(to, done + kBucketsPerRead * width);
    absl::StatusOr<RollupRead> read = source.ReadRollups(id, resolution, done, piece_end);
    if (!read.ok()) return read.status();
    int64_t usable = BucketStart(std::clamp(read->complete_until_ms, done, piece_end), width);
    for (const RollupBucket& b : read->buckets) {
      if (b.start_ms < done || b.start_ms >= usable || b.count == 0) continue;
      acc->AddBucket(b);
      ++counter->buckets_read;
      counter->rollup = resolution;
    }
    done = usable;
    if (usable < piece_end) break;
  }
  return done;
}

// Feeds `acc` the series' points over the grid's range: rollups cover
// whole buckets from the first aligned one after start to the last aligned
// one before end, where complete; the ragged edges and the rest are read
// raw. The grid's windows are multiples of the rollup width, so a bucket
// never straddles two windows.
absl::Status ReadInto(const SeriesSource& source, const SeriesInfo& series, const WindowGrid& grid,
                      std::optional<Resolution> rollup, ReadCounter* counter, Accumulator* acc) {
  auto raw = [&](int64_t from, int64_t to) {
    return ReadPoints(source, series.id, from, to, 0, counter,
                      [&](const Point& p) { acc->AddRaw(p); });
  };
  int64_t raw_from = grid.start;
  if (rollup) {
    const int64_t width = ResolutionMs(*rollup);
    const int64_t aligned_start = BucketStart(grid.start + width - 1, width);
    const int64_t aligned_end = BucketStart(grid.end, width);
    if (aligned_start < aligned_end) {
      if (absl::Status s = raw(grid.start, aligned_start); !s.ok()) return s;
      absl::StatusOr<int64_t> until =
          ReadRollupPart(source, series.id, *rollup, aligned_start, aligned_end, counter, acc);
      if (!until.ok()) return until.status();
      raw_from = *until;
    }
  }
  return raw(raw_from, grid.end);
}

}  // namespace

absl::StatusOr<WindowGrid> WindowGrid::Make(int64_t start, int64_t end, int64_t width,
                                            const QueryLimits& limits) {
  WindowGrid grid;
  grid.start = start;
  grid.end = end;
  grid.width = width;
  grid.first = BucketStart(start, width);
  uint64_t count = static_cast<uint64_t>((BucketStart(end - 1, width) - grid.first) / width) + 1;
  if (count > limits.max_windows) {
    return OverLimit(absl::StrCat("has ", count, " windows"), limits.max_windows, kMaxWindowsKey);
  }
  grid.count = static_cast<size_t>(count);
  return grid;
}

int64_t WindowGrid::ClippedLength(size_t i) const {
  return std::min(end, Start(i) + width) - std::max(start, Start(i));
}

double NumericValue(const PointValue& value) {
  switch (value.index()) {
    case 0:
      return std::get<double>(value);
    case 1:
      return static_cast<double>(std::get<int64_t>(value));
    case 2:
      return std::get<bool>(value) ? 1.0 : 0.0;
    default:
      return std::numeric_limits<double>::quiet_NaN();
  }
}

absl::Status ReadPoints(const SeriesSource& source, SeriesId id, int64_t from, int64_t to,
                        size_t max_points, ReadCounter* counter,
                        const std::function<void(const Point&)>& fn, size_t page) {
  const uint64_t limit = counter->limits->max_points_read;
  uint64_t taken = 0;
  while (from < to) {
    // One point past the budget is enough to know the query is over it.
    uint64_t n = std::min<uint64_t>(page, limit - std::min(limit, counter->points_read) + 1);
    if (max_points > 0) n = std::min<uint64_t>(n, max_points - taken);
    absl::StatusOr<std::vector<Point>> points = source.ReadRange(id, from, to, n);
    if (!points.ok()) return points.status();
    counter->points_read += points->size();
    if (counter->points_read > limit) {
      return OverLimit(absl::StrCat("reads ", counter->points_read, " raw points"), limit,
                       kMaxPointsReadKey);
    }
    for (const Point& p : *points) fn(p);
    taken += points->size();
    if (points->size() < n || (max_points > 0 && taken >= max_points)) break;
    from = points->back().time_ms + 1;
  }
  return absl::OkStatus();
}

absl::Status ReadSeriesWindows(const SeriesSource& source, const SeriesInfo& series,
                               const WindowGrid& grid, const WindowPlan& plan, ReadCounter* counter,
                               const std::function<void(size_t, SeriesWindow&)>& emit) {
  const bool text = series.kind == ValueKind::kText;
  Accumulator acc(grid, text, plan.keep_values, plan.increase, emit);
  if (plan.lookback_ms > 0 && !text) {
    // The last point before start, from rollups where they are complete:
    // the joint into the first window's first point is that window's.
    absl::StatusOr<WindowGrid> before = WindowGrid::Make(grid.start - plan.lookback_ms, grid.start,
                                                         plan.lookback_ms, QueryLimits{});
    if (!before.ok()) return before.status();
    RollupBucket last;
    std::function<void(size_t, SeriesWindow&)> keep_last = [&](size_t, SeriesWindow& w) {
      last = w.bucket;
    };
    Accumulator lookback(*before, false, false, false, keep_last);
    if (absl::Status s = ReadInto(source, series, *before, Resolution::k1m, counter, &lookback);
        !s.ok()) {
      return s;
    }
    lookback.Finish();
    acc.SetPrevious(last);
  }
  if (absl::Status s =
          ReadInto(source, series, grid, text ? std::nullopt : plan.rollup, counter, &acc);
      !s.ok()) {
    return s;
  }
  acc.Finish();
  return absl::OkStatus();
}

}  // namespace qilian::platform::tsdb
