#include "tenant/user_store.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "ident/handle_name.h"
#include "ident/response_code.h"
#include "nlohmann/json.hpp"
#include "tenant/enterprise_registry.h"
#include "tenant/field_error.h"

namespace qilian::tenant {

using ident::HandleError;
using ident::ResponseCode;
using ident::Role;
using nlohmann::json;

namespace {

constexpr std::string_view kUserKeyPrefix = "u/";

std::string UserKey(std::string_view name) { return absl::StrCat("u/", std::string(name)); }

// Handles compare case-insensitively in ASCII (as the registry stores
// them), so the binding key is folded and any spelling finds the user.
std::string IdentityKey(const ident::AdminIdentity& identity) {
  return absl::StrCat("i/", identity.index, ":", absl::AsciiStrToLower(identity.handle));
}

absl::Status NoSuchUser(std::string_view name) {
  return HandleError(ResponseCode::kHandleNotFound,
                     absl::StrCat("no user '", Excerpt(name), "'"));
}

absl::Status StorageError(const absl::Status& s) {
  return HandleError(ResponseCode::kError, absl::StrCat("user store: ", s.message()));
}

}  // namespace

std::string_view UserRoleName(Role role) {
  switch (role) {
    case Role::kOperator:
      return "operator";
    case Role::kEnterpriseAdmin:
      return "enterprise-admin";
    case Role::kEnterpriseMember:
      return "enterprise-member";
    case Role::kAuditor:
      return "auditor";
    case Role::kAnonymous:
      break;
  }
  return "anonymous";
}

std::optional<Role> UserRoleFromName(std::string_view name) {
  for (Role r : {Role::kOperator, Role::kEnterpriseAdmin, Role::kEnterpriseMember, Role::kAuditor}) {
    if (name == UserRoleName(r)) return r;
  }
  return std::nullopt;
}

bool IsEnterpriseRole(Role role) {
  return role == Role::kEnterpriseAdmin || role == Role::kEnterpriseMember;
}

std::string UserActor(std::string_view name) { return absl::StrCat("user:", std::string(name)); }

std::string EncodeUser(const User& user) {
  json j = {{"v", 1},
            {"name", user.name},
            {"role", std::string(UserRoleName(user.role))},
            {"enterprise", user.enterprise},
            {"password", user.password_hash},
            {"created", absl::ToUnixMicros(user.created_at)},
            {"updated", absl::ToUnixMicros(user.updated_at)},
            {"disabled", user.disabled}};
  if (user.identity) {
    j["identityIndex"] = user.identity->index;
    j["identityHandle"] = user.identity->handle;
  }
  return j.dump();
}

absl::StatusOr<User> DecodeUser(std::string_view bytes) {
  auto corrupt = [] { return absl::DataLossError("stored user record is corrupt"); };
  json j = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return corrupt();
  auto str = [&](const char* k, std::string* out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_string()) return false;
    *out = it->get<std::string>();
    return true;
  };
  auto num = [&](const char* k, auto* out) {
    auto it = j.find(k);
    if (it == j.end() || !it->is_number_integer()) return false;
    *out = it->get<std::remove_pointer_t<decltype(out)>>();
    return true;
  };
  User u;
  std::string role;
  int64_t created = 0, updated = 0, version = 0;
  auto disabled = j.find("disabled");
  if (!num("v", &version) || version != 1 || !str("name", &u.name) || !str("role", &role) ||
      !num("enterprise", &u.enterprise) || !str("password", &u.password_hash) ||
      !num("created", &created) || !num("updated", &updated) || disabled == j.end() ||
      !disabled->is_boolean()) {
    return corrupt();
  }
  std::optional<Role> r = UserRoleFromName(role);
  if (!r) return corrupt();
  u.role = *r;
  u.disabled = disabled->get<bool>();
  u.created_at = absl::FromUnixMicros(created);
  u.updated_at = absl::FromUnixMicros(updated);
  if (j.contains("identityHandle")) {
    ident::AdminIdentity id;
    if (!str("identityHandle", &id.handle) || !num("identityIndex", &id.index)) return corrupt();
    u.identity = std::move(id);
  }
  return u;
}

UserStore::UserStore(store::KvStore* store, const EnterpriseRegistry* enterprises,
                     const Clock& clock, UserStoreOptions options)
    : store_(store), enterprises_(enterprises), clock_(clock), options_(std::move(options)) {}

