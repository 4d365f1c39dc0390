#include "ident/auth/secret_key.h"

#include <string>

#include "gtest/gtest.h"
#include "ident/auth/testdata/auth_vectors.h"
#include "ident/response_code.h"
#include "ident/wire/codec.h"

namespace qilian::ident::auth {
namespace {

using testdata::FromHex;
using testdata::VectorBytes;

constexpr std::string_view kSecret = "adminsecret";

// One recorded challenge and its answer, decoded with the wire codec.
struct Exchange {
  std::string request_digest;  // recomputed from the recorded request
  wire::RequestDigest challenge_digest;
  std::string nonce;
  std::string answer;
};

Exchange Decode(std::string_view scenario) {
  Exchange ex;
  std::string request = VectorBytes(scenario, 0);
  std::string challenge = VectorBytes(scenario, 1);
  std::string answer = VectorBytes(scenario, 2);
  EXPECT_FALSE(request.empty());
  auto req = wire::DecodeMessage(request);
  EXPECT_TRUE(req.ok()) << req.status();
  ex.request_digest = wire::ComputeDigest(
      wire::DigestAlgorithmForVersion(req->envelope.major_version, req->envelope.minor_version),
      req->header_and_body);

  auto ch = wire::DecodeMessage(challenge);
  EXPECT_TRUE(ch.ok()) << ch.status();
  EXPECT_EQ(ch->header.response_code, 402u);
  auto ch_body = wire::DecodeResponseBody(static_cast<OpCode>(ch->header.op_code),
                                          ResponseCode::kAuthenticationNeeded,
                                          ch->header.op_flags, ch->body);
  EXPECT_TRUE(ch_body.ok()) << ch_body.status();
  ex.challenge_digest = ch_body->digest;
  ex.nonce = ch_body->nonce;

  auto an = wire::DecodeMessage(answer);
  EXPECT_TRUE(an.ok()) << an.status();
  EXPECT_EQ(an->header.op_code, 200u);
  auto an_body = wire::DecodeRequestBody(OpCode::kChallengeResponse, an->body);
  EXPECT_TRUE(an_body.ok()) << an_body.status();
  EXPECT_EQ(an_body->auth_type, "HS_SECKEY");
  EXPECT_EQ(an_body->key_handle, "88.999/ADMIN");
  EXPECT_EQ(an_body->key_index, 300u);
  ex.answer = an_body->answer;
  return ex;
}

void ExpectFailure(const absl::Status& status, ResponseCode code, std::string_view message) {
  EXPECT_EQ(ResponseCodeOf(status), code) << status;
  EXPECT_EQ(std::string(status.message()), std::string(message));
}

TEST(SecretKeyGoldenTest, Sha1AnswerAt21Verifies) {
  Exchange ex = Decode("create-tcp-v2.1-sha1");
  EXPECT_EQ(ex.challenge_digest.algorithm, wire::DigestAlgorithm::kSha1);
  EXPECT_EQ(ex.challenge_digest.digest, ex.request_digest);
  EXPECT_EQ(ex.nonce, FromHex("5571024216a52df760e50ac62499de92"));
  auto parsed = ParseSecretKeyAnswer(ex.answer);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->algorithm, MacAlgorithm::kSha1);
  EXPECT_EQ(parsed->mac, FromHex("dea26e892f1a7ac6bd7aa3e90be517b40f51037e"));
  EXPECT_EQ(EncodeSecretKeyAnswer(*parsed), ex.answer);
  EXPECT_TRUE(VerifySecretKeyAnswer(kSecret, ex.nonce, ex.challenge_digest.digest, ex.answer).ok());
  // The client side computes the recorded answer octet for octet.
  auto computed = ComputeSecretKeyAnswer(MacAlgorithm::kSha1, kSecret, ex.nonce,
                                         ex.challenge_digest.digest);
  ASSERT_TRUE(computed.ok());
  EXPECT_EQ(*computed, ex.answer);
}

TEST(SecretKeyGoldenTest, Pbkdf2AnswerAt211Verifies) {
  Exchange ex = Decode("create-tcp-v2.11-pbkdf2");
  EXPECT_EQ(ex.challenge_digest.algorithm, wire::DigestAlgorithm::kSha256);
  EXPECT_EQ(ex.challenge_digest.digest, ex.request_digest);
  EXPECT_EQ(ex.nonce.size(), 16u);
  auto parsed = ParseSecretKeyAnswer(ex.answer);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->algorithm, MacAlgorithm::kPbkdf2HmacSha1);
  EXPECT_EQ(parsed->pbkdf2.salt, FromHex("fdcd83d98e8578fab0388e8f53c64d14"));
  EXPECT_EQ(parsed->pbkdf2.iterations, 10000u);
  EXPECT_EQ(parsed->pbkdf2.key_bits, 160u);
  EXPECT_EQ(parsed->mac, FromHex("68259256f69658bf4db07ba7c295ff7e8c9b9cda"));
  EXPECT_EQ(EncodeSecretKeyAnswer(*parsed), ex.answer);
  EXPECT_TRUE(VerifySecretKeyAnswer(kSecret, ex.nonce, ex.challenge_digest.digest, ex.answer).ok());
  auto computed = ComputeSecretKeyAnswer(MacAlgorithm::kPbkdf2HmacSha1, kSecret, ex.nonce,
                                         ex.challenge_digest.digest, parsed->pbkdf2);
  ASSERT_TRUE(computed.ok());
  EXPECT_EQ(*computed, ex.answer);
}

