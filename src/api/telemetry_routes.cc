// Device telemetry over REST (docs/tsdb.md, docs/telemetry-query.md,
// docs/line-protocol.md): InfluxDB's write endpoints, the query and export
// routes, the series list and each enterprise's retention.
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "api/route_handlers.h"
#include "api/tenant_scope.h"
#include "ident/response_code.h"
#include "platform/telemetry/telemetry_service.h"
#include "platform/tsdb/line_protocol/body.h"
#include "platform/tsdb/line_protocol/write_request.h"
#include "platform/tsdb/query/export_request.h"
#include "platform/tsdb/query/export_writer.h"
#include "platform/tsdb/query/query_answer.h"
#include "platform/tsdb/query/series_select.h"
#include "platform/tsdb/query/query_eval.h"
#include "platform/tsdb/query/query_request.h"

namespace qilian::api {
namespace {

using ident::HandleError;
using ident::ResponseCode;
using nlohmann::json;
namespace lp = platform::lp;

inline constexpr ScopeNouns kTelemetryNouns{"telemetry", "telemetry"};
constexpr size_t kMaxRetentionBodyBytes = 64 * 1024;
constexpr size_t kMaxQueryBodyBytes = 1024 * 1024;
// A query over a limit: 422 (the request is understood and refused as it
// stands, as Prometheus answers "too many samples"), reason over_limit.
constexpr int kOverLimitStatus = 422;

// The answer to a failed query or export: 400 for a bad request, 422 over
// a limit, the store's error as it is.
net::HttpResponse QueryError(Call* call, const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      call->SetReason("bad_query");
      return ErrorResponse(call, status, "", 400);
    case absl::StatusCode::kResourceExhausted:
      call->SetReason("over_limit");
      return ErrorResponse(call, status, "", kOverLimitStatus);
    default:
      return ErrorResponse(call, status, "");
  }
}

// The enterprise a read acts on (?enterprise= for operators and auditors).
absl::StatusOr<uint64_t> ReadScope(const ApiContext& ctx, Call* call,
                                   std::initializer_list<std::string_view> known,
                                   std::map<std::string, std::string>* params) {
  auto parsed = Params(call, known);
  if (!parsed.ok()) return parsed.status();
  auto enterprise = TargetEnterprise(ctx, call, NamedEnterprise(*parsed), Access::kRead,
                                     /*must_name=*/true, kTelemetryNouns);
  if (!enterprise.ok()) return enterprise.status();
  if (params != nullptr) *params = *std::move(parsed);
  return **enterprise;
}

absl::Status CheckQueryBodySize(const Call& call) {
  if (call.request->body.size() <= kMaxQueryBodyBytes) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("request body is longer than ", kMaxQueryBodyBytes, " bytes"));
}

std::string_view KindName(platform::tsdb::ValueKind kind) {
  switch (kind) {
    case platform::tsdb::ValueKind::kFloat:
      return "float";
    case platform::tsdb::ValueKind::kInt:
      return "int";
    case platform::tsdb::ValueKind::kBool:
      return "bool";
    case platform::tsdb::ValueKind::kText:
      return "text";
  }
  return "unknown";
}

net::HttpResponse NotEnabled(Call* call) {
  call->SetReason("not_enabled");
  return ErrorResponse(call,
                       HandleError(ResponseCode::kOperationNotSupported,
                                   "telemetry is not enabled on this node"),
                       "", 501);
}

net::HttpResponse InfluxResponse(Call* call, const lp::WriteReply& reply) {
  net::HttpResponse r;
  r.status = reply.http_status;
  r.body = reply.body;
  if (r.body.empty()) r.content_type = "text/plain; charset=utf-8";  // 204: no JSON to announce
  if (reply.http_status >= 400) call->SetReason("bad_line_protocol");
  return r;
}

// ?enterprise= of a raw query that may hold anything else (InfluxDB's
// parameters are the write request's business).
absl::StatusOr<std::optional<std::string>> EnterpriseParam(Call* call) {
  std::optional<std::string> named;
  for (absl::string_view piece :
       absl::StrSplit(absl::string_view(call->query.data(), call->query.size()), '&')) {
    std::string_view pair(piece.data(), piece.size());
    if (!pair.starts_with("enterprise=")) continue;
    if (named.has_value()) return BadParam(call, "query parameter 'enterprise' is repeated");
    named = std::string(pair.substr(std::string_view("enterprise=").size()));
  }
  return named;
}

}  // namespace

