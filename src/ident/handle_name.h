// Identifier syntax: `prefix/suffix` (RFC 3650/3651 "naming authority" and
// "local name"), UTF-8.
//
// Case rule (docs/storage.md): prefixes are case-insensitive, as in the
// Handle system; suffixes are case-insensitive too unless the node is
// configured `node.case_sensitive_suffix = true` (Handle.Net's
// `case_sensitive` server option). Folding is ASCII-only, so non-ASCII
// characters always compare exactly. The record keeps the spelling it was
// created with; only the storage key is folded.
#ifndef QILIAN_IDENT_HANDLE_NAME_H_
#define QILIAN_IDENT_HANDLE_NAME_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace qilian::ident {

// Handles travel as UTF8-Strings with a 4-byte length (RFC 3651/3652), which
// caps nothing useful; these are the node's own named limits.
inline constexpr size_t kMaxPrefixBytes = 255;
inline constexpr size_t kMaxHandleBytes = 1024;

struct HandleName {
  std::string prefix;  // e.g. "88.999.1" or "0.NA"
  std::string suffix;  // e.g. "PUMP-2024-000123"; may contain '/'
  std::string full() const { return prefix + "/" + suffix; }
};

// Validates and splits a handle. Errors are InvalidArgument carrying
// ResponseCode::kInvalidHandle, with a message that names the problem
// ("handle is not valid UTF-8", "handle contains a control character",
// "handle is longer than 1024 bytes", "handle has no '/' between prefix and
// suffix", "prefix is empty", "suffix is empty", "prefix is longer than 255
// bytes", "prefix has an empty segment"). The prefix ends at the FIRST '/';
// the suffix may contain more.
absl::StatusOr<HandleName> ParseHandle(std::string_view text);

// Validates a bare prefix (as in `?prefix=` or the authority list). Same
// messages as ParseHandle with "prefix" for "handle", plus "prefix contains
// '/'".
absl::Status ValidatePrefix(std::string_view prefix);

// The case-folded form used as a storage key: ASCII letters upper-cased (as
// Handle.Net normalizes case-insensitive handles, "0.na" -> "0.NA"); every
// other byte, including all of non-ASCII UTF-8, is kept.
std::string FoldPrefix(std::string_view prefix);
std::string StorageKey(const HandleName& name, bool case_sensitive_suffix);

// True if `prefix` is `authority` or derived from it ("88.999.1" is under
// "88.999"), compared case-insensitively. A prefix of "0.NA" handles is the
// part after "0.NA/" (so "0.NA/88.999" is under the authority of "88.999"'s
// parent only through configuration, not here).
bool PrefixIsUnder(std::string_view prefix, std::string_view authority);

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF. Shared with value-type validation.
bool IsValidUtf8(std::string_view text);

// ASCII case-insensitive equality: the Handle system's rule for prefixes
// and value types (non-ASCII bytes compare exactly).
bool EqualsIgnoreCaseAscii(std::string_view a, std::string_view b);

// True if valid UTF-8 `text` holds a C0 control, DEL or a C1 control.
bool HasControlCharacter(std::string_view text);

}  // namespace qilian::ident

#endif  // QILIAN_IDENT_HANDLE_NAME_H_