absl::Status UserStore::ValidateName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxUserNameBytes;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                c == '-');
  }
  if (ok) return absl::OkStatus();
  return FieldError("name", absl::StrCat("must be 1 to 64 characters of a-z, 0-9, '.', '_' "
                                         "and '-', got '",
                                         Excerpt(name), "'"));
}

absl::Status UserStore::ValidatePassword(std::string_view password) {
  if (password.size() < kMinPasswordBytes || password.size() > kMaxPasswordBytes) {
    return FieldError("password", absl::StrCat("must be ", kMinPasswordBytes, " to ",
                                               kMaxPasswordBytes, " bytes, got ",
                                               password.size()));
  }
  return absl::OkStatus();
}

absl::Status UserStore::ValidateTenancy(const UserInput& input) const {
  if (input.role == Role::kAnonymous) {
    return FieldError("role",
                      "must be operator, enterprise-admin, enterprise-member or auditor");
  }
  if (!IsEnterpriseRole(input.role)) {
    if (input.enterprise != 0) {
      return FieldError("enterprise", absl::StrCat("must not be given for role ",
                                                   std::string(UserRoleName(input.role))));
    }
    return absl::OkStatus();
  }
  if (input.enterprise == 0) {
    return FieldError("enterprise", absl::StrCat("is required for role ",
                                                 std::string(UserRoleName(input.role))));
  }
  if (enterprises_ == nullptr) {
    return FieldError("enterprise", "enterprise onboarding is not enabled on this node");
  }
  absl::StatusOr<Enterprise> e = enterprises_->Get(input.enterprise);
  if (!e.ok()) {
    if (ident::ResponseCodeOf(e.status()) == ResponseCode::kHandleNotFound) {
      return FieldError("enterprise",
                        absl::StrCat("enterprise ", input.enterprise, " is not registered"));
    }
    return e.status();
  }
  return absl::OkStatus();
}

absl::Status UserStore::WriteUser(const User& user, const User* previous) {
  store::WriteBatch batch;
  batch.Put(kSpace, UserKey(user.name), EncodeUser(user));
  if (previous != nullptr && previous->identity && previous->identity != user.identity) {
    batch.Delete(kSpace, IdentityKey(*previous->identity));
  }
  if (user.identity) batch.Put(kSpace, IdentityKey(*user.identity), user.name);
  absl::Status s = store_->Write(batch);
  return s.ok() ? s : StorageError(s);
}

absl::StatusOr<User> UserStore::Create(const UserInput& input) {
  QL_RETURN_IF_ERROR(ValidateName(input.name));
  QL_RETURN_IF_ERROR(ValidateTenancy(input));
  if (input.identity) {
    if (input.identity->index == 0 || !ident::ParseHandle(input.identity->handle).ok()) {
      return FieldError("identity", "must be <index>:<handle> with an index of 1 or more");
    }
  }
  QL_RETURN_IF_ERROR(ValidatePassword(input.password));
  // The slow hash is computed outside the lock.
  absl::StatusOr<std::string> hash = ident::auth::HashPassword(input.password, options_.scrypt);
  if (!hash.ok()) return HandleError(ResponseCode::kError, std::string(hash.status().message()));

  std::lock_guard<std::mutex> lock(write_mu_);
  std::string existing;
  absl::Status s = store_->Get(kSpace, UserKey(input.name), &existing);
  if (s.ok()) {
    return FieldError("name", absl::StrCat("user '", input.name, "' already exists"),
                      ResponseCode::kHandleAlreadyExists);
  }
  if (!absl::IsNotFound(s)) return StorageError(s);
  if (input.identity) {
    s = store_->Get(kSpace, IdentityKey(*input.identity), &existing);
    if (s.ok()) {
      return FieldError("identity",
                        absl::StrCat(ident::IdentityText(*input.identity),
                                     " is already bound to user '", existing, "'"),
                        ResponseCode::kHandleAlreadyExists);
    }
    if (!absl::IsNotFound(s)) return StorageError(s);
  }
  User user;
  user.name = input.name;
  user.role = input.role;
  user.enterprise = IsEnterpriseRole(input.role) ? input.enterprise : 0;
  user.identity = input.identity;
  user.password_hash = *std::move(hash);
  user.created_at = user.updated_at = clock_.Now();
  user.disabled = input.disabled;
  QL_RETURN_IF_ERROR(WriteUser(user, nullptr));
  return user;
}

