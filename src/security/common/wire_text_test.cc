#include "security/common/wire_text.h"

#include <gtest/gtest.h>

#include <vector>

namespace qilian::security {
namespace {

TEST(WireTextTest, HexIsLowercaseTwoDigitsABytes) {
  std::vector<uint8_t> bytes = {0x00, 0x0a, 0xab, 0xff};
  EXPECT_EQ(HexBytes(bytes), "000aabff");
  EXPECT_EQ(HexBytes(std::string_view("\x01Z", 2)), "015a");
  EXPECT_EQ(HexBytes(std::string_view()), "");
}

TEST(WireTextTest, PrintableKeepsAsciiAndEscapesTheRest) {
  EXPECT_EQ(PrintableBytes(std::string_view("PLC 1-A ~")), "PLC 1-A ~");
  // The backslash, controls, DEL and bytes above 0x7f, each as \xNN.
  std::vector<uint8_t> bytes = {'a', '\\', 0x00, 0x1f, 0x7f, 0x80, 0xe4, 'z'};
  EXPECT_EQ(PrintableBytes(bytes), "a\\x5c\\x00\\x1f\\x7f\\x80\\xe4z");
  // Every output is printable ASCII (so valid UTF-8, nothing lost).
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (char c : PrintableBytes(all)) {
    EXPECT_GE(static_cast<unsigned char>(c), 0x20);
    EXPECT_LT(static_cast<unsigned char>(c), 0x7f);
  }
}

}  // namespace
}  // namespace qilian::security
