// /api/devices (POST create, GET list), /api/devices/{id} (GET, PUT,
// DELETE), /api/devices/{id}/secret (POST: rotate), /api/devices/import
// (POST a CSV), /api/devices/register (POST: self-provisioning, no login):
// devices (platform/device/device_registry.h, docs/devices.md). The shadow,
// property and function routes are device_shadow_routes.cc's.
//
// Tenancy exactly as products (api/tenant_scope.h): staff see and change
// their own enterprise's devices only (another's answers 404 as a missing
// one), operators any (?enterprise=N), auditors read only, members do not
// delete. Writes are audited; each refusal counts in
// qilian_rest_errors_total{reason}; self-provisioning counts in
// qilian_device_registrations_total{result}.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/device_body.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "api/tenant_scope.h"
#include "ident/response_code.h"
#include "platform/device/device_csv.h"
#include "platform/device/device_registry.h"
#include "tenant/field_error.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;
using nlohmann::json;

namespace {

constexpr size_t kMaxDeviceBodyBytes = 64 * 1024;
constexpr size_t kMaxDeviceBodyNesting = 3;
constexpr size_t kDefaultDevicePageSize = 100;

net::HttpResponse NotEnabled(Call* call) {
  call->SetReason("not_enabled");
  return ErrorResponse(call,
                       HandleError(ResponseCode::kOperationNotSupported,
                                   "devices are not enabled on this node"),
                       "", 501);
}

json Success() { return {{"responseCode", static_cast<int>(ResponseCode::kSuccess)}}; }

json DeviceJson(const platform::Device& d) {
  json out = {{"enterprise", d.enterprise},
              {"id", d.id},
              {"product", d.product},
              {"productKey", d.product_key},
              {"modelVersion", d.model_version},
              {"serial", d.serial},
              {"gateway", d.gateway},
              {"tags", d.tags},
              {"enabled", d.enabled},
              {"handle", d.handle},
              {"createdAt", Timestamp(d.created_at)},
              {"updatedAt", Timestamp(d.updated_at)}};
  json name = json::object();
  if (!d.name.zh.empty()) name["zh"] = d.name.zh;
  if (!d.name.en.empty()) name["en"] = d.name.en;
  out["name"] = std::move(name);
  return out;
}

// The decoded device id of a path.
absl::StatusOr<std::string> DeviceId(Call* call, std::string_view raw) {
  std::optional<std::string> id = PercentDecode(raw, /*plus_is_space=*/false);
  if (!id) return BadParam(call, "device id has an invalid percent-escape");
  return *std::move(id);
}

// A body member error from the pure parsers, counted.
absl::Status BodyError(Call* call, absl::Status s) { return call->Reject("bad_field", std::move(s)); }

// Resolves tenancy for a route on one enterprise's devices.
struct Scope {
  std::optional<uint64_t> enterprise;
  std::map<std::string, std::string> params;
};

absl::StatusOr<Scope> ScopeOf(const ApiContext& ctx, Call* call,
                              std::initializer_list<std::string_view> known, Access access,
                              bool must_name, std::string_view action, std::string_view id) {
  auto params = Params(call, known);
  if (!params.ok()) return params.status();
  auto enterprise =
      TargetEnterprise(ctx, call, NamedEnterprise(*params), access, must_name, kDeviceNouns);
  if (!enterprise.ok()) {
    if (!action.empty()) AuditWrite(ctx, *call, action, std::nullopt, "device", id, enterprise.status());
    return enterprise.status();
  }
  return Scope{*enterprise, *std::move(params)};
}

}  // namespace

net::HttpResponse CreateDevice(const ApiContext& ctx, Call* call) {
  if (ctx.devices == nullptr) return NotEnabled(call);
  auto scope = ScopeOf(ctx, call, {"enterprise"}, Access::kWrite, true, "create device", "");
  if (!scope.ok()) return ErrorResponse(call, scope.status(), "");
  auto doc = ParseObjectBody(call, kMaxDeviceBodyBytes, kMaxDeviceBodyNesting);
  if (!doc.ok()) return ErrorResponse(call, doc.status(), "");
  auto input = DeviceInputFromJson(*doc);
  if (!input.ok()) return ErrorResponse(call, BodyError(call, input.status()), "");
  auto created = ctx.devices->Create(*scope->enterprise, *input);
  AuditWrite(ctx, *call, "create device", scope->enterprise, "device", input->id,
             created.status());
  if (!created.ok()) return ErrorResponse(call, created.status(), "");
  json out = Success();
  out["device"] = DeviceJson(created->device);
  out["secret"] = created->secret;
  return JsonResponse(201, out);
}

