#include "ident/auth/public_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/dsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/status.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {
namespace {

struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};

std::shared_ptr<EVP_PKEY> Own(EVP_PKEY* pkey) {
  return std::shared_ptr<EVP_PKEY>(pkey, EVP_PKEY_free);
}

absl::Status BadKey(std::string_view why) {
  ERR_clear_error();
  return HandleError(ResponseCode::kInvalidValue, why);
}

absl::Status NotVerified() {
  ERR_clear_error();
  return HandleError(ResponseCode::kAuthenticationFailed, "signature does not verify");
}

// Java BigInteger.toByteArray of a non-negative number.
std::string JavaBytes(const BIGNUM* bn) {
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  if (out.empty() || (static_cast<uint8_t>(out[0]) & 0x80) != 0) out.insert(out.begin(), '\0');
  return out;
}

// A length-prefixed positive big number; nullptr when absent, negative
// (high bit set without a leading zero) or zero.
Bn ReadBigNumber(ByteReader* in) {
  std::string_view bytes = in->ReadLengthPrefixed(kMaxPublicKeyRecordBytes);
  if (!in->ok() || bytes.empty() || (static_cast<uint8_t>(bytes[0]) & 0x80) != 0) return nullptr;
  Bn bn(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                  static_cast<int>(bytes.size()), nullptr));
  if (bn != nullptr && BN_is_zero(bn.get())) return nullptr;
  return bn;
}

Bn GetBn(EVP_PKEY* pkey, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(pkey, name, &bn);
  return Bn(bn);
}

// Builds a key of `algorithm` from `params` with EVP_PKEY_fromdata.
EVP_PKEY* FromData(const char* algorithm, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, algorithm, nullptr));
  EVP_PKEY* pkey = nullptr;
  if (params == nullptr || ctx == nullptr || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &pkey, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return pkey;
}

const EVP_MD* MdOf(SignatureDigest digest) {
  switch (digest) {
    case SignatureDigest::kSha1: return EVP_sha1();
    case SignatureDigest::kSha256: return EVP_sha256();
    case SignatureDigest::kSm3: return EVP_sm3();
  }
  return nullptr;
}

// The digest to pass to EVP_Digest{Sign,Verify}Init for this key and
// name, or an error when the combination is not allowed.
absl::StatusOr<const EVP_MD*> MdFor(KeyType type, SignatureDigest digest) {
  switch (type) {
    case KeyType::kEd25519:
      return nullptr;  // pure EdDSA hashes internally
    case KeyType::kSm2:
      if (digest != SignatureDigest::kSm3) {
        return HandleError(ResponseCode::kInvalidCredential, "SM2 signatures use SM3");
      }
      return EVP_sm3();
    case KeyType::kRsa:
    case KeyType::kDsa:
      if (digest == SignatureDigest::kSm3) {
        return HandleError(ResponseCode::kInvalidCredential, "SM3 is only used with SM2 keys");
      }
      return MdOf(digest);
  }
  return absl::InternalError("unknown key type");
}

// An EVP_MD_CTX set up for signing or verifying with `pkey`. SM2 needs its
// distinguishing ID on a PKEY_CTX installed before the init call.
class SigningContext {
 public:
  SigningContext() : md_(EVP_MD_CTX_new()) {}
  ~SigningContext() {
    md_.reset();
    EVP_PKEY_CTX_free(sm2_);
  }
  bool Init(KeyType type, const EVP_MD* md, EVP_PKEY* pkey, bool sign) {
    if (md_ == nullptr) return false;
    if (type == KeyType::kSm2) {
      sm2_ = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
      if (sm2_ == nullptr ||
          EVP_PKEY_CTX_set1_id(sm2_, kSm2DefaultId.data(), kSm2DefaultId.size()) != 1) {
        return false;
      }
      EVP_MD_CTX_set_pkey_ctx(md_.get(), sm2_);
    }
    return (sign ? EVP_DigestSignInit(md_.get(), nullptr, md, nullptr, pkey)
                 : EVP_DigestVerifyInit(md_.get(), nullptr, md, nullptr, pkey)) == 1;
  }
  EVP_MD_CTX* get() { return md_.get(); }

