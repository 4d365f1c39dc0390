#include "ident/site_info.h"

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "gtest/gtest.h"
#include "ident/value_codec.h"

namespace qilian::ident {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// The HS_SITE body of the get-site-info reply recorded from Handle.Net
// 9.3.1 (shared/data/handle-vectors/siteinfo-udp.json, server->client
// message octets 44..427, i.e. after the 20-octet envelope and the 24-octet
// header): version 1, protocol 2.11, serial 1, primary 0x80, hash option 2,
// desc='loopback CNRI test peer', server 1 at ::127.0.0.1 with its RSA key
// and interfaces TCP (3) 2641 and UDP (2) 2641.
constexpr std::string_view kRecordedSiteHex =
    "0001020b0001800200000000000000010000000464657363000000176c6f6f706261636b20434e52"
    "492074657374207065657200000001000000010000000000000000000000007f0000010000012100"
    "00000b5253415f5055425f4b45590000000000030100010000010100eb5aa9cc0e096bbe810354ec"
    "5b77027d584ad5afe108d0b55519a0d88382cc0c93ac81bbf365c23c4316daeb4a4c776f59b526aa"
    "e390fa312c03dbe9f7bb1a405aab7fc4eff23cfafa9092651dade6ccc171e732e2b0a46992bc6d43"
    "d033e71e1a3e79b46cb04a86703b24f70d47d25073f0b8d87e88a0134da12afc1eaee84428168e84"
    "73d61c8ba578a5171d28cb465e20a2a5c7bdb8eed1f6a3c913bfd36a46def941394ed6f8349ca60d"
    "3a8035de025c18f290f9ba3f1cf44b3a408fa465ef54ccef6181262aacdd14dfd9b5cbae6cb5f0e5"
    "0f2c50e2e8ff6556fbedd67c3dc60e6ac39f42142864f47929aa4ae720dcd3bf478305bc0f15e1d1"
    "a40fef9b0000000000000002030100000a51020000000a51";
// The public-key record sits at octets 79..367 (u32 length 0x121 at 75).
constexpr size_t kKeyOffset = 79;
constexpr size_t kKeyLength = 0x121;

TEST(SiteInfoTest, SameOctetsAsTheDeployedServerForTheSameSetup) {
  const std::string recorded = FromHex(kRecordedSiteHex);
  ASSERT_EQ(recorded.size(), 384u);
  ASSERT_EQ(recorded.substr(kKeyOffset - 4, 4), std::string("\x00\x00\x01\x21", 4));
  SiteOptions options;
  options.address = "127.0.0.1";
  options.handle_port = 2641;
  options.serial_number = 1;
  options.description = "loopback CNRI test peer";
  options.public_key = recorded.substr(kKeyOffset, kKeyLength);
  EXPECT_EQ(EncodeSiteData(BuildSiteInfo(options)), recorded);
}

TEST(SiteInfoTest, FieldsFromOptions) {
  SiteOptions options;
  options.address = "192.0.2.7";
  options.handle_port = 12641;
  options.http_port = 8000;
  options.serial_number = 9;
  SiteInfo site = BuildSiteInfo(options);
  EXPECT_EQ(site.version, 1);
  EXPECT_EQ(site.protocol_major, 2);
  EXPECT_EQ(site.protocol_minor, 11);
  EXPECT_EQ(site.serial_number, 9);
  EXPECT_EQ(site.primary_mask, 0x80);
  EXPECT_EQ(site.hash_option, 2);
  EXPECT_TRUE(site.attributes.empty());  // no description: no "desc"
  ASSERT_EQ(site.servers.size(), 1u);
  const SiteServer& server = site.servers[0];
  EXPECT_EQ(server.server_id, 1u);
  const std::array<uint8_t, 16> v4 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 7};
  EXPECT_EQ(server.address, v4);
  EXPECT_TRUE(server.public_key.empty());
  ASSERT_EQ(server.interfaces.size(), 3u);
  EXPECT_EQ(server.interfaces[0], (SiteInterface{3, 1, 12641}));  // TCP admin+query
  EXPECT_EQ(server.interfaces[1], (SiteInterface{2, 0, 12641}));  // UDP query
  EXPECT_EQ(server.interfaces[2], (SiteInterface{3, 2, 8000}));   // HTTP
}

TEST(SiteInfoTest, Addresses) {
  std::array<uint8_t, 16> a;
  ASSERT_TRUE(ParseSiteAddress("::1", &a));
  EXPECT_EQ(a, (std::array<uint8_t, 16>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  ASSERT_TRUE(ParseSiteAddress("2001:db8::2", &a));
  EXPECT_EQ(a,
            (std::array<uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}));
  ASSERT_TRUE(ParseSiteAddress("10.1.2.3", &a));
  EXPECT_EQ(a, (std::array<uint8_t, 16>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 1, 2, 3}));
  EXPECT_FALSE(ParseSiteAddress("localhost", &a));
  EXPECT_FALSE(ParseSiteAddress("10.1.2", &a));
  EXPECT_FALSE(ParseSiteAddress("", &a));

  SiteOptions options;
  options.address = "not-an-address";
  EXPECT_EQ(BuildSiteInfo(options).servers[0].address, (std::array<uint8_t, 16>{}));
}

}  // namespace
}  // namespace qilian::ident
