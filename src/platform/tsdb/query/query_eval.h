// The telemetry query evaluator (docs/telemetry-query.md): selects the
// enterprise's series, reads them through a SeriesSource (rollups where
// they answer exactly, raw points otherwise) and builds the answer. Pure:
// no I/O but the source's reads.
#ifndef QILIAN_PLATFORM_TSDB_QUERY_QUERY_EVAL_H_
#define QILIAN_PLATFORM_TSDB_QUERY_QUERY_EVAL_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "platform/tsdb/query/query_answer.h"
#include "platform/tsdb/query/query_limits.h"
#include "platform/tsdb/query/query_request.h"
#include "platform/tsdb/query/series_source.h"

namespace qilian::platform::tsdb {

// Errors: ResourceExhausted over a limit (query_limits.h), InvalidArgument
// for an aggregate other than count/first/last on a text series (naming
// the series), and the source's errors as they are.
absl::StatusOr<QueryAnswer> EvaluateQuery(const SeriesSource& source, uint64_t enterprise,
                                          const QueryRequest& request,
                                          const QueryLimits& limits = {});

}  // namespace qilian::platform::tsdb

#endif  // QILIAN_PLATFORM_TSDB_QUERY_QUERY_EVAL_H_
