#include "ident/authz/first_admin.h"


#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "ident/auth/key_file.h"
#include "ident/auth/nonce.h"
#include "ident/handle_value.h"
#include "ident/response_code.h"
#include "ident/value_codec.h"

namespace qilian::ident::authz {
namespace {

constexpr size_t kSecretRandomBytes = 24;  // 32 characters of base64url
constexpr size_t kMaxSecretFileBytes = 1024;

}  // namespace

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(path);
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  absl::StripAsciiWhitespace(&secret);
  if (secret.empty() || secret.size() > kMaxSecretFileBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("secret file ", path, " must hold 1 to ", kMaxSecretFileBytes,
                     " bytes of secret"));
  }
  return secret;
}

namespace {

// Creates `path` (mode 0600, refusing to overwrite) with `secret` and
// syncs it, so that the secret exists before anything relies on it.
absl::Status WriteSecret(const std::string& path, const std::string& secret) {
  return auth::WriteKeyFile(path, "secret", secret + "\n");
}

HandleValue MakeValue(uint32_t index, std::string_view type, std::string data,
                      uint8_t permissions) {
  HandleValue v;
  v.index = index;
  v.type = std::string(type);
  v.data = std::move(data);
  v.permissions = permissions;
  return v;
}

HandleValue NodeAdmin(std::string_view group_handle) {
  return MakeValue(kPrefixAdminIndex, kTypeAdmin,
                   EncodeAdminData(AdminRecord{admin_perm::kAll, std::string(group_handle),
                                               kNodeAdminGroupIndex}),
                   kPermDefault);
}

}  // namespace

AdminIdentity FirstAdminIdentity(std::string_view first_prefix) {
  return AdminIdentity{absl::StrCat("0.NA/", std::string(first_prefix)), kFirstAdminKeyIndex};
}

absl::StatusOr<FirstAdmin> EnsureFirstAdmin(Registry* registry, const FirstAdminOptions& options) {
  if (options.prefixes.empty()) {
    return absl::FailedPreconditionError("a node without prefixes has no administrator");
  }
  FirstAdmin result;
  result.identity = FirstAdminIdentity(options.prefixes.front());
  const std::string& home = result.identity.handle;
  absl::StatusOr<HandleRecord> existing = registry->Get(home, ValueFilter{});
  if (existing.ok()) return result;
  if (ResponseCodeOf(existing.status()) != ResponseCode::kHandleNotFound) {
    return existing.status();
  }

  absl::StatusOr<std::string> secret = ReadSecretFile(options.secret_file);
  if (absl::IsNotFound(secret.status())) {
    QL_ASSIGN_OR_RETURN(std::string random, auth::GenerateNonce(kSecretRandomBytes));
    std::string encoded = absl::WebSafeBase64Escape(random);
    QL_RETURN_IF_ERROR(WriteSecret(options.secret_file, encoded));
    secret = std::move(encoded);
  }
  if (!secret.ok()) return secret.status();

  std::vector<HandleValue> values = {
      NodeAdmin(home),
      MakeValue(kNodeAdminGroupIndex, kTypeVList,
                EncodeVListData({ValueReference{home, kFirstAdminKeyIndex}}), kPermDefault),
      MakeValue(kFirstAdminKeyIndex, kTypeSecKey, *secret, kPermAdminRead | kPermAdminWrite),
  };
  QL_RETURN_IF_ERROR(registry->Create(home, values));
  for (size_t i = 1; i < options.prefixes.size(); ++i) {
    std::string other = absl::StrCat("0.NA/", options.prefixes[i]);
    absl::Status s = registry->Create(other, {NodeAdmin(home)});
    if (!s.ok() && ResponseCodeOf(s) != ResponseCode::kHandleAlreadyExists) return s;
  }
  result.created = true;
  return result;
}

}  // namespace qilian::ident::authz
