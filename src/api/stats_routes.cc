// /api/stats (per-prefix series), /api/stats/summary (totals per prefix),
// and the parent/child reporting routes /api/stats/reports,
// /api/stats/nodes and /api/stats/report-now (docs/statistics.md).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "api/stats_routes.h"
#include "ident/response_code.h"
#include "ident/stats/node_report.h"
#include "ident/stats/stats_recorder.h"
#include "tenant/enterprise_registry.h"
#include "tenant/field_error.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;
using nlohmann::json;
namespace stats = ident::stats;

namespace {

constexpr int64_t kMaxDays = 366;
constexpr int64_t kMaxHourDays = 31;
constexpr int64_t kDefaultDays = 7;
constexpr uint64_t kDefaultSummaryLimit = 20;
constexpr uint64_t kMaxSummaryLimit = 1000;

net::HttpResponse StatsError(Call* call, const absl::Status& status, int http_status = 0) {
  return ErrorResponse(call, status, "", http_status);
}

net::HttpResponse NotEnabled(Call* call, std::string_view what) {
  call->SetReason("not_enabled");
  return StatsError(call,
                    HandleError(ResponseCode::kOperationNotSupported,
                                absl::StrCat(std::string(what), " not enabled on this node")),
                    501);
}



absl::StatusOr<absl::CivilDay> DayParam(Call* call, const std::map<std::string, std::string>& q,
                                        const std::string& name, absl::CivilDay fallback) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  absl::CivilDay day;
  if (!stats::ParseDay(it->second, &day)) {
    return BadParam(call, absl::StrCat(name, " must be a date YYYY-MM-DD"));
  }
  return day;
}

const Clock& ClockOf(const ApiContext& ctx) {
  if (ctx.stats != nullptr && ctx.stats->recorder != nullptr) return ctx.stats->recorder->clock();
  return Clock::Real();
}

absl::CivilDay Today(const ApiContext& ctx) {
  return absl::ToCivilDay(ClockOf(ctx).Now(), absl::UTCTimeZone());
}

json DoorsJson(const std::array<uint64_t, stats::kDoors>& r) {
  json out = json::object();
  uint64_t total = 0;
  for (size_t d = 0; d < stats::kDoors; ++d) {
    out[std::string(stats::DoorName(static_cast<stats::Door>(d)))] = r[d];
    total += r[d];
  }
  out["total"] = total;
  return out;
}

json CountsJson(const stats::Counts& c) {
  return {{"resolutions", DoorsJson(c.resolutions)}, {"created", c.created},
          {"deleted", c.deleted}};
}

std::string Upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// The enterprise that was allocated `prefix`, if this node allocates them.
std::optional<tenant::Enterprise> EnterpriseOf(const ApiContext& ctx, std::string_view prefix) {
  if (ctx.enterprises == nullptr) return std::nullopt;
  std::string parent = Upper(ctx.enterprises->options().parent_prefix) + ".";
  if (prefix.size() <= parent.size() || prefix.substr(0, parent.size()) != parent) {
    return std::nullopt;
  }
  uint64_t id = 0;
  std::string rest(prefix.substr(parent.size()));
  if (rest.empty() || rest[0] == '0' || !absl::SimpleAtoi(rest, &id)) return std::nullopt;
  auto e = ctx.enterprises->Get(id);
  if (!e.ok()) return std::nullopt;
  return *std::move(e);
}

}  // namespace

