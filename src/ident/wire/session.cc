#include "ident/wire/session.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/bytes.h"

namespace qilian::ident::wire {
namespace {

constexpr size_t kMaxIdentityBytes = 1024;
constexpr size_t kMaxKeyRecordBytes = 4096;
constexpr size_t kMaxKeyTypeBytes = 64;
constexpr std::string_view kHkdfInfo = "qilian session key v1";
// The private exponent of our DH half, in bits: the group carries no
// subgroup order, and a full-length exponent would make every setup as
// slow as the group is large. 320 bits is at least twice the security of
// any group accepted.
constexpr int kDhPrivateBits = 320;
constexpr size_t kAesKeyBytes = 16;
constexpr size_t kAesBlockBytes = 16;

absl::Status Malformed(std::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat("malformed session setup: ", std::string(field)));
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;
using Bn = std::unique_ptr<BIGNUM, BnFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* U(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// Reads the 2 octets of padding deployed encoders leave, if they are there.
// True if the body ends here (with or without them).
bool ReadPadding(ByteReader* in, bool* padded) {
  *padded = false;
  if (in->remaining() == kDeployedSetupPadding) {
    if (in->ReadU16() != 0) return false;
    *padded = true;
  }
  return in->at_end();
}

// ---- Key records.

Bn BnFromBytes(std::string_view bytes) {
  return Bn(BN_bin2bn(U(bytes), static_cast<int>(bytes.size()), nullptr));
}

// Java BigInteger.toByteArray of a positive number: big-endian, minimal,
// with a leading 0x00 when the high bit is set.
std::string JavaBytes(const BIGNUM* n) {
  std::string out(static_cast<size_t>(BN_num_bytes(n)), '\0');
  BN_bn2bin(n, U(out));
  if (out.empty() || (static_cast<uint8_t>(out[0]) & 0x80) != 0) out.insert(out.begin(), '\0');
  return out;
}

struct DhParts {
  Bn y, p, g;
};

absl::StatusOr<DhParts> DecodeDhRecord(std::string_view record) {
  ByteReader in(record);
  std::string_view type = in.ReadLengthPrefixed(kMaxKeyTypeBytes);
  in.ReadU16();  // flags, reserved
  std::string_view y = in.ReadLengthPrefixed();
  std::string_view p = in.ReadLengthPrefixed();
  std::string_view g = in.ReadLengthPrefixed();
  if (!in.ok() || type != kDhKeyType) {
    return absl::InvalidArgumentError("not a DH_PUB_KEY record (type, flags, y, p, g)");
  }
  if (!in.at_end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("DH_PUB_KEY record: ", in.remaining(), " octets after g"));
  }
  DhParts parts{BnFromBytes(y), BnFromBytes(p), BnFromBytes(g)};
  if (!parts.y || !parts.p || !parts.g) return absl::InternalError("OpenSSL BN_bin2bn failed");
  const int bits = BN_num_bits(parts.p.get());
  if (bits < kMinDhBits || bits > kMaxDhBits) {
    return absl::InvalidArgumentError(absl::StrCat("DH group of ", bits, " bits outside ",
                                                   kMinDhBits, "..", kMaxDhBits));
  }
  if (!BN_is_odd(parts.p.get())) return absl::InvalidArgumentError("DH modulus p is even");
  // 2 <= g, y <= p - 2: 0, 1 and p - 1 leave the secret guessable.
  Bn limit(BN_dup(parts.p.get()));
  if (!limit || !BN_sub_word(limit.get(), 2)) return absl::InternalError("OpenSSL BN failed");
  for (const auto& [name, n] : {std::pair{"g", parts.g.get()}, std::pair{"y", parts.y.get()}}) {
    if (BN_cmp(n, BN_value_one()) <= 0 || BN_cmp(n, limit.get()) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("DH ", name, " outside 2..p-2"));
    }
  }
  return parts;
}

std::string EncodeDhRecord(const BIGNUM* y, const BIGNUM* p, const BIGNUM* g) {
  ByteWriter w;
  w.WriteLengthPrefixed(kDhKeyType);
  w.WriteU16(0);
  w.WriteLengthPrefixed(JavaBytes(y));
  w.WriteLengthPrefixed(JavaBytes(p));
  w.WriteLengthPrefixed(JavaBytes(g));
  return w.Release();
}

absl::StatusOr<std::string> DecodeX25519Record(std::string_view record) {
  ByteReader in(record);
  std::string_view type = in.ReadLengthPrefixed(kMaxKeyTypeBytes);
  uint16_t flags = in.ReadU16();
  std::string_view key = in.ReadLengthPrefixed(kX25519Bytes);
  if (!in.ok() || type != kX25519KeyType || flags != 0 || key.size() != kX25519Bytes ||
      !in.at_end()) {
    return absl::InvalidArgumentError("not an X25519_PUB_KEY record of 32 octets");
  }
  return std::string(key);
}

std::string EncodeX25519Record(std::string_view public_key) {
  ByteWriter w;
  w.WriteLengthPrefixed(kX25519KeyType);
  w.WriteU16(0);
  w.WriteLengthPrefixed(public_key);
  return w.Release();
}

// A DH EVP_PKEY in the group (p, g): parameters only, or with `y` a public
// key, for keygen and for the peer of a derivation.
absl::StatusOr<Pkey> DhKey(const BIGNUM* p, const BIGNUM* g, const BIGNUM* y) {
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, p) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, g) ||
      (y == nullptr &&
       !OSSL_PARAM_BLD_push_int(bld.get(), OSSL_PKEY_PARAM_DH_PRIV_LEN, kDhPrivateBits)) ||
      (y != nullptr && !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, y))) {
    return absl::InternalError("OpenSSL DH parameters failed");
  }
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "DH", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw,
                        y == nullptr ? EVP_PKEY_KEY_PARAMETERS : EVP_PKEY_PUBLIC_KEY,
                        params.get()) <= 0) {
    return absl::InvalidArgumentError("unusable DH group");
  }
  return Pkey(raw);
}