net::HttpResponse WriteLineProtocol(const ApiContext& ctx, Call* call) {
  if (ctx.telemetry == nullptr) return NotEnabled(call);
  const net::HttpRequest& request = *call->request;
  std::vector<lp::Header> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) headers.emplace_back(name, value);
  absl::StatusOr<lp::WriteRequest> write =
      lp::ParseWriteRequest(request.method, call->path, call->query, headers);
  if (!write.ok()) return InfluxResponse(call, lp::RefusalReply(write.status()));
  absl::StatusOr<std::optional<std::string>> named = EnterpriseParam(call);
  if (!named.ok()) return ErrorResponse(call, named.status(), "");
  absl::StatusOr<std::optional<uint64_t>> enterprise =
      TargetEnterprise(ctx, call, *named, Access::kWrite, /*must_name=*/true, kTelemetryNouns);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  std::string inflated;
  absl::StatusOr<std::string_view> body =
      lp::DecodeBody(request.body, write->encoding, ctx.telemetry_max_body_bytes, &inflated);
  if (!body.ok()) return InfluxResponse(call, lp::RefusalReply(body.status()));
  lp::ParseOptions options;
  options.precision = write->precision;
  options.now_ms = absl::ToUnixMillis(absl::Now());
  absl::StatusOr<platform::telemetry::LineWriteOutcome> outcome =
      ctx.telemetry->WriteLines(**enterprise, *body, options);
  if (!outcome.ok()) {
    call->SetReason("store_failed");
    return InfluxResponse(call, lp::RefusalReply(outcome.status()));
  }
  return InfluxResponse(call, lp::ParseReply(outcome->lines, outcome->errors, outcome->truncated));
}

net::HttpResponse QueryTelemetry(const ApiContext& ctx, Call* call) {
  if (ctx.telemetry == nullptr) return NotEnabled(call);
  absl::StatusOr<uint64_t> enterprise = ReadScope(ctx, call, {"enterprise"}, nullptr);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  if (absl::Status s = CheckQueryBodySize(*call); !s.ok()) return QueryError(call, s);
  absl::StatusOr<platform::tsdb::QueryRequest> request = platform::tsdb::ParseQueryRequest(
      call->request->body, absl::ToUnixMillis(absl::Now()));
  if (!request.ok()) return QueryError(call, request.status());
  absl::StatusOr<platform::tsdb::QueryAnswer> answer = platform::tsdb::EvaluateQuery(
      ctx.telemetry->source(), *enterprise, *request, ctx.telemetry->options().query);
  if (!answer.ok()) return QueryError(call, answer.status());
  net::HttpResponse r;
  r.body = platform::tsdb::QueryAnswerJson(*answer);
  return r;
}

// One page of an export: HTTP answers are whole bodies, so an export of
// any size is a sequence of requests, each naming the cursor the previous
// answer gave (X-Qilian-Export-Cursor). Memory stays bounded by the page
// and a broken download resumes where it stopped.
net::HttpResponse ExportTelemetry(const ApiContext& ctx, Call* call) {
  if (ctx.telemetry == nullptr) return NotEnabled(call);
  absl::StatusOr<uint64_t> enterprise = ReadScope(ctx, call, {"enterprise"}, nullptr);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  if (absl::Status s = CheckQueryBodySize(*call); !s.ok()) return QueryError(call, s);
  absl::StatusOr<platform::tsdb::ExportRequest> request = platform::tsdb::ParseExportRequest(
      call->request->body, absl::ToUnixMillis(absl::Now()));
  if (!request.ok()) return QueryError(call, request.status());
  const platform::tsdb::SeriesSource& source = ctx.telemetry->source();
  absl::StatusOr<std::vector<platform::tsdb::SeriesInfo>> series = platform::tsdb::SelectSeries(
      source, *enterprise, request->series, ctx.telemetry->options().query);
  if (!series.ok()) return QueryError(call, series.status());
  platform::tsdb::ExportOptions options;
  options.format = request->format;
  options.max_points = request->page_points;
  options.header = !request->cursor.has_value();
  net::HttpResponse r;
  platform::tsdb::ExportProgress progress;
  absl::StatusOr<std::optional<platform::tsdb::ExportCursor>> next = platform::tsdb::ExportPage(
      source, *series, request->start_ms, request->end_ms, options, request->cursor,
      [&r](std::string_view chunk) {
        r.body.append(chunk);
        return true;
      },
      [&progress](const platform::tsdb::ExportProgress& p) { progress = p; });
  if (!next.ok()) return QueryError(call, next.status());
  r.content_type = std::string(platform::tsdb::ExportContentType(request->format));
  if (next->has_value()) {
    r.headers.emplace_back("X-Qilian-Export-Cursor", platform::tsdb::FormatExportCursor(**next));
  }
  r.headers.emplace_back("X-Qilian-Export-Points", absl::StrCat(progress.points_written));
  r.headers.emplace_back("X-Qilian-Export-Series",
                         absl::StrCat(progress.series_done, "/", progress.series_total));
  return r;
}

