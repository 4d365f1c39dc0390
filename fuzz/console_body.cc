// Fuzz target: POST /api/login, POST /api/users and PUT
// /api/users/{name}/password bodies through RestApi::Handle, over a fresh
// in-memory node per input, as an operator with a real Bearer token. Any
// body gets a JSON answer and never a 5xx; a user that is created reads back
// by name and cannot be created twice.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "api/rest_api.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "ident/registry.h"
#include "nlohmann/json.hpp"
#include "store/memory_store.h"
#include "tenant/token_service.h"
#include "tenant/user_store.h"

namespace {

using nlohmann::json;
using namespace qilian;

struct Node {
  static tenant::UserStoreOptions Fast() {
    tenant::UserStoreOptions o;
    o.scrypt = ident::auth::ScryptParams{16, 1, 1};
    return o;
  }
  FakeClock clock;
  std::unique_ptr<store::KvStore> store = store::NewMemoryStore(
      {{std::string(ident::Registry::kSpace), std::string(tenant::UserStore::kSpace)}});
  ident::Registry registry{store.get(), clock, ident::RegistryOptions{}};
  tenant::UserStore users{store.get(), nullptr, clock, Fast()};
  tenant::TokenService tokens{&users, clock};
  MetricsRegistry metrics;
  api::RestApi api{&registry, &metrics, api::RestOptions{}};
  std::string token;
  Node() {
    api::RestAuthOptions auth;
    auth.credentials.bearer = [this](std::string_view t) { return tokens.Authenticate(t); };
    api.SetAuth(auth);
    api.SetConsole(api::ConsoleEndpoints{&users, &tokens, nullptr, nullptr});
    tenant::UserInput root{"root", ident::Role::kOperator, 0, std::nullopt, "root password 1", false};
    if (!users.Create(root).ok()) std::abort();
    auto login = tokens.Login("root", "root password 1", "");
    if (!login.ok()) std::abort();
    token = login->token;
  }

  std::pair<int, json> Send(const std::string& method, const std::string& target,
                            std::string body) {
    net::HttpRequest request;
    request.method = method;
    request.target = target;
    request.body = std::move(body);
    request.remote_address = "127.0.0.1";
    request.headers.emplace_back("authorization", "Bearer " + token);
    net::HttpResponse response = api.Handle(request);
    json j = json::parse(response.body, nullptr, false);
    if (response.status >= 500 || j.is_discarded()) std::abort();
    return {response.status, std::move(j)};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  Node node;
  auto [login_status, login] = node.Send("POST", "/api/login", text);
  if (login_status == 200 && login["user"] != "root") std::abort();
  node.Send("PUT", "/api/users/root/password", text);
  auto [status, created] = node.Send("POST", "/api/users", text);
  if (status != 201) return 0;
  const json& user = created["user"];
  auto [get_status, got] = node.Send("GET", "/api/users/" + user["name"].get<std::string>(), "");
  if (get_status != 200 || got["user"] != user) std::abort();
  if (node.Send("POST", "/api/users", text).first != 409) std::abort();
  return 0;
}
