// Console users (issue 5, docs/console-users.md): people who sign in to the
// REST console with a name and password and act with a role — operator,
// enterprise administrator, enterprise member or auditor. An enterprise
// role belongs to one registered enterprise, whose prefixes bound what the
// user may touch. A user may be bound to a Handle identity (index:handle),
// so that the same person authenticating natively with that key gets the
// user's role too.
//
// Passwords are kept only as scrypt hashes (ident/auth/secret_store.h).
//
// Key layout of space "users":
//   "u/" + name                          -> the user record (EncodeUser)
//   "i/" + <index> ":" + <handle, ASCII-folded> -> name (identity binding)
// A user and its binding are written and deleted in one batch. Writes are
// serialized by a mutex, so the uniqueness checks and the write are one
// step.
//
// Errors (ident/response_code.h): 202 invalid field (a FieldError naming
// "name", "role", "enterprise", "identity" or "password"), 101 name taken
// or identity already bound (FieldError), 100 no such user, 2 storage.
#ifndef QILIAN_TENANT_USER_STORE_H_
#define QILIAN_TENANT_USER_STORE_H_

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "ident/auth/secret_store.h"
#include "ident/caller.h"
#include "store/kv_store.h"

namespace qilian::tenant {

class EnterpriseRegistry;

inline constexpr size_t kMaxUserNameBytes = 64;
inline constexpr size_t kMinPasswordBytes = 12;
inline constexpr size_t kMaxPasswordBytes = 256;

// "operator", "enterprise-admin", "enterprise-member", "auditor" (and
// "anonymous" for Role::kAnonymous, which no user has).
std::string_view UserRoleName(ident::Role role);
// The role a name stands for; nullopt for anything else (and "anonymous").
std::optional<ident::Role> UserRoleFromName(std::string_view name);
bool IsEnterpriseRole(ident::Role role);

struct User {
  std::string name;
  ident::Role role = ident::Role::kAnonymous;
  uint64_t enterprise = 0;  // enterprise roles only; 0 otherwise
  std::optional<ident::AdminIdentity> identity;
  std::string password_hash;  // "scrypt$..."
  absl::Time created_at = absl::UnixEpoch();
  absl::Time updated_at = absl::UnixEpoch();
  bool disabled = false;
  bool operator==(const User&) const = default;
};

// What an administrator submits to create a user.
struct UserInput {
  std::string name;
  ident::Role role = ident::Role::kAnonymous;
  uint64_t enterprise = 0;
  std::optional<ident::AdminIdentity> identity;
  std::string password;
  bool disabled = false;
};

struct UserStoreOptions {
  // Cost of new password hashes; tests use small ones.
  ident::auth::ScryptParams scrypt;
};

class UserStore {
 public:
  static constexpr std::string_view kSpace = "users";

  // `enterprises` may be null (no onboarding on this node): users with an
  // enterprise role are then refused. Everything must outlive this object.
  UserStore(store::KvStore* store, const EnterpriseRegistry* enterprises, const Clock& clock,
            UserStoreOptions options = {});

  // Validates (name, role, enterprise, identity, password, in that order),
  // hashes the password and stores the user and its binding atomically.
  absl::StatusOr<User> Create(const UserInput& input);

  absl::StatusOr<User> Get(std::string_view name) const;

  // All users, ascending by name; only those of `enterprise` when non-zero.
  absl::StatusOr<std::vector<User>> List(uint64_t enterprise = 0) const;

  // Removes the user and its identity binding. 100 if absent.
  absl::Status Delete(std::string_view name);

  // Replaces the password hash (after the password policy check).
  absl::Status SetPassword(std::string_view name, std::string_view password);

  absl::Status SetDisabled(std::string_view name, bool disabled);

  // The user bound to `identity`, or nullopt.
  absl::StatusOr<std::optional<User>> FindByIdentity(const ident::AdminIdentity& identity) const;

  // The Caller a request of `user` runs as: actor "user:<name>", the bound
  // identity, and the Principal (role; for enterprise roles the
  // enterprise's id and prefix, read from the registry now). `method` is
  // how the user authenticated ("bearer"; "seckey"... for a bound identity).
  absl::StatusOr<ident::Caller> CallerFor(const User& user, std::string_view method) const;

  // The scrypt parameters new hashes use (for timing-equal dummy checks).
  const ident::auth::ScryptParams& scrypt() const { return options_.scrypt; }

  // Field checks, exposed for the REST edge and tests.
  static absl::Status ValidateName(std::string_view name);
  static absl::Status ValidatePassword(std::string_view password);

 private:
  absl::Status ValidateTenancy(const UserInput& input) const;
  absl::Status WriteUser(const User& user, const User* previous);

  store::KvStore* store_;
  const EnterpriseRegistry* enterprises_;
  const Clock& clock_;
  UserStoreOptions options_;
  std::mutex write_mu_;
};

// "user:<name>": how the audit log and Caller::actor name a console user.
std::string UserActor(std::string_view name);

// The stored form of a user (a JSON object, "v":1).
std::string EncodeUser(const User& user);
absl::StatusOr<User> DecodeUser(std::string_view bytes);

}  // namespace qilian::tenant

#endif  // QILIAN_TENANT_USER_STORE_H_
