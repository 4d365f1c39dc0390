// Pieces shared by the registries of the store space "platform" (products,
// devices; docs/storage.md): the enterprise part of their keys and the
// error of a failed store operation.
#ifndef QILIAN_PLATFORM_PRODUCT_KEY_PARTS_H_
#define QILIAN_PLATFORM_PRODUCT_KEY_PARTS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace qilian::platform {

// The enterprise id as 20 decimal digits, zero-padded, then "/": keys of one
// enterprise sort together and in id order.
std::string EnterpriseKeyPart(uint64_t enterprise);

// "storage <what> failed: <cause's message>" with Handle code 2 (error).
absl::Status StorageFailure(std::string_view what, const absl::Status& cause);

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_PRODUCT_KEY_PARTS_H_