net::HttpResponse ListTelemetrySeries(const ApiContext& ctx, Call* call) {
  if (ctx.telemetry == nullptr) return NotEnabled(call);
  std::map<std::string, std::string> params;
  absl::StatusOr<uint64_t> enterprise = ReadScope(ctx, call, {"enterprise", "device"}, &params);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  std::optional<std::string_view> device;
  if (auto it = params.find("device"); it != params.end()) device = it->second;
  std::vector<platform::tsdb::SeriesInfo> series =
      ctx.telemetry->engine().ListSeries(*enterprise, device);
  const size_t limit = ctx.telemetry->options().query.max_rows;
  json list = json::array();
  for (size_t i = 0; i < series.size() && i < limit; ++i) {
    const platform::tsdb::SeriesInfo& s = series[i];
    json labels = json::object();
    for (const platform::tsdb::Label& l : s.labels) labels[l.key] = l.value;
    list.push_back({{"id", s.id},
                    {"device", s.device},
                    {"property", s.property},
                    {"kind", KindName(s.kind)},
                    {"labels", std::move(labels)}});
  }
  return JsonResponse(200, {{"enterprise", *enterprise},
                            {"total", series.size()},
                            {"truncated", series.size() > limit},
                            {"series", std::move(list)}});
}

net::HttpResponse GetTelemetryRetention(const ApiContext& ctx, Call* call) {
  if (ctx.telemetry == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise = TargetEnterprise(ctx, call, NamedEnterprise(*params), Access::kRead,
                                     /*must_name=*/true, kTelemetryNouns);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  platform::telemetry::RetentionPolicies& policies = ctx.telemetry->retention();
  json out = platform::telemetry::RetentionJson(policies.Get(**enterprise));
  out["enterprise"] = **enterprise;
  out["node_default_days"] = policies.default_days();
  return JsonResponse(200, out);
}

net::HttpResponse PutTelemetryRetention(const ApiContext& ctx, Call* call) {
  if (ctx.telemetry == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise = TargetEnterprise(ctx, call, NamedEnterprise(*params), Access::kWrite,
                                     /*must_name=*/true, kTelemetryNouns);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  auto body = ParseObjectBody(call, kMaxRetentionBodyBytes, /*max_nesting=*/3);
  if (!body.ok()) return ErrorResponse(call, body.status(), "");
  absl::StatusOr<platform::telemetry::Retention> retention =
      platform::telemetry::ParseRetention(*body);
  absl::Status outcome = retention.ok()
                             ? ctx.telemetry->retention().Set(**enterprise, *retention)
                             : BadField(call, "retention", std::string(retention.status().message()));
  AuditWrite(ctx, *call, "set retention", *enterprise, "telemetry", "retention", outcome);
  if (!outcome.ok()) return ErrorResponse(call, outcome, "");
  return GetTelemetryRetention(ctx, call);
}

net::HttpResponse CompactTelemetry(const ApiContext& ctx, Call* call) {
  if (absl::Status s = RequireOperator(*call); !s.ok()) return ErrorResponse(call, s, "");
  if (ctx.telemetry == nullptr) return NotEnabled(call);
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ErrorResponse(call, s, "");
  if (absl::Status s = ctx.telemetry->Compact(); !s.ok()) return ErrorResponse(call, s, "");
  net::HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

}  // namespace qilian::api