absl::StatusOr<User> UserStore::Get(std::string_view name) const {
  if (!ValidateName(name).ok()) return NoSuchUser(name);
  std::string bytes;
  absl::Status s = store_->Get(kSpace, UserKey(name), &bytes);
  if (absl::IsNotFound(s)) return NoSuchUser(name);
  if (!s.ok()) return StorageError(s);
  absl::StatusOr<User> user = DecodeUser(bytes);
  if (!user.ok()) return StorageError(user.status());
  return user;
}

absl::StatusOr<std::vector<User>> UserStore::List(uint64_t enterprise) const {
  std::vector<User> out;
  absl::Status decode_error;
  absl::Status s = store_->Scan(kSpace, kUserKeyPrefix, "", [&](std::string_view, std::string_view v) {
    absl::StatusOr<User> user = DecodeUser(v);
    if (!user.ok()) {
      decode_error = user.status();
      return false;
    }
    if (enterprise == 0 || user->enterprise == enterprise) out.push_back(*std::move(user));
    return true;
  });
  if (!s.ok()) return StorageError(s);
  if (!decode_error.ok()) return StorageError(decode_error);
  return out;
}

absl::Status UserStore::Delete(std::string_view name) {
  std::lock_guard<std::mutex> lock(write_mu_);
  QL_ASSIGN_OR_RETURN(User user, Get(name));
  store::WriteBatch batch;
  batch.Delete(kSpace, UserKey(user.name));
  if (user.identity) batch.Delete(kSpace, IdentityKey(*user.identity));
  absl::Status s = store_->Write(batch);
  return s.ok() ? s : StorageError(s);
}

absl::Status UserStore::SetPassword(std::string_view name, std::string_view password) {
  QL_RETURN_IF_ERROR(ValidatePassword(password));
  absl::StatusOr<std::string> hash = ident::auth::HashPassword(password, options_.scrypt);
  if (!hash.ok()) return HandleError(ResponseCode::kError, std::string(hash.status().message()));
  std::lock_guard<std::mutex> lock(write_mu_);
  QL_ASSIGN_OR_RETURN(User user, Get(name));
  User previous = user;
  user.password_hash = *std::move(hash);
  user.updated_at = clock_.Now();
  return WriteUser(user, &previous);
}

absl::Status UserStore::SetDisabled(std::string_view name, bool disabled) {
  std::lock_guard<std::mutex> lock(write_mu_);
  QL_ASSIGN_OR_RETURN(User user, Get(name));
  User previous = user;
  user.disabled = disabled;
  user.updated_at = clock_.Now();
  return WriteUser(user, &previous);
}

absl::StatusOr<std::optional<User>> UserStore::FindByIdentity(
    const ident::AdminIdentity& identity) const {
  std::string name;
  absl::Status s = store_->Get(kSpace, IdentityKey(identity), &name);
  if (absl::IsNotFound(s)) return std::optional<User>();
  if (!s.ok()) return StorageError(s);
  absl::StatusOr<User> user = Get(name);
  // A binding without its user cannot be written (one batch); treat a
  // dangling one as no binding rather than failing the caller.
  if (!user.ok()) {
    if (ident::ResponseCodeOf(user.status()) == ResponseCode::kHandleNotFound) {
      return std::optional<User>();
    }
    return user.status();
  }
  return std::optional<User>(*std::move(user));
}

absl::StatusOr<ident::Caller> UserStore::CallerFor(const User& user,
                                                   std::string_view method) const {
  ident::Caller caller;
  caller.actor = UserActor(user.name);
  caller.identity = user.identity;
  caller.method = std::string(method);
  ident::Principal principal;
  principal.role = user.role;
  if (IsEnterpriseRole(user.role)) {
    if (enterprises_ == nullptr) {
      return HandleError(ResponseCode::kInsufficientPermissions,
                         "enterprise onboarding is not enabled on this node");
    }
    absl::StatusOr<Enterprise> e = enterprises_->Get(user.enterprise);
    if (!e.ok()) {
      if (ident::ResponseCodeOf(e.status()) == ResponseCode::kHandleNotFound) {
        return HandleError(ResponseCode::kInsufficientPermissions,
                           absl::StrCat("enterprise ", user.enterprise, " of user '", user.name,
                                        "' is not registered"));
      }
      return e.status();
    }
    principal.enterprise = absl::StrCat(e->id);
    principal.prefixes.push_back(e->prefix);
  }
  caller.principal = std::move(principal);
  return caller;
}

}  // namespace qilian::tenant
