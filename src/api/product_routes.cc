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
#include "api/tenant_scope.h"
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

net::HttpResponse NotEnabled(Call* call) {
  call->SetReason("not_enabled");
  return ErrorResponse(call,
                       HandleError(ResponseCode::kOperationNotSupported,
                                   "products are not enabled on this node"),
                       "", 501);
}

// ---- Bodies.

absl::StatusOr<json> ParseBody(Call* call) {
  return ParseObjectBody(call, kMaxProductBodyBytes, kMaxBodyNesting);
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
                                       "fromStarter", "selfProvisioning"}));
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
    req.input.starter = starter_id;
  }
  if (auto self = doc.find("selfProvisioning"); self != doc.end()) {
    if (!self->is_boolean()) return BadField(call, "selfProvisioning", "must be true or false");
    req.input.self_provisioning = self->get<bool>();
  }
  return req;
}

// ---- JSON answers.

// The product as answered; the product secret only to the product's
// enterprise staff and operators (not auditors).
json ProductJson(const platform::Product& p, const Call& call) {
  json out = {{"enterprise", p.enterprise},
              {"id", p.id},
              {"name", NameJson(p.name)},
              {"description", p.description},
              {"latestVersion", p.latest_version},
              {"productKey", p.product_key},
              {"selfProvisioning", p.self_provisioning},
              {"createdAt", Timestamp(p.created_at)},
              {"updatedAt", Timestamp(p.updated_at)}};
  if (!p.starter.empty()) out["starter"] = p.starter;
  if (call.caller.principal && call.caller.principal->role != Role::kAuditor) {
    out["productSecret"] = p.product_secret;
  }
  return out;
}

json Success() { return {{"responseCode", static_cast<int>(ResponseCode::kSuccess)}}; }

// The decoded product id of a path, checked.
absl::StatusOr<std::string> ProductId(Call* call, std::string_view raw) {
  std::optional<std::string> id = PercentDecode(raw, /*plus_is_space=*/false);
  if (!id) return BadParam(call, "product id has an invalid percent-escape");
  QL_RETURN_IF_ERROR(platform::ProductRegistry::ValidateId(*id));
  return *std::move(id);
}

}  // namespace

net::HttpResponse CreateProduct(const ApiContext& ctx, Call* call) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise = TargetEnterprise(ctx, call, NamedEnterprise(*params), Access::kWrite, true, kProductNouns);
  if (!enterprise.ok()) {
    AuditWrite(ctx, *call, "create product", std::nullopt, "product", "", enterprise.status());
    return ErrorResponse(call, enterprise.status(), "");
  }
  auto req = CreateRequestFromBody(call);
  if (!req.ok()) return ErrorResponse(call, req.status(), "");
  auto product = ctx.products->Create(**enterprise, req->input, req->model);
  AuditWrite(ctx, *call, "create product", *enterprise, "product", req->input.id, product.status());
  if (!product.ok()) return ErrorResponse(call, product.status(), "");
  json out = Success();
  out["product"] = ProductJson(*product, *call);
  out["thingModel"] = platform::ThingModelToJson(req->model);
  if (req->imported) out["importWarnings"] = req->import_warnings;
  return JsonResponse(201, out);
}

net::HttpResponse ListProducts(const ApiContext& ctx, Call* call) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise", "page", "pageSize", "after"});
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
  auto enterprise = TargetEnterprise(ctx, call, NamedEnterprise(*params), Access::kRead, false, kProductNouns);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  auto after = params->find("after");
  if (after != params->end() && params->contains("page")) {
    return ErrorResponse(call, BadParam(call, "after and page exclude each other"), "");
  }
  auto result = after != params->end()
                    ? ctx.products->ListAfter(*enterprise, after->second, page_size)
                    : ctx.products->List(*enterprise, page, page_size);
  if (!result.ok()) return ErrorResponse(call, result.status(), "");
  json list = json::array();
  for (const platform::Product& p : result->products) list.push_back(ProductJson(p, *call));
  json out = Success();
  if (after == params->end()) out["page"] = page;
  out["pageSize"] = page_size;
  out["products"] = std::move(list);
  out["more"] = result->more;
  if (result->more && !result->products.empty()) {
    const platform::Product& last = result->products.back();
    out["next"] = enterprise->has_value() ? last.id : absl::StrCat(last.enterprise, "/", last.id);
  }
  return JsonResponse(200, out);
}

