// Native protocol sessions (opcode 400/401, RFC 3652 §3.8, as deployed):
// the session setup body, Qilian's X25519 key exchange, and the HS_MAC
// credential that authenticates each message of a session with the
// session key. Pure functions (OpenSSL for the crypto); the session table
// itself lives in the native front end. See docs/authentication.md,
// "Sessions".
#ifndef QILIAN_IDENT_WIRE_SESSION_H_
#define QILIAN_IDENT_WIRE_SESSION_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ident/wire/codec.h"
#include "ident/wire/envelope.h"

namespace qilian::ident::wire {

// KeyExchangeMode values (Handle.Net Common.KEY_EXCHANGE_*).
inline constexpr uint16_t kKeyExchangeNone = 0;
inline constexpr uint16_t kKeyExchangeCipherClient = 1;  // client's RSA key
inline constexpr uint16_t kKeyExchangeCipherServer = 2;  // server's RSA key
inline constexpr uint16_t kKeyExchangeCipherHdl = 3;     // RSA key in a handle
inline constexpr uint16_t kKeyExchangeDh = 4;            // Diffie-Hellman

// The key record Qilian accepts in mode 4: the PublicKeyRecord frame
// (KeyType:UTF8-String Flags:u16 KeyData) with KeyData = u32 32 + the
// RFC 7748 public key. Deployed clients send "DH_PUB_KEY" (1024-bit
// finite-field DH), which Qilian refuses (docs/authentication.md).
inline constexpr std::string_view kX25519KeyType = "X25519_PUB_KEY";
inline constexpr std::string_view kDhKeyType = "DH_PUB_KEY";
inline constexpr size_t kX25519Bytes = 32;
inline constexpr size_t kSessionKeyBytes = 32;

// Credential type and digest name of a session message (Handle.Net
// AbstractMessage.signMessage(byte[]) from protocol 2.7).
inline constexpr std::string_view kMacCredentialType = "HS_MAC";
inline constexpr std::string_view kHmacSha256Name = "HMAC-SHA256";

// The 400 body as deployed clients encode it (Handle.Net Encoder
// encodeSessionSetupRequest): KeyExchangeMode:u16 Timeout:u32
// IdentityHandle:UTF8-String IdentityIndex:u32, then for modes 1 and 4
// PublicKey:u32 length + octets, for mode 3 ExchangeKeyHandle:UTF8-String
// ExchangeKeyIndex:u32, for mode 2 nothing.
struct SessionSetup {
  uint16_t mode = kKeyExchangeDh;
  uint32_t timeout = 0;  // seconds; 0: the server's default
  std::string identity_handle;
  uint32_t identity_index = 0;
  std::string public_key;  // modes 1 and 4
  std::string exchange_key_handle;  // mode 3
  uint32_t exchange_key_index = 0;
  bool operator==(const SessionSetup&) const = default;
};

// From the generic decoding of a 400 body (key_exchange_mode, timeout,
// raw). Fails (message naming the field) on truncation or trailing octets.
absl::StatusOr<SessionSetup> DecodeSessionSetup(const RequestBody& body);
RequestBody EncodeSessionSetup(const SessionSetup& setup);

// X25519 key records (see kX25519KeyType).
std::string EncodeX25519Key(std::string_view public_key);
absl::StatusOr<std::string> DecodeX25519Key(std::string_view record);
// The type name of a PublicKeyRecord, or "" if it has none.
std::string KeyRecordType(std::string_view record);

struct X25519KeyPair {
  std::string private_key;  // 32 octets
  std::string public_key;   // 32 octets
};
absl::StatusOr<X25519KeyPair> GenerateX25519();

// session key = HKDF-SHA256(ikm = X25519(own_private, peer_public),
// salt = client_public ‖ server_public, info = "qilian session key v1"),
// 32 octets. Fails on an all-zero shared secret (a low-order point).
absl::StatusOr<std::string> DeriveSessionKey(std::string_view own_private,
                                             std::string_view peer_public,
                                             std::string_view client_public,
                                             std::string_view server_public);

// The octets a session MAC covers (2.7 and later): Major Minor
// [SuggestedMajor SuggestedMinor from 2.8] SessionId RequestId Counter
// Header Body.
std::string SessionMacInput(const Envelope& envelope, uint32_t counter,
                            std::string_view header_and_body);
// HMAC-SHA256(key, SessionMacInput(...)).
std::string ComputeSessionMac(std::string_view key, const Envelope& envelope, uint32_t counter,
                              std::string_view header_and_body);
// Constant-time comparison of `mac` with the expected one.
bool VerifySessionMac(std::string_view key, const Envelope& envelope, uint32_t counter,
                      std::string_view header_and_body, std::string_view mac);
// The credential section contents (after CredentialLength) of a session
// message: version 0, empty signer, SignerIndex = the session counter,
// type HS_MAC, digest "HMAC-SHA256", the MAC.
std::string EncodeSessionCredential(uint32_t counter, std::string_view mac);

}  // namespace qilian::ident::wire

#endif  // QILIAN_IDENT_WIRE_SESSION_H_
