// Native protocol sessions (opcode 400/401, RFC 3652 §3.8) as the
// reference client (Handle.Net hdllib 9.x) makes them: the session setup
// body with its 2-octet BodyLength excess, the key exchange (mode 4:
// finite-field Diffie-Hellman in the client's group, as hdllib sends, or
// Qilian's X25519), the session key derived exactly as the client derives
// it, the HS_MAC credential on each message of a session, and the
// encryption of whole messages (envelope EC). Pure functions (OpenSSL for
// the crypto); the session table itself lives in the native front end. See
// docs/authentication.md, "Sessions", and docs/handle_wire.md.
#ifndef QILIAN_IDENT_WIRE_SESSION_H_
#define QILIAN_IDENT_WIRE_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "ident/wire/codec.h"
#include "ident/wire/envelope.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace qilian::ident::wire {

// KeyExchangeMode values (Handle.Net Common.KEY_EXCHANGE_*).
inline constexpr uint16_t kKeyExchangeNone = 0;
inline constexpr uint16_t kKeyExchangeCipherClient = 1;  // client's RSA key
inline constexpr uint16_t kKeyExchangeCipherServer = 2;  // server's RSA key
inline constexpr uint16_t kKeyExchangeCipherHdl = 3;     // RSA key in a handle
inline constexpr uint16_t kKeyExchangeDh = 4;            // Diffie-Hellman

// Session cipher codes (Handle.Net HdlSecurityProvider.ENCRYPT_ALG_*). The
// server chooses; Qilian always chooses AES.
inline constexpr uint32_t kCipherDes = 1;
inline constexpr uint32_t kCipherDesEde = 2;
inline constexpr uint32_t kCipherAes = 3;

// Key records exchanged in mode 4, in the PublicKeyRecord frame
// (KeyType:UTF8-String Flags:u16 KeyData):
//   "DH_PUB_KEY"     KeyData = Y P G, each u32 length + big-endian integer
//                    (Java BigInteger.toByteArray) — what hdllib sends
//   "X25519_PUB_KEY" KeyData = u32 32 + the RFC 7748 public key (Qilian)
inline constexpr std::string_view kDhKeyType = "DH_PUB_KEY";
inline constexpr std::string_view kX25519KeyType = "X25519_PUB_KEY";
inline constexpr size_t kX25519Bytes = 32;
inline constexpr size_t kSessionKeyBytes = 32;
// The DH groups accepted from clients: hdllib's is 1024 bits; above 4096
// one setup would cost the server too much.
inline constexpr int kMinDhBits = 1024;
inline constexpr int kMaxDhBits = 4096;

// Credential type and digest name of a session message (Handle.Net
// AbstractMessage.signMessage(byte[]) from protocol 2.7).
inline constexpr std::string_view kMacCredentialType = "HS_MAC";
inline constexpr std::string_view kHmacSha256Name = "HMAC-SHA256";

// hdllib's encoders count KeyExchangeMode as 4 octets in BodyLength while
// writing 2, so its 400 bodies (request and reply) end in 2 zero octets
// that BodyLength includes. Decoders accept the body with or without them.
inline constexpr size_t kDeployedSetupPadding = 2;

// The 400 request body (Handle.Net Encoder encodeSessionSetupRequest):
// KeyExchangeMode:u16 Timeout:u32 IdentityHandle:UTF8-String
// IdentityIndex:u32, then for modes 1 and 4 PublicKey:u32 length + octets,
// for mode 3 ExchangeKeyHandle:UTF8-String ExchangeKeyIndex:u32, for mode 2
// nothing; then the 2 octets of padding (deployed) or nothing (RFC).
struct SessionSetup {
  uint16_t mode = kKeyExchangeDh;
  uint32_t timeout = 0;  // seconds; 0: the server's default
  std::string identity_handle;  // claimed here, proven by a later challenge
  uint32_t identity_index = 0;  // hdllib sends 0xffffffff without identity
  std::string public_key;  // modes 1 and 4
  std::string exchange_key_handle;  // mode 3
  uint32_t exchange_key_index = 0;
  bool padded = true;  // the 2 deployed octets were there / are written
  bool operator==(const SessionSetup&) const = default;
};

// From the generic decoding of a 400 body (key_exchange_mode, timeout,
// raw). Fails (message naming the field) on truncation or trailing octets
// other than the 2 zero octets of padding.
absl::StatusOr<SessionSetup> DecodeSessionSetup(const RequestBody& body);
RequestBody EncodeSessionSetup(const SessionSetup& setup);

