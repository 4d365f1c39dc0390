#include "ident/auth/public_key.h"

#include <openssl/evp.h>

#include <string>

#include "core/bytes.h"
#include "gtest/gtest.h"
#include "ident/auth/testdata/auth_vectors.h"
#include "ident/response_code.h"
#include "ident/wire/codec.h"

namespace qilian::ident::auth {
namespace {

using testdata::FromHex;
using testdata::VectorBytes;

constexpr std::string_view kCertified = "resolve-udp-certified-v2.11";

void ExpectFailure(const absl::Status& status, ResponseCode code, std::string_view message) {
  EXPECT_EQ(ResponseCodeOf(status), code) << status;
  EXPECT_EQ(std::string(status.message()), std::string(message));
}

// The server's public-key record from the recorded siteinfo reply.
std::string ServerKeyRecord() {
  std::string reply = VectorBytes(kCertified, 1);
  auto raw = wire::DecodeMessage(reply);
  EXPECT_TRUE(raw.ok()) << raw.status();
  auto body = wire::DecodeResponseBody(OpCode::kGetSiteInfo, ResponseCode::kSuccess,
                                       raw->header.op_flags, raw->body);
  EXPECT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->site.servers.size(), 1u);
  return body->site.servers.at(0).public_key;
}

// The signed reply, reassembled from its two UDP fragments: the first
// fragment's envelope followed by both fragments' message octets.
std::string SignedReply() {
  std::string first = VectorBytes(kCertified, 3);
  std::string second = VectorBytes(kCertified, 4);
  return first + second.substr(wire::kEnvelopeSize);
}

TEST(PublicKeyGoldenTest, ServerRsaKeyFromSiteInfoDecodesAndReencodes) {
  std::string record = ServerKeyRecord();
  EXPECT_EQ(record.size(), 289u);
  auto key = DecodePublicKey(record);
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_EQ(key->type(), KeyType::kRsa);
  EXPECT_EQ(EVP_PKEY_get_bits(key->pkey()), 2048);
  EXPECT_EQ(key->Encode(), record);
}

TEST(PublicKeyGoldenTest, CertifiedReplySignatureVerifies) {
  auto key = DecodePublicKey(ServerKeyRecord());
  ASSERT_TRUE(key.ok()) << key.status();
  std::string reply = SignedReply();
  auto raw = wire::DecodeMessage(reply);
  ASSERT_TRUE(raw.ok()) << raw.status();
  auto credential = wire::DecodeCredential(raw->credential);
  ASSERT_TRUE(credential.ok()) << credential.status();
  EXPECT_EQ(credential->type, "HS_SIGNED");
  EXPECT_EQ(credential->digest_algorithm, "SHA-256");
  EXPECT_EQ(credential->signer_handle, "");
  EXPECT_EQ(credential->signer_index, 0u);
  EXPECT_EQ(credential->signed_data.size(), 256u);
  auto digest = ParseSignatureDigest(credential->digest_algorithm);
  ASSERT_TRUE(digest.ok());

  SignedReplyFields fields;
  fields.major = raw->envelope.major_version;
  fields.minor = raw->envelope.minor_version;
  fields.suggested_major = raw->envelope.suggested_major();
  fields.suggested_minor = raw->envelope.suggested_minor();
  fields.session_id = raw->envelope.session_id;
  fields.request_id = raw->envelope.request_id;
  fields.session_counter = credential->signer_index;
  EXPECT_EQ(fields.suggested_major, 2);
  EXPECT_EQ(fields.suggested_minor, 11);
  std::string signed_bytes = SignedReplyBytes(fields, raw->header_and_body);
  EXPECT_EQ(signed_bytes.size(), 4 + 12 + raw->header_and_body.size());
  EXPECT_TRUE(VerifySignature(*key, *digest, signed_bytes, credential->signed_data).ok());

  // Any change to the signed octets, the signature or the digest refuses.
  std::string other_request = signed_bytes;
  other_request[11] ^= 0x01;  // RequestId
  ExpectFailure(VerifySignature(*key, *digest, other_request, credential->signed_data),
                ResponseCode::kAuthenticationFailed, "signature does not verify");
  std::string other_body = signed_bytes;
  other_body.back() ^= 0x01;
  ExpectFailure(VerifySignature(*key, *digest, other_body, credential->signed_data),
                ResponseCode::kAuthenticationFailed, "signature does not verify");
  std::string bad_signature = credential->signed_data;
  bad_signature[100] ^= 0x01;
  ExpectFailure(VerifySignature(*key, *digest, signed_bytes, bad_signature),
                ResponseCode::kAuthenticationFailed, "signature does not verify");
  ExpectFailure(VerifySignature(*key, SignatureDigest::kSha1, signed_bytes,
                                credential->signed_data),
                ResponseCode::kAuthenticationFailed, "signature does not verify");
  // Only header and body (the RFC 3652 reading) is not what was signed.
  ExpectFailure(VerifySignature(*key, *digest, raw->header_and_body, credential->signed_data),
                ResponseCode::kAuthenticationFailed, "signature does not verify");
}

TEST(PublicKeyTest, SignedReplyBytesByVersion) {
  SignedReplyFields f{2, 1, 2, 11, 7, 0x01020304, 9};
  EXPECT_EQ(SignedReplyBytes(f, "HB"), "HB");
  f.minor = 7;
  EXPECT_EQ(SignedReplyBytes(f, "HB"),
            std::string("\x02\x07\0\0\0\x07\x01\x02\x03\x04\0\0\0\x09HB", 16));
  f.minor = 8;
  EXPECT_EQ(SignedReplyBytes(f, "HB"),
            std::string("\x02\x08\x02\x0b\0\0\0\x07\x01\x02\x03\x04\0\0\0\x09HB", 18));
}

TEST(PublicKeyTest, DigestNames) {
  EXPECT_EQ(*ParseSignatureDigest("SHA1"), SignatureDigest::kSha1);
  EXPECT_EQ(*ParseSignatureDigest("SHA-1"), SignatureDigest::kSha1);
  EXPECT_EQ(*ParseSignatureDigest("SHA-256"), SignatureDigest::kSha256);
  EXPECT_EQ(*ParseSignatureDigest("SHA256"), SignatureDigest::kSha256);
  EXPECT_EQ(*ParseSignatureDigest("SM3"), SignatureDigest::kSm3);
  ExpectFailure(ParseSignatureDigest("MD5").status(), ResponseCode::kInvalidCredential,
                "unknown signature digest MD5");
  EXPECT_EQ(SignatureDigestName(SignatureDigest::kSha256), "SHA-256");
  EXPECT_EQ(SignatureDigestName(SignatureDigest::kSha1), "SHA1");
}

struct RoundTripCase {
  KeyType type;
  SignatureDigest digest;
  std::string_view name;
};

class PublicKeyRoundTripTest : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(PublicKeyRoundTripTest, GenerateEncodeDecodeSignVerify) {
  const RoundTripCase& c = GetParam();
  auto priv = PrivateKey::Generate(c.type);
  ASSERT_TRUE(priv.ok()) << priv.status();
  std::string record = priv->Public().Encode();
  EXPECT_EQ(record.substr(4, c.name.size()), c.name);
  auto pub = DecodePublicKey(record);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->type(), c.type);
  EXPECT_EQ(pub->Encode(), record);

