// Who is asking: the caller of one request, as a front door established it
// (issue 5, docs/authorization.md). The processor and the access policy
// decide with it; the audit log names it.
//
// Three kinds of callers exist:
//  - anonymous: no credential (actor empty). May resolve public values.
//  - a Handle identity `index:handle` that proved it holds the key
//    (HS_SECKEY or HS_PUBKEY; native challenge answer, REST Basic or the
//    REST public-key flow). HS_ADMIN decides what it may do; when the
//    identity belongs to an enterprise, a console user or the operators,
//    it also carries that Principal and the role rule applies as well.
//  - a console user (REST Bearer token): a Principal, and the identity it
//    is bound to, if any.
#ifndef QILIAN_IDENT_CALLER_H_
#define QILIAN_IDENT_CALLER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qilian::ident {

// An administrator as HS_ADMIN names one: a key at `index` of `handle`.
struct AdminIdentity {
  std::string handle;
  uint32_t index = 0;
  bool operator==(const AdminIdentity&) const = default;
};

// "300:88.999/ADMIN".
std::string IdentityText(const AdminIdentity& identity);

// The reverse: "index:handle" with a decimal index and a non-empty handle;
// nullopt for anything else.
std::optional<AdminIdentity> ParseIdentityText(std::string_view text);

// Console roles (authz/roles.h has the rules).
enum class Role {
  kAnonymous,
  kOperator,
  kEnterpriseAdmin,
  kEnterpriseMember,
  kAuditor,
};

struct Principal {
  Role role = Role::kAnonymous;
  // The prefixes the principal's enterprise owns (enterprise roles only).
  std::vector<std::string> prefixes;
  // The enterprise's id (enterprise roles only), for the audit trail.
  std::string enterprise;
};

struct Caller {
  // How the audit log names the caller: IdentityText of the identity, or
  // "user:<name>" for a console user; empty for anonymous callers.
  std::string actor;
  // The Handle identity the caller proved (or a console user's bound one).
  std::optional<AdminIdentity> identity;
  // Role and tenancy; none for a Handle identity that belongs to no
  // enterprise, console user or operator list (HS_ADMIN alone decides).
  std::optional<Principal> principal;
  // How the caller authenticated: "seckey", "pubkey", "basic", "bearer",
  // "session"; empty for anonymous callers.
  std::string method;

  bool anonymous() const { return actor.empty(); }
  static Caller Anonymous() { return Caller{}; }
};

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_CALLER_H_
