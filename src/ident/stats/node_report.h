// Daily statistics a secondary node reports to its parent (issue 4: "A
// secondary node reports its daily statistics to its parent ...; the
// top-level aggregates per node").
//
// The report is JSON (docs/statistics.md):
//   {"node":"88.999","day":"2026-11-28",
//    "prefixes":[{"prefix":"88.999.1","registered":10,"created":3,
//                 "resolutions":{"http":5,"udp":7,"tcp":0}}]}
// ParseNodeReport validates it strictly and names the field at fault
// (tenant/field_error.h: code 202, "prefixes[0].created: must be a
// non-negative integer"). The parent keeps one report per (node, day) in
// space "stats" under "n/<day>/<node>": a report sent again replaces the
// earlier one, so a child may resend as often as it likes.
#ifndef QILIAN_IDENT_STATS_NODE_REPORT_H_
#define QILIAN_IDENT_STATS_NODE_REPORT_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "ident/stats/stats_recorder.h"
#include "store/kv_store.h"

namespace qilian::ident::stats {

inline constexpr size_t kMaxReportPrefixes = 10000;
inline constexpr size_t kMaxNodeIdBytes = 128;

struct PrefixReport {
  std::string prefix;
  int64_t registered = 0;
  uint64_t created = 0;
  std::array<uint64_t, kDoors> resolutions{};
  bool operator==(const PrefixReport&) const = default;
};

struct NodeReport {
  std::string node;
  absl::CivilDay day;
  std::vector<PrefixReport> prefixes;
  bool operator==(const NodeReport&) const = default;
};

// Strict: every field required, no unknown fields, counts non-negative
// (registered may be negative: deletes of identifiers older than the
// statistics), prefixes unique. Errors are FieldErrors (code 202), or code
// 4 "request body is not valid JSON" / "request body must be a JSON object".
absl::StatusOr<NodeReport> ParseNodeReport(std::string_view json_text);

// The report as JSON text, in the form ParseNodeReport reads.
std::string NodeReportJson(const NodeReport& report);

// This node's report for `day`: every prefix with a registered total or
// activity that day (at most kMaxReportPrefixes, most registered first).
// `registered` is the total at the end of `day` when `day` is today or
// yesterday (later days' creates and deletes taken off), else the current
// total.
absl::StatusOr<NodeReport> BuildNodeReport(const StatsRecorder& recorder, std::string_view node,
                                           absl::CivilDay day);

struct StoredReport {
  NodeReport report;
  absl::Time received_at;
};

// The parent's side: reports received, per (node, day).
class NodeReportStore {
 public:
  // `store` must declare kSpace and outlive this object.
  explicit NodeReportStore(store::KvStore* store) : store_(store) {}

  // Stores `report`, replacing any earlier one of the same node and day.
  absl::Status Put(const NodeReport& report, absl::Time received_at);

  // The reports of `day`, by node id.
  absl::StatusOr<std::vector<StoredReport>> List(absl::CivilDay day) const;

 private:
  store::KvStore* store_;
};

}  // namespace qilian::ident::stats

#endif  // QILIAN_IDENT_STATS_NODE_REPORT_H_
