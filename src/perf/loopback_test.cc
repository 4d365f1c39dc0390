#include "perf/loopback.h"

#include <netinet/in.h>

#include <gtest/gtest.h>

namespace qilian::perf {
namespace {

TEST(LoopbackTest, AcceptsLoopbackAddresses) {
  for (const char* host : {"127.0.0.1", "127.1.2.3", "127.255.255.254", "::1", "[::1]",
                           "localhost", "::ffff:127.0.0.1"}) {
    absl::StatusOr<LoopbackAddress> a = ParseLoopback(host, 2641);
    ASSERT_TRUE(a.ok()) << host << ": " << a.status();
  }
  absl::StatusOr<LoopbackAddress> v4 = ParseLoopback("127.0.0.1", 2641);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->text, "127.0.0.1:2641");
  EXPECT_EQ(v4->addr.ss_family, AF_INET);
  EXPECT_EQ(ntohs(reinterpret_cast<const sockaddr_in*>(&v4->addr)->sin_port), 2641);
  absl::StatusOr<LoopbackAddress> v6 = ParseLoopback("[::1]", 53);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->text, "[::1]:53");
  EXPECT_EQ(v6->addr.ss_family, AF_INET6);
  EXPECT_EQ(ParseLoopback("localhost", 1)->text, "127.0.0.1:1");
}

TEST(LoopbackTest, RefusesOtherAddresses) {
  absl::StatusOr<LoopbackAddress> a = ParseLoopback("10.0.0.1", 2641);
  EXPECT_EQ(a.status(),
            absl::InvalidArgumentError("10.0.0.1 is not a loopback address: qilian-perf only "
                                       "sends to 127.0.0.0/8 and ::1"));
  for (const char* host : {"128.0.0.1", "0.0.0.0", "126.255.255.255", "::", "::2",
                           "::ffff:10.0.0.1", "fe80::1", "255.255.255.255"}) {
    absl::StatusOr<LoopbackAddress> r = ParseLoopback(host, 2641);
    EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << host;
    EXPECT_NE(r.status().message().find("not a loopback address"), std::string::npos) << host;
  }
}

TEST(LoopbackTest, RefusesNamesAndPortZero) {
  EXPECT_EQ(ParseLoopback("example.com", 2641).status(),
            absl::InvalidArgumentError("\"example.com\" is not a numeric address; qilian-perf "
                                       "takes 127.0.0.0/8, ::1 or localhost"));
  EXPECT_EQ(ParseLoopback("127.0.0.1", 0).status(),
            absl::InvalidArgumentError("port must be 1-65535"));
}

}  // namespace
}  // namespace qilian::perf