net::HttpResponse GetStats(const ApiContext& ctx, Call* call) {
  if (ctx.stats == nullptr || ctx.stats->recorder == nullptr) {
    return NotEnabled(call, "statistics are");
  }
  auto q = Params(call, {"prefix", "from", "to", "granularity"});
  if (!q.ok()) return StatsError(call, q.status());
  auto prefix = q->find("prefix");
  if (prefix == q->end() || prefix->second.empty()) {
    return StatsError(call, BadParam(call, "prefix is required"));
  }
  if (prefix->second.find('/') != std::string::npos) {
    return StatsError(call, BadParam(call, "prefix must not contain '/'"));
  }
  stats::Granularity granularity = stats::Granularity::kDay;
  if (auto g = q->find("granularity"); g != q->end()) {
    if (g->second == "hour") {
      granularity = stats::Granularity::kHour;
    } else if (g->second != "day") {
      return StatsError(call, BadParam(call, "granularity must be 'day' or 'hour'"));
    }
  }
  const bool hourly = granularity == stats::Granularity::kHour;
  auto to = DayParam(call, *q, "to", Today(ctx));
  if (!to.ok()) return StatsError(call, to.status());
  auto from = DayParam(call, *q, "from", hourly ? *to : *to - (kDefaultDays - 1));
  if (!from.ok()) return StatsError(call, from.status());
  if (*from > *to) return StatsError(call, BadParam(call, "from is after to"));
  const int64_t max_days = hourly ? kMaxHourDays : kMaxDays;
  if (*to - *from + 1 > max_days) {
    return StatsError(call, BadParam(call, absl::StrCat("a range of at most ", max_days,
                                                        " days is served with granularity=",
                                                        hourly ? "hour" : "day")));
  }
  auto series = ctx.stats->recorder->Series(prefix->second, *from, *to, granularity);
  if (!series.ok()) return StatsError(call, HandleError(ResponseCode::kError,
                                                        std::string(series.status().message())));
  json buckets = json::array();
  stats::Counts sum;
  for (const stats::SeriesPoint& p : *series) {
    json b = CountsJson(p.counts);
    b["bucket"] = p.bucket;
    buckets.push_back(std::move(b));
    sum.Add(p.counts);
  }
  json body = {{"responseCode", 1},
               {"prefix", Upper(prefix->second)},
               {"from", stats::FormatDay(*from)},
               {"to", stats::FormatDay(*to)},
               {"granularity", hourly ? "hour" : "day"},
               {"buckets", std::move(buckets)},
               {"total", CountsJson(sum)}};
  if (auto e = EnterpriseOf(ctx, Upper(prefix->second))) {
    body["enterprise"] = {{"id", e->id}, {"name", e->name}};
  }
  return JsonResponse(200, body);
}

net::HttpResponse GetStatsSummary(const ApiContext& ctx, Call* call) {
  if (ctx.stats == nullptr || ctx.stats->recorder == nullptr) {
    return NotEnabled(call, "statistics are");
  }
  auto q = Params(call, {"limit"});
  if (!q.ok()) return StatsError(call, q.status());
  uint64_t limit = kDefaultSummaryLimit;
  if (auto l = q->find("limit"); l != q->end()) {
    if (!absl::SimpleAtoi(l->second, &limit) || limit < 1 || limit > kMaxSummaryLimit ||
        l->second.find_first_not_of("0123456789") != std::string::npos) {
      return StatsError(call, BadParam(call, absl::StrCat("limit must be an integer from 1 to ",
                                                          kMaxSummaryLimit)));
    }
  }
  auto totals = ctx.stats->recorder->Totals();
  if (!totals.ok()) return StatsError(call, HandleError(ResponseCode::kError,
                                                        std::string(totals.status().message())));
  json prefixes = json::array();
  int64_t registered = 0;
  stats::Counts sum;
  for (size_t i = 0; i < totals->size(); ++i) {
    const stats::PrefixTotals& t = (*totals)[i];
    registered += t.registered;
    sum.Add(t.counts);
    if (i >= limit) continue;
    json p = CountsJson(t.counts);
    p["prefix"] = t.prefix;
    p["registered"] = t.registered;
    if (auto e = EnterpriseOf(ctx, t.prefix)) p["enterprise"] = {{"id", e->id}, {"name", e->name}};
    prefixes.push_back(std::move(p));
  }
  json total = CountsJson(sum);
  total["registered"] = registered;
  total["prefixes"] = totals->size();
  return JsonResponse(200, {{"responseCode", 1},
                            {"limit", limit},
                            {"prefixes", std::move(prefixes)},
                            {"total", std::move(total)},
                            {"folded", ctx.stats->recorder->folded()}});
}

