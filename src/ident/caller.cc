#include "ident/caller.h"

#include "absl/strings/str_cat.h"

namespace qilian::ident {

std::string IdentityText(const AdminIdentity& identity) {
  return absl::StrCat(identity.index, ":", identity.handle);
}

}  // namespace qilian::ident
