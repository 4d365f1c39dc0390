#include "cli/exit_code.h"

#include <gtest/gtest.h>

namespace qilian::cli {
namespace {

TEST(ExitCodeTest, ResponseCodesWin) {
  EXPECT_EQ(ExitCodeForFailure(404, 100), ExitCode::kNotFound);
  EXPECT_EQ(ExitCodeForFailure(404, 200), ExitCode::kNotFound);
  EXPECT_EQ(ExitCodeForFailure(409, 101), ExitCode::kConflict);
  EXPECT_EQ(ExitCodeForFailure(409, 201), ExitCode::kConflict);
  EXPECT_EQ(ExitCodeForFailure(400, 102), ExitCode::kRejected);
  EXPECT_EQ(ExitCodeForFailure(400, 202), ExitCode::kRejected);
  EXPECT_EQ(ExitCodeForFailure(400, 301), ExitCode::kRejected);
  EXPECT_EQ(ExitCodeForFailure(400, 4), ExitCode::kRejected);
  EXPECT_EQ(ExitCodeForFailure(403, 401), ExitCode::kPermission);
  EXPECT_EQ(ExitCodeForFailure(401, 402), ExitCode::kPermission);
  EXPECT_EQ(ExitCodeForFailure(500, 2), ExitCode::kServerError);
}

TEST(ExitCodeTest, HttpStatusDecidesOtherwise) {
  EXPECT_EQ(ExitCodeForFailure(401, std::nullopt), ExitCode::kPermission);
  EXPECT_EQ(ExitCodeForFailure(403, std::nullopt), ExitCode::kPermission);
  EXPECT_EQ(ExitCodeForFailure(404, std::nullopt), ExitCode::kRejected);
  EXPECT_EQ(ExitCodeForFailure(413, std::nullopt), ExitCode::kRejected);
  EXPECT_EQ(ExitCodeForFailure(400, 605), ExitCode::kRejected);
  EXPECT_EQ(ExitCodeForFailure(503, std::nullopt), ExitCode::kServerError);
  EXPECT_EQ(ExitCodeForFailure(200, 3), ExitCode::kServerError);
}

}  // namespace
}  // namespace qilian::cli
