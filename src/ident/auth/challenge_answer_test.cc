#include "ident/auth/challenge_answer.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "gtest/gtest.h"
#include "ident/test_util.h"
#include "ident/auth/public_key.h"
#include "ident/auth/secret_key.h"
#include "ident/registry.h"
#include "ident/response_code.h"
#include "store/memory_store.h"

namespace qilian::ident::auth {
namespace {

using test::Value;
using test::ExpectCode;

constexpr char kNonce[] = "0123456789abcdefghij";          // 20 octets
constexpr char kDigest[] = "stands-in-for-a-SHA-256-digest!!";  // 32 octets



class ChallengeAnswerTest : public ::testing::Test {
 protected:
  ChallengeAnswerTest()
      : store_(store::NewMemoryStore({{std::string(Registry::kSpace)}})),
        registry_(store_.get(), clock_, RegistryOptions{}) {}

  static void SetUpTestSuite() {
    // RSA generation is the slow part; one key per suite.
    rsa_ = new PrivateKey(*PrivateKey::Generate(KeyType::kRsa, 2048));
    other_rsa_ = new PrivateKey(*PrivateKey::Generate(KeyType::kRsa, 2048));
  }
  static void TearDownTestSuite() {
    delete rsa_;
    delete other_rsa_;
  }

  // 88.999/KEYS holds `key` as HS_PUBKEY at 300 and a secret at 301.
  void Store(const PrivateKey& key) {
    ASSERT_TRUE(registry_
                    .Create("88.999/KEYS", {Value(300, "HS_PUBKEY", key.Public().Encode()),
                                            Value(301, "HS_SECKEY", "keysecret")})
                    .ok());
  }

  absl::Status Verify(std::string_view type, uint32_t index, std::string_view answer,
                      std::string_view handle = "88.999/KEYS") {
    return VerifyChallengeAnswer(registry_, type, handle, index, kNonce, kDigest, answer);
  }

