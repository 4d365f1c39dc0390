// /api/products (POST create, GET list), /api/products/{id} (GET, DELETE),
// /api/products/{id}/model (GET a version, PUT a new one) and
// /api/starter-products (GET the starter library): products with versioned
// thing models (platform/product/product_registry.h, docs/products.md).
//
// Tenancy (docs/authorization.md, "Products"): enterprise staff act on
// their own enterprise's products only, and another enterprise's product
// answers 404 exactly as a missing one does, so ids do not leak; operators
// act for any enterprise and name it with ?enterprise=N; auditors read
// everything and change nothing; anonymous callers get 401. Members may
// create products and save models; deleting is for enterprise
// administrators and operators.
//
// Bodies are parsed without exceptions, bounded in size and nesting, and
// every member is checked: unknown members are refused, each error names
// its field, and each refusal counts in qilian_rest_errors_total{reason}.
// Writes that are done or refused by role, tenancy or the registry are
// appended to the audit log (a body that does not parse is only counted).
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "core/status.h"
#include "ident/authz/audit_log.h"
#include "ident/response_code.h"
#include "platform/product/product_registry.h"
#include "platform/thing_model/import.h"
#include "platform/thing_model/starter_library.h"
#include "platform/thing_model/thing_model_json.h"
#include "tenant/enterprise_registry.h"
#include "tenant/field_error.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;
using ident::Role;
using nlohmann::json;

namespace {

// A model (kMaxModelBytes) plus the product's own fields; an import source
// is a foreign model of similar size.
constexpr size_t kMaxProductBodyBytes = platform::kMaxModelBytes + 64 * 1024;
// A model may nest kMaxJsonNesting deep; the body adds "import"/"source".
constexpr size_t kMaxBodyNesting = platform::kMaxJsonNesting + 2;
constexpr uint64_t kMaxPage = 0x7fffffff;
constexpr size_t kDefaultProductPageSize = 100;

absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }

absl::Status Forbidden(std::string_view message) {
  return HandleError(ResponseCode::kInsufficientPermissions, message);
}

net::HttpResponse NotEnabled(Call* call) {
  call->SetReason("not_enabled");
  return ErrorResponse(call,
                       HandleError(ResponseCode::kOperationNotSupported,
                                   "products are not enabled on this node"),
                       "", 501);
}

// ---- Who acts for which enterprise.

enum class Access { kRead, kWrite, kDelete };

// The enterprise of enterprise staff: the Principal's enterprise id, else
// the owner of its first prefix.
absl::StatusOr<uint64_t> OwnEnterprise(const ApiContext& ctx, const Call& call) {
  const ident::Principal& p = *call.caller.principal;
  if (auto id = ParseDecimal(p.enterprise, 1, UINT64_MAX / 10)) return *id;
  if (!p.prefixes.empty() && ctx.enterprises != nullptr) {
    QL_ASSIGN_OR_RETURN(std::optional<tenant::Enterprise> owner,
                        ctx.enterprises->OwnerOf(p.prefixes.front()));
    if (owner.has_value()) return owner->id;
  }
  return Forbidden(absl::StrCat(call.caller.actor, " belongs to no enterprise"));
}

