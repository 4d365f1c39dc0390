#include "ident/auth/signing_keys.h"

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"
#include "ident/auth/key_file.h"

namespace qilian::ident::auth {
namespace {

std::string KeyPath(const SigningKeyOptions& options, KeyType type) {
  return absl::StrCat(options.directory, "/", KeyTypeName(type), ".pem");
}

absl::StatusOr<PrivateKey> Generate(KeyType type) {
  return PrivateKey::Generate(type, kSigningRsaBits);
}

// Writes a fresh key of `type` to `path` (never over an existing file).
absl::StatusOr<PrivateKey> CreateKeyFile(const std::string& path, KeyType type) {
  QL_ASSIGN_OR_RETURN(PrivateKey key, Generate(type));
  QL_ASSIGN_OR_RETURN(std::string pem, key.ToPem());
  absl::Status written = WriteKeyFile(path, "signing key", pem);
  OPENSSL_cleanse(pem.data(), pem.size());
  QL_RETURN_IF_ERROR(written);
  return key;
}

// The key in `path`; NotFound when there is no file.
absl::StatusOr<PrivateKey> ReadKey(const std::string& path, KeyType type) {
  absl::StatusOr<std::string> pem = ReadKeyFile(path, "signing key", kMaxSigningKeyFileBytes);
  if (!pem.ok()) return pem.status();
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPem(*pem);
  OPENSSL_cleanse(pem->data(), pem->size());
  if (!key.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("signing key file ", path,
                                                      " is not a private key: ",
                                                      key.status().message()));
  }
  if (key->type() != type) {
    return absl::FailedPreconditionError(absl::StrCat("signing key file ", path, " holds a ",
                                                      KeyTypeName(key->type()), " key, want ",
                                                      KeyTypeName(type)));
  }
  return key;
}

}  // namespace

std::string KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "rsa";
    case KeyType::kDsa:
      return "dsa";
    case KeyType::kEd25519:
      return "ed25519";
    case KeyType::kSm2:
      return "sm2";
  }
  return "unknown";
}

absl::StatusOr<KeyType> ParseSigningKeyType(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(std::string(name));
  if (lower == "rsa") return KeyType::kRsa;
  if (lower == "ed25519") return KeyType::kEd25519;
  if (lower == "sm2") return KeyType::kSm2;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown signing key type '", std::string(name), "' (rsa, ed25519, sm2)"));
}

absl::StatusOr<SigningKeys> SigningKeys::Open(const SigningKeyOptions& options) {
  std::vector<KeyType> wanted = {KeyType::kRsa};
  if (options.ed25519) wanted.push_back(KeyType::kEd25519);
  if (options.sm2) wanted.push_back(KeyType::kSm2);
  SigningKeys keys;
  for (KeyType type : wanted) {
    const std::string path = KeyPath(options, type);
    absl::StatusOr<PrivateKey> key = ReadKey(path, type);
    if (absl::IsNotFound(key.status())) {
      key = CreateKeyFile(path, type);
      if (key.ok()) keys.created_.push_back(type);
    }
    if (!key.ok()) return key.status();
    keys.keys_.push_back(*std::move(key));
  }
  return keys;
}

const PrivateKey* SigningKeys::Find(KeyType type) const {
  for (const PrivateKey& key : keys_) {
    if (key.type() == type) return &key;
  }
  return nullptr;
}

absl::StatusOr<std::optional<std::string>> RotateSigningKey(const SigningKeyOptions& options,
                                                            KeyType type, absl::Time now) {
  if (type == KeyType::kDsa) {
    return absl::InvalidArgumentError("DSA signing keys are not generated");
  }
  const std::string path = KeyPath(options, type);
  std::optional<std::string> retired;
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    // Check the old key before moving it, so a broken file is noticed.
    QL_RETURN_IF_ERROR(ReadKey(path, type).status());
    const std::string dir = absl::StrCat(options.directory, "/retired");
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create directory ", dir, ": ", ec.message()));
    }
    const std::string stem = absl::StrCat(
        dir, "/", KeyTypeName(type), "-",
        absl::FormatTime("%Y%m%dT%H%M%SZ", now, absl::UTCTimeZone()));
    std::string target = absl::StrCat(stem, ".pem");
    for (int n = 2; std::filesystem::exists(target, ec); ++n) {
      target = absl::StrCat(stem, "-", n, ".pem");
    }
    std::filesystem::rename(path, target, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot move ", path, " to ", target, ": ", ec.message()));
    }
    retired = target;
  }
  QL_RETURN_IF_ERROR(CreateKeyFile(path, type).status());
  return retired;
}

}  // namespace qilian::ident::auth
