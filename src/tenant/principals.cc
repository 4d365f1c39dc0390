#include "tenant/principals.h"

#include "core/status.h"
#include "ident/handle_name.h"
#include "tenant/enterprise_registry.h"
#include "tenant/user_store.h"

namespace qilian::tenant {

PrincipalDirectory::PrincipalDirectory(const EnterpriseRegistry* enterprises,
                                       const UserStore* users,
                                       std::vector<ident::AdminIdentity> operators,
                                       bool case_sensitive_suffix)
    : enterprises_(enterprises),
      users_(users),
      operators_(std::move(operators)),
      case_sensitive_suffix_(case_sensitive_suffix) {}

bool PrincipalDirectory::IsOperator(const ident::AdminIdentity& who) const {
  absl::StatusOr<ident::HandleName> name = ident::ParseHandle(who.handle);
  if (!name.ok()) return false;
  for (const ident::AdminIdentity& op : operators_) {
    if (op.index != who.index) continue;
    absl::StatusOr<ident::HandleName> listed = ident::ParseHandle(op.handle);
    if (!listed.ok()) continue;
    if (ident::StorageKey(*listed, case_sensitive_suffix_) ==
        ident::StorageKey(*name, case_sensitive_suffix_)) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::optional<ident::Principal>> PrincipalDirectory::Lookup(
    const ident::AdminIdentity& who) const {
  if (IsOperator(who)) return ident::Principal{ident::Role::kOperator, {}, ""};
  if (users_ != nullptr) {
    QL_ASSIGN_OR_RETURN(std::optional<User> user, users_->FindByIdentity(who));
    if (user.has_value()) {
      // A disabled user's identity keeps proving its key but may do
      // nothing: an anonymous role is refused every operation.
      if (user->disabled) return ident::Principal{ident::Role::kAnonymous, {}, ""};
      QL_ASSIGN_OR_RETURN(ident::Caller caller, users_->CallerFor(*user, "seckey"));
      return caller.principal;
    }
  }
  if (enterprises_ != nullptr) {
    absl::StatusOr<ident::HandleName> name = ident::ParseHandle(who.handle);
    if (!name.ok()) return std::optional<ident::Principal>();
    QL_ASSIGN_OR_RETURN(std::optional<Enterprise> owner, enterprises_->OwnerOf(name->prefix));
    if (owner.has_value()) {
      return ident::Principal{ident::Role::kEnterpriseAdmin, {owner->prefix},
                              std::to_string(owner->id)};
    }
  }
  return std::optional<ident::Principal>();
}

std::optional<ident::Principal> PrincipalDirectory::Of(const ident::AdminIdentity& who) const {
  absl::StatusOr<std::optional<ident::Principal>> found = Lookup(who);
  return found.ok() ? *found : std::nullopt;
}

}  // namespace qilian::tenant