  static PrivateKey* rsa_;
  static PrivateKey* other_rsa_;
  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  Registry registry_;
};

PrivateKey* ChallengeAnswerTest::rsa_ = nullptr;
PrivateKey* ChallengeAnswerTest::other_rsa_ = nullptr;

TEST_F(ChallengeAnswerTest, RsaRoundTripWithDeployedDefaultSha256) {
  Store(*rsa_);
  absl::StatusOr<std::string> answer = ComputePublicKeyAnswer(*rsa_, kNonce, kDigest);
  ASSERT_TRUE(answer.ok()) << answer.status();
  absl::StatusOr<PublicKeyAnswer> parsed = ParsePublicKeyAnswer(*answer);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->hash_name, "SHA-256");
  EXPECT_EQ(parsed->signature.size(), 256u);
  EXPECT_TRUE(Verify("HS_PUBKEY", 300, *answer).ok());
}

TEST_F(ChallengeAnswerTest, RsaSha1AsPre27ClientsSign) {
  Store(*rsa_);
  absl::StatusOr<std::string> answer =
      ComputePublicKeyAnswer(*rsa_, kNonce, kDigest, SignatureDigest::kSha1);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(ParsePublicKeyAnswer(*answer)->hash_name, "SHA1");
  EXPECT_TRUE(Verify("HS_PUBKEY", 300, *answer).ok());
}

TEST_F(ChallengeAnswerTest, AlternateHashNamesAndOctetCodes) {
  Store(*rsa_);
  std::string data = std::string(kNonce) + kDigest;
  std::string sha256 = *rsa_->Sign(SignatureDigest::kSha256, data);
  std::string sha1 = *rsa_->Sign(SignatureDigest::kSha1, data);
  EXPECT_TRUE(Verify("HS_PUBKEY", 300, EncodePublicKeyAnswer({"SHA256", sha256})).ok());
  EXPECT_TRUE(Verify("HS_PUBKEY", 300, EncodePublicKeyAnswer({"SHA-1", sha1})).ok());
  EXPECT_TRUE(Verify("HS_PUBKEY", 300, EncodePublicKeyAnswer({std::string(1, '\x03'), sha256})).ok());
  EXPECT_TRUE(Verify("HS_PUBKEY", 300, EncodePublicKeyAnswer({std::string(1, '\x02'), sha1})).ok());
  // The name must match what was signed.
  ExpectCode(Verify("HS_PUBKEY", 300, EncodePublicKeyAnswer({"SHA1", sha256})),
             ResponseCode::kAuthenticationFailed, "signature does not verify");
}

TEST_F(ChallengeAnswerTest, Ed25519RoundTripFromPem) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate(KeyType::kEd25519);
  ASSERT_TRUE(key.ok());
  Store(*key);
  absl::StatusOr<std::string> pem = key->ToPem();
  ASSERT_TRUE(pem.ok());
  EXPECT_NE(pem->find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  absl::StatusOr<std::string> answer = ComputeChallengeAnswer(*pem, kNonce, kDigest);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(ParsePublicKeyAnswer(*answer)->hash_name, "SHA-512");
  EXPECT_EQ(ParsePublicKeyAnswer(*answer)->signature.size(), 64u);
  EXPECT_TRUE(Verify("HS_PUBKEY", 300, *answer).ok());
}

TEST_F(ChallengeAnswerTest, Sm2RoundTripFromPemWithSm3) {
  absl::StatusOr<PrivateKey> key = PrivateKey::Generate(KeyType::kSm2);
  ASSERT_TRUE(key.ok());
  Store(*key);
  absl::StatusOr<PrivateKey> reread = PrivateKey::FromPem(*key->ToPem());
  ASSERT_TRUE(reread.ok()) << reread.status();
  EXPECT_EQ(reread->type(), KeyType::kSm2);
  absl::StatusOr<std::string> answer = ComputeChallengeAnswer(*key->ToPem(), kNonce, kDigest);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(ParsePublicKeyAnswer(*answer)->hash_name, "SM3");
  EXPECT_TRUE(Verify("HS_PUBKEY", 300, *answer).ok());
  // SM2 signs with SM3 only.
  std::string sig = ParsePublicKeyAnswer(*answer)->signature;
  ExpectCode(Verify("HS_PUBKEY", 300, EncodePublicKeyAnswer({"SHA-256", sig})),
             ResponseCode::kInvalidCredential, "SM2 signatures use SM3");
}

TEST_F(ChallengeAnswerTest, TamperedSignatureOrChallengeDoesNotVerify) {
  Store(*rsa_);
  std::string answer = *ComputePublicKeyAnswer(*rsa_, kNonce, kDigest);
  std::string tampered = answer;
  tampered.back() ^= 0x01;
  ExpectCode(Verify("HS_PUBKEY", 300, tampered), ResponseCode::kAuthenticationFailed,
             "signature does not verify");
  // The same answer to another nonce.
  ExpectCode(VerifyChallengeAnswer(registry_, "HS_PUBKEY", "88.999/KEYS", 300,
                                   "another-nonce-20-oct", kDigest, answer),
             ResponseCode::kAuthenticationFailed, "signature does not verify");
}

TEST_F(ChallengeAnswerTest, WrongKeyDoesNotVerify) {
  Store(*rsa_);
  std::string answer = *ComputePublicKeyAnswer(*other_rsa_, kNonce, kDigest);
  ExpectCode(Verify("HS_PUBKEY", 300, answer), ResponseCode::kAuthenticationFailed,
             "signature does not verify");
}

TEST_F(ChallengeAnswerTest, UnknownIdentityIs403NamingIt) {
  Store(*rsa_);
  std::string answer = *ComputePublicKeyAnswer(*rsa_, kNonce, kDigest);
  // Index 301 holds an HS_SECKEY, not a key; 302 holds nothing.
  ExpectCode(Verify("HS_PUBKEY", 301, answer), ResponseCode::kAuthenticationFailed,
             "cannot authenticate 301:88.999/KEYS: no HS_PUBKEY value at that index");
  ExpectCode(Verify("HS_PUBKEY", 302, answer), ResponseCode::kAuthenticationFailed,
             "cannot authenticate 302:88.999/KEYS: no HS_PUBKEY value at that index");
  ExpectCode(Verify("HS_PUBKEY", 300, answer, "88.999/NOBODY"),
             ResponseCode::kAuthenticationFailed,
             "cannot authenticate 300:88.999/NOBODY: no HS_PUBKEY value at that index");
  // And an HS_SECKEY answer naming the key's index.
  ExpectCode(Verify("HS_SECKEY", 300, "x"), ResponseCode::kAuthenticationFailed,
             "cannot authenticate 300:88.999/KEYS: no HS_SECKEY value at that index");
}

TEST_F(ChallengeAnswerTest, StoredKeyThatDoesNotDecodeIs403) {
  ASSERT_TRUE(registry_.Create("88.999/BROKEN", {Value(300, "HS_PUBKEY", "not a key")}).ok());
  std::string answer = *ComputePublicKeyAnswer(*rsa_, kNonce, kDigest);
  absl::Status s = Verify("HS_PUBKEY", 300, answer, "88.999/BROKEN");
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kAuthenticationFailed);
  EXPECT_TRUE(absl::StartsWith(std::string(s.message()),
                               "cannot authenticate 300:88.999/BROKEN: the HS_PUBKEY value at "
                               "that index is not a usable key ("))
      << s;
}

