// Fuzz target: the REST Authorization header (api/credentials.h) — Basic,
// Bearer and Handle.Net's `Handle k=v, ...` — against an empty registry.
// Any header gives a caller or a Handle error in the authentication range
// (402-406) or a storage-free refusal, never a crash; no header value makes
// an anonymous request authenticated.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "api/credentials.h"
#include "core/clock.h"
#include "ident/registry.h"
#include "ident/response_code.h"
#include "net/http_message.h"
#include "store/memory_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qilian;
  static FakeClock clock;
  static std::unique_ptr<store::KvStore> kv =
      store::NewMemoryStore({{std::string(ident::Registry::kSpace)}});
  static ident::Registry registry(kv.get(), clock, ident::RegistryOptions{});
  std::string value(reinterpret_cast<const char*>(data), size);
  // The Handle scheme's parser alone, then the whole header.
  (void)api::ParseHandleAuthorization(value);
  net::HttpRequest request;
  request.method = "PUT";
  request.target = "/api/handles/88.999/x";
  request.headers.emplace_back("authorization", value);
  api::CredentialOptions options;
  options.registry = &registry;
  absl::StatusOr<ident::Caller> caller = api::AuthenticateRequest(options, request);
  if (caller.ok()) {
    // An empty registry holds no key: nothing can authenticate.
    std::abort();
  }
  const ident::ResponseCode code = ident::ResponseCodeOf(caller.status());
  if (code != ident::ResponseCode::kAuthenticationNeeded &&
      code != ident::ResponseCode::kAuthenticationFailed &&
      code != ident::ResponseCode::kInvalidCredential &&
      code != ident::ResponseCode::kAuthenticationTimeout &&
      code != ident::ResponseCode::kAuthenticationError) {
    std::abort();
  }
  (void)api::ClaimedActor(request);
  return 0;
}
