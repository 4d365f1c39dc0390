// Who may do what on this node, assembled from configuration (issue 5;
// docs/authentication.md, docs/authorization.md, docs/abuse-limits.md): the
// audit log, the first administrator, console users and their tokens, the
// roles of Handle identities, write quotas, login throttling, verification
// of identities homed elsewhere, and the Authorizer the processor asks. The
// front doors get their authentication options from here, so qiliand's
// main only wires parts together.
#ifndef QILIAN_EXE_NODE_ACCESS_H_
#define QILIAN_EXE_NODE_ACCESS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "api/console_routes.h"
#include "api/rest_api.h"
#include "api/session_routes.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/metrics.h"
#include "ident/access_policy.h"
#include "ident/auth/remote_verify.h"
#include "ident/authz/audit_log.h"
#include "ident/authz/auth_throttle.h"
#include "ident/authz/authorizer.h"
#include "ident/authz/write_quota.h"
#include "ident/native_frontend.h"
#include "ident/registry.h"
#include "ident/resolver/recursive_resolver.h"
#include "ident/stats/stats_recorder.h"
#include "store/kv_store.h"
#include "tenant/enterprise_registry.h"
#include "tenant/principals.h"
#include "tenant/token_service.h"
#include "tenant/user_store.h"

namespace qilian {

// What NodeAccess is built from; every pointer must outlive it. `enterprises`
// and `resolver` may be null (a node without prefixes; a node that does not
// resolve recursively, which then verifies only identities homed here).
struct NodeAccessParts {
  const Config* config = nullptr;
  store::KvStore* store = nullptr;  // declares AuditLog::kSpace, UserStore::kSpace
  ident::Registry* registry = nullptr;
  tenant::EnterpriseRegistry* enterprises = nullptr;
  ident::resolver::RecursiveResolver* resolver = nullptr;
  // Identifiers per prefix, for [auth] identifiers_per_prefix; may be null.
  const ident::stats::StatsRecorder* stats = nullptr;
  const Clock* clock = nullptr;
  MetricsRegistry* metrics = nullptr;
};

class NodeAccess {
 public:
  // Opens the audit log and creates the first administrator on a fresh
  // node (logging auth.first_admin); errors name what failed.
  static absl::StatusOr<std::unique_ptr<NodeAccess>> Build(const NodeAccessParts& parts);

  // For ProcessorOptions::access.
  const ident::AccessPolicy* policy() const { return authorizer_.get(); }
  // For the native front end and REST; valid while this object lives.
  ident::NativeAuthOptions NativeOptions() const;
  api::RestAuthOptions RestOptions() const;
  api::ConsoleEndpoints Console() const;

 private:
  NodeAccess() = default;

  NodeAccessParts parts_;
  std::unique_ptr<ident::authz::AuditLog> audit_;
  std::unique_ptr<ident::authz::WriteQuota> write_quota_;
  std::unique_ptr<ident::authz::AuthThrottle> throttle_;
  std::unique_ptr<tenant::UserStore> users_;
  std::unique_ptr<tenant::TokenService> tokens_;
  std::unique_ptr<tenant::PrincipalDirectory> principals_;
  std::unique_ptr<ident::authz::Authorizer> authorizer_;
  std::unique_ptr<ident::auth::RemoteVerifier> remote_verifier_;
  // REST sessions (Authorization: Handle, api/session_routes.h).
  std::unique_ptr<api::RestSessions> rest_sessions_;
};

}  // namespace qilian

#endif  // QILIAN_EXE_NODE_ACCESS_H_
