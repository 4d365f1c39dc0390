#include "platform/product/key_parts.h"

#include "ident/response_code.h"
#include "platform/thing_model/str_cat.h"

namespace qilian::platform {

std::string EnterpriseKeyPart(uint64_t enterprise) {
  std::string digits = std::to_string(enterprise);
  return std::string(digits.size() < 20 ? 20 - digits.size() : 0, '0') + digits + "/";
}

absl::Status StorageFailure(std::string_view what, const absl::Status& cause) {
  return ident::HandleError(ident::ResponseCode::kError,
                            Cat("storage ", what, " failed: ", cause.message()));
}

}  // namespace qilian::platform