absl::StatusOr<Pkey> Generate(EVP_PKEY_CTX* ctx) {
  EVP_PKEY* raw = nullptr;
  if (ctx == nullptr || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_keygen(ctx, &raw) <= 0) {
    return absl::InternalError("session key generation failed");
  }
  return Pkey(raw);
}

Bn BnParam(EVP_PKEY* key, const char* name) {
  BIGNUM* out = nullptr;
  EVP_PKEY_get_bn_param(key, name, &out);
  return Bn(out);
}

// Z = the raw agreement of `own` with `peer`; DH padded to the length of p.
absl::StatusOr<std::string> Agree(EVP_PKEY* own, EVP_PKEY* peer, bool pad) {
  PkeyCtx ctx(EVP_PKEY_CTX_new(own, nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      (pad && EVP_PKEY_CTX_set_dh_pad(ctx.get(), 1) <= 0) ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer) <= 0 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) <= 0) {
    // OpenSSL checks the peer's key here (range, X25519 low order).
    return absl::InvalidArgumentError("key agreement failed: the peer's key is not usable");
  }
  std::string z(len, '\0');
  if (EVP_PKEY_derive(ctx.get(), U(z), &len) <= 0) {
    return absl::InvalidArgumentError("key agreement failed: the peer's key is not usable");
  }
  z.resize(len);
  return z;
}

