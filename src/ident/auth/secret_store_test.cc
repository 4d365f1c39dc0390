#include "ident/auth/secret_store.h"

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {
namespace {

// Small scrypt cost so the tests stay fast; production uses the defaults.
constexpr ScryptParams kFast{1 << 10, 8, 1};

SecretSealer MakeSealer(char fill) {
  auto sealer = SecretSealer::Create(std::string(kNodeKeyBytes, fill));
  EXPECT_TRUE(sealer.ok());
  return *sealer;
}

TEST(SecretSealerTest, SealOpenRoundTrip) {
  auto key = SecretSealer::GenerateNodeKey();
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->size(), kNodeKeyBytes);
  auto sealer = SecretSealer::Create(*key);
  ASSERT_TRUE(sealer.ok());
  auto sealed = sealer->Seal("adminsecret", "300:88.999/ADMIN");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), 4 + 12 + 11 + 16u);
  EXPECT_EQ(sealed->substr(0, 4), "QLS1");
  EXPECT_EQ(sealed->find("adminsecret"), std::string::npos);
  auto opened = sealer->Open(*sealed, "300:88.999/ADMIN");
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(*opened, "adminsecret");
  // Fresh nonce each time.
  EXPECT_NE(*sealer->Seal("adminsecret", "300:88.999/ADMIN"), *sealed);
  // The empty secret is sealable too.
  EXPECT_EQ(*sealer->Open(*sealer->Seal("", "c"), "c"), "");
}

TEST(SecretSealerTest, WrongKeyContextOrAnyFlippedOctetDoesNotOpen) {
  SecretSealer sealer = MakeSealer('k');
  std::string sealed = *sealer.Seal("adminsecret", "300:88.999/ADMIN");
  auto other = MakeSealer('K').Open(sealed, "300:88.999/ADMIN");
  EXPECT_EQ(other.status(), absl::DataLossError("sealed secret does not open"));
  EXPECT_EQ(sealer.Open(sealed, "301:88.999/ADMIN").status(),
            absl::DataLossError("sealed secret does not open"));
  for (size_t i = 4; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_EQ(sealer.Open(bad, "300:88.999/ADMIN").status(),
              absl::DataLossError("sealed secret does not open"))
        << "octet " << i;
  }
  std::string bad_magic = sealed;
  bad_magic[3] = '2';
  EXPECT_EQ(sealer.Open(bad_magic, "300:88.999/ADMIN").status(),
            absl::InvalidArgumentError("not a sealed secret (QLS1)"));
  EXPECT_EQ(sealer.Open(sealed.substr(0, 31), "300:88.999/ADMIN").status(),
            absl::InvalidArgumentError("not a sealed secret (QLS1)"));
  EXPECT_EQ(SecretSealer::Create("short").status(),
            absl::InvalidArgumentError("node key is 5 octets, want 32"));
}

TEST(PasswordHashTest, HashesVerifyAndWrongPasswordsFail) {
  auto encoded = HashPassword("correct horse", kFast);
  ASSERT_TRUE(encoded.ok()) << encoded.status();
  std::vector<std::string> parts = absl::StrSplit(*encoded, '$');
  ASSERT_EQ(parts.size(), 6u);
  EXPECT_EQ(parts[0], "scrypt");
  EXPECT_EQ(parts[1], "1024");
  EXPECT_EQ(parts[2], "8");
  EXPECT_EQ(parts[3], "1");
  EXPECT_EQ(parts[4].size(), 24u);  // 16 octets of salt in base64
  EXPECT_TRUE(VerifyPassword("correct horse", *encoded).ok());
  absl::Status wrong = VerifyPassword("correct horsE", *encoded);
  EXPECT_EQ(ResponseCodeOf(wrong), ResponseCode::kAuthenticationFailed);
  EXPECT_EQ(wrong.message(), "password does not match");
  // Same password, new salt, different encoding.
  EXPECT_NE(*HashPassword("correct horse", kFast), *encoded);
}

TEST(PasswordHashTest, DefaultParamsAreTheSlowOnes) {
  auto encoded = HashPassword("pw");
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->rfind("scrypt$32768$8$1$", 0), 0u) << *encoded;
  EXPECT_TRUE(VerifyPassword("pw", *encoded).ok());
}

TEST(PasswordHashTest, KnownScryptVector) {
  // RFC 7914 section 12, third vector: P="pleaseletmein",
  // S="SodiumChloride", N=16384, r=8, p=1, 64 octets.
  std::string encoded =
      "scrypt$16384$8$1$U29kaXVtQ2hsb3JpZGU=$cCO9yzr9c0hGHAbNgf046/2o+7qQT44+qbVD9lRdofLVQylVYT8Pz2"
      "LUlwUkKpr55h6F3A1lHkDfzwF7RVdYhw==";
  EXPECT_TRUE(VerifyPassword("pleaseletmein", encoded).ok());
  EXPECT_EQ(ResponseCodeOf(VerifyPassword("pleaseletmeim", encoded)),
            ResponseCode::kAuthenticationFailed);
  // Salts shorter than 8 octets (RFC 7914's first vectors use "NaCl") are
  // below our limit.
  EXPECT_EQ(VerifyPassword("password",
                           "scrypt$1024$8$16$TmFDbA==$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIu"
                           "rzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA=="),
            absl::DataLossError("password hash parameters out of limits"));
}

TEST(PasswordHashTest, MalformedOrAbusiveEncodingsAreRefused) {
  std::string good = *HashPassword("pw", kFast);
  EXPECT_EQ(VerifyPassword("pw", "bcrypt$1024$8$1$AAAA$AAAA"),
            absl::DataLossError("malformed password hash"));
  EXPECT_EQ(VerifyPassword("pw", good.substr(0, good.rfind('$'))),
            absl::DataLossError("malformed password hash"));
  EXPECT_EQ(VerifyPassword("pw", "scrypt$x$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA=="),
            absl::DataLossError("malformed password hash"));
  // N not a power of two; N*r beyond the memory cap.
  EXPECT_EQ(VerifyPassword("pw", "scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA=="),
            absl::DataLossError("password hash parameters out of limits"));
  EXPECT_EQ(
      VerifyPassword("pw", "scrypt$1048576$32$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAA=="),
      absl::DataLossError("password hash parameters out of limits"));
  EXPECT_EQ(HashPassword("pw", ScryptParams{3, 8, 1}).status(),
            absl::InvalidArgumentError("scrypt parameters N=3 r=8 p=1 out of limits"));
}

}  // namespace
}  // namespace qilian::ident::auth