 private:
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> md_;
  EVP_PKEY_CTX* sm2_ = nullptr;
};

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<SignatureDigest> ParseSignatureDigest(std::string_view name) {
  if (name == "SHA1" || name == "SHA-1") return SignatureDigest::kSha1;
  if (name == "SHA-256" || name == "SHA256") return SignatureDigest::kSha256;
  if (name == "SM3") return SignatureDigest::kSm3;
  return HandleError(ResponseCode::kInvalidCredential,
                     absl::StrCat("unknown signature digest ", std::string(name)));
}

std::string_view SignatureDigestName(SignatureDigest digest) {
  switch (digest) {
    case SignatureDigest::kSha1: return "SHA1";
    case SignatureDigest::kSha256: return "SHA-256";
    case SignatureDigest::kSm3: return "SM3";
  }
  return "";
}

absl::StatusOr<PublicKey> DecodePublicKey(std::string_view record) {
  if (record.size() > kMaxPublicKeyRecordBytes) return BadKey("public key record too long");
  ByteReader in(record);
  std::string_view name = in.ReadLengthPrefixed(64);
  in.ReadU16();  // flags: always 0 in what deployed software writes
  if (!in.ok()) return BadKey("public key record truncated");

  EVP_PKEY* pkey = nullptr;
  KeyType type;
  bool rsa_trailer = false;
  if (name == kRsaKeyName) {
    type = KeyType::kRsa;
    Bn e = ReadBigNumber(&in);
    Bn n = ReadBigNumber(&in);
    if (e == nullptr || n == nullptr) return BadKey("RSA public key: bad exponent or modulus");
    if (in.remaining() == 4 && in.ReadU32() == 0) rsa_trailer = true;
    int bits = BN_num_bits(n.get());
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return BadKey(absl::StrCat("RSA modulus of ", bits, " bits outside ", kMinRsaBits, "..",
                                 kMaxRsaBits));
    }
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
    if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
      return absl::InternalError("OpenSSL param build failed");
    }
    pkey = FromData("RSA", bld.get());
  } else if (name == kDsaKeyName) {
    type = KeyType::kDsa;
    Bn q = ReadBigNumber(&in);
    Bn p = ReadBigNumber(&in);
    Bn g = ReadBigNumber(&in);
    Bn y = ReadBigNumber(&in);
    if (q == nullptr || p == nullptr || g == nullptr || y == nullptr) {
      return BadKey("DSA public key: bad q, p, g or y");
    }
    int bits = BN_num_bits(p.get());
    if (bits < kMinRsaBits || bits > kMaxRsaBits) {
      return BadKey(absl::StrCat("DSA prime of ", bits, " bits outside ", kMinRsaBits, "..",
                                 kMaxRsaBits));
    }
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
    if (bld == nullptr || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_P, p.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_Q, q.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_FFC_G, g.get()) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, y.get()) != 1) {
      return absl::InternalError("OpenSSL param build failed");
    }
    pkey = FromData("DSA", bld.get());
  } else if (name == kEd25519KeyName) {
    type = KeyType::kEd25519;
    std::string_view raw = in.ReadLengthPrefixed(64);
    if (!in.ok() || raw.size() != 32) return BadKey("Ed25519 public key is not 32 octets");
    pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, U(raw), raw.size());
  } else if (name == kSm2KeyName) {
    type = KeyType::kSm2;
    std::string_view point = in.ReadLengthPrefixed(128);
    if (!in.ok() || point.size() != 65 || point[0] != 0x04) {
      return BadKey("SM2 public key is not a 65-octet uncompressed point");
    }
    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
    if (bld == nullptr ||
        OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                         point.size()) != 1) {
      return absl::InternalError("OpenSSL param build failed");
    }
    pkey = FromData("SM2", bld.get());
  } else {
    return BadKey(absl::StrCat("unknown public key type ", std::string(name)));
  }
  if (!in.ok() || !in.at_end()) {
    EVP_PKEY_free(pkey);
    return BadKey("public key record has trailing octets");
  }
  if (pkey == nullptr) return BadKey("public key rejected by OpenSSL");
  PublicKey key(type, Own(pkey));
  key.rsa_trailer_ = rsa_trailer;
  return key;
}

