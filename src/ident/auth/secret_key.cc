#include "ident/auth/secret_key.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {
namespace {

absl::Status Invalid(std::string_view message) {
  return HandleError(ResponseCode::kInvalidCredential, message);
}

const EVP_MD* HashOf(MacAlgorithm algorithm) {
  switch (algorithm) {
    case MacAlgorithm::kMd5:
      return EVP_md5();
    case MacAlgorithm::kSha1:
    case MacAlgorithm::kHmacSha1:
    case MacAlgorithm::kPbkdf2HmacSha1:
      return EVP_sha1();
    case MacAlgorithm::kSha256:
    case MacAlgorithm::kHmacSha256:
      return EVP_sha256();
  }
  return nullptr;
}

size_t MacSize(MacAlgorithm algorithm) {
  return static_cast<size_t>(EVP_MD_get_size(HashOf(algorithm)));
}

struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

absl::StatusOr<std::string> KeyedHash(const EVP_MD* md, std::string_view secret,
                                      std::string_view nonce, std::string_view digest) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (ctx == nullptr || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), secret.data(), secret.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), nonce.data(), nonce.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), digest.data(), digest.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), secret.data(), secret.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1) {
    return absl::InternalError("OpenSSL digest failed");
  }
  out.resize(len);
  return out;
}

absl::StatusOr<std::string> Hmac(const EVP_MD* md, std::string_view key, std::string_view nonce,
                                 std::string_view digest) {
  std::string input = absl::StrCat(std::string(nonce), std::string(digest));
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned int len = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(),
           reinterpret_cast<unsigned char*>(out.data()), &len) == nullptr) {
    return absl::InternalError("OpenSSL HMAC failed");
  }
  out.resize(len);
  return out;
}