// The enterprise a request acts on, from the caller and ?enterprise=
// (`named`); nullopt means every enterprise (operators' and auditors'
// listings). `must_name`: operators and auditors must name one.
absl::StatusOr<std::optional<uint64_t>> TargetEnterprise(const ApiContext& ctx, Call* call,
                                                         const std::optional<std::string>& named,
                                                         Access access, bool must_name) {
  const ident::Caller& caller = call->caller;
  if (caller.anonymous()) {
    return HandleError(ResponseCode::kAuthenticationNeeded, "authentication required");
  }
  const Role role = caller.principal ? caller.principal->role : Role::kAnonymous;
  if (role == Role::kAnonymous) {
    return Forbidden(absl::StrCat(caller.actor,
                                  " is not an operator, an auditor or enterprise staff of this "
                                  "node, so it has no products"));
  }
  if (role == Role::kAuditor && access != Access::kRead) {
    return Forbidden(absl::StrCat(caller.actor, " is an auditor and may not change products"));
  }
  if (role == Role::kEnterpriseMember && access == Access::kDelete) {
    return Forbidden(
        absl::StrCat(caller.actor, " is an enterprise member and may not delete products"));
  }
  std::optional<uint64_t> given;
  if (named.has_value()) {
    given = ParseDecimal(*named, 1, UINT64_MAX / 10);
    if (!given) {
      return BadParam(call, absl::StrCat("enterprise must be a positive integer, got '",
                                         tenant::Excerpt(*named), "'"));
    }
  }
  if (role == Role::kOperator || role == Role::kAuditor) {
    if (!given) {
      if (!must_name) return std::optional<uint64_t>();
      return BadParam(call, "enterprise is required: operators and auditors name the "
                            "enterprise whose product this is (?enterprise=N)");
    }
    if (ctx.enterprises != nullptr) QL_RETURN_IF_ERROR(ctx.enterprises->Get(*given).status());
    return given;
  }
  QL_ASSIGN_OR_RETURN(uint64_t own, OwnEnterprise(ctx, *call));
  if (given && *given != own) {
    // As for a missing enterprise: staff learn nothing of others.
    return HandleError(ResponseCode::kHandleNotFound,
                       absl::StrCat("enterprise ", *given, " not found"));
  }
  return std::optional<uint64_t>(own);
}

// Appends a product write by an authenticated caller to the audit log,
// indexed under the enterprise's prefix when it is known.
void AuditWrite(const ApiContext& ctx, const Call& call, std::string_view action,
                std::optional<uint64_t> enterprise, std::string_view product,
                const absl::Status& outcome) {
  if (ctx.auth == nullptr || ctx.auth->audit == nullptr || call.caller.anonymous()) return;
  ident::authz::AuditEvent event;
  event.time = absl::Now();
  event.actor = call.caller.actor;
  event.action = std::string(action);
  if (enterprise.has_value() && ctx.enterprises != nullptr) {
    if (auto e = ctx.enterprises->Get(*enterprise); e.ok()) event.target = e->prefix;
  }
  event.peer = call.request->remote_address;
  event.transport = call.request->tls ? "https" : "http";
  event.result = static_cast<uint32_t>(outcome.ok() ? ResponseCode::kSuccess
                                                    : ident::ResponseCodeOf(outcome));
  event.detail = absl::StrCat("product '", tenant::Excerpt(product), "'",
                              enterprise ? absl::StrCat(" of enterprise ", *enterprise) : "",
                              outcome.ok() ? "" : ": ", outcome.message());
  (void)ctx.auth->audit->Append(std::move(event));
}

// ---- Bodies.

absl::StatusOr<json> ParseBody(Call* call) {
  return ParseObjectBody(call, kMaxProductBodyBytes, kMaxBodyNesting);
}

absl::Status BadField(Call* call, std::string_view field, std::string_view problem) {
  return call->Reject("bad_field", tenant::FieldError(field, problem));
}

absl::Status KnownMembersOnly(Call* call, const json& object, std::string_view parent,
                              std::initializer_list<std::string_view> known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool found = false;
    for (std::string_view k : known) found = found || it.key() == k;
    if (!found) {
      std::string field = parent.empty() ? it.key() : absl::StrCat(A(parent), ".", it.key());
      return BadField(call, tenant::Excerpt(field), "is not a known field");
    }
  }
  return absl::OkStatus();
}

