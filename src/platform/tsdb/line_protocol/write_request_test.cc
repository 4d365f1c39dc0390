#include "platform/tsdb/line_protocol/write_request.h"

#include <vector>

#include "gtest/gtest.h"

namespace qilian::platform::lp {
namespace {

absl::StatusOr<WriteRequest> Req(std::string_view path, std::string_view query,
                                 std::vector<Header> headers = {}, std::string_view method = "POST") {
  return ParseWriteRequest(method, path, query, headers);
}

TEST(WriteRequest, V2) {
  auto r = Req("/api/v2/write", "org=acme&bucket=plant%2F1&precision=ms",
               {{"Content-Type", "text/plain; charset=utf-8"}, {"Content-Encoding", "GZIP"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->api, WriteApi::kV2);
  EXPECT_EQ(r->org, "acme");
  EXPECT_EQ(r->bucket, "plant/1");
  EXPECT_EQ(r->precision, Precision::kMilliseconds);
  EXPECT_EQ(r->encoding, ContentEncoding::kGzip);
}

TEST(WriteRequest, V1) {
  auto r = Req("/write", "db=telegraf&rp=autogen&precision=u&u=user&p=secret&consistency=one");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->api, WriteApi::kV1);
  EXPECT_EQ(r->db, "telegraf");
  EXPECT_EQ(r->rp, "autogen");
  EXPECT_EQ(r->precision, Precision::kMicroseconds);
  EXPECT_EQ(r->encoding, ContentEncoding::kIdentity);
}

TEST(WriteRequest, DefaultPrecisionIsNanoseconds) {
  EXPECT_EQ(Req("/api/v2/write", "orgID=0123456789abcdef&bucket=b")->precision, Precision::kNanoseconds);
}

TEST(WriteRequest, EveryPrecisionSpelling) {
  const std::pair<std::string_view, Precision> cases[] = {
      {"ns", Precision::kNanoseconds}, {"n", Precision::kNanoseconds}, {"us", Precision::kMicroseconds},
      {"u", Precision::kMicroseconds}, {"ms", Precision::kMilliseconds}, {"s", Precision::kSeconds},
      {"m", Precision::kMinutes},      {"h", Precision::kHours}};
  for (auto [name, p] : cases) EXPECT_EQ(*ParsePrecision(name), p) << name;
}

TEST(WriteRequest, UnknownPrecisionRefused) {
  EXPECT_EQ(Req("/write", "db=x&precision=sec").status(),
            absl::InvalidArgumentError("precision \"sec\" is not one of ns, us, ms, s (n, u, m, h also accepted)"));
  EXPECT_EQ(Req("/write", "db=x&precision=").status(),
            absl::InvalidArgumentError("precision \"\" is not one of ns, us, ms, s (n, u, m, h also accepted)"));
}

TEST(WriteRequest, PrecisionTwiceRefused) {
  EXPECT_EQ(Req("/write", "db=x&precision=s&precision=ms").status(),
            absl::InvalidArgumentError("query: precision given twice"));
}

TEST(WriteRequest, MissingNames) {
  EXPECT_EQ(Req("/write", "").status(), absl::InvalidArgumentError("query: db is required"));
  EXPECT_EQ(Req("/api/v2/write", "org=a").status(), absl::InvalidArgumentError("query: bucket is required"));
  EXPECT_EQ(Req("/api/v2/write", "bucket=b").status(), absl::InvalidArgumentError("query: org or orgID is required"));
  // db is a 1.x parameter: the v2 endpoint does not take it for a bucket.
  EXPECT_EQ(Req("/api/v2/write", "org=a&db=b").status(), absl::InvalidArgumentError("query: bucket is required"));
}

TEST(WriteRequest, BadPercentEscape) {
  EXPECT_EQ(Req("/write", "db=a%2").status(), absl::InvalidArgumentError("query: bad percent escape in \"a%2\""));
}

TEST(WriteRequest, LongValue) {
  EXPECT_EQ(Req("/write", "db=" + std::string(257, 'd')).status(),
            absl::InvalidArgumentError("query: \"db\" longer than 256 bytes"));
}

TEST(WriteRequest, PathMethodEncoding) {
  EXPECT_EQ(Req("/api/v1/write", "db=a").status(), absl::NotFoundError("path \"/api/v1/write\" not found"));
  EXPECT_EQ(Req("/write", "db=a", {}, "GET").status(),
            absl::FailedPreconditionError("method \"GET\" not allowed: use POST"));
  EXPECT_EQ(Req("/write", "db=a", {{"content-encoding", "br"}}).status(),
            absl::UnimplementedError("Content-Encoding \"br\" not supported: use gzip or identity"));
  EXPECT_EQ(Req("/write", "db=a", {{"Content-Encoding", "identity"}})->encoding, ContentEncoding::kIdentity);
}

TEST(WriteReply, Refusals) {
  WriteReply r = RefusalReply(absl::InvalidArgumentError("query: db is required"));
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.body, R"({"code":"invalid","message":"query: db is required"})");
  EXPECT_EQ(RefusalReply(absl::NotFoundError("x")).http_status, 404);
  EXPECT_EQ(RefusalReply(absl::FailedPreconditionError("x")).http_status, 405);
  EXPECT_EQ(RefusalReply(absl::ResourceExhaustedError("x")).body, R"({"code":"request too large","message":"x"})");
  EXPECT_EQ(RefusalReply(absl::UnimplementedError("x")).http_status, 415);
}

TEST(WriteReply, AllGoodIs204) {
  WriteReply r = ParseReply(10, {}, false);
  EXPECT_EQ(r.http_status, 204);
  EXPECT_EQ(r.body, "");
}

TEST(WriteReply, PartialWriteNamesEveryBadLine) {
  std::vector<LineError> errors = {{2, 5, "field \"v\": invalid value \"oops\""}, {4, 1, "missing fields"}};
  WriteReply r = ParseReply(3, errors, false);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.body,
            R"({"code":"invalid","message":"partial write: 3 points accepted, 2 lines rejected; first: line 2: )"
            R"(field \"v\": invalid value \"oops\"","line":2,"errors":[{"line":2,"column":5,"message":)"
            R"("field \"v\": invalid value \"oops\""},{"line":4,"column":1,"message":"missing fields"}],)"
            R"("errors_omitted":0})");
}

TEST(WriteReply, ErrorListBounded) {
  std::vector<LineError> errors;
  for (size_t i = 1; i <= 150; ++i) errors.push_back({i, 1, "missing fields"});
  WriteReply r = ParseReply(0, errors, true);
  EXPECT_NE(r.body.find("0 points accepted, 150 lines rejected (body truncated)"), std::string::npos);
  EXPECT_NE(r.body.find("{\"line\":100,"), std::string::npos);
  EXPECT_EQ(r.body.find("{\"line\":101,"), std::string::npos);
  EXPECT_NE(r.body.find("\"errors_omitted\":50}"), std::string::npos);
}

}  // namespace
}  // namespace qilian::platform::lp
