// Secret-key (HS_SECKEY) challenge answers, as deployed Handle clients send
// them (../shared/HANDLE-INTEROP.md, "Digests, MACs, signatures";
// docs/authentication.md).
//
// A server that challenges a request (402) sends a nonce and the request
// digest; the client answers (opcode 200) with an algorithm octet and a MAC
// over nonce ‖ digest, keyed with the HS_SECKEY secret. This module parses
// such an answer with named limits, recomputes the MAC through OpenSSL and
// compares in constant time (the server side), and computes answers (the
// client side: tests, the CLI). Pure functions: no I/O, no storage.
#ifndef QILIAN_IDENT_AUTH_SECRET_KEY_H_
#define QILIAN_IDENT_AUTH_SECRET_KEY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace qilian::ident::auth {

// The algorithm octet that starts a secret-key answer.
enum class MacAlgorithm : uint8_t {
  kMd5 = 0x01,             // MD5(secret ‖ nonce ‖ digest ‖ secret)
  kSha1 = 0x02,            // SHA-1(secret ‖ nonce ‖ digest ‖ secret)
  kSha256 = 0x03,          // SHA-256(secret ‖ nonce ‖ digest ‖ secret)
  kHmacSha1 = 0x12,        // HMAC-SHA1(secret, nonce ‖ digest)
  kHmacSha256 = 0x13,      // HMAC-SHA256(secret, nonce ‖ digest)
  kPbkdf2HmacSha1 = 0x22,  // HMAC-SHA1(PBKDF2-HMAC-SHA1(secret, salt, ...), ...)
};

// Whether `octet` names an algorithm above.
bool IsMacAlgorithm(uint8_t octet);
std::string_view MacAlgorithmName(MacAlgorithm algorithm);

// Named limits on the 0x22 parameters a client chooses. The iteration cap
// keeps one answer from costing the server more than a few hundred ms of
// CPU; deployed clients send 16-octet salts, 10000 iterations, 160 key bits.
inline constexpr size_t kMaxPbkdf2SaltBytes = 64;
inline constexpr uint32_t kMinPbkdf2Iterations = 1000;
inline constexpr uint32_t kMaxPbkdf2Iterations = 1'000'000;
inline constexpr uint32_t kMinPbkdf2KeyBits = 128;
inline constexpr uint32_t kMaxPbkdf2KeyBits = 512;
// The largest MAC any algorithm here produces (SHA-256).
inline constexpr size_t kMaxMacBytes = 32;
// Secrets longer than this are refused (they are typed by people).
inline constexpr size_t kMaxSecretBytes = 1024;

// Parameters of form 0x22.
struct Pbkdf2Params {
  std::string salt;
  uint32_t iterations = 10000;
  uint32_t key_bits = 160;
  bool operator==(const Pbkdf2Params&) const = default;
};

// A decoded answer: the ChallengeResponse of an opcode-200 body (the
// `answer` field of wire::RequestBody).
struct SecretKeyAnswer {
  MacAlgorithm algorithm = MacAlgorithm::kPbkdf2HmacSha1;
  Pbkdf2Params pbkdf2;  // 0x22 only
  std::string mac;
  bool operator==(const SecretKeyAnswer&) const = default;
};

// Decodes an answer. Malformed or out-of-limit answers fail with
// HandleError(kInvalidCredential, <what is wrong>).
absl::StatusOr<SecretKeyAnswer> ParseSecretKeyAnswer(std::string_view answer);
// The wire form of `answer` (inverse of ParseSecretKeyAnswer).
std::string EncodeSecretKeyAnswer(const SecretKeyAnswer& answer);

// The MAC of `algorithm` over nonce ‖ digest keyed with `secret`; `pbkdf2`
// is read for 0x22 only. Fails (kInvalidCredential) on parameters outside
// the limits above.
absl::StatusOr<std::string> ComputeSecretKeyMac(MacAlgorithm algorithm,
                                                std::string_view secret,
                                                std::string_view nonce,
                                                std::string_view digest,
                                                const Pbkdf2Params& pbkdf2 = {});

// Client side: a complete answer (algorithm octet + MAC). For 0x22 an empty
// `pbkdf2.salt` is replaced by 16 random octets, as deployed clients do.
absl::StatusOr<std::string> ComputeSecretKeyAnswer(MacAlgorithm algorithm,
                                                   std::string_view secret,
                                                   std::string_view nonce,
                                                   std::string_view digest,
                                                   Pbkdf2Params pbkdf2 = {});

// Server side: OK if `answer` is a correct answer to the challenge (nonce,
// digest) for `secret`. A wrong MAC fails with
// HandleError(kAuthenticationFailed, "secret key answer does not match");
// a malformed answer as ParseSecretKeyAnswer.
absl::Status VerifySecretKeyAnswer(std::string_view secret, std::string_view nonce,
                                   std::string_view digest, std::string_view answer);

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_SECRET_KEY_H_
