// The node's signing keys (docs/authentication.md, "The node's signing
// keys"). They sign certified answers (CT) and session setup replies on the
// native protocol, and (issue 14) the ledger's checkpoints.
//
// RSA is always there: it is what deployed Handle.Net clients verify, and
// the key published in the public-key field of the node's HS_SITE. Ed25519
// and SM2 can be added (for Qilian's own clients, GB/T 32918 verifiers and
// the ledger); they are published beside RSA as HS_PUBKEY values. Each key
// is a PKCS#8 PEM file in one directory, created on first start with mode
// 0600 and synced (key_file.h), the care the node key gets:
//   <dir>/rsa.pem  <dir>/ed25519.pem  <dir>/sm2.pem
// Rotation (RotateSigningKey) moves the current file to
// <dir>/retired/<type>-<UTC time>.pem and writes a fresh one; the daemon
// publishes and signs with the new key from its next start.
#ifndef QILIAN_IDENT_AUTH_SIGNING_KEYS_H_
#define QILIAN_IDENT_AUTH_SIGNING_KEYS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ident/auth/public_key.h"

namespace qilian::ident::auth {

// RSA modulus of a generated signing key: what Handle.Net generates by
// default, and what every deployed verifier accepts.
inline constexpr int kSigningRsaBits = 2048;
// A PEM key file longer than this is refused (an 8192-bit RSA key is about
// 6.4 KB).
inline constexpr size_t kMaxSigningKeyFileBytes = 16384;

struct SigningKeyOptions {
  std::string directory;  // e.g. <data_dir>/signing
  // Which keys besides RSA the node holds (generated when missing).
  bool ed25519 = false;
  bool sm2 = false;
};

// "rsa", "ed25519", "sm2", "dsa": file names and configuration.
std::string KeyTypeName(KeyType type);
// The inverse; InvalidArgument "unknown signing key type '<name>' (rsa,
// ed25519, sm2)" for anything else (DSA keys are only verified, never
// generated).
absl::StatusOr<KeyType> ParseSigningKeyType(std::string_view name);

class SigningKeys {
 public:
  // Opens the keys `options` asks for, generating each missing one. A file
  // that is not a private key of its type fails with FailedPrecondition
  // naming the file. Never replaces an existing file.
  static absl::StatusOr<SigningKeys> Open(const SigningKeyOptions& options);

  // The RSA key: certified answers and session setup replies.
  const PrivateKey& rsa() const { return keys_.front(); }
  // The key of `type`, or null when the node does not hold one.
  const PrivateKey* Find(KeyType type) const;
  // Every key, RSA first: the order of the HS_PUBKEY values.
  const std::vector<PrivateKey>& all() const { return keys_; }
  // Types whose file this Open wrote (a fresh key), for the start-up log.
  const std::vector<KeyType>& created() const { return created_; }

 private:
  std::vector<PrivateKey> keys_;
  std::vector<KeyType> created_;
};

// Retires the current `type` key in options.directory and writes a fresh
// one. Returns the path the old key was moved to, or nullopt when there was
// none (a fresh key is written all the same).
absl::StatusOr<std::optional<std::string>> RotateSigningKey(const SigningKeyOptions& options,
                                                            KeyType type, absl::Time now);

}  // namespace qilian::ident::auth

#endif  // QILIAN_IDENT_AUTH_SIGNING_KEYS_H_
