#include "ident/response_code.h"

#include <string>

#include "gtest/gtest.h"

namespace qilian::ident {
namespace {

TEST(ResponseCodeTest, NamesFollowTheRfc) {
  EXPECT_EQ(ResponseCodeName(ResponseCode::kSuccess), "SUCCESS");
  EXPECT_EQ(ResponseCodeName(ResponseCode::kHandleNotFound), "HANDLE NOT FOUND");
  EXPECT_EQ(ResponseCodeName(ResponseCode::kServerNotResponsible), "SERVER NOT RESPONSIBLE");
  EXPECT_EQ(ResponseCodeName(ResponseCode::kIdisQuotaExceeded), "QUOTA EXCEEDED");
  EXPECT_EQ(ResponseCodeName(static_cast<ResponseCode>(12345)), "UNKNOWN");
}

TEST(ResponseCodeTest, HandleErrorPicksCanonicalCodeAndCarriesTheExactCode) {
  struct Case {
    ResponseCode rc;
    absl::StatusCode canonical;
  } cases[] = {
      {ResponseCode::kError, absl::StatusCode::kInternal},
      {ResponseCode::kServerBusy, absl::StatusCode::kUnavailable},
      {ResponseCode::kHandleNotFound, absl::StatusCode::kNotFound},
      {ResponseCode::kValuesNotFound, absl::StatusCode::kNotFound},
      {ResponseCode::kHandleAlreadyExists, absl::StatusCode::kAlreadyExists},
      {ResponseCode::kValueAlreadyExists, absl::StatusCode::kAlreadyExists},
      {ResponseCode::kInvalidHandle, absl::StatusCode::kInvalidArgument},
      {ResponseCode::kInvalidValue, absl::StatusCode::kInvalidArgument},
      {ResponseCode::kServerNotResponsible, absl::StatusCode::kFailedPrecondition},
      {ResponseCode::kInsufficientPermissions, absl::StatusCode::kPermissionDenied},
      {ResponseCode::kAuthenticationNeeded, absl::StatusCode::kUnauthenticated},
      {ResponseCode::kIdisRateLimited, absl::StatusCode::kResourceExhausted},
  };
  for (const auto& c : cases) {
    absl::Status s = HandleError(c.rc, "why");
    EXPECT_EQ(s.code(), c.canonical) << static_cast<int>(c.rc);
    EXPECT_EQ(s.message(), "why");
    EXPECT_EQ(ResponseCodeOf(s), c.rc);
    auto payload = s.GetPayload("qilian.ident/rc");
    ASSERT_TRUE(payload.has_value());
    EXPECT_EQ(std::string(*payload), std::to_string(static_cast<uint32_t>(c.rc)));
  }
}

TEST(ResponseCodeTest, SuccessIsNotAnError) {
  EXPECT_TRUE(HandleError(ResponseCode::kSuccess, "fine").ok());
  EXPECT_EQ(ResponseCodeOf(absl::OkStatus()), ResponseCode::kSuccess);
}

TEST(ResponseCodeTest, CodeSurvivesCopyAndPropagation) {
  absl::Status original = HandleError(ResponseCode::kServerNotResponsible, "x");
  absl::Status copy = original;
  EXPECT_EQ(ResponseCodeOf(copy), ResponseCode::kServerNotResponsible);
}

TEST(ResponseCodeTest, StatusWithoutPayloadMapsFromCanonicalCode) {
  EXPECT_EQ(ResponseCodeOf(absl::NotFoundError("x")), ResponseCode::kHandleNotFound);
  EXPECT_EQ(ResponseCodeOf(absl::AlreadyExistsError("x")), ResponseCode::kHandleAlreadyExists);
  EXPECT_EQ(ResponseCodeOf(absl::InvalidArgumentError("x")), ResponseCode::kProtocolError);
  EXPECT_EQ(ResponseCodeOf(absl::UnavailableError("x")), ResponseCode::kServerBusy);
  EXPECT_EQ(ResponseCodeOf(absl::PermissionDeniedError("x")),
            ResponseCode::kInsufficientPermissions);
  EXPECT_EQ(ResponseCodeOf(absl::InternalError("x")), ResponseCode::kError);
  EXPECT_EQ(ResponseCodeOf(absl::DataLossError("x")), ResponseCode::kError);
  EXPECT_EQ(ResponseCodeOf(absl::UnknownError("x")), ResponseCode::kError);
}

TEST(ResponseCodeTest, MalformedPayloadFallsBackToCanonicalCode) {
  absl::Status s = absl::NotFoundError("x");
  s.SetPayload("qilian.ident/rc", absl::Cord("12x"));
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kHandleNotFound);
  s.SetPayload("qilian.ident/rc", absl::Cord(""));
  EXPECT_EQ(ResponseCodeOf(s), ResponseCode::kHandleNotFound);
}

TEST(ResponseCodeTest, HttpMapping) {
  auto http = [](uint32_t rc) { return HttpStatusOf(static_cast<ResponseCode>(rc)); };
  EXPECT_EQ(http(1), 200);
  EXPECT_EQ(http(100), 404);
  EXPECT_EQ(http(200), 404);
  EXPECT_EQ(http(101), 409);
  EXPECT_EQ(http(201), 409);
  for (uint32_t rc : {102u, 202u, 301u, 4u, 5u}) EXPECT_EQ(http(rc), 400) << rc;
  for (uint32_t rc : {402u, 403u, 404u, 405u, 406u}) EXPECT_EQ(http(rc), 401) << rc;
  EXPECT_EQ(http(400), 403);
  EXPECT_EQ(http(401), 403);
  EXPECT_EQ(http(3), 503);
  EXPECT_EQ(http(603), 429);
  EXPECT_EQ(http(604), 429);
  EXPECT_EQ(http(605), 403);
  for (uint32_t rc : {0u, 2u, 6u, 300u, 302u, 500u, 601u, 900u, 9999u}) {
    EXPECT_EQ(http(rc), 500) << rc;
  }
}

}  // namespace
}  // namespace qilian::ident
