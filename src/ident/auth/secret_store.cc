#include "ident/auth/secret_store.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <memory>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/status.h"
#include "ident/auth/key_file.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {
namespace {

struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }
const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

absl::StatusOr<std::string> RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(U(out), static_cast<int>(n)) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed");
  }
  return out;
}

bool IsPowerOfTwo(uint64_t v) { return v >= 2 && (v & (v - 1)) == 0; }

absl::Status CheckScrypt(const ScryptParams& p) {
  if (!IsPowerOfTwo(p.n) || p.n > kMaxScryptN || p.r == 0 || p.r > kMaxScryptR || p.p == 0 ||
      p.p > kMaxScryptP || 128ull * p.r * p.n > kMaxScryptMemoryBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("scrypt parameters N=", p.n, " r=", p.r, " p=", p.p, " out of limits"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Scrypt(std::string_view password, std::string_view salt,
                                   const ScryptParams& p, size_t out_len) {
  std::string out(out_len, '\0');
  // OpenSSL needs 128*r*(N+2) + 128*r*p octets; the limits keep that well
  // below this cap.
  const uint64_t maxmem = kMaxScryptMemoryBytes + (16ull << 20);
  if (EVP_PBE_scrypt(password.data(), password.size(), U(salt), salt.size(), p.n, p.r, p.p,
                     maxmem, U(out), out.size()) != 1) {
    return absl::InternalError("OpenSSL scrypt failed");
  }
  return out;
}

}  // namespace

absl::StatusOr<SecretSealer> SecretSealer::Create(std::string_view node_key) {
  if (node_key.size() != kNodeKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("node key is ", node_key.size(), " octets, want ", kNodeKeyBytes));
  }
  return SecretSealer(std::string(node_key));
}

absl::StatusOr<std::string> SecretSealer::GenerateNodeKey() { return RandomBytes(kNodeKeyBytes); }

absl::StatusOr<std::string> SecretSealer::Seal(std::string_view secret,
                                               std::string_view context) const {
  if (secret.size() > kMaxSealedSecretBytes) {
    return absl::InvalidArgumentError("secret longer than 4096 octets");
  }
  QL_ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kSealNonceBytes));
  std::string aad = absl::StrCat(std::string(kSealMagic), std::string(context));
  std::string out = absl::StrCat(std::string(kSealMagic), nonce);
  size_t header = out.size();
  out.resize(header + secret.size() + kSealTagBytes);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  int total = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), U(key_), U(nonce), nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), U(out) + header, &len, U(secret),
                        static_cast<int>(secret.size())) != 1) {
    return absl::InternalError("OpenSSL AES-GCM encryption failed");
  }
  total = len;
  if (EVP_EncryptFinal_ex(ctx.get(), U(out) + header + total, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kSealTagBytes,
                          U(out) + header + secret.size()) != 1) {
    return absl::InternalError("OpenSSL AES-GCM encryption failed");
  }
  return out;
}

absl::StatusOr<std::string> SecretSealer::Open(std::string_view sealed,
                                               std::string_view context) const {
  const size_t overhead = kSealMagic.size() + kSealNonceBytes + kSealTagBytes;
  if (sealed.size() < overhead || sealed.size() > kMaxSealedSecretBytes + overhead ||
      sealed.substr(0, kSealMagic.size()) != kSealMagic) {
    return absl::InvalidArgumentError("not a sealed secret (QLS1)");
  }
  std::string_view nonce = sealed.substr(kSealMagic.size(), kSealNonceBytes);
  std::string_view cipher =
      sealed.substr(kSealMagic.size() + kSealNonceBytes, sealed.size() - overhead);
  std::string tag(sealed.substr(sealed.size() - kSealTagBytes));
  std::string aad = absl::StrCat(std::string(kSealMagic), std::string(context));
  std::string out(cipher.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex2(ctx.get(), EVP_aes_256_gcm(), U(key_), U(nonce), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), U(out), &len, U(cipher), static_cast<int>(cipher.size())) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kSealTagBytes, U(tag)) != 1) {
    return absl::InternalError("OpenSSL AES-GCM decryption failed");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), U(out) + len, &final_len) != 1) {
    OPENSSL_cleanse(out.data(), out.size());
    return absl::DataLossError("sealed secret does not open");
  }
  return out;
}

