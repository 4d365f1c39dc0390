// What the /api/stats routes serve from (docs/statistics.md): this node's
// recorder, the reports its children sent (on a parent), and the trigger
// that reports to this node's parent now (on a child). Any part may be
// missing; its routes then answer 501 (or 409 for report-now).
#ifndef QILIAN_API_STATS_ROUTES_H_
#define QILIAN_API_STATS_ROUTES_H_

#include <functional>

#include "absl/status/status.h"

namespace qilian::ident::stats {
class StatsRecorder;
class NodeReportStore;
}  // namespace qilian::ident::stats

namespace qilian::api {

struct StatsEndpoints {
  ident::stats::StatsRecorder* recorder = nullptr;
  ident::stats::NodeReportStore* reports = nullptr;
  // Sends this node's reports to its parent now (StatsService::ReportNow);
  // FailedPrecondition when no parent is configured.
  std::function<absl::Status()> report_now;
};

}  // namespace qilian::api

#endif  // QILIAN_API_STATS_ROUTES_H_
