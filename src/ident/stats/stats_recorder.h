// The statistics the plan measures (issue 4): per prefix (an enterprise is
// an allocated prefix), identifiers registered and resolutions answered,
// per hour and per day, by front door (http, udp, tcp).
//
// The request path only bumps in-memory counters: one short critical
// section on a shard picked by thread, so concurrent front doors rarely
// meet. Flush (called every few seconds by StatsService and at shutdown)
// folds the counters into the KvStore space "stats" as additive records:
// one key per (prefix, hour) and a running total per prefix, each a
// read-modify-write under one flush lock, all in one atomic batch. Queries
// read the store and add what is still in memory, so an answer never lags
// the requests it counts.
//
// Memory is bounded: at most `max_prefixes` distinct prefixes are held
// between two flushes; requests for further prefixes are counted under the
// prefix "other" (and in qilian_stats_folded_total).
//
// Days and hours are UTC. Key layout of space "stats" (docs/statistics.md):
//   "h/" + prefix + "/" + "YYYY-MM-DDTHH" -> 5 x u64 BE: resolutions over
//                                           http, udp, tcp; created; deleted
//   "p/" + prefix                         -> i64 BE registered, then 5 x u64
//                                           BE: created, deleted, http, udp,
//                                           tcp (all time)
//   "n/" + "YYYY-MM-DD" + "/" + node      -> a child's report (node_report.h)
#ifndef QILIAN_IDENT_STATS_STATS_RECORDER_H_
#define QILIAN_IDENT_STATS_STATS_RECORDER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "store/kv_store.h"

namespace qilian::ident {
struct Request;
struct Response;
}  // namespace qilian::ident

namespace qilian::ident::stats {

inline constexpr std::string_view kSpace = "stats";
// Where requests for prefixes past the in-memory cap are counted.
inline constexpr std::string_view kOtherPrefix = "other";

// The front doors, in the order of ident::Transport.
enum class Door : uint8_t { kHttp = 0, kUdp = 1, kTcp = 2 };
inline constexpr size_t kDoors = 3;
std::string_view DoorName(Door door);

// Counts of one bucket (an hour, a day, or all time).
struct Counts {
  std::array<uint64_t, kDoors> resolutions{};
  uint64_t created = 0;
  uint64_t deleted = 0;

  uint64_t total_resolutions() const {
    return resolutions[0] + resolutions[1] + resolutions[2];
  }
  void Add(const Counts& other);
  bool operator==(const Counts&) const = default;
};

enum class Granularity { kDay, kHour };

struct SeriesPoint {
  std::string bucket;  // "2026-11-28" or "2026-11-28T14"
  Counts counts;
};

struct PrefixTotals {
  std::string prefix;
  int64_t registered = 0;  // created minus deleted, since statistics began
  Counts counts;           // all time
};

struct StatsOptions {
  // Distinct prefixes held in memory between two flushes.
  size_t max_prefixes = 10000;
  // Counter shards; a thread always uses the same one.
  size_t shards = 16;
};

class StatsRecorder {
 public:
  // `store` must declare kSpace; `store`, `clock` and `metrics` (may be
  // null) must outlive this object.
  StatsRecorder(store::KvStore* store, const Clock& clock, MetricsRegistry* metrics,
                StatsOptions options = {});
  ~StatsRecorder();
  StatsRecorder(const StatsRecorder&) = delete;
  StatsRecorder& operator=(const StatsRecorder&) = delete;

  // The processor's hook, called once per request with its answer.
  // Counts a resolution answered authoritatively (codes 1, 100, 200), a
  // create that created a handle, and a successful delete; nothing else.
  void Observe(const Request& request, const Response& response);

  void RecordResolution(std::string_view prefix, Door door);
  void RecordCreated(std::string_view prefix);
  void RecordDeleted(std::string_view prefix);

  // Moves the in-memory counters into the store. On a storage failure the
  // counters are kept for the next flush and the error is returned.
  absl::Status Flush();

  // Per-bucket counts of `prefix` for the UTC days from..to (inclusive),
  // every bucket present (zeros included), oldest first.
  absl::StatusOr<std::vector<SeriesPoint>> Series(std::string_view prefix, absl::CivilDay from,
                                                  absl::CivilDay to,
                                                  Granularity granularity) const;

  // One UTC day of `prefix`.
  absl::StatusOr<Counts> Day(std::string_view prefix, absl::CivilDay day) const;

  // All-time totals of every prefix, most registered first (then most
  // resolutions, then by name); at most `limit` (0: all).
  absl::StatusOr<std::vector<PrefixTotals>> Totals(size_t limit = 0) const;

  // Identifiers `prefix` holds (created minus deleted since statistics
  // began, counts not yet flushed included): the count write quotas cap
  // (IDIS 605).
  absl::StatusOr<int64_t> Registered(std::string_view prefix) const;

  // Requests counted under kOtherPrefix because of the prefix cap.
  uint64_t folded() const;

  const Clock& clock() const { return clock_; }

 private:
  struct Impl;
  const Clock& clock_;
  std::unique_ptr<Impl> impl_;
};

// "2026-11-28T14" for the hour holding `t` (UTC).
std::string HourBucket(absl::Time t);
// Parses "YYYY-MM-DD" strictly (a real date, four-digit year).
bool ParseDay(std::string_view text, absl::CivilDay* day);
std::string FormatDay(absl::CivilDay day);

}  // namespace qilian::ident::stats

#endif  // QILIAN_IDENT_STATS_STATS_RECORDER_H_