net::HttpResponse ListDevices(const ApiContext& ctx, Call* call) {
  if (ctx.devices == nullptr) return NotEnabled(call);
  auto scope = ScopeOf(ctx, call, {"enterprise", "product", "gateway", "after", "limit"},
                       Access::kRead, false, "", "");
  if (!scope.ok()) return ErrorResponse(call, scope.status(), "");
  size_t limit = kDefaultDevicePageSize;
  if (auto it = scope->params.find("limit"); it != scope->params.end()) {
    auto v = ParseDecimal(it->second, 1, platform::kMaxDevicePageSize);
    if (!v) {
      return ErrorResponse(call,
                           BadParam(call, absl::StrCat("limit must be an integer in 1..",
                                                       platform::kMaxDevicePageSize, ", got '",
                                                       tenant::Excerpt(it->second), "'")),
                           "");
    }
    limit = *v;
  }
  platform::DeviceFilter filter;
  if (auto it = scope->params.find("product"); it != scope->params.end()) filter.product = it->second;
  if (auto it = scope->params.find("gateway"); it != scope->params.end()) filter.gateway = it->second;
  std::string after;
  if (auto it = scope->params.find("after"); it != scope->params.end()) after = it->second;
  auto page = ctx.devices->List(scope->enterprise, filter, after, limit);
  if (!page.ok()) {
    if (ident::ResponseCodeOf(page.status()) == ResponseCode::kProtocolError) call->SetReason("bad_param");
    return ErrorResponse(call, page.status(), "");
  }
  json list = json::array();
  for (const platform::Device& d : page->devices) list.push_back(DeviceJson(d));
  json out = Success();
  out["limit"] = limit;
  out["devices"] = std::move(list);
  out["more"] = page->more;
  if (page->more && !page->devices.empty()) {
    const platform::Device& last = page->devices.back();
    out["next"] =
        scope->enterprise.has_value() ? last.id : absl::StrCat(last.enterprise, "/", last.id);
  }
  return JsonResponse(200, out);
}

net::HttpResponse GetDevice(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.devices == nullptr) return NotEnabled(call);
  auto scope = ScopeOf(ctx, call, {"enterprise"}, Access::kRead, true, "", "");
  if (!scope.ok()) return ErrorResponse(call, scope.status(), "");
  auto id = DeviceId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  auto device = ctx.devices->Get(*scope->enterprise, *id);
  if (!device.ok()) return ErrorResponse(call, device.status(), "");
  json out = Success();
  out["device"] = DeviceJson(*device);
  return JsonResponse(200, out);
}

net::HttpResponse UpdateDevice(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.devices == nullptr) return NotEnabled(call);
  auto scope = ScopeOf(ctx, call, {"enterprise"}, Access::kWrite, true, "update device", raw_id);
  if (!scope.ok()) return ErrorResponse(call, scope.status(), "");
  auto id = DeviceId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  auto doc = ParseObjectBody(call, kMaxDeviceBodyBytes, kMaxDeviceBodyNesting);
  if (!doc.ok()) return ErrorResponse(call, doc.status(), "");
  auto update = DeviceUpdateFromJson(*doc);
  if (!update.ok()) return ErrorResponse(call, BodyError(call, update.status()), "");
  auto device = ctx.devices->Update(*scope->enterprise, *id, *update);
  AuditWrite(ctx, *call, "update device", scope->enterprise, "device", *id, device.status());
  if (!device.ok()) return ErrorResponse(call, device.status(), "");
  json out = Success();
  out["device"] = DeviceJson(*device);
  return JsonResponse(200, out);
}

net::HttpResponse DeleteDevice(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.devices == nullptr) return NotEnabled(call);
  auto scope = ScopeOf(ctx, call, {"enterprise"}, Access::kDelete, true, "delete device", raw_id);
  if (!scope.ok()) return ErrorResponse(call, scope.status(), "");
  auto id = DeviceId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  absl::Status s = ctx.devices->Delete(*scope->enterprise, *id);
  AuditWrite(ctx, *call, "delete device", scope->enterprise, "device", *id, s);
  if (!s.ok()) {
    // A gateway with sub-devices: a conflict with other records, as a
    // product with devices is.
    if (ident::ResponseCodeOf(s) == ResponseCode::kInvalidValue) {
      call->SetReason("in_use");
      return ErrorResponse(call, s, "", 409);
    }
    return ErrorResponse(call, s, "");
  }
  return JsonResponse(200, Success());
}

net::HttpResponse RotateDeviceSecret(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.devices == nullptr) return NotEnabled(call);
  auto scope =
      ScopeOf(ctx, call, {"enterprise"}, Access::kWrite, true, "rotate device secret", raw_id);
  if (!scope.ok()) return ErrorResponse(call, scope.status(), "");
  auto id = DeviceId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  if (!call->request->body.empty()) {
    return ErrorResponse(call, BadParam(call, "request body must be empty"), "");
  }
  auto rotated = ctx.devices->RotateSecret(*scope->enterprise, *id);
  AuditWrite(ctx, *call, "rotate device secret", scope->enterprise, "device", *id,
             rotated.status());
  if (!rotated.ok()) return ErrorResponse(call, rotated.status(), "");
  json out = Success();
  out["device"] = DeviceJson(rotated->device);
  out["secret"] = rotated->secret;
  return JsonResponse(200, out);
}

