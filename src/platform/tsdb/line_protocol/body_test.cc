#include "platform/tsdb/line_protocol/body.h"

#include <string>

#include "gtest/gtest.h"

namespace qilian::platform::lp {
namespace {

TEST(Gunzip, RoundTrip) {
  const std::string text = "cpu,host=a usage=1.5 1\ncpu,host=b usage=2.5 2\n";
  std::string out;
  ASSERT_TRUE(Gunzip(Gzip(text), kDefaultMaxBodyBytes, &out).ok());
  EXPECT_EQ(out, text);
}

TEST(Gunzip, ConcatenatedMembersAreOneBody) {
  std::string out;
  ASSERT_TRUE(Gunzip(Gzip("a v=1\n") + Gzip("b v=2\n"), kDefaultMaxBodyBytes, &out).ok());
  EXPECT_EQ(out, "a v=1\nb v=2\n");
}

TEST(Gunzip, ExactlyTheLimitPasses) {
  std::string out;
  ASSERT_TRUE(Gunzip(Gzip(std::string(1000, 'x')), 1000, &out).ok());
  EXPECT_EQ(out.size(), 1000u);
}

TEST(Gunzip, BombRefusedAtTheLimit) {
  // 64 MiB of zeros compress to about 64 KiB; the limit stops inflation at 1 MiB + 1.
  const std::string bomb = Gzip(std::string(64 * 1024 * 1024, '\0'));
  EXPECT_LT(bomb.size(), 100u * 1024);
  std::string out;
  absl::Status s = Gunzip(bomb, 1024 * 1024, &out);
  EXPECT_EQ(s, absl::ResourceExhaustedError("body over 1048576 bytes after decompression"));
  EXPECT_TRUE(out.empty());
}

TEST(Gunzip, NotGzip) {
  std::string out;
  EXPECT_EQ(Gunzip("cpu v=1\n", kDefaultMaxBodyBytes, &out),
            absl::InvalidArgumentError("gzip: corrupt stream (incorrect header check)"));
}

TEST(Gunzip, CorruptData) {
  std::string gz = Gzip(std::string(1000, 'a') + "cpu v=1");
  gz[gz.size() - 6] ^= 0x55;  // inside the CRC-32 trailer
  std::string out;
  EXPECT_EQ(Gunzip(gz, kDefaultMaxBodyBytes, &out),
            absl::InvalidArgumentError("gzip: corrupt stream (incorrect data check)"));
}

TEST(Gunzip, Truncated) {
  std::string gz = Gzip("cpu v=1\n");
  std::string out;
  EXPECT_EQ(Gunzip(gz.substr(0, gz.size() - 4), kDefaultMaxBodyBytes, &out),
            absl::InvalidArgumentError("gzip: truncated stream"));
  EXPECT_EQ(Gunzip("", kDefaultMaxBodyBytes, &out), absl::InvalidArgumentError("gzip: truncated stream"));
}

TEST(Gunzip, TrailingGarbage) {
  std::string out;
  EXPECT_EQ(Gunzip(Gzip("cpu v=1\n") + "xx", kDefaultMaxBodyBytes, &out),
            absl::InvalidArgumentError("gzip: corrupt stream (incorrect header check)"));
}

TEST(DecodeBody, IdentityIsTheBodyItself) {
  std::string storage;
  std::string_view raw = "cpu v=1";
  auto body = DecodeBody(raw, ContentEncoding::kIdentity, 100, &storage);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->data(), raw.data());
  EXPECT_EQ(DecodeBody(raw, ContentEncoding::kIdentity, 3, &storage).status(),
            absl::ResourceExhaustedError("body over 3 bytes"));
}

TEST(DecodeBody, Gzip) {
  std::string storage;
  auto body = DecodeBody(Gzip("cpu v=1"), ContentEncoding::kGzip, 100, &storage);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, "cpu v=1");
}

}  // namespace
}  // namespace qilian::platform::lp
