// Internal to the api module: who acts for which enterprise on the
// platform routes (products, devices; docs/authorization.md "Products"),
// and the body helpers those routes share. Enterprise staff act on their
// own enterprise only (another enterprise's object answers 404 as a
// missing one does); operators act for any enterprise and name it with
// ?enterprise=N; auditors read everything and change nothing; members do
// not delete; anonymous callers get 401.
#ifndef QILIAN_API_TENANT_SCOPE_H_
#define QILIAN_API_TENANT_SCOPE_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/route_handlers.h"
#include "nlohmann/json.hpp"
#include "platform/thing_model/thing_model.h"

namespace qilian::api {

enum class Access { kRead, kWrite, kDelete };

// The words the refusals use: {"product", "products"}, {"device", "devices"}.
struct ScopeNouns {
  std::string_view one;
  std::string_view many;
};
inline constexpr ScopeNouns kProductNouns{"product", "products"};
inline constexpr ScopeNouns kDeviceNouns{"device", "devices"};

// The enterprise a request acts on, from the caller and ?enterprise=
// (`named`); nullopt means every enterprise (operators' and auditors'
// listings). `must_name`: operators and auditors must name one.
absl::StatusOr<std::optional<uint64_t>> TargetEnterprise(const ApiContext& ctx, Call* call,
                                                         const std::optional<std::string>& named,
                                                         Access access, bool must_name,
                                                         const ScopeNouns& nouns);

// Appends a write by an authenticated caller to the audit log, indexed
// under the enterprise's prefix when it is known: "<noun> '<id>' of
// enterprise N[: <refusal>]".
void AuditWrite(const ApiContext& ctx, const Call& call, std::string_view action,
                std::optional<uint64_t> enterprise, std::string_view noun, std::string_view id,
                const absl::Status& outcome);

// ?enterprise= of `params`, if given.
std::optional<std::string> NamedEnterprise(const std::map<std::string, std::string>& params);

// A refused body member (400, code 202, reason bad_field).
absl::Status BadField(Call* call, std::string_view field, std::string_view problem);

// Refuses a member of `object` not in `known`, naming it under `parent`.
absl::Status KnownMembersOnly(Call* call, const nlohmann::json& object, std::string_view parent,
                              std::initializer_list<std::string_view> known);

// The string member `name` of `object` (absent: `*out` unchanged).
absl::Status OptionalString(Call* call, const nlohmann::json& object, const char* name,
                            std::string_view field, std::string* out);

// "2026-12-07T16:00:00Z".
std::string Timestamp(absl::Time t);

// {"zh": ..., "en": ...}, each left out when empty ("zh" always for
// products, whose zh name is required).
nlohmann::json NameJson(const platform::LocalizedName& name);

}  // namespace qilian::api

#endif  // QILIAN_API_TENANT_SCOPE_H_