absl::StatusOr<std::string> Hkdf(std::string_view ikm, std::string_view salt) {
  PkeyCtx kdf(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  std::string key(kSessionKeyBytes, '\0');
  size_t key_len = key.size();
  if (!kdf || EVP_PKEY_derive_init(kdf.get()) <= 0 ||
      EVP_PKEY_CTX_set_hkdf_md(kdf.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_salt(kdf.get(), U(salt), static_cast<int>(salt.size())) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key(kdf.get(), U(ikm), static_cast<int>(ikm.size())) <= 0 ||
      EVP_PKEY_CTX_add1_hkdf_info(kdf.get(), U(kHkdfInfo), static_cast<int>(kHkdfInfo.size())) <=
          0 ||
      EVP_PKEY_derive(kdf.get(), U(key), &key_len) <= 0 || key_len != kSessionKeyBytes) {
    return absl::InternalError("HKDF failed");
  }
  return key;
}

}  // namespace

// ---- The 400 bodies.

absl::StatusOr<SessionSetup> DecodeSessionSetup(const RequestBody& body) {
  SessionSetup s;
  s.mode = body.key_exchange_mode;
  s.timeout = body.timeout;
  ByteReader in(std::string_view(body.raw));
  std::string_view handle = in.ReadLengthPrefixed(kMaxIdentityBytes);
  s.identity_index = in.ReadU32();
  if (!in.ok()) return Malformed("identity");
  s.identity_handle = std::string(handle);
  if (s.mode == kKeyExchangeCipherClient || s.mode == kKeyExchangeDh) {
    std::string_view key = in.ReadLengthPrefixed(kMaxKeyRecordBytes);
    if (!in.ok()) return Malformed("public key");
    s.public_key = std::string(key);
  } else if (s.mode == kKeyExchangeCipherHdl) {
    std::string_view key_handle = in.ReadLengthPrefixed(kMaxIdentityBytes);
    s.exchange_key_index = in.ReadU32();
    if (!in.ok()) return Malformed("exchange key reference");
    s.exchange_key_handle = std::string(key_handle);
  }
  const size_t left = in.remaining();
  if (!ReadPadding(&in, &s.padded)) {
    return Malformed(absl::StrCat(left, " octets after the body"));
  }
  return s;
}

RequestBody EncodeSessionSetup(const SessionSetup& s) {
  RequestBody b;
  b.key_exchange_mode = s.mode;
  b.timeout = s.timeout;
  ByteWriter w;
  w.WriteLengthPrefixed(s.identity_handle);
  w.WriteU32(s.identity_index);
  if (s.mode == kKeyExchangeCipherClient || s.mode == kKeyExchangeDh) {
    w.WriteLengthPrefixed(s.public_key);
  } else if (s.mode == kKeyExchangeCipherHdl) {
    w.WriteLengthPrefixed(s.exchange_key_handle);
    w.WriteU32(s.exchange_key_index);
  }
  if (s.padded) w.WriteU16(0);
  b.raw = w.Release();
  return b;
}

std::string EncodeSetupReplyData(std::string_view data, bool padded) {
  ByteWriter w;
  w.WriteLengthPrefixed(data);
  if (padded) w.WriteU16(0);
  return w.Release();
}

absl::StatusOr<std::string> DecodeSetupReplyData(std::string_view raw, bool* padded) {
  ByteReader in(raw);
  std::string_view data = in.ReadLengthPrefixed(kMaxKeyRecordBytes + 4);
  if (!in.ok()) return Malformed("reply key data");
  if (!ReadPadding(&in, padded)) return Malformed("octets after the reply");
  return std::string(data);
}

std::string EncodeSessionKeyPayload(uint32_t cipher, std::string_view key) {
  ByteWriter w;
  w.WriteU32(cipher);
  w.WriteBytes(key);
  return w.Release();
}

absl::StatusOr<std::string> DecodeSessionKeyPayload(std::string_view payload, uint32_t* cipher) {
  if (payload.size() < 4 + kAesKeyBytes) return Malformed("session key payload");
  ByteReader in(payload);
  *cipher = in.ReadU32();
  return std::string(payload.substr(4));
}

std::string EncodeSessionSetupReply(const SessionSetupReply& reply) {
  return EncodeSetupReplyData(EncodeSessionKeyPayload(reply.cipher, reply.key_record),
                              reply.padded);
}

absl::StatusOr<SessionSetupReply> DecodeSessionSetupReply(std::string_view raw) {
  SessionSetupReply reply;
  absl::StatusOr<std::string> data = DecodeSetupReplyData(raw, &reply.padded);
  if (!data.ok()) return data.status();
  if (data->size() < 4) return Malformed("reply key data");
  ByteReader d(*data);
  reply.cipher = d.ReadU32();
  reply.key_record = data->substr(4);
  return reply;
}

std::string KeyRecordType(std::string_view record) {
  ByteReader in(record);
  std::string_view type = in.ReadLengthPrefixed(kMaxKeyTypeBytes);
  return in.ok() ? std::string(type) : std::string();
}

// ---- Exchange keys.

struct ExchangeKey::Key {
  Pkey pkey;
  bool dh = false;
};

ExchangeKey::ExchangeKey(std::unique_ptr<Key> key) : key_(std::move(key)) {}
ExchangeKey::~ExchangeKey() = default;
ExchangeKey::ExchangeKey(ExchangeKey&&) noexcept = default;
ExchangeKey& ExchangeKey::operator=(ExchangeKey&&) noexcept = default;

absl::StatusOr<ExchangeKey> ExchangeKey::NewX25519() {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  absl::StatusOr<Pkey> pkey = Generate(ctx.get());
  if (!pkey.ok()) return pkey.status();
  auto key = std::make_unique<Key>();
  key->pkey = *std::move(pkey);
  return ExchangeKey(std::move(key));
}

absl::StatusOr<ExchangeKey> ExchangeKey::NewDh(std::string_view p, std::string_view g) {
  Bn bp = BnFromBytes(p), bg = BnFromBytes(g);
  if (!bp || !bg) return absl::InternalError("OpenSSL BN_bin2bn failed");
  absl::StatusOr<Pkey> params = DhKey(bp.get(), bg.get(), nullptr);
  if (!params.ok()) return params.status();
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, params->get(), nullptr));
  absl::StatusOr<Pkey> pkey = Generate(ctx.get());
  if (!pkey.ok()) return pkey.status();
  auto key = std::make_unique<Key>();
  key->pkey = *std::move(pkey);
  key->dh = true;
  return ExchangeKey(std::move(key));
}

