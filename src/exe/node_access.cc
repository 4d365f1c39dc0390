#include "exe/node_access.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "core/status.h"
#include "ident/authz/first_admin.h"
#include "ident/handle_name.h"

namespace qilian {
namespace {

// The first administrator of a node with prefixes, created on a fresh node;
// nullopt for a node without prefixes (nothing to administer).
absl::StatusOr<std::optional<ident::AdminIdentity>> FirstAdmin(const Config& config,
                                                              ident::Registry* registry) {
  if (config.node.prefixes.empty()) return std::optional<ident::AdminIdentity>();
  ident::authz::FirstAdminOptions options;
  options.prefixes = config.node.prefixes;
  options.secret_file = !config.auth.admin_secret_file.empty()
                            ? config.auth.admin_secret_file
                            : config.node.data_dir + "/admin.secret";
  absl::StatusOr<ident::authz::FirstAdmin> first = ident::authz::EnsureFirstAdmin(registry, options);
  if (!first.ok()) {
    return absl::Status(first.status().code(),
                        absl::StrCat("cannot set up the first administrator: ",
                                     std::string(first.status().message())));
  }
  LogInfo("auth.first_admin", {{"identity", ident::IdentityText(first->identity)},
                               {"created", first->created ? "true" : "false"},
                               {"secret_file", first->created ? options.secret_file : "-"}});
  return std::optional<ident::AdminIdentity>(first->identity);
}

}  // namespace

absl::StatusOr<std::unique_ptr<NodeAccess>> NodeAccess::Build(const NodeAccessParts& parts) {
  const Config& config = *parts.config;
  const Clock& clock = *parts.clock;
  std::unique_ptr<NodeAccess> access(new NodeAccess());
  access->parts_ = parts;

  absl::StatusOr<std::unique_ptr<ident::authz::AuditLog>> audit =
      ident::authz::AuditLog::Open(parts.store);
  if (!audit.ok()) {
    return absl::Status(audit.status().code(),
                        absl::StrCat("cannot open the audit log: ",
                                     std::string(audit.status().message())));
  }
  access->audit_ = *std::move(audit);

  QL_ASSIGN_OR_RETURN(std::optional<ident::AdminIdentity> first_admin,
                      FirstAdmin(config, parts.registry));
  std::vector<ident::AdminIdentity> operators;
  if (config.auth.operators.empty() && first_admin.has_value()) operators.push_back(*first_admin);
  for (const std::string& text : config.auth.operators) {
    // The config parser has checked the form.
    if (auto id = ident::ParseIdentityText(text); id.has_value()) operators.push_back(*id);
  }

  // Abuse limits: write quotas per caller (operators run the node and are
  // not charged) and throttling of failed authentications.
  ident::authz::WriteQuotaOptions quota;
  quota.defaults.writes_per_second = config.auth.write_rate_per_s;
  quota.defaults.writes_per_day = config.auth.writes_per_day;
  ident::authz::IdentifierCounter identifiers;
  if (config.auth.identifiers_per_prefix != 0 && parts.stats != nullptr) {
    quota.default_identifier_cap = config.auth.identifiers_per_prefix;
    const ident::stats::StatsRecorder* stats = parts.stats;
    identifiers = [stats](std::string_view prefix) -> absl::StatusOr<uint64_t> {
      QL_ASSIGN_OR_RETURN(int64_t n, stats->Registered(prefix));
      return n < 0 ? uint64_t{0} : static_cast<uint64_t>(n);
    };
  }
  access->write_quota_ = std::make_unique<ident::authz::WriteQuota>(std::move(quota), &clock,
                                                                     std::move(identifiers));
  ident::authz::AuthThrottleOptions throttle;
  throttle.max_failures = config.auth.max_failed_authentications;
  access->throttle_ = std::make_unique<ident::authz::AuthThrottle>(std::move(throttle), &clock);

  access->users_ = std::make_unique<tenant::UserStore>(parts.store, parts.enterprises, clock);
  tenant::TokenServiceOptions tokens;
  tokens.lifetime = absl::Seconds(config.auth.token_lifetime_s);
  tokens.audit = access->audit_.get();
  tokens.throttle = access->throttle_.get();
  access->tokens_ = std::make_unique<tenant::TokenService>(access->users_.get(), clock, tokens);
  access->principals_ = std::make_unique<tenant::PrincipalDirectory>(
      parts.enterprises, access->users_.get(), std::move(operators),
      config.node.case_sensitive_suffix);

  ident::authz::AuthorizerOptions authorizer;
  authorizer.admin_check.case_sensitive_suffix = config.node.case_sensitive_suffix;
  authorizer.audit = access->audit_.get();
  ident::authz::WriteQuota* write_quota = access->write_quota_.get();
  authorizer.charge_write = [write_quota](const ident::Caller& caller,
                                          const ident::Request& request, bool creates_handle) {
    if (caller.principal.has_value() && caller.principal->role == ident::Role::kOperator) {
      return absl::OkStatus();
    }
    absl::StatusOr<ident::HandleName> name = ident::ParseHandle(request.handle);
    return write_quota->Charge(caller.actor, name.ok() ? name->prefix : std::string(),
                               creates_handle);
  };
  access->authorizer_ =
      std::make_unique<ident::authz::Authorizer>(parts.registry, std::move(authorizer));

  // Identities homed on another node are verified there (opcode 201); the
  // recursive resolver finds their home.
  if (parts.resolver != nullptr) {
    ident::resolver::RecursiveResolver* resolver = parts.resolver;
    ident::auth::SiteLookup home_sites =
        [resolver](std::string_view prefix) -> absl::StatusOr<std::vector<ident::SiteInfo>> {
      ident::resolver::ResolveFilter filter;
      filter.types = {std::string(ident::kTypeSite)};
      QL_ASSIGN_OR_RETURN(ident::resolver::Resolution resolution,
                          resolver->Resolve(absl::StrCat("0.NA/", std::string(prefix)), filter));
      return ident::auth::SitesOfValues(resolution.values);
    };
    access->remote_verifier_ =
        std::make_unique<ident::auth::RemoteVerifier>(std::move(home_sites), parts.metrics);
  }
  // Idle sessions end after 30 minutes, as Handle.Net's servlet sessions do.
  access->rest_sessions_ = std::make_unique<api::RestSessions>(clock);
  return access;
}

ident::NativeAuthOptions NodeAccess::NativeOptions() const {
  ident::NativeAuthOptions native;
  native.registry = parts_.registry;
  native.challenge_lifetime = absl::Seconds(parts_.config->auth.challenge_lifetime_s);
  const tenant::PrincipalDirectory* principals = principals_.get();
  native.principal_of = [principals](const ident::AdminIdentity& who) {
    return principals->Of(who);
  };
  native.verify_answer =
      ident::auth::HomeAwareAnswerCheck(parts_.registry, remote_verifier_.get());
  native.audit = audit_.get();
  native.throttle = throttle_.get();
  return native;
}

api::RestAuthOptions NodeAccess::RestOptions() const {
  api::RestAuthOptions rest;
  rest.credentials.registry = parts_.registry;
  const tenant::PrincipalDirectory* principals = principals_.get();
  rest.credentials.principal_of = [principals](const ident::AdminIdentity& who) {
    return principals->Of(who);
  };
  tenant::TokenService* tokens = tokens_.get();
  rest.credentials.bearer = [tokens](std::string_view token) {
    return tokens->Authenticate(token);
  };
  rest.credentials.bearer_actor = [tokens](std::string_view token) {
    return tokens->ActorOf(token);
  };
  rest.credentials.sessions = rest_sessions_.get();
  // A session is authenticated as a native challenge is: the same answer
  // octets, so HS_SECKEY identities homed elsewhere are verified at home.
  ident::auth::AnswerCheck check =
      ident::auth::HomeAwareAnswerCheck(parts_.registry, remote_verifier_.get());
  rest.credentials.verify_answer = [check](std::string_view auth_type,
                                           const ident::AdminIdentity& who,
                                           std::string_view nonce, std::string_view digest,
                                           std::string_view answer) {
    ident::wire::RequestBody body;
    body.auth_type = std::string(auth_type);
    body.key_handle = who.handle;
    body.key_index = who.index;
    body.answer = std::string(answer);
    return check(body, nonce, digest);
  };
  rest.audit = audit_.get();
  rest.throttle = throttle_.get();
  return rest;
}

api::ConsoleEndpoints NodeAccess::Console() const {
  return api::ConsoleEndpoints{users_.get(), tokens_.get(), audit_.get(), parts_.enterprises};
}

}  // namespace qilian
