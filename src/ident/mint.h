// Minted suffixes: the part of a handle the node chooses when a create
// carries the MINT flag (deployed bit 10, op_flag::kMint) or REST asks for
// it (docs/handle_wire.md "Minted suffixes", docs/api.md).
//
// The client names a stem, everything the new handle starts with
// ("88.999/" or "88.999/PUMP-"), as deployed Handle.Net servers take it;
// the node appends a random version-4 UUID in lower-case text and creates
// the handle only if no handle of that name exists (Registry::Create is
// atomic per handle), trying a fresh suffix when one does. Nothing is kept
// between mints, so concurrent mints need no coordination and a restart
// loses nothing.
#ifndef QILIAN_IDENT_MINT_H_
#define QILIAN_IDENT_MINT_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace qilian::ident {

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx": 122 random bits.
inline constexpr size_t kMintedSuffixBytes = 36;

// Suffixes tried for one mint before giving up with code 2. With 122
// random bits a second try already means a broken generator; the bound
// keeps such a generator from looping for ever.
inline constexpr int kMaxMintAttempts = 8;

// Where minted suffixes come from; must be safe to call concurrently.
// Errors are answered as code 2.
using MintSuffixFn = std::function<absl::StatusOr<std::string>()>;

// A version-4 UUID (RFC 9562 section 5.4) from OpenSSL's CSPRNG, lower-case
// hexadecimal with dashes, kMintedSuffixBytes long. Fails (code 2) only if
// the generator cannot be seeded.
absl::StatusOr<std::string> RandomMintSuffix();

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_MINT_H_