absl::StatusOr<ExchangeKey> ExchangeKey::NewLike(std::string_view peer_record) {
  const std::string type = KeyRecordType(peer_record);
  if (type == kX25519KeyType) {
    absl::StatusOr<std::string> peer = DecodeX25519Record(peer_record);
    if (!peer.ok()) return peer.status();
    return NewX25519();
  }
  if (type == kDhKeyType) {
    absl::StatusOr<DhParts> peer = DecodeDhRecord(peer_record);
    if (!peer.ok()) return peer.status();
    return NewDh(JavaBytes(peer->p.get()), JavaBytes(peer->g.get()));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "key exchange key type '", type, "' is not supported (DH_PUB_KEY, X25519_PUB_KEY)"));
}

std::string ExchangeKey::Record() const {
  if (!key_->dh) {
    std::string pub(kX25519Bytes, '\0');
    size_t len = pub.size();
    EVP_PKEY_get_raw_public_key(key_->pkey.get(), U(pub), &len);
    return EncodeX25519Record(pub);
  }
  Bn y = BnParam(key_->pkey.get(), OSSL_PKEY_PARAM_PUB_KEY);
  Bn p = BnParam(key_->pkey.get(), OSSL_PKEY_PARAM_FFC_P);
  Bn g = BnParam(key_->pkey.get(), OSSL_PKEY_PARAM_FFC_G);
  if (!y || !p || !g) return std::string();
  return EncodeDhRecord(y.get(), p.get(), g.get());
}