absl::Status CheckPbkdf2(const Pbkdf2Params& p) {
  if (p.salt.empty() || p.salt.size() > kMaxPbkdf2SaltBytes) {
    return Invalid(absl::StrCat("PBKDF2 salt length ", p.salt.size(), " outside 1..",
                                kMaxPbkdf2SaltBytes));
  }
  if (p.iterations < kMinPbkdf2Iterations || p.iterations > kMaxPbkdf2Iterations) {
    return Invalid(absl::StrCat("PBKDF2 iterations ", p.iterations, " outside ",
                                kMinPbkdf2Iterations, "..", kMaxPbkdf2Iterations));
  }
  if (p.key_bits < kMinPbkdf2KeyBits || p.key_bits > kMaxPbkdf2KeyBits || p.key_bits % 8 != 0) {
    return Invalid(absl::StrCat("PBKDF2 key bits ", p.key_bits, " not a multiple of 8 in ",
                                kMinPbkdf2KeyBits, "..", kMaxPbkdf2KeyBits));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsMacAlgorithm(uint8_t octet) {
  switch (octet) {
    case 0x01: case 0x02: case 0x03: case 0x12: case 0x13: case 0x22:
      return true;
    default:
      return false;
  }
}

std::string_view MacAlgorithmName(MacAlgorithm algorithm) {
  switch (algorithm) {
    case MacAlgorithm::kMd5: return "MD5";
    case MacAlgorithm::kSha1: return "SHA-1";
    case MacAlgorithm::kSha256: return "SHA-256";
    case MacAlgorithm::kHmacSha1: return "HMAC-SHA1";
    case MacAlgorithm::kHmacSha256: return "HMAC-SHA256";
    case MacAlgorithm::kPbkdf2HmacSha1: return "PBKDF2-HMAC-SHA1";
  }
  return "unknown";
}

absl::StatusOr<SecretKeyAnswer> ParseSecretKeyAnswer(std::string_view answer) {
  ByteReader in(answer);
  uint8_t octet = in.ReadU8();
  if (!in.ok()) return Invalid("empty secret key answer");
  if (!IsMacAlgorithm(octet)) {
    return Invalid(absl::StrCat("unknown secret key algorithm 0x",
                                absl::Hex(octet, absl::kZeroPad2)));
  }
  SecretKeyAnswer out;
  out.algorithm = static_cast<MacAlgorithm>(octet);
  if (out.algorithm == MacAlgorithm::kPbkdf2HmacSha1) {
    out.pbkdf2.salt = std::string(in.ReadLengthPrefixed(kMaxPbkdf2SaltBytes));
    if (!in.ok()) return Invalid("PBKDF2 salt truncated or longer than 64 octets");
    out.pbkdf2.iterations = in.ReadU32();
    out.pbkdf2.key_bits = in.ReadU32();
    if (!in.ok()) return Invalid("PBKDF2 parameters truncated");
    QL_RETURN_IF_ERROR(CheckPbkdf2(out.pbkdf2));
    uint32_t mac_len = in.ReadU32();
    if (!in.ok()) return Invalid("PBKDF2 MAC length truncated");
    if (mac_len != in.remaining()) {
      return Invalid(absl::StrCat("PBKDF2 MAC length ", mac_len, " but ", in.remaining(),
                                  " octets follow"));
    }
  }
  out.mac = std::string(in.ReadBytes(in.remaining()));
  size_t want = MacSize(out.algorithm);
  if (out.mac.size() != want) {
    return Invalid(absl::StrCat(std::string(MacAlgorithmName(out.algorithm)), " MAC is ", out.mac.size(),
                                " octets, want ", want));
  }
  return out;
}

std::string EncodeSecretKeyAnswer(const SecretKeyAnswer& answer) {
  ByteWriter out;
  out.WriteU8(static_cast<uint8_t>(answer.algorithm));
  if (answer.algorithm == MacAlgorithm::kPbkdf2HmacSha1) {
    out.WriteLengthPrefixed(answer.pbkdf2.salt);
    out.WriteU32(answer.pbkdf2.iterations);
    out.WriteU32(answer.pbkdf2.key_bits);
    out.WriteLengthPrefixed(answer.mac);
  } else {
    out.WriteBytes(answer.mac);
  }
  return out.Release();
}

absl::StatusOr<std::string> ComputeSecretKeyMac(MacAlgorithm algorithm, std::string_view secret,
                                                std::string_view nonce, std::string_view digest,
                                                const Pbkdf2Params& pbkdf2) {
  if (secret.size() > kMaxSecretBytes) return Invalid("secret longer than 1024 octets");
  if (!IsMacAlgorithm(static_cast<uint8_t>(algorithm))) {
    return Invalid("unknown secret key algorithm");
  }
  const EVP_MD* md = HashOf(algorithm);
  switch (algorithm) {
    case MacAlgorithm::kMd5:
    case MacAlgorithm::kSha1:
    case MacAlgorithm::kSha256:
      return KeyedHash(md, secret, nonce, digest);
    case MacAlgorithm::kHmacSha1:
    case MacAlgorithm::kHmacSha256:
      return Hmac(md, secret, nonce, digest);
    case MacAlgorithm::kPbkdf2HmacSha1: {
      QL_RETURN_IF_ERROR(CheckPbkdf2(pbkdf2));
      std::string key(pbkdf2.key_bits / 8, '\0');
      if (PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                            reinterpret_cast<const unsigned char*>(pbkdf2.salt.data()),
                            static_cast<int>(pbkdf2.salt.size()),
                            static_cast<int>(pbkdf2.iterations), EVP_sha1(),
                            static_cast<int>(key.size()),
                            reinterpret_cast<unsigned char*>(key.data())) != 1) {
        return absl::InternalError("OpenSSL PBKDF2 failed");
      }
      auto mac = Hmac(md, key, nonce, digest);
      OPENSSL_cleanse(key.data(), key.size());
      return mac;
    }
  }
  return Invalid("unknown secret key algorithm");
}

absl::StatusOr<std::string> ComputeSecretKeyAnswer(MacAlgorithm algorithm,
                                                   std::string_view secret,
                                                   std::string_view nonce,
                                                   std::string_view digest,
                                                   Pbkdf2Params pbkdf2) {
  SecretKeyAnswer answer;
  answer.algorithm = algorithm;
  if (algorithm == MacAlgorithm::kPbkdf2HmacSha1) {
    if (pbkdf2.salt.empty()) {
      pbkdf2.salt.resize(16);
      if (RAND_bytes(reinterpret_cast<unsigned char*>(pbkdf2.salt.data()), 16) != 1) {
        return absl::InternalError("OpenSSL RAND_bytes failed");
      }
    }
    answer.pbkdf2 = pbkdf2;
  }
  QL_ASSIGN_OR_RETURN(answer.mac, ComputeSecretKeyMac(algorithm, secret, nonce, digest, pbkdf2));
  return EncodeSecretKeyAnswer(answer);
}

absl::Status VerifySecretKeyAnswer(std::string_view secret, std::string_view nonce,
                                   std::string_view digest, std::string_view answer) {
  QL_ASSIGN_OR_RETURN(SecretKeyAnswer parsed, ParseSecretKeyAnswer(answer));
  QL_ASSIGN_OR_RETURN(std::string expected,
                      ComputeSecretKeyMac(parsed.algorithm, secret, nonce, digest, parsed.pbkdf2));
  // Sizes are equal here (ParseSecretKeyAnswer checked the MAC length), so
  // the comparison's time depends on neither MAC's contents.
  if (expected.size() != parsed.mac.size() ||
      CRYPTO_memcmp(expected.data(), parsed.mac.data(), expected.size()) != 0) {
    return HandleError(ResponseCode::kAuthenticationFailed, "secret key answer does not match");
  }
  return absl::OkStatus();
}

}  // namespace qilian::ident::auth
