#include "ident/auth/signing_keys.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace qilian::ident::auth {
namespace {

class SigningKeysTest : public ::testing::Test {
 protected:
  SigningKeysTest()
      : dir_(std::filesystem::path(::testing::TempDir()) /
             ("signing-keys-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
    std::filesystem::remove_all(dir_);
    options_.directory = (dir_ / "signing").string();
  }
  ~SigningKeysTest() override { std::filesystem::remove_all(dir_); }

  std::string Path(std::string_view name) const {
    return (dir_ / "signing" / std::string(name)).string();
  }

  std::filesystem::path dir_;
  SigningKeyOptions options_;
};

TEST_F(SigningKeysTest, FirstOpenGeneratesAnRsaKeyWithMode0600AndTheSecondReadsIt) {
  auto first = SigningKeys::Open(options_);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->all().size(), 1u);
  EXPECT_EQ(first->rsa().type(), KeyType::kRsa);
  EXPECT_EQ(first->created(), std::vector<KeyType>{KeyType::kRsa});
  EXPECT_EQ(first->Find(KeyType::kEd25519), nullptr);
  struct stat st;
  ASSERT_EQ(::stat(Path("rsa.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);

  auto second = SigningKeys::Open(options_);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->created().empty());
  EXPECT_EQ(second->rsa().Public().Encode(), first->rsa().Public().Encode());
  // A 2048-bit modulus, as deployed clients expect.
  auto decoded = DecodePublicKey(second->rsa().Public().Encode());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->type(), KeyType::kRsa);
}

TEST_F(SigningKeysTest, Ed25519AndSm2AreAddedBesideRsaAndEachSigns) {
  options_.ed25519 = true;
  options_.sm2 = true;
  auto keys = SigningKeys::Open(options_);
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->all().size(), 3u);
  EXPECT_EQ(keys->all()[0].type(), KeyType::kRsa);
  EXPECT_EQ(keys->all()[1].type(), KeyType::kEd25519);
  EXPECT_EQ(keys->all()[2].type(), KeyType::kSm2);
  const std::string data = "checkpoint 42";
  for (const PrivateKey& key : keys->all()) {
    const SignatureDigest digest =
        key.type() == KeyType::kSm2 ? SignatureDigest::kSm3 : SignatureDigest::kSha256;
    auto signature = key.Sign(digest, data);
    ASSERT_TRUE(signature.ok()) << signature.status();
    auto published = DecodePublicKey(key.Public().Encode());
    ASSERT_TRUE(published.ok()) << published.status();
    EXPECT_TRUE(VerifySignature(*published, digest, data, *signature).ok());
    EXPECT_FALSE(VerifySignature(*published, digest, "checkpoint 43", *signature).ok());
  }
}

TEST_F(SigningKeysTest, AFileOfAnotherTypeOrNotAKeyIsRefusedByName) {
  ASSERT_TRUE(SigningKeys::Open(options_).ok());
  std::filesystem::copy_file(Path("rsa.pem"), Path("ed25519.pem"));
  options_.ed25519 = true;
  EXPECT_EQ(SigningKeys::Open(options_).status(),
            absl::FailedPreconditionError("signing key file " + Path("ed25519.pem") +
                                          " holds a rsa key, want ed25519"));
  std::filesystem::remove(Path("ed25519.pem"));
  { std::ofstream(Path("rsa.pem"), std::ios::trunc) << "not a key\n"; }
  auto broken = SigningKeys::Open(options_);
  ASSERT_EQ(broken.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StartsWith(broken.status().message(),
                               "signing key file " + Path("rsa.pem") + " is not a private key"))
      << broken.status();
}

TEST_F(SigningKeysTest, RotationRetiresTheOldKeyAndTheNextOpenHasANewOne) {
  auto before = SigningKeys::Open(options_);
  ASSERT_TRUE(before.ok());
  const absl::Time now = absl::FromUnixSeconds(1796601600);  // 2026-12-07T00:00:00Z
  auto retired = RotateSigningKey(options_, KeyType::kRsa, now);
  ASSERT_TRUE(retired.ok()) << retired.status();
  ASSERT_TRUE(retired->has_value());
  EXPECT_EQ(**retired, Path("retired/rsa-20261207T000000Z.pem"));
  auto old_key = PrivateKey::FromPem([&] {
    std::ifstream in(**retired);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }());
  ASSERT_TRUE(old_key.ok());
  EXPECT_EQ(old_key->Public().Encode(), before->rsa().Public().Encode());

  auto after = SigningKeys::Open(options_);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->created().empty());
  EXPECT_NE(after->rsa().Public().Encode(), before->rsa().Public().Encode());

  // A second rotation in the same second does not overwrite the first.
  auto again = RotateSigningKey(options_, KeyType::kRsa, now);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(**again, Path("retired/rsa-20261207T000000Z-2.pem"));
}

TEST(SigningKeyTypeTest, NamesParseAndUnknownOnesAreRefused) {
  EXPECT_EQ(*ParseSigningKeyType("RSA"), KeyType::kRsa);
  EXPECT_EQ(*ParseSigningKeyType("ed25519"), KeyType::kEd25519);
  EXPECT_EQ(*ParseSigningKeyType("sm2"), KeyType::kSm2);
  EXPECT_EQ(ParseSigningKeyType("dsa").status(),
            absl::InvalidArgumentError("unknown signing key type 'dsa' (rsa, ed25519, sm2)"));
}

}  // namespace
}  // namespace qilian::ident::auth