net::HttpResponse PostStatsReport(const ApiContext& ctx, Call* call) {
  if (ctx.stats == nullptr || ctx.stats->reports == nullptr) {
    return NotEnabled(call, "receiving statistics reports is");
  }
  // A child node reports with an identity of its own on this node: an
  // operator, or a node identity (one that belongs to no enterprise).
  if (call->caller.anonymous()) {
    return StatsError(call, HandleError(ResponseCode::kAuthenticationNeeded,
                                        "authentication required"));
  }
  if (call->caller.principal.has_value() &&
      call->caller.principal->role != ident::Role::kOperator) {
    return StatsError(call, HandleError(ResponseCode::kInsufficientPermissions,
                                        absl::StrCat(call->caller.actor,
                                                     " may not report statistics for a node")));
  }
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return StatsError(call, s);
  auto report = stats::ParseNodeReport(call->request->body);
  if (!report.ok()) {
    if (ident::ResponseCodeOf(report.status()) == ResponseCode::kProtocolError) {
      call->SetReason("malformed_json");
    }
    return StatsError(call, report.status());
  }
  if (absl::Status s = ctx.stats->reports->Put(*report, ClockOf(ctx).Now()); !s.ok()) {
    return StatsError(call, HandleError(ResponseCode::kError, std::string(s.message())));
  }
  return JsonResponse(200, {{"responseCode", 1},
                            {"node", report->node},
                            {"day", stats::FormatDay(report->day)},
                            {"prefixes", report->prefixes.size()}});
}

net::HttpResponse GetStatsNodes(const ApiContext& ctx, Call* call) {
  if (ctx.stats == nullptr || ctx.stats->reports == nullptr) {
    return NotEnabled(call, "receiving statistics reports is");
  }
  auto q = Params(call, {"day"});
  if (!q.ok()) return StatsError(call, q.status());
  auto day = DayParam(call, *q, "day", Today(ctx));
  if (!day.ok()) return StatsError(call, day.status());
  auto listed = ctx.stats->reports->List(*day);
  if (!listed.ok()) return StatsError(call, HandleError(ResponseCode::kError,
                                                        std::string(listed.status().message())));
  json nodes = json::array();
  int64_t all_registered = 0;
  uint64_t all_created = 0;
  std::array<uint64_t, stats::kDoors> all_res{};
  for (const stats::StoredReport& s : *listed) {
    int64_t registered = 0;
    uint64_t created = 0;
    std::array<uint64_t, stats::kDoors> res{};
    json prefixes = json::array();
    for (const stats::PrefixReport& p : s.report.prefixes) {
      registered += p.registered;
      created += p.created;
      for (size_t d = 0; d < stats::kDoors; ++d) res[d] += p.resolutions[d];
      prefixes.push_back({{"prefix", p.prefix},
                          {"registered", p.registered},
                          {"created", p.created},
                          {"resolutions", DoorsJson(p.resolutions)}});
    }
    all_registered += registered;
    all_created += created;
    for (size_t d = 0; d < stats::kDoors; ++d) all_res[d] += res[d];
    nodes.push_back(
        {{"node", s.report.node},
         {"receivedAt", absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", s.received_at, absl::UTCTimeZone())},
         {"registered", registered},
         {"created", created},
         {"resolutions", DoorsJson(res)},
         {"prefixes", std::move(prefixes)}});
  }
  return JsonResponse(200, {{"responseCode", 1},
                            {"day", stats::FormatDay(*day)},
                            {"nodes", std::move(nodes)},
                            {"total",
                             {{"nodes", listed->size()},
                              {"registered", all_registered},
                              {"created", all_created},
                              {"resolutions", DoorsJson(all_res)}}}});
}

net::HttpResponse PostStatsReportNow(const ApiContext& ctx, Call* call) {
  if (absl::Status s = RequireOperator(*call); !s.ok()) return StatsError(call, s);
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return StatsError(call, s);
  absl::Status sent = absl::FailedPreconditionError("no parent is configured ([stats] parent_url)");
  if (ctx.stats != nullptr && ctx.stats->report_now) sent = ctx.stats->report_now();
  if (absl::IsFailedPrecondition(sent)) {
    call->SetReason("no_parent");
    return StatsError(call,
                      HandleError(ResponseCode::kOperationNotSupported, std::string(sent.message())),
                      409);
  }
  if (!sent.ok()) {
    call->SetReason("parent_failed");
    return StatsError(call, HandleError(ResponseCode::kError, std::string(sent.message())), 502);
  }
  return JsonResponse(200, {{"responseCode", 1}});
}

}  // namespace qilian::api
