#include "ident/stats/stats_service.h"

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/rest_client.h"
#include "core/log.h"
#include "core/status.h"
#include "ident/stats/node_report.h"

namespace qilian::ident::stats {
namespace {

// A parent's error body can be long; the log and the caller get its start.
constexpr size_t kMaxQuotedBody = 200;

}  // namespace

StatsService::StatsService(StatsRecorder* recorder, StatsServiceOptions options)
    : recorder_(recorder), options_(std::move(options)) {}

StatsService::~StatsService() { Stop().IgnoreError(); }

void StatsService::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

absl::Status StatsService::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  return recorder_->Flush();
}

void StatsService::Run() {
  const auto flush_every = absl::ToChronoMilliseconds(options_.flush_interval);
  const auto report_every = absl::ToChronoMilliseconds(options_.report_interval);
  auto next_flush = std::chrono::steady_clock::now() + flush_every;
  auto next_report = std::chrono::steady_clock::now() + report_every;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto wake = reporting() ? std::min(next_flush, next_report) : next_flush;
    cv_.wait_until(lock, wake, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    auto now = std::chrono::steady_clock::now();
    if (now >= next_flush) {
      if (absl::Status s = recorder_->Flush(); !s.ok()) {
        LogError("stats.flush_failed", {{"error", std::string(s.message())}});
      }
      next_flush = now + flush_every;
    }
    if (reporting() && now >= next_report) {
      if (absl::Status s = ReportNow(); !s.ok()) {
        LogWarn("stats.report_failed",
                {{"parent", options_.parent_url}, {"error", std::string(s.message())}});
      }
      next_report = now + report_every;
    }
    lock.lock();
  }
}

absl::Status StatsService::SendOverHttp(std::string_view body) {
  QL_ASSIGN_OR_RETURN(cli::ServerUrl url, cli::ServerUrl::Parse(options_.parent_url));
  cli::RestClient client(std::move(url), absl::ToChronoMilliseconds(options_.request_timeout),
                         cli::TlsClientOptions{options_.parent_cacert});
  client.set_authorization(options_.authorization);
  QL_ASSIGN_OR_RETURN(cli::HttpReply reply, client.Send("POST", kReportsPath, body));
  if (reply.status != 200) {
    return absl::UnavailableError(
        absl::StrCat("parent ", options_.parent_url, " answered ", reply.status, ": ",
                     reply.body.substr(0, kMaxQuotedBody)));
  }
  return absl::OkStatus();
}

absl::Status StatsService::ReportNow() {
  if (!reporting()) {
    return absl::FailedPreconditionError("no parent is configured ([stats] parent_url)");
  }
  std::lock_guard lock(report_mu_);
  QL_RETURN_IF_ERROR(recorder_->Flush());
  const absl::CivilDay today = absl::ToCivilDay(recorder_->clock().Now(), absl::UTCTimeZone());
  for (absl::CivilDay day : {today - 1, today}) {
    QL_ASSIGN_OR_RETURN(NodeReport report, BuildNodeReport(*recorder_, options_.node_id, day));
    std::string body = NodeReportJson(report);
    absl::Status sent = sender_ ? sender_(body) : SendOverHttp(body);
    QL_RETURN_IF_ERROR(sent);
    LogInfo("stats.reported", {{"parent", options_.parent_url},
                               {"day", FormatDay(day)},
                               {"prefixes", absl::StrCat(report.prefixes.size())}});
  }
  return absl::OkStatus();
}

}  // namespace qilian::ident::stats