std::string PublicKey::Encode() const {
  ByteWriter out;
  auto big = [&](const char* param) {
    Bn bn = GetBn(pkey_.get(), param);
    out.WriteLengthPrefixed(bn == nullptr ? std::string() : JavaBytes(bn.get()));
  };
  switch (type_) {
    case KeyType::kRsa:
      out.WriteLengthPrefixed(kRsaKeyName);
      out.WriteU16(0);
      big(OSSL_PKEY_PARAM_RSA_E);
      big(OSSL_PKEY_PARAM_RSA_N);
      if (rsa_trailer_) out.WriteU32(0);
      break;
    case KeyType::kDsa:
      out.WriteLengthPrefixed(kDsaKeyName);
      out.WriteU16(0);
      big(OSSL_PKEY_PARAM_FFC_Q);
      big(OSSL_PKEY_PARAM_FFC_P);
      big(OSSL_PKEY_PARAM_FFC_G);
      big(OSSL_PKEY_PARAM_PUB_KEY);
      break;
    case KeyType::kEd25519: {
      std::string raw(32, '\0');
      size_t len = raw.size();
      EVP_PKEY_get_raw_public_key(pkey_.get(), reinterpret_cast<unsigned char*>(raw.data()), &len);
      raw.resize(len);
      out.WriteLengthPrefixed(kEd25519KeyName);
      out.WriteU16(0);
      out.WriteLengthPrefixed(raw);
      break;
    }
    case KeyType::kSm2: {
      std::string point(65, '\0');
      size_t len = 0;
      EVP_PKEY_get_octet_string_param(pkey_.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                      reinterpret_cast<unsigned char*>(point.data()),
                                      point.size(), &len);
      point.resize(len);
      out.WriteLengthPrefixed(kSm2KeyName);
      out.WriteU16(0);
      out.WriteLengthPrefixed(point);
      break;
    }
  }
  return out.Release();
}

absl::Status VerifySignature(const PublicKey& key, SignatureDigest digest, std::string_view data,
                             std::string_view signature) {
  if (signature.empty() || signature.size() > kMaxSignatureBytes) return NotVerified();
  QL_ASSIGN_OR_RETURN(const EVP_MD* md, MdFor(key.type(), digest));
  SigningContext ctx;
  if (!ctx.Init(key.type(), md, key.pkey(), /*sign=*/false)) {
    ERR_clear_error();
    return absl::InternalError("OpenSSL verify init failed");
  }
  if (EVP_DigestVerify(ctx.get(), U(signature), signature.size(), U(data), data.size()) != 1) {
    return NotVerified();
  }
  return absl::OkStatus();
}

absl::StatusOr<PrivateKey> PrivateKey::Generate(KeyType type, int rsa_bits) {
  EVP_PKEY* pkey = nullptr;
  switch (type) {
    case KeyType::kRsa:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
      break;
    case KeyType::kEd25519:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
    case KeyType::kSm2: {
      PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, "SM2", nullptr));
      if (ctx == nullptr || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
          EVP_PKEY_CTX_set_group_name(ctx.get(), "SM2") != 1 ||
          EVP_PKEY_keygen(ctx.get(), &pkey) != 1) {
        pkey = nullptr;
      }
      break;
    }
    case KeyType::kDsa: {
      PkeyCtx pctx(EVP_PKEY_CTX_new_from_name(nullptr, "DSA", nullptr));
      EVP_PKEY* params = nullptr;
      if (pctx == nullptr || EVP_PKEY_paramgen_init(pctx.get()) != 1 ||
          EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx.get(), rsa_bits) != 1 ||
          EVP_PKEY_paramgen(pctx.get(), &params) != 1) {
        break;
      }
      std::shared_ptr<EVP_PKEY> owned_params = Own(params);
      PkeyCtx kctx(EVP_PKEY_CTX_new_from_pkey(nullptr, params, nullptr));
      if (kctx == nullptr || EVP_PKEY_keygen_init(kctx.get()) != 1 ||
          EVP_PKEY_keygen(kctx.get(), &pkey) != 1) {
        pkey = nullptr;
      }
      break;
    }
  }
  if (pkey == nullptr) {
    ERR_clear_error();
    return absl::InternalError("OpenSSL key generation failed");
  }
  return PrivateKey(type, Own(pkey));
}