absl::StatusOr<std::string> ExchangeKey::SessionKey(std::string_view peer_record,
                                                    bool we_are_client) const {
  if (!key_->dh) {
    absl::StatusOr<std::string> peer_public = DecodeX25519Record(peer_record);
    if (!peer_public.ok()) return peer_public.status();
    Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, U(*peer_public),
                                          peer_public->size()));
    if (!peer) return absl::InvalidArgumentError("unusable X25519 key");
    absl::StatusOr<std::string> z = Agree(key_->pkey.get(), peer.get(), /*pad=*/false);
    if (!z.ok()) return z.status();
    static const std::string kZero(kX25519Bytes, '\0');
    if (z->size() != kX25519Bytes || CRYPTO_memcmp(z->data(), kZero.data(), kX25519Bytes) == 0) {
      OPENSSL_cleanse(z->data(), z->size());
      return absl::InvalidArgumentError("key agreement failed: the peer's key is not usable");
    }
    std::string own_public = *DecodeX25519Record(Record());
    const std::string salt = we_are_client ? own_public + *peer_public : *peer_public + own_public;
    absl::StatusOr<std::string> key = Hkdf(*z, salt);
    OPENSSL_cleanse(z->data(), z->size());
    return key;
  }
  absl::StatusOr<DhParts> peer = DecodeDhRecord(peer_record);
  if (!peer.ok()) return peer.status();
  Bn p = BnParam(key_->pkey.get(), OSSL_PKEY_PARAM_FFC_P);
  Bn g = BnParam(key_->pkey.get(), OSSL_PKEY_PARAM_FFC_G);
  if (!p || !g || BN_cmp(p.get(), peer->p.get()) != 0 || BN_cmp(g.get(), peer->g.get()) != 0) {
    return absl::InvalidArgumentError("the peer's DH key is in another group");
  }
  absl::StatusOr<Pkey> peer_key = DhKey(peer->p.get(), peer->g.get(), peer->y.get());
  if (!peer_key.ok()) return peer_key.status();
  absl::StatusOr<std::string> z = Agree(key_->pkey.get(), peer_key->get(), /*pad=*/true);
  if (!z.ok()) return z.status();
  // hdllib's stripLeadingZerosAndTruncate(Z, 32).
  size_t start = 0;
  while (z->size() - start > kSessionKeyBytes && (*z)[start] == '\0') ++start;
  if (z->size() - start < kSessionKeyBytes) {
    OPENSSL_cleanse(z->data(), z->size());
    return absl::InvalidArgumentError("key agreement failed: shared secret too short");
  }
  std::string key = z->substr(start, kSessionKeyBytes);
  OPENSSL_cleanse(z->data(), z->size());
  return key;
}

// ---- Messages in a session.

std::string SessionMacInput(const Envelope& envelope, uint32_t counter,
                            std::string_view header_and_body) {
  ByteWriter w;
  w.WriteU8(envelope.major_version);
  w.WriteU8(envelope.minor_version);
  const bool has_suggested = envelope.major_version > 2 ||
                             (envelope.major_version == 2 && envelope.minor_version >= 8);
  if (has_suggested) {
    w.WriteU8(envelope.suggested_major());
    w.WriteU8(envelope.suggested_minor());
  }
  w.WriteU32(envelope.session_id);
  w.WriteU32(envelope.request_id);
  w.WriteU32(counter);
  w.WriteBytes(header_and_body);
  return w.Release();
}

std::string ComputeSessionMac(std::string_view key, const Envelope& envelope, uint32_t counter,
                              std::string_view header_and_body) {
  std::string input = SessionMacInput(envelope, counter, header_and_body);
  std::string mac(EVP_MAX_MD_SIZE, '\0');
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), U(input), input.size(),
           reinterpret_cast<unsigned char*>(mac.data()), &mac_len) == nullptr) {
    return std::string();
  }
  mac.resize(mac_len);
  return mac;
}

bool VerifySessionMac(std::string_view key, const Envelope& envelope, uint32_t counter,
                      std::string_view header_and_body, std::string_view mac) {
  std::string expected = ComputeSessionMac(key, envelope, counter, header_and_body);
  return !expected.empty() && expected.size() == mac.size() &&
         CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) == 0;
}