// The string member `name` of `object` (absent: `*out` unchanged).
absl::Status OptionalString(Call* call, const json& object, const char* name,
                            std::string_view field, std::string* out) {
  auto it = object.find(name);
  if (it == object.end()) return absl::OkStatus();
  if (!it->is_string()) return BadField(call, field, "must be a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::StatusOr<platform::ThingModel> ModelFromJson(Call* call, const json& value) {
  if (!value.is_object()) return BadField(call, "thingModel", "must be an object");
  absl::StatusOr<platform::ThingModel> model = platform::ThingModelFromJson(value);
  if (!model.ok()) {
    return call->Reject("bad_model", HandleError(ResponseCode::kInvalidValue,
                                                 absl::StrCat("thingModel.",
                                                              model.status().message())));
  }
  return model;
}

struct CreateRequest {
  platform::ProductInput input;
  platform::ThingModel model;
  std::vector<std::string> import_warnings;
  bool imported = false;
};

absl::StatusOr<CreateRequest> CreateRequestFromBody(Call* call) {
  QL_ASSIGN_OR_RETURN(json doc, ParseBody(call));
  QL_RETURN_IF_ERROR(KnownMembersOnly(call, doc, "",
                                      {"id", "name", "description", "thingModel", "import",
                                       "fromStarter"}));
  CreateRequest req;
  auto id = doc.find("id");
  if (id == doc.end()) return BadField(call, "id", "is required");
  if (!id->is_string()) return BadField(call, "id", "must be a string");
  req.input.id = id->get<std::string>();
  if (auto name = doc.find("name"); name != doc.end()) {
    if (!name->is_object()) return BadField(call, "name", "must be an object {\"zh\", \"en\"}");
    QL_RETURN_IF_ERROR(KnownMembersOnly(call, *name, "name", {"zh", "en"}));
    QL_RETURN_IF_ERROR(OptionalString(call, *name, "zh", "name.zh", &req.input.name.zh));
    QL_RETURN_IF_ERROR(OptionalString(call, *name, "en", "name.en", &req.input.name.en));
  }
  QL_RETURN_IF_ERROR(
      OptionalString(call, doc, "description", "description", &req.input.description));

  const int sources =
      doc.contains("thingModel") + doc.contains("import") + doc.contains("fromStarter");
  if (sources != 1) {
    return call->Reject("bad_field",
                        HandleError(ResponseCode::kInvalidValue,
                                    "request body must have exactly one of thingModel, import "
                                    "and fromStarter"));
  }
  if (auto m = doc.find("thingModel"); m != doc.end()) {
    QL_ASSIGN_OR_RETURN(req.model, ModelFromJson(call, *m));
  } else if (auto imp = doc.find("import"); imp != doc.end()) {
    if (!imp->is_object()) return BadField(call, "import", "must be an object");
    QL_RETURN_IF_ERROR(KnownMembersOnly(call, *imp, "import", {"format", "source"}));
    auto format = imp->find("format");
    if (format == imp->end()) return BadField(call, "import.format", "is required");
    if (!format->is_string() || (*format != "alibaba" && *format != "jetlinks")) {
      return BadField(call, "import.format", "must be \"alibaba\" or \"jetlinks\"");
    }
    auto source = imp->find("source");
    if (source == imp->end()) return BadField(call, "import.source", "is required");
    if (!source->is_object()) return BadField(call, "import.source", "must be an object");
    const std::string text = source->dump();
    absl::StatusOr<platform::ImportResult> result =
        *format == "alibaba" ? platform::ImportAlibabaTsl(text, 1)
                             : platform::ImportJetLinksMetadata(text, 1);
    if (!result.ok()) {
      return call->Reject("bad_model", HandleError(ResponseCode::kInvalidValue,
                                                   absl::StrCat("import.source: ",
                                                                result.status().message())));
    }
    req.model = std::move(result->model);
    req.import_warnings = std::move(result->warnings);
    req.imported = true;
  } else {
    auto starter = doc.find("fromStarter");
    if (!starter->is_string()) return BadField(call, "fromStarter", "must be a string");
    const std::string starter_id = starter->get<std::string>();
    const platform::StarterProduct* found = platform::FindStarterProduct(starter_id);
    if (found == nullptr) {
      return BadField(call, "fromStarter",
                      absl::StrCat("no starter product '", tenant::Excerpt(starter_id),
                                   "' (GET /api/starter-products lists them)"));
    }
    absl::StatusOr<platform::ThingModel> model = platform::ParseThingModel(found->model_json);
    if (!model.ok()) return HandleError(ResponseCode::kError, std::string(model.status().message()));
    req.model = *std::move(model);
    if (!doc.contains("name")) req.input.name = {std::string(found->name_zh), std::string(found->name_en)};
  }
  return req;
}

// ---- JSON answers.

std::string Timestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

json NameJson(const platform::LocalizedName& name) {
  json out = {{"zh", name.zh}};
  if (!name.en.empty()) out["en"] = name.en;
  return out;
}

json ProductJson(const platform::Product& p) {
  return {{"enterprise", p.enterprise},
          {"id", p.id},
          {"name", NameJson(p.name)},
          {"description", p.description},
          {"latestVersion", p.latest_version},
          {"createdAt", Timestamp(p.created_at)},
          {"updatedAt", Timestamp(p.updated_at)}};
}

json Success() { return {{"responseCode", static_cast<int>(ResponseCode::kSuccess)}}; }

// The decoded product id of a path, checked.
absl::StatusOr<std::string> ProductId(Call* call, std::string_view raw) {
  std::optional<std::string> id = PercentDecode(raw, /*plus_is_space=*/false);
  if (!id) return BadParam(call, "product id has an invalid percent-escape");
  QL_RETURN_IF_ERROR(platform::ProductRegistry::ValidateId(*id));
  return *std::move(id);
}

std::optional<std::string> Named(const std::map<std::string, std::string>& params) {
  auto it = params.find("enterprise");
  if (it == params.end()) return std::nullopt;
  return it->second;
}

}  // namespace

