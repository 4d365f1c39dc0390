// /api/enterprises (POST register, GET list) and /api/enterprises/{id}
// (GET by id or credit code): enterprise onboarding at a secondary node
// (tenant/enterprise_registry.h, docs/enterprises.md).
//
// Errors name the field at fault: {"responseCode":202,"field":"creditCode",
// "message":"creditCode: check character is 'X', expected 'Y'"}; 409 with
// code 101 and field "creditCode" for a credit code already registered.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/query.h"
#include "api/route_handlers.h"
#include "core/status.h"
#include "ident/response_code.h"
#include "tenant/credit_code.h"
#include "tenant/enterprise_registry.h"
#include "tenant/field_error.h"
#include "tenant/industry.h"

namespace qilian::api {

using ident::HandleError;
using ident::ResponseCode;
using nlohmann::json;

namespace {

constexpr uint64_t kMaxPage = 0x7fffffff;
constexpr size_t kDefaultEnterprisePageSize = 100;


net::HttpResponse EnterpriseError(Call* call, const absl::Status& status, int http_status = 0) {
  return ErrorResponse(call, status, "", http_status);
}

json EnterpriseJson(const tenant::Enterprise& e) {
  json out = {{"id", e.id}, {"name", e.name}, {"creditCode", e.credit_code},
              {"industry", e.industry}};
  if (auto industry = tenant::ParseIndustry(e.industry); industry.ok()) {
    out["industrySection"] = std::string(1, industry->section->letter);
    out["industrySectionName"] = std::string(industry->section->name_zh);
  }
  out["region"] = e.region;
  json contact = {{"name", e.contact.name}, {"phone", e.contact.phone}};
  if (!e.contact.email.empty()) contact["email"] = e.contact.email;
  out["contact"] = std::move(contact);
  out["prefix"] = e.prefix;
  out["prefixHandle"] = absl::StrCat("0.NA/", e.prefix);
  out["createdAt"] = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", e.created_at, absl::UTCTimeZone());
  return out;
}

// Copies the string member `name` of `object` into `*out`. Absent is an
// error only when `required`.
absl::Status TakeString(const json& object, const char* name, std::string_view field,
                        bool required, std::string* out) {
  auto it = object.find(name);
  if (it == object.end()) {
    return required ? tenant::FieldError(field, "is required") : absl::OkStatus();
  }
  if (!it->is_string()) return tenant::FieldError(field, "must be a string");
  *out = it->get<std::string>();
  return absl::OkStatus();
}

absl::Status OnlyKnownMembers(const json& object, std::string_view parent,
                              std::initializer_list<std::string_view> known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool found = false;
    for (std::string_view k : known) found = found || it.key() == k;
    if (!found) {
      std::string field = parent.empty() ? it.key() : absl::StrCat(std::string(parent), ".", it.key());
      return tenant::FieldError(tenant::Excerpt(field), "is not a field of an enterprise");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<tenant::EnterpriseInput> InputFromBody(Call* call) {
  // The HTTP server bounds the body's size.
  QL_ASSIGN_OR_RETURN(json doc, ParseObjectBody(call, SIZE_MAX));
  QL_RETURN_IF_ERROR(
      OnlyKnownMembers(doc, "", {"name", "creditCode", "industry", "region", "contact"}));
  tenant::EnterpriseInput in;
  QL_RETURN_IF_ERROR(TakeString(doc, "name", tenant::field::kName, true, &in.name));
  QL_RETURN_IF_ERROR(
      TakeString(doc, "creditCode", tenant::field::kCreditCode, true, &in.credit_code));
  QL_RETURN_IF_ERROR(TakeString(doc, "industry", tenant::field::kIndustry, true, &in.industry));
  QL_RETURN_IF_ERROR(TakeString(doc, "region", tenant::field::kRegion, true, &in.region));
  auto contact = doc.find("contact");
  if (contact == doc.end()) return tenant::FieldError(tenant::field::kContact, "is required");
  if (!contact->is_object()) {
    return tenant::FieldError(tenant::field::kContact, "must be an object");
  }
  QL_RETURN_IF_ERROR(OnlyKnownMembers(*contact, "contact", {"name", "phone", "email"}));
  QL_RETURN_IF_ERROR(
      TakeString(*contact, "name", tenant::field::kContactName, true, &in.contact.name));
  QL_RETURN_IF_ERROR(
      TakeString(*contact, "phone", tenant::field::kContactPhone, true, &in.contact.phone));
  QL_RETURN_IF_ERROR(
      TakeString(*contact, "email", tenant::field::kContactEmail, false, &in.contact.email));
  return in;
}



net::HttpResponse NotEnabled(Call* call) {
  call->SetReason("not_enabled");
  return EnterpriseError(call,
                         HandleError(ResponseCode::kOperationNotSupported,
                                     "enterprise onboarding is not enabled on this node"),
                         501);
}

}  // namespace

net::HttpResponse CreateEnterprise(const ApiContext& ctx, Call* call) {
  if (ctx.enterprises == nullptr) return NotEnabled(call);
  if (absl::Status s = RequireOperator(*call); !s.ok()) return EnterpriseError(call, s);
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return EnterpriseError(call, s);
  auto input = InputFromBody(call);
  if (!input.ok()) return EnterpriseError(call, input.status());
  auto enterprise = ctx.enterprises->Register(*input);
  if (!enterprise.ok()) return EnterpriseError(call, enterprise.status());
  return JsonResponse(201, {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
                            {"enterprise", EnterpriseJson(*enterprise)}});
}

net::HttpResponse GetEnterprise(const ApiContext& ctx, Call* call, std::string_view raw_id) {
  if (ctx.enterprises == nullptr) return NotEnabled(call);
  if (absl::Status s = RequireNoQuery(call); !s.ok()) return EnterpriseError(call, s);
  std::optional<std::string> key = PercentDecode(raw_id, /*plus_is_space=*/false);
  absl::StatusOr<tenant::Enterprise> enterprise;
  if (key && key->size() == tenant::kCreditCodeLength) {
    enterprise = ctx.enterprises->GetByCreditCode(*key);
  } else if (auto id = key ? ParseDecimal(*key, 1, UINT64_MAX / 10) : std::nullopt) {
    enterprise = ctx.enterprises->Get(*id);
  } else {
    return EnterpriseError(
        call, BadParam(call, absl::StrCat("enterprise must be a numeric id or an 18-character "
                                          "credit code, got '",
                                          tenant::Excerpt(key.value_or(std::string(raw_id))),
                                          "'")));
  }
  if (!enterprise.ok()) return EnterpriseError(call, enterprise.status());
  return JsonResponse(200, {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
                            {"enterprise", EnterpriseJson(*enterprise)}});
}

net::HttpResponse ListEnterprises(const ApiContext& ctx, Call* call) {
  if (ctx.enterprises == nullptr) return NotEnabled(call);
  auto params = ParseQuery(call->query);
  if (!params) return EnterpriseError(call, BadParam(call, "query has an invalid percent-escape"));
  uint64_t page = 0;
  uint64_t page_size = kDefaultEnterprisePageSize;
  std::set<std::string> seen;
  for (const QueryParam& p : *params) {
    if (p.name != "page" && p.name != "pageSize") {
      return EnterpriseError(
          call, call->Reject("unknown_param",
                             HandleError(ResponseCode::kProtocolError,
                                         absl::StrCat("unknown query parameter '",
                                                      tenant::Excerpt(p.name), "'"))));
    }
    if (!seen.insert(p.name).second) {
      return EnterpriseError(call, BadParam(call, absl::StrCat(p.name, " is given more than once")));
    }
    if (p.name == "page") {
      auto v = ParseDecimal(p.value, 0, kMaxPage);
      if (!v) {
        return EnterpriseError(
            call, BadParam(call, absl::StrCat("page must be an integer in 0..", kMaxPage,
                                              ", got '", tenant::Excerpt(p.value), "'")));
      }
      page = *v;
    } else {
      auto v = ParseDecimal(p.value, 1, tenant::kMaxPageSize);
      if (!v) {
        return EnterpriseError(
            call, BadParam(call, absl::StrCat("pageSize must be an integer in 1..",
                                              tenant::kMaxPageSize, ", got '",
                                              tenant::Excerpt(p.value), "'")));
      }
      page_size = *v;
    }
  }
  auto result = ctx.enterprises->List(page, page_size);
  if (!result.ok()) return EnterpriseError(call, result.status());
  json list = json::array();
  for (const tenant::Enterprise& e : result->enterprises) list.push_back(EnterpriseJson(e));
  return JsonResponse(200, {{"responseCode", static_cast<int>(ResponseCode::kSuccess)},
                            {"page", page},
                            {"pageSize", page_size},
                            {"enterprises", std::move(list)},
                            {"more", result->more}});
}

}  // namespace qilian::api