  const std::string data = "header and body of a certified reply";
  auto signature = priv->Sign(c.digest, data);
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_TRUE(VerifySignature(*pub, c.digest, data, *signature).ok());
  ExpectFailure(VerifySignature(*pub, c.digest, data + ".", *signature),
                ResponseCode::kAuthenticationFailed, "signature does not verify");
  std::string flipped = *signature;
  flipped[flipped.size() / 2] ^= 0x01;
  ExpectFailure(VerifySignature(*pub, c.digest, data, flipped),
                ResponseCode::kAuthenticationFailed, "signature does not verify");
  ExpectFailure(VerifySignature(*pub, c.digest, data, ""), ResponseCode::kAuthenticationFailed,
                "signature does not verify");
  // Another key of the same type does not verify it.
  auto other = PrivateKey::Generate(c.type);
  ASSERT_TRUE(other.ok());
  ExpectFailure(VerifySignature(other->Public(), c.digest, data, *signature),
                ResponseCode::kAuthenticationFailed, "signature does not verify");
}

INSTANTIATE_TEST_SUITE_P(
    AllKeyTypes, PublicKeyRoundTripTest,
    ::testing::Values(RoundTripCase{KeyType::kRsa, SignatureDigest::kSha256, kRsaKeyName},
                      RoundTripCase{KeyType::kRsa, SignatureDigest::kSha1, kRsaKeyName},
                      RoundTripCase{KeyType::kEd25519, SignatureDigest::kSha256, kEd25519KeyName},
                      RoundTripCase{KeyType::kSm2, SignatureDigest::kSm3, kSm2KeyName},
                      RoundTripCase{KeyType::kDsa, SignatureDigest::kSha256, kDsaKeyName}),
    [](const auto& info) {
      return std::string(info.param.name.substr(0, info.param.name.find('_'))) +
             std::string(SignatureDigestName(info.param.digest) == "SHA1" ? "Sha1" : "");
    });

