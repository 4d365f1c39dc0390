// Which of an enterprise's series a request's `series` part selects; shared
// by the evaluator and the export so both read the same series.
#ifndef QILIAN_PLATFORM_TSDB_QUERY_SERIES_SELECT_H_
#define QILIAN_PLATFORM_TSDB_QUERY_SERIES_SELECT_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "platform/tsdb/query/query_limits.h"
#include "platform/tsdb/query/query_request.h"
#include "platform/tsdb/query/series_source.h"

namespace qilian::platform::tsdb {

// The series matching `selector`, by id; ResourceExhausted, before any
// point is read, when there are more than limits.max_series.
absl::StatusOr<std::vector<SeriesInfo>> SelectSeries(const SeriesSource& source,
                                                     uint64_t enterprise,
                                                     const SeriesSelector& selector,
                                                     const QueryLimits& limits);

// The value of label `key`, or empty when the series has none.
std::string_view LabelValue(const SeriesInfo& series, std::string_view key);

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_SERIES_SELECT_H_
