#include "ident/caller.h"

#include "gtest/gtest.h"

namespace qilian::ident {
namespace {

TEST(CallerTest, IdentityTextRoundTrips) {
  const AdminIdentity admin{"0.NA/88.999", 300};
  EXPECT_EQ(IdentityText(admin), "300:0.NA/88.999");
  EXPECT_EQ(ParseIdentityText("300:0.NA/88.999"), admin);
  // The handle may itself hold ':'; only the first one ends the index.
  EXPECT_EQ(ParseIdentityText("1:88.999/a:b"), (AdminIdentity{"88.999/a:b", 1}));
  for (const char* bad : {"", ":", "300:", ":88.999/A", "x1:88.999/A", "+1:88.999/A",
                          "88.999/A", "99999999999:88.999/A"}) {
    EXPECT_EQ(ParseIdentityText(bad), std::nullopt) << bad;
  }
  EXPECT_TRUE(Caller::Anonymous().anonymous());
}

}  // namespace
}  // namespace qilian::ident
