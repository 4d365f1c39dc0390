#include "ident/auth/nonce.h"

#include "gtest/gtest.h"
#include "ident/response_code.h"

namespace qilian::ident::auth {
namespace {

TEST(NonceTest, GeneratesDistinctNoncesOfTheAskedLength) {
  auto a = GenerateNonce();
  auto b = GenerateNonce();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 20u);
  EXPECT_NE(*a, *b);
  auto c = GenerateNonce(32);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->size(), 32u);
  EXPECT_EQ(GenerateNonce(16).status().message(), "nonce length 16 outside 20..256");
  EXPECT_EQ(GenerateNonce(257).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace qilian::ident::auth