std::string Record(std::string_view name, std::string_view key) {
  ByteWriter out;
  out.WriteLengthPrefixed(name);
  out.WriteU16(0);
  out.WriteLengthPrefixed(key);
  return out.Release();
}

TEST(PublicKeyKnownAnswerTest, Sm2SignatureFromOpensslCli) {
  // Made with `openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt
  // distid:1234567812345678` over "qilian sm2 known answer"; the same
  // signature does not verify under another distinguishing ID.
  auto key = DecodePublicKey(Record(
      kSm2KeyName,
      FromHex("044d26afc8c07217221026fd8a9b4b64163cdf3993a252b4ab08255586495010404213210592670ac4"
              "e7cd013387bcc8a91833545086101153856c1b499489814d")));
  ASSERT_TRUE(key.ok()) << key.status();
  std::string signature = FromHex(
      "304402207a3fefa4068828311af720a6abb617adf3cb4be31893f93ec8c103c53350be2b02200e7e44d11ea920"
      "9e03b4292bc3bd20d5bbbf0297cc58fc62117e2b8ea1e898cf");
  EXPECT_TRUE(
      VerifySignature(*key, SignatureDigest::kSm3, "qilian sm2 known answer", signature).ok());
  ExpectFailure(VerifySignature(*key, SignatureDigest::kSm3, "qilian sm2 known answeR", signature),
                ResponseCode::kAuthenticationFailed, "signature does not verify");
}