net::HttpResponse CreateProduct(const ApiContext& ctx, Call* call) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise = TargetEnterprise(ctx, call, Named(*params), Access::kWrite, true);
  if (!enterprise.ok()) {
    AuditWrite(ctx, *call, "create product", std::nullopt, "", enterprise.status());
    return ErrorResponse(call, enterprise.status(), "");
  }
  auto req = CreateRequestFromBody(call);
  if (!req.ok()) return ErrorResponse(call, req.status(), "");
  auto product = ctx.products->Create(**enterprise, req->input, req->model);
  AuditWrite(ctx, *call, "create product", *enterprise, req->input.id, product.status());
  if (!product.ok()) return ErrorResponse(call, product.status(), "");
  json out = Success();
  out["product"] = ProductJson(*product);
  out["thingModel"] = platform::ThingModelToJson(req->model);
  if (req->imported) out["importWarnings"] = req->import_warnings;
  return JsonResponse(201, out);
}

net::HttpResponse ListProducts(const ApiContext& ctx, Call* call) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise", "page", "pageSize"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  uint64_t page = 0;
  uint64_t page_size = kDefaultProductPageSize;
  if (auto it = params->find("page"); it != params->end()) {
    auto v = ParseDecimal(it->second, 0, kMaxPage);
    if (!v) {
      return ErrorResponse(call, BadParam(call, absl::StrCat("page must be an integer in 0..",
                                                             kMaxPage, ", got '",
                                                             tenant::Excerpt(it->second), "'")),
                           "");
    }
    page = *v;
  }
  if (auto it = params->find("pageSize"); it != params->end()) {
    auto v = ParseDecimal(it->second, 1, platform::kMaxProductPageSize);
    if (!v) {
      return ErrorResponse(
          call, BadParam(call, absl::StrCat("pageSize must be an integer in 1..",
                                            platform::kMaxProductPageSize, ", got '",
                                            tenant::Excerpt(it->second), "'")),
          "");
    }
    page_size = *v;
  }
  auto enterprise = TargetEnterprise(ctx, call, Named(*params), Access::kRead, false);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  auto result = ctx.products->List(*enterprise, page, page_size);
  if (!result.ok()) return ErrorResponse(call, result.status(), "");
  json list = json::array();
  for (const platform::Product& p : result->products) list.push_back(ProductJson(p));
  json out = Success();
  out["page"] = page;
  out["pageSize"] = page_size;
  out["products"] = std::move(list);
  out["more"] = result->more;
  return JsonResponse(200, out);
}

net::HttpResponse GetProduct(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise = TargetEnterprise(ctx, call, Named(*params), Access::kRead, true);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  auto id = ProductId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  auto product = ctx.products->Get(**enterprise, *id);
  if (!product.ok()) return ErrorResponse(call, product.status(), "");
  auto model = ctx.products->GetModel(**enterprise, *id, product->latest_version);
  if (!model.ok()) return ErrorResponse(call, model.status(), "");
  json out = Success();
  out["product"] = ProductJson(*product);
  out["thingModel"] = platform::ThingModelToJson(*model);
  return JsonResponse(200, out);
}

