// The node's first administrator (issue 5, docs/authentication.md "First
// administrator"): every write needs an authenticated administrator, so a
// fresh node creates one on its first start. For the node's first prefix P
// it writes the prefix handle 0.NA/P with
//   300  HS_SECKEY  a random secret (admin read/write only, never public)
//   200  HS_VLIST   [300:0.NA/P]  (the node's administrators; enterprise
//                                  prefix handles name this group)
//   100  HS_ADMIN   all permissions -> 200:0.NA/P
// and gives each further prefix Q a 0.NA/Q with the same HS_ADMIN. The
// secret goes to a file (mode 0600) before the handle is written, so a
// crash in between leaves a secret that the next start reuses. A node whose
// prefix handle already exists is left as it is.
#ifndef QILIAN_IDENT_AUTHZ_FIRST_ADMIN_H_
#define QILIAN_IDENT_AUTHZ_FIRST_ADMIN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ident/caller.h"
#include "ident/registry.h"

namespace qilian::ident::authz {

inline constexpr uint32_t kFirstAdminKeyIndex = 300;
inline constexpr uint32_t kNodeAdminGroupIndex = 200;
inline constexpr uint32_t kPrefixAdminIndex = 100;

struct FirstAdminOptions {
  std::vector<std::string> prefixes;  // the node's authoritative prefixes
  // Where the secret is kept: read if the file exists (a secret the
  // operator chose), else written with a fresh random one.
  std::string secret_file;
};

struct FirstAdmin {
  AdminIdentity identity;  // 300:0.NA/<first prefix>
  bool created = false;    // written by this call
};

// The identity of the node's first administrator (nothing when the node
// has no prefix), creating it on a fresh node.
absl::StatusOr<FirstAdmin> EnsureFirstAdmin(Registry* registry, const FirstAdminOptions& options);

// A secret kept in a file (surrounding white space dropped): NotFound when
// the file does not exist, InvalidArgument when it is empty or longer than
// 1024 bytes.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

// The identity EnsureFirstAdmin uses for `first_prefix`.
AdminIdentity FirstAdminIdentity(std::string_view first_prefix);

}  // namespace qilian::ident::authz

#endif  // QILIAN_IDENT_AUTHZ_FIRST_ADMIN_H_
