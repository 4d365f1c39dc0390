// Random tokens for product keys, product secrets and device secrets, from
// OpenSSL's CSPRNG (RAND_bytes). A failure of the generator is an error,
// never a weaker token.
#ifndef QILIAN_PLATFORM_PRODUCT_RANDOM_TEXT_H_
#define QILIAN_PLATFORM_PRODUCT_RANDOM_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace qilian::platform {

// `n` random octets.
absl::StatusOr<std::string> RandomBytes(size_t n);

// `n` characters drawn uniformly from [A-Za-z0-9] (rejection sampling, so
// no character is likelier than another).
absl::StatusOr<std::string> RandomAlnum(size_t n);

// Lower-case hex of `bytes`.
std::string HexOf(std::string_view bytes);

// Whether `text` is 1..n of [A-Za-z0-9].
bool IsAlnum(std::string_view text);

}  // namespace qilian::platform

#endif  // QILIAN_PLATFORM_PRODUCT_RANDOM_TEXT_H_