static_assert(kSealMagic == ident::kSealedValueMagic);
static_assert(kSealMagic.size() + kSealNonceBytes + kSealTagBytes == ident::kMinSealedValueBytes);

namespace {

constexpr std::string_view kNodeKeyCheckContext = "node-key-check";
constexpr std::string_view kNodeKeyCheckText = "qilian node key";

}  // namespace

absl::StatusOr<NodeKey> OpenNodeKey(store::KvStore* store, const std::string& path) {
  std::string check;
  absl::Status s = store->Get(Registry::kSpace, kNodeKeyCheckKey, &check);
  const bool has_check = s.ok();
  if (!s.ok() && !absl::IsNotFound(s)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read the node key check from the store: ", std::string(s.message())));
  }
  bool created = false;
  absl::StatusOr<std::string> key = ReadKeyFile(path, "node key", 2 * kNodeKeyBytes);
  if (absl::IsNotFound(key.status())) {
    if (has_check) {
      return absl::FailedPreconditionError(
          absl::StrCat("node key file ", path,
                       " is missing but the store holds secrets sealed with a node key; "
                       "restore it from a backup"));
    }
    QL_ASSIGN_OR_RETURN(key, SecretSealer::GenerateNodeKey());
    QL_RETURN_IF_ERROR(WriteKeyFile(path, "node key", *key));
    created = true;
  }
  if (!key.ok()) return key.status();
  if (key->size() != kNodeKeyBytes) {
    return absl::FailedPreconditionError(absl::StrCat(
        "node key file ", path, " holds ", key->size(), " octets, want ", kNodeKeyBytes));
  }
  QL_ASSIGN_OR_RETURN(SecretSealer sealer, SecretSealer::Create(*key));
  OPENSSL_cleanse(key->data(), key->size());
  if (has_check) {
    if (!sealer.Open(check, kNodeKeyCheckContext).ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "node key file ", path, " does not open the secrets sealed in this store"));
    }
  } else {
    QL_ASSIGN_OR_RETURN(std::string sealed, sealer.Seal(kNodeKeyCheckText, kNodeKeyCheckContext));
    s = store->Put(Registry::kSpace, kNodeKeyCheckKey, sealed);
    if (!s.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot write the node key check to the store: ", std::string(s.message())));
    }
  }
  return NodeKey{std::move(sealer), created};
}

absl::StatusOr<std::string> HashPassword(std::string_view password, const ScryptParams& params) {
  if (password.size() > kMaxPasswordBytes) {
    return absl::InvalidArgumentError("password longer than 1024 octets");
  }
  QL_RETURN_IF_ERROR(CheckScrypt(params));
  QL_ASSIGN_OR_RETURN(std::string salt, RandomBytes(kPasswordSaltBytes));
  QL_ASSIGN_OR_RETURN(std::string hash, Scrypt(password, salt, params, kPasswordHashBytes));
  return absl::StrCat("scrypt$", params.n, "$", params.r, "$", params.p, "$",
                      absl::Base64Escape(salt), "$", absl::Base64Escape(hash));
}

absl::Status VerifyPassword(std::string_view password, std::string_view encoded) {
  if (password.size() > kMaxPasswordBytes) {
    return HandleError(ResponseCode::kAuthenticationFailed, "password does not match");
  }
  std::vector<std::string> parts = absl::StrSplit(std::string(encoded), '$');
  ScryptParams params;
  std::string salt;
  std::string hash;
  if (parts.size() != 6 || parts[0] != "scrypt" || !absl::SimpleAtoi(parts[1], &params.n) ||
      !absl::SimpleAtoi(parts[2], &params.r) || !absl::SimpleAtoi(parts[3], &params.p) ||
      !absl::Base64Unescape(parts[4], &salt) || !absl::Base64Unescape(parts[5], &hash)) {
    return absl::DataLossError("malformed password hash");
  }
  if (!CheckScrypt(params).ok() || salt.size() < 8 || salt.size() > 64 || hash.size() < 16 ||
      hash.size() > 64) {
    return absl::DataLossError("password hash parameters out of limits");
  }
  QL_ASSIGN_OR_RETURN(std::string computed, Scrypt(password, salt, params, hash.size()));
  if (CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) != 0) {
    return HandleError(ResponseCode::kAuthenticationFailed, "password does not match");
  }
  return absl::OkStatus();
}

}  // namespace qilian::ident::auth