net::HttpResponse DeleteProduct(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise = TargetEnterprise(ctx, call, Named(*params), Access::kDelete, true);
  if (!enterprise.ok()) {
    AuditWrite(ctx, *call, "delete product", std::nullopt, raw_id, enterprise.status());
    return ErrorResponse(call, enterprise.status(), "");
  }
  auto id = ProductId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  absl::Status s = ctx.products->Delete(**enterprise, *id);
  AuditWrite(ctx, *call, "delete product", *enterprise, *id, s);
  if (!s.ok()) return ErrorResponse(call, s, "");
  return JsonResponse(200, Success());
}

net::HttpResponse GetProductModel(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise", "version"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  uint32_t version = 0;
  if (auto it = params->find("version"); it != params->end()) {
    auto v = ParseDecimal(it->second, 1, UINT32_MAX);
    if (!v) {
      return ErrorResponse(call, BadParam(call, absl::StrCat("version must be an integer in 1..",
                                                             UINT32_MAX, ", got '",
                                                             tenant::Excerpt(it->second), "'")),
                           "");
    }
    version = static_cast<uint32_t>(*v);
  }
  auto enterprise = TargetEnterprise(ctx, call, Named(*params), Access::kRead, true);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  auto id = ProductId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  auto model = ctx.products->GetModel(**enterprise, *id, version);
  if (!model.ok()) return ErrorResponse(call, model.status(), "");
  json out = Success();
  out["enterprise"] = **enterprise;
  out["product"] = *id;
  out["version"] = model->version;
  out["thingModel"] = platform::ThingModelToJson(*model);
  return JsonResponse(200, out);
}

net::HttpResponse PutProductModel(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise = TargetEnterprise(ctx, call, Named(*params), Access::kWrite, true);
  if (!enterprise.ok()) {
    AuditWrite(ctx, *call, "save product model", std::nullopt, raw_id, enterprise.status());
    return ErrorResponse(call, enterprise.status(), "");
  }
  auto id = ProductId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  auto body = ParseBody(call);
  if (!body.ok()) return ErrorResponse(call, body.status(), "");
  if (absl::Status s = KnownMembersOnly(call, *body, "", {"thingModel"}); !s.ok()) {
    return ErrorResponse(call, s, "");
  }
  auto m = body->find("thingModel");
  if (m == body->end()) return ErrorResponse(call, BadField(call, "thingModel", "is required"), "");
  auto model = ModelFromJson(call, *m);
  if (!model.ok()) return ErrorResponse(call, model.status(), "");
  std::vector<platform::BreakingChange> breaking;
  auto product = ctx.products->SaveModel(**enterprise, *id, *model, &breaking);
  AuditWrite(ctx, *call, "save product model", *enterprise, *id, product.status());
  if (!product.ok()) {
    if (breaking.empty()) return ErrorResponse(call, product.status(), "");
    call->SetReason("breaking_change");
    json changes = json::array();
    for (const platform::BreakingChange& c : breaking) {
      changes.push_back({{"path", c.path}, {"reason", c.reason}});
    }
    json out = {{"responseCode", static_cast<int>(ident::ResponseCodeOf(product.status()))},
                {"message", std::string(product.status().message())},
                {"breakingChanges", std::move(changes)}};
    return JsonResponse(409, out);
  }
  json out = Success();
  out["product"] = ProductJson(*product);
  out["version"] = model->version;
  return JsonResponse(200, out);
}

net::HttpResponse ListStarterProducts(const ApiContext& ctx, Call* call) {
  if (ctx.products == nullptr) return NotEnabled(call);
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ErrorResponse(call, s, "");
  auto allowed = TargetEnterprise(ctx, call, std::nullopt, Access::kRead, false);
  if (!allowed.ok() && ident::ResponseCodeOf(allowed.status()) !=
                           ResponseCode::kInsufficientPermissions) {
    return ErrorResponse(call, allowed.status(), "");
  }
  json list = json::array();
  for (const platform::StarterProduct& s : platform::StarterLibrary()) {
    list.push_back({{"id", std::string(s.id)},
                    {"name", NameJson({std::string(s.name_zh), std::string(s.name_en)})},
                    {"industry", std::string(s.industry)},
                    {"thingModel", json::parse(s.model_json, nullptr, false)}});
  }
  json out = Success();
  out["products"] = std::move(list);
  return JsonResponse(200, out);
}

}  // namespace qilian::api
