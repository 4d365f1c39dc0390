// One entry point for verifying an opcode-200 challenge answer, whatever
// its authentication type, and the client side of HS_PUBKEY answers
// (docs/authentication.md, "HS_PUBKEY challenge answers").
//
// A deployed client answers a 402 challenge for an HS_PUBKEY identity with
//   UTF8-String hash name ("SHA1", "SHA-256", ...) | u32 length + signature
// where the signature covers nonce ‖ request digest, the same octets the
// secret-key MACs cover. The front ends call VerifyChallengeAnswer and need
// not know which kind of key the identity has.
#ifndef QILIAN_IDENT_AUTH_CHALLENGE_ANSWER_H_
#define QILIAN_IDENT_AUTH_CHALLENGE_ANSWER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ident/auth/public_key.h"
#include "ident/registry.h"

namespace qilian::ident::auth {

// Hash names longer than this are refused before they are looked at.
inline constexpr size_t kMaxSignatureHashNameBytes = 64;

// The signed response of an HS_PUBKEY answer, as framed on the wire.
struct PublicKeyAnswer {
  std::string hash_name;  // as sent: "SHA1", "SHA-256", a 1-octet code, ...
  std::string signature;
  bool operator==(const PublicKeyAnswer&) const = default;
};

// Decodes the framing. Malformed answers fail with
// HandleError(kInvalidCredential, <the field that is wrong>).
absl::StatusOr<PublicKeyAnswer> ParsePublicKeyAnswer(std::string_view answer);
std::string EncodePublicKeyAnswer(const PublicKeyAnswer& answer);

// The digest a hash name stands for. Besides ParseSignatureDigest's names,
// the 1-octet codes Handle.Net also reads (0x02 SHA-1, 0x03 SHA-256) are
// accepted; MD5 (by name or 0x01) and anything else fail with
// HandleError(kInvalidCredential, ...).
absl::StatusOr<SignatureDigest> SignatureDigestOfHashName(std::string_view name);

// Client side: the complete answer (framing included) to the challenge
// (nonce, digest) signed with `key`. The default digest is what deployed
// 2.7+ clients use: SHA-256 for RSA and DSA, SM3 for SM2; Ed25519 signs
// purely and writes the name "SHA-512" (what RFC 8032 hashes with; the
// verifier does not read it).
absl::StatusOr<std::string> ComputePublicKeyAnswer(
    const PrivateKey& key, std::string_view nonce, std::string_view digest,
    std::optional<SignatureDigest> signature_digest = std::nullopt);

// The same for a PEM private key (RSA, DSA, Ed25519, SM2); InvalidArgument
// when the PEM does not hold one.
absl::StatusOr<std::string> ComputeChallengeAnswer(std::string_view private_key_pem,
                                                   std::string_view nonce,
                                                   std::string_view digest);

// Server side: OK if `answer`, sent by `key_index:key_handle` with
// authentication type `auth_type`, answers the challenge (nonce, digest).
//   HS_SECKEY: the HS_SECKEY value at (handle, index) and
//              VerifySecretKeyAnswer.
//   HS_PUBKEY: the HS_PUBKEY value at (handle, index), DecodePublicKey,
//              ParsePublicKeyAnswer and VerifySignature over nonce ‖ digest.
// Outcomes:
//   403 kAuthenticationFailed "cannot authenticate I:H: no HS_SECKEY value
//       at that index" (or HS_PUBKEY): no such handle here, not one this
//       node serves, or no value of that type at that index;
//   403 "cannot authenticate I:H: the HS_PUBKEY value at that index is not
//       a usable key (<why>)": the stored key does not decode;
//   403 "secret key answer does not match" / "signature does not verify";
//   404 kInvalidCredential naming the field: a malformed answer, or a hash
//       name the key cannot use;
//   404 "only HS_SECKEY and HS_PUBKEY answers are supported, not 'X'";
//   any other code: a storage failure, passed on.
absl::Status VerifyChallengeAnswer(const Registry& registry, std::string_view auth_type,
                                   std::string_view key_handle, uint32_t key_index,
                                   std::string_view nonce, std::string_view digest,
                                   std::string_view answer);

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_CHALLENGE_ANSWER_H_
