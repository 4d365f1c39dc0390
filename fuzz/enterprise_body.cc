// Fuzz target: POST /api/enterprises bodies, through RestApi::Handle over a
// fresh in-memory node per input (no state carried between runs), and the
// tenant validators on the raw input. Any body gets a JSON answer and never
// a 5xx; an enterprise that is created reads back the same by id and cannot
// be registered twice; a validator's verdict agrees with its Validate form.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "api/rest_api.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "ident/registry.h"
#include "ident/site_info.h"
#include "nlohmann/json.hpp"
#include "store/memory_store.h"
#include "tenant/credit_code.h"
#include "tenant/enterprise_registry.h"
#include "tenant/industry.h"
#include "tenant/region.h"

namespace {

using nlohmann::json;
using namespace qilian;

struct Node {
  static tenant::EnterpriseRegistryOptions Options() {
    tenant::EnterpriseRegistryOptions o;
    o.parent_prefix = "88.999";
    o.site = ident::BuildSiteInfo(ident::SiteOptions{});
    return o;
  }
  FakeClock clock;
  std::unique_ptr<store::KvStore> store = store::NewMemoryStore(
      {{std::string(ident::Registry::kSpace), std::string(tenant::EnterpriseRegistry::kSpace)}});
  ident::Registry registry{store.get(), clock, ident::RegistryOptions{}};
  tenant::EnterpriseRegistry enterprises{store.get(), &registry, clock, Options()};
  MetricsRegistry metrics;
  api::RestApi api{&registry, &metrics, api::RestOptions{}};
  Node() { api.SetEnterprises(&enterprises); }

  std::pair<int, json> Send(const std::string& method, const std::string& target,
                            std::string body) {
    net::HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = std::move(body);
    request.remote_is_loopback = true;
    request.remote_address = "127.0.0.1";
    net::HttpResponse response = api.Handle(request);
    json j = json::parse(response.body, nullptr, false);
    if (response.status >= 500 || j.is_discarded()) std::abort();
    return {response.status, std::move(j)};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (tenant::CreditCodeProblem(text).has_value() == tenant::ValidateCreditCode(text).ok())
    std::abort();
  if (tenant::RegionProblem(text).has_value() == tenant::ValidateRegion(text).ok()) std::abort();
  if (auto industry = tenant::ParseIndustry(text); industry.ok()) {
    auto again = tenant::ParseIndustry(industry->code);
    if (!again.ok() || again->code != industry->code || again->section != industry->section)
      std::abort();
  }
  Node node;
  auto [status, created] = node.Send("POST", "/api/enterprises", text);
  if (status != 201) return 0;
  const json& e = created["enterprise"];
  auto [get_status, got] = node.Send("GET", "/api/enterprises/" + e["id"].dump(), "");
  if (get_status != 200 || got["enterprise"] != e) std::abort();
  if (node.Send("POST", "/api/enterprises", text).first == 201) std::abort();
  return 0;
}
