// The background side of the statistics: a thread that flushes the
// recorder's counters into the store every few seconds (and once more at
// shutdown), and, when a parent is configured, reports this node's daily
// figures to it (node_report.h) every report interval.
//
// A report cycle sends two reports, yesterday's (now final) and today's so
// far; the parent keeps one per (node, day), so resending is harmless and a
// day's tail is never lost to the interval.
#ifndef QILIAN_IDENT_STATS_STATS_SERVICE_H_
#define QILIAN_IDENT_STATS_STATS_SERVICE_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "ident/stats/stats_recorder.h"

namespace qilian::ident::stats {

// The path reports are POSTed to on the parent.
inline constexpr std::string_view kReportsPath = "/api/stats/reports";

// Sends one report body; OK only when the parent accepted it.
using ReportSender = std::function<absl::Status(std::string_view json_body)>;

struct StatsServiceOptions {
  absl::Duration flush_interval = absl::Seconds(10);
  // "http://host:port" of the parent node; empty: no reporting.
  std::string parent_url;
  absl::Duration report_interval = absl::Hours(24);
  // How this node names itself to the parent.
  std::string node_id;
  absl::Duration request_timeout = absl::Seconds(10);
  // A CA bundle that verifies an https:// parent; empty: the system store.
  std::string parent_cacert;
  // The Authorization header value reports are sent with (the parent
  // refuses anonymous reports); empty: none.
  std::string authorization;
};

class StatsService {
 public:
  // `recorder` must outlive this object.
  StatsService(StatsRecorder* recorder, StatsServiceOptions options);
  // Stops the thread (with a last flush) if it is running.
  ~StatsService();
  StatsService(const StatsService&) = delete;
  StatsService& operator=(const StatsService&) = delete;

  // Replaces the HTTP sender (tests). Call before Start.
  void SetSenderForTest(ReportSender sender) { sender_ = std::move(sender); }

  void Start();
  // Stops the thread and flushes what is left. Idempotent.
  absl::Status Stop();

  // Flushes, then sends yesterday's and today's reports. FailedPrecondition
  // "no parent is configured ([stats] parent_url)" when there is none.
  absl::Status ReportNow();

  bool reporting() const { return !options_.parent_url.empty() || sender_ != nullptr; }

 private:
  void Run();
  absl::Status SendOverHttp(std::string_view body);

  StatsRecorder* recorder_;
  StatsServiceOptions options_;
  ReportSender sender_;
  std::mutex report_mu_;  // one report cycle at a time

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace qilian::ident::stats

#endif  // QILIAN_IDENT_STATS_STATS_SERVICE_H_
