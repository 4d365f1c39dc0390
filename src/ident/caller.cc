#include "ident/caller.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace qilian::ident {

std::string IdentityText(const AdminIdentity& identity) {
  return absl::StrCat(identity.index, ":", identity.handle);
}

std::optional<AdminIdentity> ParseIdentityText(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == 0 || colon == std::string_view::npos || colon + 1 == text.size()) {
    return std::nullopt;
  }
  const std::string index_text(text.substr(0, colon));
  uint32_t index = 0;
  if (index_text.find_first_not_of("0123456789") != std::string::npos ||
      !absl::SimpleAtoi(index_text, &index)) {
    return std::nullopt;
  }
  return AdminIdentity{std::string(text.substr(colon + 1)), index};
}

}  // namespace qilian::ident
