#include "platform/tsdb/engine/rollup.h"

#include <algorithm>
#include <cmath>

namespace qilian::platform::tsdb {
namespace {

double Increase(double previous, double current) {
  return current < previous ? current : current - previous;
}

// Trapezoid under the line from (t0, v0) to (t1, v1).
double Trapezoid(int64_t t0, double v0, int64_t t1, double v1) {
  return 0.5 * (v0 + v1) * static_cast<double>(t1 - t0);
}

}  // namespace

void AddPoint(RollupBucket* b, int64_t time_ms, double value) {
  if (std::isnan(value)) return;
  if (b->count == 0) {
    b->first_ms = time_ms;
    b->first = value;
  } else {
    b->area += Trapezoid(b->last_ms, b->last, time_ms, value);
    b->increase += Increase(b->last, value);
  }
  b->last_ms = time_ms;
  b->last = value;
  ++b->count;
  b->sum += value;
  b->min = std::min(b->min, value);
  b->max = std::max(b->max, value);
  double delta = value - b->mean;
  b->mean += delta / static_cast<double>(b->count);
  b->m2 += delta * (value - b->mean);
}

double JointArea(const RollupBucket& a, const RollupBucket& b) {
  return Trapezoid(a.last_ms, a.last, b.first_ms, b.first);
}

double JointIncrease(const RollupBucket& a, const RollupBucket& b) {
  return Increase(a.last, b.first);
}

void Append(RollupBucket* into, const RollupBucket& later) {
  if (later.count == 0) return;
  if (into->count == 0) {
    int64_t start = into->start_ms;
    *into = later;
    into->start_ms = start;
    return;
  }
  double na = static_cast<double>(into->count);
  double nb = static_cast<double>(later.count);
  double n = na + nb;
  double delta = later.mean - into->mean;
  into->m2 += later.m2 + delta * delta * na * nb / n;
  into->mean += delta * nb / n;
  into->area += JointArea(*into, later) + later.area;
  into->increase += JointIncrease(*into, later) + later.increase;
  into->count += later.count;
  into->sum += later.sum;
  into->min = std::min(into->min, later.min);
  into->max = std::max(into->max, later.max);
  into->last_ms = later.last_ms;
  into->last = later.last;
}

}  // namespace qilian::platform::tsdb