// The 400 reply's ModeData (Handle.Net HandleServer.doSessionSetup):
// Data:u32 length + octets, then the 2 octets of padding; ResponseBody::raw
// holds exactly this. Data is, by mode (from protocol 2.4):
//   4 (DH):         Cipher:u32 KeyRecord (the node's half)
//   1, 3 (RSA):     RSA-PKCS1-v1.5(client's key, Cipher:u32 SessionKey)
std::string EncodeSetupReplyData(std::string_view data, bool padded);
absl::StatusOr<std::string> DecodeSetupReplyData(std::string_view raw, bool* padded);
// Cipher:u32 SessionKey, the plaintext of the RSA modes, and back.
std::string EncodeSessionKeyPayload(uint32_t cipher, std::string_view key);
absl::StatusOr<std::string> DecodeSessionKeyPayload(std::string_view payload, uint32_t* cipher);

// Mode 4's reply, decoded.
struct SessionSetupReply {
  uint32_t cipher = kCipherAes;
  std::string key_record;  // the server's half, same type as the client's
  bool padded = true;
};
std::string EncodeSessionSetupReply(const SessionSetupReply& reply);
absl::StatusOr<SessionSetupReply> DecodeSessionSetupReply(std::string_view raw);

// The type name of a PublicKeyRecord, or "" if it has none.
std::string KeyRecordType(std::string_view record);

// One side's ephemeral key of a mode-4 exchange.
class ExchangeKey {
 public:
  // Client side: a fresh X25519 key, or a DH key in the group (p, g), both
  // big-endian unsigned integers.
  static absl::StatusOr<ExchangeKey> NewX25519();
  static absl::StatusOr<ExchangeKey> NewDh(std::string_view p, std::string_view g);
  // Server side: a fresh key of the same type (and DH group) as the
  // client's record. Fails with InvalidArgument naming what is wrong (an
  // unknown key type, a group outside kMinDhBits..kMaxDhBits, an even p,
  // g or y outside 2..p-2, trailing octets).
  static absl::StatusOr<ExchangeKey> NewLike(std::string_view peer_record);

  ~ExchangeKey();
  ExchangeKey(ExchangeKey&&) noexcept;
  ExchangeKey& operator=(ExchangeKey&&) noexcept;

  // Our public half as a key record.
  std::string Record() const;

  // The 32-octet session key agreed with `peer_record`, derived as each
  // side's client does:
  // - DH (hdllib GenericProvider.getKeyFromDH for AES): the shared secret
  //   Z, padded to the length of p, with leading zero octets skipped while
  //   more than 32 remain, then the next 32 octets; no hash.
  // - X25519 (Qilian): HKDF-SHA256(ikm = X25519 secret, salt = client's
  //   public key ‖ server's, info = "qilian session key v1"); an all-zero
  //   secret (a low-order point) is refused.
  // `we_are_client` orders the HKDF salt. The peer's record must be of our
  // type and group.
  absl::StatusOr<std::string> SessionKey(std::string_view peer_record, bool we_are_client) const;

 private:
  struct Key;
  explicit ExchangeKey(std::unique_ptr<Key> key);
  std::unique_ptr<Key> key_;
};

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

// Encrypted messages (envelope EC; Handle.Net SessionInfo.encryptBuffer
// from 2.4): everything after the envelope, credential included, as
// IV ‖ AES-128-CBC(first 16 octets of the session key, PKCS#7 padding),
// with a random 16-octet IV; MessageLength counts IV and ciphertext.
absl::StatusOr<std::string> EncryptSessionPayload(std::string_view session_key,
                                                  std::string_view payload);
// InvalidArgument "encrypted message does not decrypt with the session key"
// for a wrong key, a bad length or bad padding.
absl::StatusOr<std::string> DecryptSessionPayload(std::string_view session_key,
                                                  std::string_view encrypted);
// Whole messages: `message` (envelope with EC) opened — the same envelope
// without EC, MessageLength counting the plain payload, then the payload —
// and a plain message sealed the other way. Errors as DecryptSessionPayload.
absl::StatusOr<std::string> OpenEncryptedMessage(std::string_view message,
                                                 std::string_view session_key);
absl::StatusOr<std::string> SealEncryptedMessage(std::string_view message,
                                                 std::string_view session_key);
// The most octets an encrypted message may hold (the protocol's limit).
inline constexpr size_t kMaxEncryptedPayload = 4 * 1024 * 1024;

}  // namespace qilian::ident::wire

#endif  // QILIAN_IDENT_WIRE_SESSION_H_
