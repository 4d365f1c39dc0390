// Secrets at rest: HS_SECKEY secrets sealed with a node key, and slow salted
// hashes for console passwords (docs/authentication.md, "Secrets at rest").
//
// Every MAC form deployed Handle clients send (0x01-0x03, 0x12, 0x13 and
// 0x22 with a salt the client picks per answer) is computed from the secret
// itself, so a server that verifies them must be able to recover the
// secret: a one-way hash of an HS_SECKEY cannot serve those clients. We
// therefore keep HS_SECKEY secrets encrypted (AES-256-GCM) under a node key
// held outside the store, bound to the identity they belong to; a copy of
// the database alone reveals none of them. Console passwords are only ever
// compared, so they are stored as scrypt hashes.
#ifndef QILIAN_IDENT_AUTH_SECRET_STORE_H_
#define QILIAN_IDENT_AUTH_SECRET_STORE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "ident/registry.h"
#include "store/kv_store.h"

namespace qilian::ident::auth {

// ---- HS_SECKEY secrets sealed with the node key.

inline constexpr size_t kNodeKeyBytes = 32;         // AES-256
inline constexpr std::string_view kSealMagic = "QLS1";  // format and version
inline constexpr size_t kSealNonceBytes = 12;
inline constexpr size_t kSealTagBytes = 16;
inline constexpr size_t kMaxSealedSecretBytes = 4096;

// Sealed form: "QLS1" | nonce(12) | AES-256-GCM ciphertext | tag(16), with
// the additional data "QLS1" ‖ context. The context names the identity (for
// example "300:88.999/ADMIN"), so a sealed secret copied to another
// identity's value does not open. The registry seals every HS_SECKEY value
// with one (RegistryOptions::value_sealer).
class SecretSealer : public ValueSealer {
 public:
  // `node_key` must be kNodeKeyBytes octets (InvalidArgument otherwise).
  static absl::StatusOr<SecretSealer> Create(std::string_view node_key);
  // A fresh random node key.
  static absl::StatusOr<std::string> GenerateNodeKey();

  absl::StatusOr<std::string> Seal(std::string_view secret,
                                   std::string_view context) const override;
  // DataLossError("sealed secret does not open") when the key, the context
  // or any octet is wrong; InvalidArgument for a malformed frame.
  absl::StatusOr<std::string> Open(std::string_view sealed,
                                   std::string_view context) const override;

 private:
  explicit SecretSealer(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

// ---- The node key file.

// A value sealed with the node key under this key of the registry's space
// ("ident"; no handle's storage key lacks a '/'), so that start-up can tell
// that the store has sealed secrets and whether a key file opens them.
inline constexpr std::string_view kNodeKeyCheckKey = "!node-key-check";

struct NodeKey {
  SecretSealer sealer;
  bool created = false;  // the key file was written by this call
};

// The node key in `path` (exactly kNodeKeyBytes octets), checked against
// `store`, before anything is sealed:
// - no file and a store that never saw a node key: a fresh random key is
//   written to `path` (mode 0600, synced, never overwriting) and the
//   store's check value is written;
// - no file but a check value in the store: FailedPrecondition
//   "node key file <path> is missing but the store holds secrets sealed
//   with a node key; restore it from a backup", never a new key, which
//   would lose those secrets;
// - a file whose key does not open the check value: FailedPrecondition
//   "node key file <path> does not open the secrets sealed in this store".
// `store` must declare Registry::kSpace.
absl::StatusOr<NodeKey> OpenNodeKey(store::KvStore* store, const std::string& path);

// ---- Console passwords as scrypt hashes.

struct ScryptParams {
  uint64_t n = 1 << 15;  // CPU/memory cost, a power of two
  uint32_t r = 8;
  uint32_t p = 1;
};

// Limits on parameters (also those read back from storage): at most
// 256 MiB of scrypt memory (128 * r * N) per verification.
inline constexpr uint64_t kMaxScryptN = 1 << 20;
inline constexpr uint32_t kMaxScryptR = 32;
inline constexpr uint32_t kMaxScryptP = 16;
inline constexpr uint64_t kMaxScryptMemoryBytes = 256ull << 20;
inline constexpr size_t kPasswordSaltBytes = 16;
inline constexpr size_t kPasswordHashBytes = 32;
inline constexpr size_t kMaxPasswordBytes = 1024;

// "scrypt$N$r$p$<salt base64>$<hash base64>" with a random 16-octet salt.
absl::StatusOr<std::string> HashPassword(std::string_view password,
                                         const ScryptParams& params = {});

// OK if `password` matches `encoded` (constant-time comparison); else
// HandleError(kAuthenticationFailed, "password does not match").
// A malformed or out-of-limit `encoded` fails with DataLossError.
absl::Status VerifyPassword(std::string_view password, std::string_view encoded);

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_SECRET_STORE_H_
