// The security pillar's delivery routes (docs/security/events-api.md):
//   /api/enterprises/{id}/sensors             GET list, POST register
//   /api/enterprises/{id}/sensors/{sensor}    GET, DELETE
//   /api/enterprises/{id}/sensors/{sensor}/token   POST: a new token
//   /api/security/events                      POST: a sensor delivers
//                                             GET: query
// Sensors are managed by operators and the enterprise's admins (members
// and auditors read); tenancy as devices (api/tenant_scope.h): staff of
// another enterprise get 404 as for a missing one. A sensor's token
// (credentials.h, "qsn.") can only POST events, for its own enterprise:
// RestApi refuses it on every other route (403).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "api/tenant_scope.h"
#include "ident/response_code.h"
#include "platform/tsdb/line_protocol/body.h"
#include "security/events/event_batch.h"
#include "security/events/event_store.h"
#include "security/events/sensor_registry.h"
#include "tenant/field_error.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;
using nlohmann::json;
namespace sec = security::events;

namespace {

constexpr ScopeNouns kSensorNouns{"sensor", "sensors"};
constexpr ScopeNouns kEventNouns{"security event", "security events"};
constexpr size_t kMaxSensorBodyBytes = 4096;

net::HttpResponse NotEnabled(Call* call) {
  call->SetReason("not_enabled");
  return ErrorResponse(call,
                       HandleError(ResponseCode::kOperationNotSupported,
                                   "security events are not enabled on this node"),
                       "", 501);
}

json TimeOrNull(const std::optional<absl::Time>& t) {
  return t ? json(sec::FormatRfc3339Utc(absl::ToUnixNanos(*t))) : json(nullptr);
}

// The success answers of the sensor and query routes start with
// "responseCode": 1, as every console route's (the CLI checks it); the
// sensor's own POST answers only {"accepted", "duplicates"}.
json SensorJson(const sec::Sensor& s) {
  return {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
          {"id", s.id},
          {"name", s.name},
          {"description", s.description},
          {"enterprise", s.enterprise},
          {"created", Timestamp(s.created)},
          {"last_seen", TimeOrNull(s.last_seen)},
          {"events_received", s.events_received},
          {"last_event_ts",
           s.last_event_ts_ns ? json(sec::FormatRfc3339Utc(*s.last_event_ts_ns)) : json(nullptr)}};
}

// The enterprise of a sensor route's path, checked against the caller.
// Changes (`access` kWrite or kDelete) are the operators' and the
// enterprise admins'.
absl::StatusOr<uint64_t> SensorEnterprise(const ApiContext& ctx, Call* call,
                                          std::string_view raw_id, Access access,
                                          std::string_view action) {
  absl::Status refused = RequireNoQuery(call);
  absl::StatusOr<std::optional<uint64_t>> target = std::optional<uint64_t>();
  if (refused.ok()) {
    target = TargetEnterprise(ctx, call, std::string(raw_id), access, true, kSensorNouns);
    if (!target.ok()) refused = target.status();
  }
  if (refused.ok() && access != Access::kRead && call->caller.principal &&
      call->caller.principal->role == ident::Role::kEnterpriseMember) {
    refused = HandleError(
        ResponseCode::kInsufficientPermissions,
        absl::StrCat(call->caller.actor, " is an enterprise member and may not manage sensors"));
  }
  if (!refused.ok()) {
    if (!action.empty()) AuditWrite(ctx, *call, action, std::nullopt, "sensor", "", refused);
    return refused;
  }
  return **target;
}

struct SensorPath {
  uint64_t enterprise;
  std::string id;
};

// The enterprise and sensor of /api/enterprises/{id}/sensors/{sensor}...
absl::StatusOr<SensorPath> SensorPathOf(const ApiContext& ctx, Call* call,
                                        std::string_view raw_enterprise, std::string_view raw_id,
                                        Access access, std::string_view action) {
  auto enterprise = SensorEnterprise(ctx, call, raw_enterprise, access, action);
  if (!enterprise.ok()) return enterprise.status();
  std::optional<std::string> id = PercentDecode(raw_id, /*plus_is_space=*/false);
  if (!id) return BadParam(call, "sensor id has an invalid percent-escape");
  return SensorPath{*enterprise, *std::move(id)};
}

// The ingest route's refusals: the usual error body plus "error" (and
// "line" for a bad line), as the sensor's sender reads them.
net::HttpResponse IngestError(Call* call, int http_status, const absl::Status& status,
                              std::optional<size_t> line = std::nullopt) {
  net::HttpResponse response = ErrorResponse(call, status, "", http_status);
  json body = json::parse(response.body);
  body["error"] = std::string(status.message());
  if (line) body["line"] = *line;
  return JsonResponse(response.status, body);
}

}  // namespace

