#include "ident/wire/session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/bytes.h"

namespace qilian::ident::wire {
namespace {

constexpr size_t kMaxIdentityBytes = 1024;
constexpr size_t kMaxKeyRecordBytes = 4096;
constexpr std::string_view kHkdfInfo = "qilian session key v1";

absl::Status Malformed(std::string_view field) {
  return absl::InvalidArgumentError(absl::StrCat("malformed session setup: ", std::string(field)));
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, CtxFree>;

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

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
  if (!in.at_end()) return Malformed(absl::StrCat(in.remaining(), " octets after the body"));
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
  b.raw = w.Release();
  return b;
}

std::string EncodeX25519Key(std::string_view public_key) {
  ByteWriter w;
  w.WriteLengthPrefixed(kX25519KeyType);
  w.WriteU16(0);
  w.WriteLengthPrefixed(public_key);
  return w.Release();
}

std::string KeyRecordType(std::string_view record) {
  ByteReader in(record);
  std::string_view type = in.ReadLengthPrefixed(64);
  return in.ok() ? std::string(type) : std::string();
}

absl::StatusOr<std::string> DecodeX25519Key(std::string_view record) {
  ByteReader in(record);
  std::string_view type = in.ReadLengthPrefixed(64);
  uint16_t flags = in.ReadU16();
  std::string_view key = in.ReadLengthPrefixed(kX25519Bytes);
  if (!in.ok() || type != kX25519KeyType || flags != 0 || key.size() != kX25519Bytes ||
      !in.at_end()) {
    return absl::InvalidArgumentError("not an X25519_PUB_KEY record of 32 octets");
  }
  return std::string(key);
}

absl::StatusOr<X25519KeyPair> GenerateX25519() {
  PkeyCtx ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_keygen(ctx.get(), &raw) <= 0) {
    return absl::InternalError("X25519 key generation failed");
  }
  Pkey key(raw);
  X25519KeyPair pair;
  pair.private_key.resize(kX25519Bytes);
  pair.public_key.resize(kX25519Bytes);
  size_t priv_len = kX25519Bytes, pub_len = kX25519Bytes;
  if (EVP_PKEY_get_raw_private_key(key.get(), reinterpret_cast<unsigned char*>(pair.private_key.data()),
                                   &priv_len) <= 0 ||
      EVP_PKEY_get_raw_public_key(key.get(), reinterpret_cast<unsigned char*>(pair.public_key.data()),
                                  &pub_len) <= 0 ||
      priv_len != kX25519Bytes || pub_len != kX25519Bytes) {
    return absl::InternalError("X25519 key export failed");
  }
  return pair;
}

absl::StatusOr<std::string> DeriveSessionKey(std::string_view own_private,
                                             std::string_view peer_public,
                                             std::string_view client_public,
                                             std::string_view server_public) {
  if (own_private.size() != kX25519Bytes || peer_public.size() != kX25519Bytes) {
    return absl::InvalidArgumentError("X25519 keys are 32 octets");
  }
  Pkey own(EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, U(own_private),
                                        own_private.size()));
  Pkey peer(EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, U(peer_public),
                                        peer_public.size()));
  if (!own || !peer) return absl::InvalidArgumentError("unusable X25519 key");
  PkeyCtx ctx(EVP_PKEY_CTX_new(own.get(), nullptr));
  std::string shared(kX25519Bytes, '\0');
  size_t shared_len = shared.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) <= 0 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(shared.data()), &shared_len) <=
          0 ||
      shared_len != kX25519Bytes) {
    // OpenSSL refuses an all-zero result (a low-order peer point) here.
    return absl::InvalidArgumentError("X25519 key agreement failed");
  }
  static const std::string kZero(kX25519Bytes, '\0');
  if (CRYPTO_memcmp(shared.data(), kZero.data(), kX25519Bytes) == 0) {
    return absl::InvalidArgumentError("X25519 key agreement failed");
  }
  std::string salt = absl::StrCat(std::string(client_public), std::string(server_public));
  PkeyCtx kdf(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr));
  std::string key(kSessionKeyBytes, '\0');
  size_t key_len = key.size();
  if (!kdf || EVP_PKEY_derive_init(kdf.get()) <= 0 ||
      EVP_PKEY_CTX_set_hkdf_md(kdf.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_salt(kdf.get(), U(salt), static_cast<int>(salt.size())) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key(kdf.get(), U(shared), static_cast<int>(shared.size())) <= 0 ||
      EVP_PKEY_CTX_add1_hkdf_info(kdf.get(), U(kHkdfInfo), static_cast<int>(kHkdfInfo.size())) <=
          0 ||
      EVP_PKEY_derive(kdf.get(), reinterpret_cast<unsigned char*>(key.data()), &key_len) <= 0 ||
      key_len != kSessionKeyBytes) {
    OPENSSL_cleanse(shared.data(), shared.size());
    return absl::InternalError("HKDF failed");
  }
  OPENSSL_cleanse(shared.data(), shared.size());
  return key;
}

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

}  // namespace qilian::ident::wire