TEST_F(ChallengeAnswerTest, MalformedFramingIs404NamingTheField) {
  Store(*rsa_);
  struct Case {
    std::string answer;
    std::string message;
  };
  std::string sig = *rsa_->Sign(SignatureDigest::kSha256, std::string(kNonce) + kDigest);
  std::string good = EncodePublicKeyAnswer({"SHA-256", sig});
  std::string big_name;
  {
    ByteWriter w;
    w.WriteU32(65);
    big_name = w.Release() + std::string(65, 'S');
  }
  std::string big_sig;
  {
    ByteWriter w;
    w.WriteLengthPrefixed("SHA-256");
    w.WriteU32(1025);
    big_sig = w.Release() + std::string(1025, 's');
  }
  const Case cases[] = {
      {"", "HS_PUBKEY answer: hash name length missing"},
      {std::string("\0\0\0", 3), "HS_PUBKEY answer: hash name length missing"},
      {std::string("\0\0\0\0", 4), "HS_PUBKEY answer: empty hash name"},
      {big_name, "HS_PUBKEY answer: hash name of 65 octets exceeds 64"},
      {std::string("\0\0\0\x07SHA", 7), "HS_PUBKEY answer: hash name truncated"},
      {std::string("\0\0\0\x07SHA-256", 11), "HS_PUBKEY answer: signature length missing"},
      {std::string("\0\0\0\x07SHA-256\0\0\0\0", 15), "HS_PUBKEY answer: empty signature"},
      {big_sig, "HS_PUBKEY answer: signature of 1025 octets exceeds 1024"},
      {good.substr(0, good.size() - 1), "HS_PUBKEY answer: signature truncated"},
      {good + "xy", "HS_PUBKEY answer: 2 octets after the signature"},
      {EncodePublicKeyAnswer({"MD5", sig}), "HS_PUBKEY answer: MD5 signatures are not accepted"},
      {EncodePublicKeyAnswer({std::string(1, '\x01'), sig}),
       "HS_PUBKEY answer: unknown hash code 0x01"},
      {EncodePublicKeyAnswer({"SHA-512", sig}), "unknown signature digest SHA-512"},
      {EncodePublicKeyAnswer({"SM3", sig}), "SM3 is only used with SM2 keys"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    ExpectCode(Verify("HS_PUBKEY", 300, c.answer), ResponseCode::kInvalidCredential, c.message);
  }
  EXPECT_TRUE(Verify("HS_PUBKEY", 300, good).ok());
}

TEST_F(ChallengeAnswerTest, SecretKeyAnswersGoThroughTheSameCall) {
  Store(*rsa_);
  absl::StatusOr<std::string> answer =
      ComputeSecretKeyAnswer(MacAlgorithm::kPbkdf2HmacSha1, "keysecret", kNonce, kDigest);
  ASSERT_TRUE(answer.ok());
  EXPECT_TRUE(Verify("HS_SECKEY", 301, *answer).ok());
  std::string wrong =
      *ComputeSecretKeyAnswer(MacAlgorithm::kPbkdf2HmacSha1, "not-the-secret", kNonce, kDigest);
  ExpectCode(Verify("HS_SECKEY", 301, wrong), ResponseCode::kAuthenticationFailed,
             "secret key answer does not match");
  ExpectCode(Verify("HS_SECKEY", 301, std::string(1, '\x23')), ResponseCode::kInvalidCredential,
             "unknown secret key algorithm 0x23");
}

TEST_F(ChallengeAnswerTest, UnsupportedTypeIs404) {
  Store(*rsa_);
  ExpectCode(Verify("HS_VLIST", 300, "x"), ResponseCode::kInvalidCredential,
             "only HS_SECKEY and HS_PUBKEY answers are supported, not 'HS_VLIST'");
}

TEST(PrivateKeyPemTest, RefusesWhatIsNotAnUnencryptedKey) {
  absl::StatusOr<PrivateKey> key = PrivateKey::FromPem("hello");
  EXPECT_TRUE(absl::IsInvalidArgument(key.status()));
  EXPECT_EQ(std::string(key.status().message()), "no unencrypted PEM private key found");
  absl::StatusOr<std::string> answer = ComputeChallengeAnswer("", kNonce, kDigest);
  EXPECT_TRUE(absl::IsInvalidArgument(answer.status()));
}

}  // namespace
}  // namespace qilian::ident::auth
