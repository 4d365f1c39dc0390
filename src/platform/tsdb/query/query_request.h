// The telemetry query request (docs/telemetry-query.md): what series, over
// what range, raw points or windows with which aggregates, how empty windows
// are filled and how series are grouped. Parsed from the JSON body that
// qiliand's POST /api/telemetry/query and `qilian telemetry` share; every
// malformed field is refused with InvalidArgument "<field>: <reason>".
#ifndef QILIAN_PLATFORM_TSDB_QUERY_QUERY_REQUEST_H_
#define QILIAN_PLATFORM_TSDB_QUERY_QUERY_REQUEST_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/tsdb/engine/engine.h"

namespace qilian::platform::tsdb {

// Accepted times: 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z, so that
// no window arithmetic can overflow.
inline constexpr int64_t kMinQueryTimeMs = -62'167'219'200'000;
inline constexpr int64_t kMaxQueryTimeMs = 253'402'300'799'999;

// A request selects the series matching every given part (an absent part
// matches all): id in `ids`, device in `devices`, property in `properties`,
// and each `where` label equal.
struct SeriesSelector {
  std::vector<SeriesId> ids;
  std::vector<std::string> devices;
  std::vector<std::string> properties;
  LabelSet where;  // sorted by key
};

enum class AggregateKind {
  kAvg,
  kMin,
  kMax,
  kSum,
  kCount,
  kFirst,
  kLast,
  kStddev,  // population standard deviation
  kPercentile,
  kTwa,  // time-weighted average, linear interpolation
  kIncrease,
  kRate,  // increase per second of the window
};

struct Aggregate {
  AggregateKind kind = AggregateKind::kAvg;
  double quantile = 0;  // kPercentile only: 0..100
  std::string name;     // the answer's column, as the request spelled it
};

enum class FillKind { kNone, kNull, kPrevious, kLinear, kNumber };

struct Fill {
  FillKind kind = FillKind::kNone;
  double number = 0;  // kNumber only
};

// A group_by key: "device", "property", "product" (the label `product`) or
// "tag:<key>" (any label).
struct GroupKey {
  enum Kind { kDevice, kProperty, kLabel } kind = kDevice;
  std::string label;  // kLabel only
  std::string name;   // as the request spelled it: the answer's group key
};

struct QueryRequest {
  SeriesSelector series;
  int64_t start_ms = 0;  // inclusive
  int64_t end_ms = 0;    // exclusive
  // Absent: raw points. Present: windows aligned to the epoch (floor).
  std::optional<int64_t> window_ms;
  std::vector<Aggregate> aggregates;  // non-empty iff window_ms
  Fill fill;
  std::vector<GroupKey> group_by;  // empty: one answer per series
  size_t limit = 0;                // rows per answer series; 0: no limit
  bool latest = false;             // the newest point per series instead
};

// Parses a request body. `now_ms` is the default end. Refuses, with
// InvalidArgument naming the field: JSON that is not an object, unknown
// keys, wrong types, unknown aggregates or fills, a window that is not a
// positive whole number of milliseconds, start >= end, times out of range,
// and combinations that mean nothing (aggregates without a window, group_by
// or fill on raw points, latest with a window).
absl::StatusOr<QueryRequest> ParseQueryRequest(std::string_view body, int64_t now_ms);

// "1m", "15m", "1.5s", "250ms", "1d": a decimal number and one of ms, s, m,
// h, d, exactly a positive whole number of milliseconds. `field` names the
// field in errors.
absl::StatusOr<int64_t> ParseDuration(std::string_view text, std::string_view field);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_QUERY_REQUEST_H_
