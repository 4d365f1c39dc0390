#include "ident/auth/seckey_lookup.h"

#include "ident/handle_value.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {

absl::StatusOr<std::optional<std::string>> LookUpSecretKey(const Registry& registry,
                                                           std::string_view handle,
                                                           uint32_t index) {
  return LookUpKeyValue(registry, handle, index, kTypeSecKey);
}

absl::StatusOr<std::optional<std::string>> LookUpKeyValue(const Registry& registry,
                                                          std::string_view handle,
                                                          uint32_t index, std::string_view type) {
  ValueFilter filter;
  filter.indexes = {index};
  absl::StatusOr<HandleRecord> record = registry.Get(handle, filter);
  if (!record.ok()) {
    ResponseCode code = ResponseCodeOf(record.status());
    // Anything that says "not here" is an unknown identity; only a storage
    // failure is an error.
    if (code != ResponseCode::kHandleNotFound && code != ResponseCode::kValuesNotFound &&
        code != ResponseCode::kServerNotResponsible && code != ResponseCode::kInvalidHandle &&
        code != ResponseCode::kPrefixReferral) {
      return record.status();
    }
    return std::optional<std::string>();
  }
  std::optional<std::string> key;
  for (const HandleValue& v : record->values) {
    if (v.index == index && v.type == type) key = v.data;
  }
  return key;
}

}  // namespace qilian::ident::auth