absl::StatusOr<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  // A null passphrase callback: an encrypted key fails instead of prompting.
  EVP_PKEY* raw = bio == nullptr ? nullptr
                                 : PEM_read_bio_PrivateKey(bio.get(), nullptr,
                                                           [](char*, int, int, void*) { return 0; },
                                                           nullptr);
  if (raw == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError("no unencrypted PEM private key found");
  }
  std::shared_ptr<EVP_PKEY> pkey = Own(raw);
  // OpenSSL 3 reads an EC key on the SM2 curve as an "SM2" key.
  if (EVP_PKEY_is_a(raw, "RSA")) return PrivateKey(KeyType::kRsa, pkey);
  if (EVP_PKEY_is_a(raw, "DSA")) return PrivateKey(KeyType::kDsa, pkey);
  if (EVP_PKEY_is_a(raw, "ED25519")) return PrivateKey(KeyType::kEd25519, pkey);
  if (EVP_PKEY_is_a(raw, "SM2")) return PrivateKey(KeyType::kSm2, pkey);
  return absl::InvalidArgumentError(absl::StrCat("unsupported private key type ",
                                                 EVP_PKEY_get0_type_name(raw)));
}

absl::StatusOr<std::string> PrivateKey::ToPem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return absl::InternalError("OpenSSL could not write the key as PEM");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

PublicKey PrivateKey::Public() const {
  // The private EVP_PKEY also serves as the public one; encoding and
  // verification read only its public parts.
  PublicKey key(type_, pkey_);
  return key;
}

absl::StatusOr<std::string> PrivateKey::Sign(SignatureDigest digest, std::string_view data) const {
  QL_ASSIGN_OR_RETURN(const EVP_MD* md, MdFor(type_, digest));
  SigningContext ctx;
  size_t len = 0;
  if (!ctx.Init(type_, md, pkey_.get(), /*sign=*/true) ||
      EVP_DigestSign(ctx.get(), nullptr, &len, U(data), data.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("OpenSSL sign failed");
  }
  std::string out(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, U(data),
                     data.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("OpenSSL sign failed");
  }
  out.resize(len);
  return out;
}

absl::StatusOr<std::string> EncryptToKey(const PublicKey& key, std::string_view plaintext) {
  if (key.type() != KeyType::kRsa) {
    return absl::InvalidArgumentError("session keys are sent encrypted to RSA keys only");
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new(key.pkey(), nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0 ||
      EVP_PKEY_encrypt(ctx.get(), nullptr, &len, U(plaintext), plaintext.size()) <= 0) {
    ERR_clear_error();
    return absl::InvalidArgumentError("RSA encryption failed");
  }
  std::string out(len, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                       U(plaintext), plaintext.size()) <= 0) {
    ERR_clear_error();
    return absl::InvalidArgumentError("RSA encryption failed");
  }
  out.resize(len);
  return out;
}

absl::StatusOr<std::string> PrivateKey::Decrypt(std::string_view ciphertext) const {
  const absl::Status refused = absl::InvalidArgumentError("does not decrypt with the RSA key");
  if (type_ != KeyType::kRsa) return refused;
  PkeyCtx ctx(EVP_PKEY_CTX_new(pkey_.get(), nullptr));
  size_t len = 0;
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) <= 0 ||
      EVP_PKEY_decrypt(ctx.get(), nullptr, &len, U(ciphertext), ciphertext.size()) <= 0) {
    ERR_clear_error();
    return refused;
  }
  std::string out(len, '\0');
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                       U(ciphertext), ciphertext.size()) <= 0) {
    ERR_clear_error();
    return refused;
  }
  out.resize(len);
  return out;
}

std::string SignedReplyBytes(const SignedReplyFields& f, std::string_view header_and_body) {
  ByteWriter out;
  if (f.major > 2 || (f.major == 2 && f.minor >= 6)) {
    out.WriteU8(f.major);
    out.WriteU8(f.minor);
    if (f.major > 2 || f.minor >= 8) {
      out.WriteU8(f.suggested_major);
      out.WriteU8(f.suggested_minor);
    }
    out.WriteU32(f.session_id);
    out.WriteU32(f.request_id);
    out.WriteU32(f.session_counter);
  }
  out.WriteBytes(header_and_body);
  return out.Release();
}

std::string HandleNetV26SignedReplyBytes(const SignedReplyFields& f,
                                         std::string_view header_and_body) {
  ByteWriter out;
  out.WriteU8(f.major);
  out.WriteU8(f.minor);
  out.WriteU16(static_cast<uint16_t>(f.session_id >> 16));
  out.WriteU32(f.session_counter);
  out.WriteBytes(std::string(6, '\0'));
  out.WriteBytes(header_and_body);
  return out.Release();
}

}  // namespace qilian::ident::auth