net::HttpResponse GetProduct(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise = TargetEnterprise(ctx, call, NamedEnterprise(*params), Access::kRead, true, kProductNouns);
  if (!enterprise.ok()) return ErrorResponse(call, enterprise.status(), "");
  auto id = ProductId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  auto product = ctx.products->Get(**enterprise, *id);
  if (!product.ok()) return ErrorResponse(call, product.status(), "");
  auto model = ctx.products->GetModel(**enterprise, *id, product->latest_version);
  if (!model.ok()) return ErrorResponse(call, model.status(), "");
  json out = Success();
  out["product"] = ProductJson(*product, *call);
  out["thingModel"] = platform::ThingModelToJson(*model);
  return JsonResponse(200, out);
}

net::HttpResponse DeleteProduct(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise = TargetEnterprise(ctx, call, NamedEnterprise(*params), Access::kDelete, true, kProductNouns);
  if (!enterprise.ok()) {
    AuditWrite(ctx, *call, "delete product", std::nullopt, "product", raw_id, enterprise.status());
    return ErrorResponse(call, enterprise.status(), "");
  }
  auto id = ProductId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  absl::Status s = ctx.products->Delete(**enterprise, *id);
  AuditWrite(ctx, *call, "delete product", *enterprise, "product", *id, s);
  if (platform::IsProductInUse(s)) {
    call->SetReason("in_use");
    return ErrorResponse(call, s, "", 409);
  }
  if (!s.ok()) return ErrorResponse(call, s, "");
  return JsonResponse(200, Success());
}

net::HttpResponse UpdateProduct(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.products == nullptr) return NotEnabled(call);
  auto params = Params(call, {"enterprise"});
  if (!params.ok()) return ErrorResponse(call, params.status(), "");
  auto enterprise =
      TargetEnterprise(ctx, call, NamedEnterprise(*params), Access::kWrite, true, kProductNouns);
  if (!enterprise.ok()) {
    AuditWrite(ctx, *call, "update product", std::nullopt, "product", raw_id, enterprise.status());
    return ErrorResponse(call, enterprise.status(), "");
  }
  auto id = ProductId(call, raw_id);
  if (!id.ok()) return ErrorResponse(call, id.status(), "");
  auto body = ParseObjectBody(call, 4096, 2);
  if (!body.ok()) return ErrorResponse(call, body.status(), "");
  if (absl::Status s = KnownMembersOnly(call, *body, "", {"selfProvisioning"}); !s.ok()) {
    return ErrorResponse(call, s, "");
  }
  auto self = body->find("selfProvisioning");
  if (self == body->end()) {
    return ErrorResponse(call, BadField(call, "selfProvisioning", "is required"), "");
  }
  if (!self->is_boolean()) {
    return ErrorResponse(call, BadField(call, "selfProvisioning", "must be true or false"), "");
  }
  auto product = ctx.products->SetSelfProvisioning(**enterprise, *id, self->get<bool>());
  AuditWrite(ctx, *call, "update product", *enterprise, "product", *id, product.status());
  if (!product.ok()) return ErrorResponse(call, product.status(), "");
  json out = Success();
  out["product"] = ProductJson(*product, *call);
  return JsonResponse(200, out);
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
  auto enterprise = TargetEnterprise(ctx, call, NamedEnterprise(*params), Access::kRead, true, kProductNouns);
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
  auto enterprise = TargetEnterprise(ctx, call, NamedEnterprise(*params), Access::kWrite, true, kProductNouns);
  if (!enterprise.ok()) {
    AuditWrite(ctx, *call, "save product model", std::nullopt, "product", raw_id, enterprise.status());
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
  AuditWrite(ctx, *call, "save product model", *enterprise, "product", *id, product.status());
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
  out["product"] = ProductJson(*product, *call);
  out["version"] = model->version;
  return JsonResponse(200, out);
}

net::HttpResponse ListStarterProducts(const ApiContext& ctx, Call* call) {
  if (ctx.products == nullptr) return NotEnabled(call);
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return ErrorResponse(call, s, "");
  auto allowed = TargetEnterprise(ctx, call, std::nullopt, Access::kRead, false, kProductNouns);
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
