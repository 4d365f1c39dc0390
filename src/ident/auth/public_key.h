// Public keys (HS_PUBKEY values, the key in an HS_SITE server record) and
// signatures: certified replies, HS_PUBKEY challenge answers, and our own
// signing keys (docs/authentication.md, "Public keys").
//
// The record format is Handle.Net's (RFC 3651 leaves it open):
//   UTF8-String key type | u16 flags (0) | type-specific fields
// with every big number a u32-length-prefixed big-endian two's-complement
// integer (Java's BigInteger.toByteArray, so a leading 0x00 when the high
// bit is set). Handle.Net writes 4 zero octets after an RSA key; they are
// accepted and written back.
//   "RSA_PUB_KEY":     exponent, modulus, [u32 0]
//   "DSA_PUB_KEY":     q, p, g, y
//   "ED25519_PUB_KEY": the 32-octet RFC 8032 public key (Qilian's own)
//   "SM2_PUB_KEY":     the 65-octet uncompressed point 04‖X‖Y on the SM2
//                      curve, GB/T 32918 (Qilian's own)
// Keys become OpenSSL EVP_PKEYs; all signing and verification goes through
// EVP_DigestSign/EVP_DigestVerify.
#ifndef QILIAN_IDENT_AUTH_PUBLIC_KEY_H_
#define QILIAN_IDENT_AUTH_PUBLIC_KEY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace qilian::ident::auth {

enum class KeyType { kRsa, kDsa, kEd25519, kSm2 };

inline constexpr std::string_view kRsaKeyName = "RSA_PUB_KEY";
inline constexpr std::string_view kDsaKeyName = "DSA_PUB_KEY";
inline constexpr std::string_view kEd25519KeyName = "ED25519_PUB_KEY";
inline constexpr std::string_view kSm2KeyName = "SM2_PUB_KEY";

// Limits for keys read from the wire or the store.
inline constexpr size_t kMaxPublicKeyRecordBytes = 4096;
inline constexpr int kMinRsaBits = 1024;  // older deployed servers
inline constexpr int kMaxRsaBits = 8192;
inline constexpr size_t kMaxSignatureBytes = 1024;
// GB/T 32918 default distinguishing identifier for SM2 signatures.
inline constexpr std::string_view kSm2DefaultId = "1234567812345678";

// Digest named in a signature (credential "SHA1"/"SHA-256", ...).
enum class SignatureDigest { kSha1, kSha256, kSm3 };
// Accepts "SHA1", "SHA-1", "SHA-256", "SHA256", "SM3"; else
// HandleError(kInvalidCredential, "unknown signature digest <name>").
absl::StatusOr<SignatureDigest> ParseSignatureDigest(std::string_view name);
// The name deployed software writes: "SHA1", "SHA-256", "SM3".
std::string_view SignatureDigestName(SignatureDigest digest);

class PublicKey {
 public:
  KeyType type() const { return type_; }
  EVP_PKEY* pkey() const { return pkey_.get(); }
  // The Handle.Net record form (see the file comment).
  std::string Encode() const;

 private:
  friend absl::StatusOr<PublicKey> DecodePublicKey(std::string_view record);
  friend class PrivateKey;
  PublicKey(KeyType type, std::shared_ptr<EVP_PKEY> pkey) : type_(type), pkey_(std::move(pkey)) {}
  KeyType type_;
  std::shared_ptr<EVP_PKEY> pkey_;
  bool rsa_trailer_ = true;  // RSA: the 4 zero octets Handle.Net appends
};

// Decodes a public-key record. Malformed records, unknown key types and
// keys outside the limits fail with HandleError(kInvalidValue, <why>).
absl::StatusOr<PublicKey> DecodePublicKey(std::string_view record);

// OK if `signature` over `data` verifies with `key`; otherwise
// HandleError(kAuthenticationFailed, "signature does not verify"). RSA is
// PKCS#1 v1.5 with SHA-1 or SHA-256, DSA a DER (r, s) with SHA-1 or
// SHA-256, Ed25519 pure (the digest name is not used), SM2 a DER (r, s)
// with SM3 and the default ID. A digest the key type cannot use fails with
// HandleError(kInvalidCredential, ...).
absl::Status VerifySignature(const PublicKey& key, SignatureDigest digest, std::string_view data,
                             std::string_view signature);

// RSA PKCS#1 v1.5 encryption of a short `plaintext` (a session key, in
// key exchange modes 1 and 3) to `key`. InvalidArgument for a key that is
// not RSA or a plaintext too long for it.
absl::StatusOr<std::string> EncryptToKey(const PublicKey& key, std::string_view plaintext);

// A private key of ours (the node's signing key, tests, the CLI).
class PrivateKey {
 public:
  // A fresh key; `rsa_bits` is used for RSA (and DSA's p) only.
  static absl::StatusOr<PrivateKey> Generate(KeyType type, int rsa_bits = 2048);
  // A key from PEM text (PKCS#8 "PRIVATE KEY", or the traditional RSA/DSA/EC
  // forms OpenSSL reads), unencrypted: RSA, DSA, Ed25519 or SM2 (an EC key
  // on the SM2 curve). Anything else fails with InvalidArgument.
  static absl::StatusOr<PrivateKey> FromPem(std::string_view pem);
  // The unencrypted PKCS#8 PEM form (tests, key files for the CLI).
  absl::StatusOr<std::string> ToPem() const;
  KeyType type() const { return type_; }
  PublicKey Public() const;
  absl::StatusOr<std::string> Sign(SignatureDigest digest, std::string_view data) const;
  // The inverse of EncryptToKey (RSA only); InvalidArgument when it does
  // not decrypt.
  absl::StatusOr<std::string> Decrypt(std::string_view ciphertext) const;

 private:
  PrivateKey(KeyType type, std::shared_ptr<EVP_PKEY> pkey) : type_(type), pkey_(std::move(pkey)) {}
  KeyType type_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

// The octets a certified reply's HS_SIGNED credential signs, as deployed
// servers compute them from protocol 2.6 on (../shared/HANDLE-INTEROP.md,
// recorded in resolve-udp-certified-v2.11): envelope major, minor, then
// from 2.8 the suggested major and minor (1 octet each); SessionId,
// RequestId and the credential's signer index, which carries the session
// counter (u32 each); then the reply's header and body. Below 2.6 (RFC 3652)
// only the header and body. At exactly 2.6 this is the form Handle.Net
// meant; its code overwrites these fields (HandleNetV26SignedReplyBytes).
struct SignedReplyFields {
  uint8_t major = 2;
  uint8_t minor = 11;
  uint8_t suggested_major = 2;
  uint8_t suggested_minor = 11;
  uint32_t session_id = 0;
  uint32_t request_id = 0;
  uint32_t session_counter = 0;  // the credential's signer index
};
std::string SignedReplyBytes(const SignedReplyFields& fields, std::string_view header_and_body);

// What Handle.Net's code signs and verifies at exactly 2.6, where each
// envelope field overwrites the previous one: major, minor, the top 16 bits
// of SessionId, the session counter, six zero octets; then header and body.
// RequestId is not covered. Qilian never signs this form (HANDLE-INTEROP.md,
// "Sloppiness not to copy"); it accepts it from other servers.
std::string HandleNetV26SignedReplyBytes(const SignedReplyFields& fields,
                                         std::string_view header_and_body);

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_PUBLIC_KEY_H_