TEST(SecretKeyGoldenTest, WrongSecretOrFlippedFieldIsRefused) {
  for (std::string_view scenario : {"create-tcp-v2.1-sha1", "create-tcp-v2.11-pbkdf2"}) {
    SCOPED_TRACE(scenario);
    Exchange ex = Decode(scenario);
    const std::string& digest = ex.challenge_digest.digest;
    ExpectFailure(VerifySecretKeyAnswer("adminsecreT", ex.nonce, digest, ex.answer),
                  ResponseCode::kAuthenticationFailed, "secret key answer does not match");
    ExpectFailure(VerifySecretKeyAnswer("", ex.nonce, digest, ex.answer),
                  ResponseCode::kAuthenticationFailed, "secret key answer does not match");
    std::string nonce = ex.nonce;
    nonce[3] ^= 0x01;
    ExpectFailure(VerifySecretKeyAnswer(kSecret, nonce, digest, ex.answer),
                  ResponseCode::kAuthenticationFailed, "secret key answer does not match");
    std::string bad_digest = digest;
    bad_digest.back() ^= 0x80;
    ExpectFailure(VerifySecretKeyAnswer(kSecret, ex.nonce, bad_digest, ex.answer),
                  ResponseCode::kAuthenticationFailed, "secret key answer does not match");
    // Every octet of the MAC (the answer's tail) matters.
    size_t mac_start = ex.answer.size() - 20;
    for (size_t i = mac_start; i < ex.answer.size(); ++i) {
      std::string answer = ex.answer;
      answer[i] ^= 0x01;
      ExpectFailure(VerifySecretKeyAnswer(kSecret, ex.nonce, digest, answer),
                    ResponseCode::kAuthenticationFailed, "secret key answer does not match");
    }
  }
}

TEST(SecretKeyGoldenTest, FlippedPbkdf2ParametersAreRefused) {
  Exchange ex = Decode("create-tcp-v2.11-pbkdf2");
  const std::string& digest = ex.challenge_digest.digest;
  // Layout: 0x22 | u32 16 | salt(16) @5 | u32 iterations @21 | u32 keyBits
  // @25 | u32 macLen @29 | mac @33.
  std::string salt = ex.answer;
  salt[5] ^= 0x01;
  ExpectFailure(VerifySecretKeyAnswer(kSecret, ex.nonce, digest, salt),
                ResponseCode::kAuthenticationFailed, "secret key answer does not match");
  std::string iterations = ex.answer;
  iterations[24] ^= 0x01;  // 10001
  ExpectFailure(VerifySecretKeyAnswer(kSecret, ex.nonce, digest, iterations),
                ResponseCode::kAuthenticationFailed, "secret key answer does not match");
  std::string key_bits = ex.answer;
  key_bits[28] = static_cast<char>(0xa8);  // 168 bits: another key
  ExpectFailure(VerifySecretKeyAnswer(kSecret, ex.nonce, digest, key_bits),
                ResponseCode::kAuthenticationFailed, "secret key answer does not match");
  std::string algorithm = ex.answer;
  algorithm[0] = 0x23;
  ExpectFailure(VerifySecretKeyAnswer(kSecret, ex.nonce, digest, algorithm),
                ResponseCode::kInvalidCredential, "unknown secret key algorithm 0x23");
}