TEST(PublicKeyKnownAnswerTest, Ed25519Rfc8032Test1) {
  auto key = DecodePublicKey(Record(
      kEd25519KeyName,
      FromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")));
  ASSERT_TRUE(key.ok()) << key.status();
  std::string signature = FromHex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701c"
      "f9b46bd25bf5f0595bbe24655141438e7a100b");
  EXPECT_TRUE(VerifySignature(*key, SignatureDigest::kSha256, "", signature).ok());
  ExpectFailure(VerifySignature(*key, SignatureDigest::kSha256, "x", signature),
                ResponseCode::kAuthenticationFailed, "signature does not verify");
}

TEST(PublicKeyTest, WrongDigestForKeyTypeIsRefused) {
  auto sm2 = PrivateKey::Generate(KeyType::kSm2);
  ASSERT_TRUE(sm2.ok());
  ExpectFailure(sm2->Sign(SignatureDigest::kSha256, "x").status(),
                ResponseCode::kInvalidCredential, "SM2 signatures use SM3");
  ExpectFailure(VerifySignature(sm2->Public(), SignatureDigest::kSha256, "x", "sig"),
                ResponseCode::kInvalidCredential, "SM2 signatures use SM3");
  auto ed = PrivateKey::Generate(KeyType::kEd25519);
  ASSERT_TRUE(ed.ok());
  auto rsa_record = ServerKeyRecord();
  auto rsa = DecodePublicKey(rsa_record);
  ASSERT_TRUE(rsa.ok());
  ExpectFailure(VerifySignature(*rsa, SignatureDigest::kSm3, "x", "sig"),
                ResponseCode::kInvalidCredential, "SM3 is only used with SM2 keys");
}

TEST(PublicKeyTest, MalformedRecordsAreRefused) {
  std::string rsa = ServerKeyRecord();
  ExpectFailure(DecodePublicKey("").status(), ResponseCode::kInvalidValue,
                "public key record truncated");
  ExpectFailure(DecodePublicKey(rsa.substr(0, 16)).status(), ResponseCode::kInvalidValue,
                "public key record truncated");
  // Truncated inside the modulus.
  ExpectFailure(DecodePublicKey(rsa.substr(0, 200)).status(), ResponseCode::kInvalidValue,
                "RSA public key: bad exponent or modulus");
  // Without Handle.Net's trailing zeros it still decodes (and re-encodes so).
  auto short_form = DecodePublicKey(rsa.substr(0, rsa.size() - 4));
  ASSERT_TRUE(short_form.ok()) << short_form.status();
  EXPECT_EQ(short_form->Encode(), rsa.substr(0, rsa.size() - 4));
  ExpectFailure(DecodePublicKey(rsa + "x").status(), ResponseCode::kInvalidValue,
                "public key record has trailing octets");
  std::string unknown = rsa;
  unknown[4] = 'X';  // "XSA_PUB_KEY"
  ExpectFailure(DecodePublicKey(unknown).status(), ResponseCode::kInvalidValue,
                "unknown public key type XSA_PUB_KEY");
  // A modulus without its leading zero would be negative in Java's form.
  std::string negative = rsa;
  negative.erase(28, 1);
  negative[27] = 0x00;  // length 0x100
  ExpectFailure(DecodePublicKey(negative.substr(0, negative.size() - 4)).status(),
                ResponseCode::kInvalidValue, "RSA public key: bad exponent or modulus");

  // A small RSA key is refused by the limits.
  auto small = PrivateKey::Generate(KeyType::kRsa, 512);
  if (small.ok()) {
    ExpectFailure(DecodePublicKey(small->Public().Encode()).status(),
                  ResponseCode::kInvalidValue, "RSA modulus of 512 bits outside 1024..8192");
  }
  // Ed25519 and SM2 with wrong sizes; SM2 point not on the curve.
  auto ed = PrivateKey::Generate(KeyType::kEd25519);
  ASSERT_TRUE(ed.ok());
  std::string ed_record = ed->Public().Encode();
  std::string ed_short = ed_record.substr(0, ed_record.size() - 1);
  ed_short[ed_short.size() - 32] = 31;  // length 31
  ExpectFailure(DecodePublicKey(ed_short).status(), ResponseCode::kInvalidValue,
                "Ed25519 public key is not 32 octets");
  auto sm2 = PrivateKey::Generate(KeyType::kSm2);
  ASSERT_TRUE(sm2.ok());
  std::string sm2_record = sm2->Public().Encode();
  std::string off_curve = sm2_record;
  off_curve.back() ^= 0x01;
  ExpectFailure(DecodePublicKey(off_curve).status(), ResponseCode::kInvalidValue,
                "public key rejected by OpenSSL");
  std::string compressed = sm2_record;
  compressed[compressed.size() - 65] = 0x02;
  ExpectFailure(DecodePublicKey(compressed).status(), ResponseCode::kInvalidValue,
                "SM2 public key is not a 65-octet uncompressed point");
}

}  // namespace
}  // namespace qilian::ident::auth