std::string EncodeSessionCredential(uint32_t counter, std::string_view mac) {
  Credential c;
  c.signer_index = counter;
  c.type = std::string(kMacCredentialType);
  c.digest_algorithm = std::string(kHmacSha256Name);
  c.signed_data = std::string(mac);
  ByteWriter w;
  EncodeCredential(c, &w);
  return w.Release();
}


absl::StatusOr<std::string> EncryptSessionPayload(std::string_view session_key,
                                                  std::string_view payload) {
  if (session_key.size() < kAesKeyBytes) return absl::InvalidArgumentError("session key too short");
  if (payload.size() > kMaxEncryptedPayload) {
    return absl::InvalidArgumentError("message too long to encrypt");
  }
  std::string out(kAesBlockBytes + payload.size() + kAesBlockBytes, '\0');
  if (RAND_bytes(U(out), static_cast<int>(kAesBlockBytes)) != 1) {
    return absl::InternalError("OpenSSL RAND_bytes failed");
  }
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0, final_len = 0;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, U(session_key), U(out)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), U(out) + kAesBlockBytes, &len, U(payload),
                        static_cast<int>(payload.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), U(out) + kAesBlockBytes + len, &final_len) != 1) {
    return absl::InternalError("OpenSSL AES-CBC encryption failed");
  }
  out.resize(kAesBlockBytes + static_cast<size_t>(len + final_len));
  return out;
}

absl::StatusOr<std::string> DecryptSessionPayload(std::string_view session_key,
                                                  std::string_view encrypted) {
  const absl::Status refused =
      absl::InvalidArgumentError("encrypted message does not decrypt with the session key");
  if (session_key.size() < kAesKeyBytes || encrypted.size() < 2 * kAesBlockBytes ||
      encrypted.size() % kAesBlockBytes != 0 || encrypted.size() > kMaxEncryptedPayload) {
    return refused;
  }
  std::string out(encrypted.size(), '\0');
  std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  int len = 0, final_len = 0;
  const std::string_view iv = encrypted.substr(0, kAesBlockBytes);
  const std::string_view body = encrypted.substr(kAesBlockBytes);
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_cbc(), nullptr, U(session_key), U(iv)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), U(out), &len, U(body), static_cast<int>(body.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), U(out) + len, &final_len) != 1) {
    return refused;
  }
  out.resize(static_cast<size_t>(len + final_len));
  return out;
}

namespace {

// `message` with its envelope's EC flag set or cleared and its payload
// replaced by `payload`.
std::string Reframe(std::string_view message, bool encrypted, std::string_view payload) {
  Envelope env;
  DecodeEnvelope(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(message.data()),
                                          message.size()),
                 &env);
  if (encrypted) {
    env.flags |= kFlagEncrypted;
  } else {
    env.flags &= static_cast<uint16_t>(~kFlagEncrypted);
  }
  env.message_length = static_cast<uint32_t>(payload.size());
  std::string out;
  ByteWriter w(&out);
  EncodeEnvelope(env, &w);
  out.append(payload);
  return out;
}

}  // namespace

absl::StatusOr<std::string> OpenEncryptedMessage(std::string_view message,
                                                 std::string_view session_key) {
  if (message.size() < kEnvelopeSize) return absl::InvalidArgumentError("message too short");
  absl::StatusOr<std::string> plain =
      DecryptSessionPayload(session_key, message.substr(kEnvelopeSize));
  if (!plain.ok()) return plain.status();
  std::string out = Reframe(message, /*encrypted=*/false, *plain);
  OPENSSL_cleanse(plain->data(), plain->size());
  return out;
}

absl::StatusOr<std::string> SealEncryptedMessage(std::string_view message,
                                                 std::string_view session_key) {
  if (message.size() < kEnvelopeSize) return absl::InvalidArgumentError("message too short");
  absl::StatusOr<std::string> sealed =
      EncryptSessionPayload(session_key, message.substr(kEnvelopeSize));
  if (!sealed.ok()) return sealed.status();
  return Reframe(message, /*encrypted=*/true, *sealed);
}

}  // namespace qilian::ident::wire