net::HttpResponse CreateSensor(const ApiContext& ctx, Call* call, std::string_view raw_enterprise) {
  if (ctx.sensors == nullptr) return NotEnabled(call);
  auto enterprise = SensorEnterprise(ctx, call, raw_enterprise, Access::kWrite, "create sensor");
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  auto doc = ParseObjectBody(call, kMaxSensorBodyBytes, 1);
  if (!doc.ok()) return ErrorResponse(call, doc.status(), "");
  sec::SensorInput input;
  absl::Status s = KnownMembersOnly(call, *doc, "", {"name", "description"});
  if (s.ok() && !doc->contains("name")) s = BadField(call, "name", "is required");
  if (s.ok()) s = OptionalString(call, *doc, "name", "name", &input.name);
  if (s.ok()) s = OptionalString(call, *doc, "description", "description", &input.description);
  if (!s.ok()) return ErrorResponse(call, s, "");
  auto created = ctx.sensors->Create(*enterprise, input);
  AuditWrite(ctx, *call, "create sensor", *enterprise, "sensor",
             created.ok() ? created->sensor.id : input.name, created.status());
  if (!created.ok()) {
    if (tenant::FieldOf(created.status())) call->SetReason("bad_field");
    return ErrorResponse(call, created.status(), "");
  }
  json out = SensorJson(created->sensor);
  out["token"] = created->token;
  return JsonResponse(201, out);
}

net::HttpResponse ListSensors(const ApiContext& ctx, Call* call, std::string_view raw_enterprise) {
  if (ctx.sensors == nullptr) return NotEnabled(call);
  auto enterprise = SensorEnterprise(ctx, call, raw_enterprise, Access::kRead, "");
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  json list = json::array();
  for (const sec::Sensor& s : ctx.sensors->List(*enterprise)) {
    json one = SensorJson(s);
    one.erase("responseCode");
    list.push_back(std::move(one));
  }
  return JsonResponse(200, {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
                            {"sensors", std::move(list)}});
}

net::HttpResponse GetSensor(const ApiContext& ctx, Call* call, std::string_view raw_enterprise,
                            std::string_view raw_id) {
  if (ctx.sensors == nullptr) return NotEnabled(call);
  auto path = SensorPathOf(ctx, call, raw_enterprise, raw_id, Access::kRead, "");
  if (!path.ok()) return ErrorResponse(call, path.status(), "");
  auto sensor = ctx.sensors->Get(path->enterprise, path->id);
  if (!sensor.ok()) return ErrorResponse(call, sensor.status(), "");
  return JsonResponse(200, SensorJson(*sensor));
}

net::HttpResponse DeleteSensor(const ApiContext& ctx, Call* call, std::string_view raw_enterprise,
                               std::string_view raw_id) {
  if (ctx.sensors == nullptr) return NotEnabled(call);
  auto path = SensorPathOf(ctx, call, raw_enterprise, raw_id, Access::kDelete, "delete sensor");
  if (!path.ok()) return ErrorResponse(call, path.status(), "");
  absl::Status s = ctx.sensors->Delete(path->enterprise, path->id);
  AuditWrite(ctx, *call, "delete sensor", path->enterprise, "sensor", path->id, s);
  if (!s.ok()) return ErrorResponse(call, s, "");
  return JsonResponse(
      200, {{"responseCode", static_cast<int>(ResponseCode::kSuccess)}, {"deleted", path->id}});
}