net::HttpResponse ImportDevices(const ApiContext& ctx, Call* call) {
  if (ctx.devices == nullptr) return NotEnabled(call);
  auto scope = ScopeOf(ctx, call, {"enterprise"}, Access::kWrite, true, "import devices", "");
  if (!scope.ok()) return ErrorResponse(call, scope.status(), "");
  const std::string* type = call->request->Header("content-type");
  if (type == nullptr ||
      !absl::StartsWith(absl::AsciiStrToLower(*type), "text/csv")) {
    call->SetReason("bad_body");
    return ErrorResponse(call,
                         HandleError(ResponseCode::kProtocolError,
                                     "request body must be CSV (Content-Type: text/csv)"),
                         "", 415);
  }
  auto rows = platform::ParseDeviceCsv(call->request->body);
  if (!rows.ok()) {
    call->SetReason("bad_csv");
    return ErrorResponse(call, rows.status(), "");
  }
  std::vector<platform::DeviceInput> inputs;
  std::vector<size_t> row_of_input;
  for (size_t i = 0; i < rows->size(); ++i) {
    if ((*rows)[i].input.ok()) {
      row_of_input.push_back(i);
      inputs.push_back(*(*rows)[i].input);
    }
  }
  std::vector<platform::BulkResult> results = ctx.devices->CreateMany(*scope->enterprise, inputs);
  std::vector<const absl::StatusOr<platform::DeviceWithSecret>*> outcome(rows->size(), nullptr);
  for (size_t k = 0; k < results.size(); ++k) outcome[row_of_input[k]] = &results[k].outcome;
  json answers = json::array();
  size_t created = 0;
  for (size_t i = 0; i < rows->size(); ++i) {
    const platform::CsvDeviceRow& row = (*rows)[i];
    json a = {{"line", row.line}};
    absl::Status refused;
    if (!row.input.ok()) {
      refused = row.input.status();
    } else {
      a["id"] = row.input->id;
      if (outcome[i]->ok()) {
        ++created;
        a["status"] = "created";
        a["product"] = (*outcome[i])->device.product;
        a["productKey"] = (*outcome[i])->device.product_key;
        a["secret"] = (*outcome[i])->secret;
        answers.push_back(std::move(a));
        continue;
      }
      refused = outcome[i]->status();
    }
    a["status"] = "rejected";
    a["responseCode"] = static_cast<int>(ident::ResponseCodeOf(refused));
    if (auto field = tenant::FieldOf(refused)) a["field"] = *field;
    a["message"] = row.input.ok() ? absl::StrCat("line ", row.line, ": ", refused.message())
                                  : std::string(refused.message());
    answers.push_back(std::move(a));
  }
  AuditWrite(ctx, *call, "import devices", scope->enterprise, "device import",
             absl::StrCat(created, " of ", rows->size(), " rows created"), absl::OkStatus());
  json out = Success();
  out["created"] = created;
  out["rejected"] = rows->size() - created;
  out["rows"] = std::move(answers);
  return JsonResponse(200, out);
}

net::HttpResponse RegisterDevice(const ApiContext& ctx, Call* call) {
  if (ctx.devices == nullptr) return NotEnabled(call);
  auto count = [&](std::string_view result) {
    if (ctx.metrics == nullptr) return;
    ctx.metrics
        ->GetCounter("qilian_device_registrations_total",
                     "Self-provisioning requests (POST /api/devices/register), by result",
                     {{"result", std::string(result)}})
        .Inc();
  };
  if (absl::Status s = RequireNoQuery(call); !s.ok()) {
    count("bad_request");
    return ErrorResponse(call, s, "");
  }
  auto doc = ParseObjectBody(call, 4096, 1);
  if (!doc.ok()) {
    count("bad_request");
    return ErrorResponse(call, doc.status(), "");
  }
  auto request = SelfRegistrationFromJson(*doc);
  if (!request.ok()) {
    count("bad_request");
    return ErrorResponse(call, BodyError(call, request.status()), "");
  }
  auto created = ctx.devices->SelfRegister(*request);
  if (!created.ok()) {
    switch (ident::ResponseCodeOf(created.status())) {
      case ResponseCode::kAuthenticationFailed:
        count("bad_sign");
        call->SetReason("bad_sign");
        // No WWW-Authenticate: the sign is in the body, not a scheme.
        return JsonResponse(401, {{"responseCode", static_cast<int>(ResponseCode::kAuthenticationFailed)},
                                  {"message", std::string(created.status().message())}});
      case ResponseCode::kInsufficientPermissions:
        count("not_allowed");
        break;
      case ResponseCode::kHandleAlreadyExists:
        count("exists");
        break;
      case ResponseCode::kError:
        count("error");
        break;
      default:
        count("refused");
    }
    return ErrorResponse(call, created.status(), "");
  }
  count("created");
  json out = Success();
  out["productKey"] = created->device.product_key;
  out["deviceId"] = created->device.id;
  out["deviceSecret"] = created->secret;
  return JsonResponse(201, out);
}


}  // namespace qilian::api
