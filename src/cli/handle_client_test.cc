#include "cli/handle_client.h"

#include <gtest/gtest.h>

namespace qilian::cli {
namespace {

TEST(HandleServerAddressTest, ParsesHostAndPort) {
  absl::StatusOr<HandleServerAddress> a = HandleServerAddress::Parse("127.0.0.1:2641");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, "2641");
  EXPECT_EQ(a->text, "127.0.0.1:2641");
  absl::StatusOr<HandleServerAddress> v6 = HandleServerAddress::Parse("[::1]:1");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "1");
  absl::StatusOr<HandleServerAddress> name = HandleServerAddress::Parse("hs.example:65535");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->host, "hs.example");
}

TEST(HandleServerAddressTest, RefusesMalformed) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case& c : {Case{"localhost", "expected HOST:PORT"},
                        Case{":2641", "empty host"},
                        Case{"h:0", "port must be 1-65535"},
                        Case{"h:65536", "port must be 1-65535"},
                        Case{"h:12a", "port must be 1-65535"},
                        Case{"h:", "port must be 1-65535"},
                        Case{"::1:2641", "write an IPv6 address as [ADDR]:PORT"},
                        Case{"[::1", "missing ']'"},
                        Case{"[::1]2641", "expected HOST:PORT"}}) {
    EXPECT_EQ(HandleServerAddress::Parse(c.text).status(),
              absl::InvalidArgumentError("malformed --server \"" + std::string(c.text) +
                                         "\": " + c.why))
        << c.text;
  }
}

}  // namespace
}  // namespace qilian::cli