TEST(SecretKeyParseTest, LimitsAreEnforced) {
  auto pbkdf2 = [](std::string_view salt, uint32_t iterations, uint32_t key_bits,
                   std::string_view mac) {
    SecretKeyAnswer a;
    a.algorithm = MacAlgorithm::kPbkdf2HmacSha1;
    a.pbkdf2 = {std::string(salt), iterations, key_bits};
    a.mac = std::string(mac);
    return EncodeSecretKeyAnswer(a);
  };
  std::string mac(20, 'm');
  std::string salt(16, 's');
  EXPECT_TRUE(ParseSecretKeyAnswer(pbkdf2(salt, 10000, 160, mac)).ok());
  ExpectFailure(ParseSecretKeyAnswer("").status(), ResponseCode::kInvalidCredential,
                "empty secret key answer");
  ExpectFailure(ParseSecretKeyAnswer(pbkdf2(std::string(65, 's'), 10000, 160, mac)).status(),
                ResponseCode::kInvalidCredential,
                "PBKDF2 salt truncated or longer than 64 octets");
  ExpectFailure(ParseSecretKeyAnswer(pbkdf2("", 10000, 160, mac)).status(),
                ResponseCode::kInvalidCredential, "PBKDF2 salt length 0 outside 1..64");
  ExpectFailure(ParseSecretKeyAnswer(pbkdf2(salt, 1'000'001, 160, mac)).status(),
                ResponseCode::kInvalidCredential,
                "PBKDF2 iterations 1000001 outside 1000..1000000");
  ExpectFailure(ParseSecretKeyAnswer(pbkdf2(salt, 999, 160, mac)).status(),
                ResponseCode::kInvalidCredential, "PBKDF2 iterations 999 outside 1000..1000000");
  ExpectFailure(ParseSecretKeyAnswer(pbkdf2(salt, 10000, 161, mac)).status(),
                ResponseCode::kInvalidCredential,
                "PBKDF2 key bits 161 not a multiple of 8 in 128..512");
  ExpectFailure(ParseSecretKeyAnswer(pbkdf2(salt, 10000, 4096, mac)).status(),
                ResponseCode::kInvalidCredential,
                "PBKDF2 key bits 4096 not a multiple of 8 in 128..512");
  ExpectFailure(ParseSecretKeyAnswer(pbkdf2(salt, 10000, 160, std::string(19, 'm'))).status(),
                ResponseCode::kInvalidCredential, "PBKDF2-HMAC-SHA1 MAC is 19 octets, want 20");
  std::string long_len = pbkdf2(salt, 10000, 160, mac);
  long_len[32] = 21;  // macLen 21 but 20 octets follow
  ExpectFailure(ParseSecretKeyAnswer(long_len).status(), ResponseCode::kInvalidCredential,
                "PBKDF2 MAC length 21 but 20 octets follow");
  ExpectFailure(ParseSecretKeyAnswer(long_len.substr(0, 27)).status(),
                ResponseCode::kInvalidCredential, "PBKDF2 parameters truncated");
  ExpectFailure(ParseSecretKeyAnswer(std::string("\x02") + std::string(19, 'm')).status(),
                ResponseCode::kInvalidCredential, "SHA-1 MAC is 19 octets, want 20");
  ExpectFailure(ParseSecretKeyAnswer(std::string("\x13") + std::string(20, 'm')).status(),
                ResponseCode::kInvalidCredential, "HMAC-SHA256 MAC is 20 octets, want 32");
  ExpectFailure(ParseSecretKeyAnswer(std::string("\x00", 1)).status(),
                ResponseCode::kInvalidCredential, "unknown secret key algorithm 0x00");
}

TEST(SecretKeyRoundTripTest, EveryAlgorithmVerifiesAndRejectsWrongSecret) {
  const std::string nonce(20, 'n');
  const std::string digest = FromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  for (MacAlgorithm alg : {MacAlgorithm::kMd5, MacAlgorithm::kSha1, MacAlgorithm::kSha256,
                           MacAlgorithm::kHmacSha1, MacAlgorithm::kHmacSha256,
                           MacAlgorithm::kPbkdf2HmacSha1}) {
    SCOPED_TRACE(MacAlgorithmName(alg));
    auto answer = ComputeSecretKeyAnswer(alg, "s3cret", nonce, digest);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(static_cast<uint8_t>((*answer)[0]), static_cast<uint8_t>(alg));
    EXPECT_TRUE(VerifySecretKeyAnswer("s3cret", nonce, digest, *answer).ok());
    ExpectFailure(VerifySecretKeyAnswer("s3creT", nonce, digest, *answer),
                  ResponseCode::kAuthenticationFailed, "secret key answer does not match");
  }
}

TEST(SecretKeyRoundTripTest, KnownHmacSha256Value) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?",
  // split here into nonce and digest.
  auto mac = ComputeSecretKeyMac(MacAlgorithm::kHmacSha256, "Jefe", "what do ya want ",
                                 "for nothing?");
  ASSERT_TRUE(mac.ok());
  EXPECT_EQ(*mac, FromHex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
}

}  // namespace
}  // namespace qilian::ident::auth