net::HttpResponse RotateSensorToken(const ApiContext& ctx, Call* call,
                                    std::string_view raw_enterprise, std::string_view raw_id) {
  if (ctx.sensors == nullptr) return NotEnabled(call);
  auto path =
      SensorPathOf(ctx, call, raw_enterprise, raw_id, Access::kWrite, "rotate sensor token");
  if (!path.ok()) return ErrorResponse(call, path.status(), "");
  if (!call->request->body.empty()) {
    return ErrorResponse(call, BadParam(call, "request body must be empty"), "");
  }
  auto rotated = ctx.sensors->RotateToken(path->enterprise, path->id);
  AuditWrite(ctx, *call, "rotate sensor token", path->enterprise, "sensor", path->id,
             rotated.status());
  if (!rotated.ok()) return ErrorResponse(call, rotated.status(), "");
  json out = SensorJson(rotated->sensor);
  out["token"] = rotated->token;
  return JsonResponse(200, out);
}

net::HttpResponse PostSecurityEvents(const ApiContext& ctx, Call* call) {
  if (ctx.security_events == nullptr) return NotEnabled(call);
  auto count = [&](std::string_view result, uint64_t requests, uint64_t accepted,
                   uint64_t duplicates, uint64_t refused_lines) {
    if (ctx.metrics == nullptr) return;
    ctx.metrics
        ->GetCounter("qilian_security_event_requests_total",
                     "Deliveries of sensor events (POST /api/security/events), by result",
                     {{"result", std::string(result)}})
        .Inc(requests);
    auto events = [&](std::string_view what, uint64_t n) {
      if (n == 0) return;
      ctx.metrics
          ->GetCounter("qilian_security_events_total",
                       "Sensor events delivered: accepted (stored), duplicate (stored before), "
                       "refused (in a refused request)",
                       {{"result", std::string(what)}})
          .Inc(n);
    };
    events("accepted", accepted);
    events("duplicate", duplicates);
    events("refused", refused_lines);
  };
  std::optional<sec::SensorCaller> sensor = sec::SensorCallerOf(call->caller);
  if (!sensor) {
    count("forbidden", 1, 0, 0, 0);
    if (call->caller.anonymous()) {
      return IngestError(call, 0,
                         HandleError(ResponseCode::kAuthenticationNeeded,
                                     "authentication required: a sensor token (Bearer qsn....)"));
    }
    return IngestError(call, 0,
                       HandleError(ResponseCode::kInsufficientPermissions,
                                   absl::StrCat(call->caller.actor,
                                                " is not a sensor: only sensors post events")));
  }
  if (absl::Status s = RequireNoQuery(call); !s.ok()) {
    count("bad_request", 1, 0, 0, 0);
    return IngestError(call, 0, s);
  }
  const std::string* type = call->request->Header("content-type");
  const std::string media = type == nullptr
                                ? ""
                                : absl::AsciiStrToLower(absl::StripAsciiWhitespace(
                                      absl::string_view(*type).substr(0, type->find(';'))));
  if (media != "application/x-ndjson" && media != "application/json") {
    count("bad_request", 1, 0, 0, 0);
    call->SetReason("bad_body");
    return IngestError(call, 415,
                       HandleError(ResponseCode::kProtocolError,
                                   "request body must be events, one JSON object a line "
                                   "(Content-Type: application/x-ndjson)"));
  }
  platform::lp::ContentEncoding encoding = platform::lp::ContentEncoding::kIdentity;
  if (const std::string* enc = call->request->Header("content-encoding"); enc != nullptr) {
    const std::string e = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*enc));
    if (e == "gzip") {
      encoding = platform::lp::ContentEncoding::kGzip;
    } else if (!e.empty() && e != "identity") {
      count("bad_request", 1, 0, 0, 0);
      call->SetReason("bad_body");
      return IngestError(call, 415,
                         HandleError(ResponseCode::kProtocolError,
                                     absl::StrCat("Content-Encoding '", tenant::Excerpt(*enc),
                                                  "' is not supported: use gzip or identity")));
    }
  }
  std::string inflated;
  absl::StatusOr<std::string_view> body =
      platform::lp::DecodeBody(call->request->body, encoding, sec::kMaxBatchBytes, &inflated);
  if (!body.ok()) {
    count(absl::IsResourceExhausted(body.status()) ? "too_large" : "bad_request", 1, 0, 0, 0);
    call->SetReason("bad_body");
    if (absl::IsResourceExhausted(body.status())) {
      return IngestError(call, 413,
                         HandleError(ResponseCode::kProtocolError,
                                     absl::StrCat("request body is over ", sec::kMaxBatchBytes,
                                                  " bytes (after decompression), over the limit "
                                                  "of ",
                                                  sec::kMaxBatchBytes)));
    }
    return IngestError(
        call, 400, HandleError(ResponseCode::kProtocolError, std::string(body.status().message())));
  }
  sec::ParsedBatch batch = sec::ParseEventBatch(*body);
  if (batch.error) {
    const bool too_large = batch.too_large;
    // How many events the refused request carried (lines, for the counter).
    const uint64_t lines = static_cast<uint64_t>(std::count(body->begin(), body->end(), '\n')) +
                           (!body->empty() && body->back() != '\n' ? 1 : 0);
    count(too_large ? "too_large" : "refused", 1, 0, 0, lines);
    call->SetReason(too_large ? "bad_body" : "bad_event");
    absl::Status status = HandleError(ResponseCode::kProtocolError, batch.error->message);
    if (too_large) return IngestError(call, 413, status);
    return IngestError(call, 400, status, batch.error->line);
  }
  auto delivered = ctx.security_events->Deliver(sensor->enterprise, sensor->sensor, batch.events);
  if (!delivered.ok()) {
    count("error", 1, 0, 0, 0);
    return IngestError(call, 0, delivered.status());
  }
  count("accepted", 1, delivered->accepted, delivered->duplicates, 0);
  return JsonResponse(200,
                      {{"accepted", delivered->accepted}, {"duplicates", delivered->duplicates}});
}

net::HttpResponse QuerySecurityEvents(const ApiContext& ctx, Call* call) {
  if (ctx.security_events == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise", "sensor", "protocol", "from", "to", "orig_h", "resp_h",
                              "limit", "cursor"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise =
      TargetEnterprise(ctx, call, NamedEnterprise(*params), Access::kRead, false, kEventNouns);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  sec::EventQuery q;
  q.enterprise = *enterprise;
  auto get = [&](const char* name) -> std::optional<std::string> {
    auto it = params->find(name);
    if (it == params->end()) return std::nullopt;
    return it->second;
  };
  q.sensor = get("sensor");
  q.protocol = get("protocol");
  q.orig_h = get("orig_h");
  q.resp_h = get("resp_h");
  if (auto c = get("cursor")) q.cursor = *c;
  if (q.protocol && !sec::ValidProto(*q.protocol)) {
    return ErrorResponse(
        call,
        BadParam(call, absl::StrCat("protocol must be 1 to 32 of [a-z0-9_-], got '",
                                    tenant::Excerpt(*q.protocol), "'")),
        "");
  }
  for (auto [name, out] : {std::pair{"from", &q.from_ns}, std::pair{"to", &q.to_ns}}) {
    if (auto text = get(name)) {
      *out = sec::ParseRfc3339Utc(*text);
      if (!*out) {
        return ErrorResponse(call,
                             BadParam(call, absl::StrCat(name,
                                                         " must be an RFC 3339 UTC time "
                                                         "(2026-12-07T16:00:00Z), got '",
                                                         tenant::Excerpt(*text), "'")),
                             "");
      }
    }
  }
  if (auto text = get("limit")) {
    auto v = ParseDecimal(*text, 1, sec::kMaxQueryLimit);
    if (!v) {
      return ErrorResponse(
          call,
          BadParam(call, absl::StrCat("limit must be an integer in 1..", sec::kMaxQueryLimit,
                                      ", got '", tenant::Excerpt(*text), "'")),
          "");
    }
    q.limit = *v;
  }
  auto page = ctx.security_events->Query(q);
  if (!page.ok()) {
    if (absl::IsResourceExhausted(page.status())) {
      call->SetReason("over_limit");
      return ErrorResponse(
          call, HandleError(ResponseCode::kProtocolError, std::string(page.status().message())), "",
          422);
    }
    if (ident::ResponseCodeOf(page.status()) == ResponseCode::kProtocolError) {
      call->SetReason("bad_param");
    }
    return ErrorResponse(call, page.status(), "");
  }
  nlohmann::ordered_json out;
  out["responseCode"] = static_cast<int>(ResponseCode::kSuccess);
  out["events"] = std::move(page->events);
  out["next_cursor"] = page->next_cursor ? nlohmann::ordered_json(*page->next_cursor)
                                         : nlohmann::ordered_json(nullptr);
  net::HttpResponse response;
  response.status = 200;
  response.content_type = "application/json";
  response.body = out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return response;
}

}  // namespace qilian::api
