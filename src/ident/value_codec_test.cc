#include "ident/value_codec.h"

#include <string>

#include "gtest/gtest.h"

namespace qilian::ident {
namespace {

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::string U32(uint32_t v) {
  ByteWriter w;
  w.WriteU32(v);
  return w.Release();
}

// The three values of 88.999/VEC-RES as Handle.Net 9.3.1 sent them in
// /work/shared/data/handle-vectors/resolve-udp-v2.11.json (the response body
// after the handle and the u32 value count 3, without the credential).
constexpr std::string_view kVecResValuesHex =
    "000000016b0b176000000151800e0000000355524c0000001768747470733a2f2f6578616d706c652e6f72"
    "672f76656300000000"
    "000000026b0b176000000151800e00000005454d41494c0000000f766563406578616d706c652e6f7267"
    "00000000"
    "000000036b0b176000000151800e0000000a582d5645432d4e4f54450000000d68656c6c6f20766563746f"
    "727300000000";

// HS_ADMIN data of value 100 in create-tcp-v2.1-sha1.json: 0x0fff, 300:88.999/ADMIN.
constexpr std::string_view kAdminHex = "0fff0000000c38382e3939392f41444d494e0000012c";

// The HS_SITE body of siteinfo-udp.json (384 bytes).
constexpr std::string_view kSiteHex =
    "0001020b0001800200000000000000010000000464657363000000176c6f6f706261636b20434e524920"
    "74657374207065657200000001000000010000000000000000000000007f000001000001210000000b52"
    "53415f5055425f4b45590000000000030100010000010100eb5aa9cc0e096bbe810354ec5b77027d584a"
    "d5afe108d0b55519a0d88382cc0c93ac81bbf365c23c4316daeb4a4c776f59b526aae390fa312c03dbe9"
    "f7bb1a405aab7fc4eff23cfafa9092651dade6ccc171e732e2b0a46992bc6d43d033e71e1a3e79b46cb0"
    "4a86703b24f70d47d25073f0b8d87e88a0134da12afc1eaee84428168e8473d61c8ba578a5171d28cb46"
    "5e20a2a5c7bdb8eed1f6a3c913bfd36a46def941394ed6f8349ca60d3a8035de025c18f290f9ba3f1cf4"
    "4b3a408fa465ef54ccef6181262aacdd14dfd9b5cbae6cb5f0e50f2c50e2e8ff6556fbedd67c3dc60e6a"
    "c39f42142864f47929aa4ae720dcd3bf478305bc0f15e1d1a40fef9b0000000000000002030100000a51"
    "020000000a51";

HandleValue SampleValue() {
  HandleValue v;
  v.index = 7;
  v.type = "URL";
  v.data = "https://example.org/x";
  v.ttl_type = TtlType::kAbsolute;
  v.ttl = 1'800'000'000;
  v.permissions = kPermPublicRead | kPermAdminWrite;
  v.timestamp = 1'700'000'000;
  v.references = {{"88.999/other", 3}, {"88.999/more", 9}};
  return v;
}

SiteInfo SampleSite() {
  SiteInfo site;
  site.serial_number = 7;
  site.hash_option = 2;
  site.hash_filter = "f";
  site.attributes = {{"desc", "test"}, {"k", ""}};
  SiteServer server;
  server.server_id = 2;
  server.address[10] = 0xff;
  server.address[11] = 0xff;
  server.address[15] = 1;
  server.public_key = std::string("\x00\x01key", 5);
  server.interfaces = {{3, 1, 2641}, {2, 0, 2641}, {1, 2, 8000}};
  site.servers = {server, SiteServer{}};
  return site;
}

TEST(ValueCodecTest, GoldenValuesFromHandleNet) {
  std::string bytes = FromHex(kVecResValuesHex);
  ByteReader in(bytes);
  HandleValue url, email, note;
  ASSERT_TRUE(DecodeValue(&in, &url));
  ASSERT_TRUE(DecodeValue(&in, &email));
  ASSERT_TRUE(DecodeValue(&in, &note));
  EXPECT_TRUE(in.at_end());

  EXPECT_EQ(url.index, 1u);
  EXPECT_EQ(url.type, "URL");
  EXPECT_EQ(url.data, "https://example.org/vec");
  EXPECT_EQ(url.timestamp, 0x6b0b1760u);
  EXPECT_EQ(url.ttl_type, TtlType::kRelative);
  EXPECT_EQ(url.ttl, 86400u);
  EXPECT_EQ(url.permissions, 0x0e);
  EXPECT_EQ(url.permissions, kPermDefault);
  EXPECT_TRUE(url.references.empty());
  EXPECT_EQ(email.index, 2u);
  EXPECT_EQ(email.type, "EMAIL");
  EXPECT_EQ(email.data, "vec@example.org");
  EXPECT_EQ(note.index, 3u);
  EXPECT_EQ(note.type, "X-VEC-NOTE");
  EXPECT_EQ(note.data, "hello vectors");

  ByteWriter out;
  EncodeValue(url, &out);
  EncodeValue(email, &out);
  EncodeValue(note, &out);
  EXPECT_EQ(out.data(), bytes);
}

TEST(ValueCodecTest, GoldenAdminFromHandleNet) {
  std::string bytes = FromHex(kAdminHex);
  ByteReader in(bytes);
  AdminRecord admin;
  ASSERT_TRUE(DecodeAdmin(&in, &admin));
  EXPECT_TRUE(in.at_end());
  EXPECT_EQ(admin.permissions, admin_perm::kAll);
  EXPECT_EQ(admin.admin_handle, "88.999/ADMIN");
  EXPECT_EQ(admin.admin_index, 300u);
  EXPECT_EQ(EncodeAdminData(admin), bytes);
}

TEST(ValueCodecTest, GoldenSiteFromHandleNet) {
  std::string bytes = FromHex(kSiteHex);
  ASSERT_EQ(bytes.size(), 384u);
  ByteReader in(bytes);
  SiteInfo site;
  ASSERT_TRUE(DecodeSite(&in, &site));
  EXPECT_TRUE(in.at_end());
  EXPECT_EQ(site.version, 1);
  EXPECT_EQ(site.protocol_major, 2);
  EXPECT_EQ(site.protocol_minor, 11);
  EXPECT_EQ(site.serial_number, 1);
  EXPECT_EQ(site.primary_mask, 0x80);
  EXPECT_EQ(site.hash_option, 2);
  EXPECT_EQ(site.hash_filter, "");
  ASSERT_EQ(site.attributes.size(), 1u);
  EXPECT_EQ(site.attributes[0].first, "desc");
  EXPECT_EQ(site.attributes[0].second, "loopback CNRI test peer");
  ASSERT_EQ(site.servers.size(), 1u);
  const SiteServer& server = site.servers[0];
  EXPECT_EQ(server.server_id, 1u);
  std::array<uint8_t, 16> loopback{};
  loopback[12] = 127;
  loopback[15] = 1;
  EXPECT_EQ(server.address, loopback);
  EXPECT_EQ(server.public_key.size(), 289u);
  EXPECT_EQ(server.public_key.substr(4, 11), "RSA_PUB_KEY");
  ASSERT_EQ(server.interfaces.size(), 2u);
  EXPECT_EQ(server.interfaces[0], (SiteInterface{3, 1, 2641}));
  EXPECT_EQ(server.interfaces[1], (SiteInterface{2, 0, 2641}));
  EXPECT_EQ(EncodeSiteData(site), bytes);
}

TEST(ValueCodecTest, ValueRoundTrip) {
  HandleValue v = SampleValue();
  ByteWriter out;
  EncodeValue(v, &out);
  ByteReader in(out.data());
  HandleValue back;
  ASSERT_TRUE(DecodeValue(&in, &back));
  EXPECT_TRUE(in.at_end());
  EXPECT_EQ(back, v);

  HandleValue empty;  // empty type and data, no references
  ByteWriter out2;
  EncodeValue(empty, &out2);
  EXPECT_EQ(out2.size(), 26u);
  ByteReader in2(out2.data());
  ASSERT_TRUE(DecodeValue(&in2, &back));
  EXPECT_EQ(back, empty);
}

TEST(ValueCodecTest, AdminVListSiteRoundTrip) {
  AdminRecord admin{admin_perm::kAddHandle | admin_perm::kReadValue, "0.NA/88.999", 200};
  std::string admin_bytes = EncodeAdminData(admin);
  ByteReader ain(admin_bytes);
  AdminRecord admin_back;
  ASSERT_TRUE(DecodeAdmin(&ain, &admin_back));
  EXPECT_EQ(admin_back, admin);

  std::vector<ValueReference> refs = {{"88.999/A", 300}, {"88.999/B", 301}};
  std::string vlist = EncodeVListData(refs);
  EXPECT_EQ(vlist, FromHex("00000002"
                           "0000000838382e3939392f410000012c"
                           "0000000838382e3939392f420000012d"));
  ByteReader vin(vlist);
  std::vector<ValueReference> refs_back;
  ASSERT_TRUE(DecodeVList(&vin, &refs_back));
  EXPECT_EQ(refs_back, refs);

  SiteInfo site = SampleSite();
  std::string site_bytes = EncodeSiteData(site);
  ByteReader sin(site_bytes);
  SiteInfo site_back;
  ASSERT_TRUE(DecodeSite(&sin, &site_back));
  EXPECT_TRUE(sin.at_end());
  EXPECT_EQ(site_back, site);
}

// Cutting an encoding anywhere, including at every field boundary, must fail.
template <typename T, typename Decode>
void ExpectEveryTruncationFails(const std::string& bytes, Decode decode) {
  for (size_t n = 0; n < bytes.size(); ++n) {
    ByteReader in(std::string_view(bytes).substr(0, n));
    T out;
    EXPECT_FALSE(decode(&in, &out)) << "truncated at " << n << " of " << bytes.size();
  }
}

TEST(ValueCodecTest, TruncatedValueFails) {
  ByteWriter out;
  EncodeValue(SampleValue(), &out);
  ExpectEveryTruncationFails<HandleValue>(out.data(), DecodeValue);
}

TEST(ValueCodecTest, TruncatedAdminVListSiteFail) {
  ExpectEveryTruncationFails<AdminRecord>(FromHex(kAdminHex), DecodeAdmin);
  ExpectEveryTruncationFails<std::vector<ValueReference>>(
      EncodeVListData({{"88.999/A", 1}, {"88.999/B", 2}}), DecodeVList);
  ExpectEveryTruncationFails<SiteInfo>(EncodeSiteData(SampleSite()), DecodeSite);
  ExpectEveryTruncationFails<SiteInfo>(FromHex(kSiteHex), DecodeSite);
}

// A value header (index .. permissions) followed by `rest`.
std::string ValueWith(std::string_view rest, uint8_t ttl_type = 0) {
  ByteWriter w;
  w.WriteU32(1);
  w.WriteU32(0);
  w.WriteU8(ttl_type);
  w.WriteU32(86400);
  w.WriteU8(0x0e);
  w.WriteBytes(rest);
  return w.Release();
}

bool DecodesValue(const std::string& bytes) {
  ByteReader in(bytes);
  HandleValue v;
  return DecodeValue(&in, &v);
}

TEST(ValueCodecTest, ValueFieldCorruptions) {
  std::string good_tail = U32(3) + "URL" + U32(1) + "x" + U32(0);
  ASSERT_TRUE(DecodesValue(ValueWith(good_tail)));
  // TTL type other than relative/absolute.
  EXPECT_FALSE(DecodesValue(ValueWith(good_tail, 2)));
  EXPECT_TRUE(DecodesValue(ValueWith(good_tail, 1)));
  // Type length larger than what remains.
  EXPECT_FALSE(DecodesValue(ValueWith(U32(1000) + "URL")));
  // Type longer than kMaxTypeBytes although the bytes are there.
  std::string long_type(kMaxTypeBytes + 1, 'T');
  EXPECT_FALSE(DecodesValue(ValueWith(U32(long_type.size()) + long_type + U32(0) + U32(0))));
  std::string max_type(kMaxTypeBytes, 'T');
  EXPECT_TRUE(DecodesValue(ValueWith(U32(max_type.size()) + max_type + U32(0) + U32(0))));
  // Data length larger than what remains, and over kMaxValueDataBytes.
  EXPECT_FALSE(DecodesValue(ValueWith(U32(3) + "URL" + U32(0xffffffff) + "x")));
  std::string big(kMaxValueDataBytes + 1, 'd');
  EXPECT_FALSE(DecodesValue(ValueWith(U32(3) + "URL" + U32(big.size()) + big + U32(0))));
  big.pop_back();
  EXPECT_TRUE(DecodesValue(ValueWith(U32(3) + "URL" + U32(big.size()) + big + U32(0))));
  // Reference count over the limit (with the bytes present) and over what remains.
  std::string refs;
  for (size_t i = 0; i < kMaxReferencesPerValue + 1; ++i) refs += U32(0) + U32(1);
  EXPECT_FALSE(DecodesValue(
      ValueWith(U32(3) + "URL" + U32(0) + U32(kMaxReferencesPerValue + 1) + refs)));
  EXPECT_TRUE(DecodesValue(ValueWith(U32(3) + "URL" + U32(0) + U32(kMaxReferencesPerValue) +
                                     refs.substr(8))));
  EXPECT_FALSE(DecodesValue(ValueWith(U32(3) + "URL" + U32(0) + U32(2) + U32(0) + U32(1))));
  // Reference handle longer than a handle may be.
  std::string long_handle(1025, 'h');
  EXPECT_FALSE(DecodesValue(
      ValueWith(U32(3) + "URL" + U32(0) + U32(1) + U32(1025) + long_handle + U32(1))));
}

TEST(ValueCodecTest, AdminFieldCorruptions) {
  auto decodes = [](const std::string& b) {
    ByteReader in(b);
    AdminRecord a;
    return DecodeAdmin(&in, &a);
  };
  EXPECT_FALSE(decodes(FromHex("0fff") + U32(100) + "88.999/ADMIN" + U32(300)));
  std::string long_handle(1025, 'h');
  EXPECT_FALSE(decodes(FromHex("0fff") + U32(1025) + long_handle + U32(300)));
}

TEST(ValueCodecTest, VListCountLimits) {
  auto decodes = [](const std::string& b) {
    ByteReader in(b);
    std::vector<ValueReference> refs;
    return DecodeVList(&in, &refs) && in.at_end();
  };
  std::string entries;
  for (size_t i = 0; i < kMaxVListEntries + 1; ++i) entries += U32(0) + U32(1);
  EXPECT_TRUE(decodes(U32(kMaxVListEntries) + entries.substr(8)));
  EXPECT_FALSE(decodes(U32(kMaxVListEntries + 1) + entries));
  EXPECT_FALSE(decodes(U32(0xffffffff)));
  EXPECT_FALSE(decodes(U32(3) + U32(0) + U32(1)));
}

// A site header with no hash filter, then `rest`.
std::string SiteWith(std::string_view rest) {
  return FromHex("0001020b00018000") + U32(0) + std::string(rest);
}

bool DecodesSite(const std::string& bytes) {
  ByteReader in(bytes);
  SiteInfo site;
  return DecodeSite(&in, &site) && in.at_end();
}

std::string Server(uint32_t interface_count, std::string_view key = "") {
  std::string s = U32(1) + std::string(16, '\0') + U32(key.size()) + std::string(key) +
                  U32(interface_count);
  for (uint32_t i = 0; i < interface_count; ++i) s += FromHex("0301") + U32(2641);
  return s;
}

TEST(ValueCodecTest, SiteFieldCorruptions) {
  ASSERT_TRUE(DecodesSite(SiteWith(U32(0) + U32(1) + Server(1))));
  // Hash filter length over what remains.
  EXPECT_FALSE(DecodesSite(FromHex("0001020b00018000") + U32(50) + "abc"));
  // Attribute count over the limit, and over what remains.
  std::string attrs;
  for (size_t i = 0; i < kMaxSiteAttributes + 1; ++i) attrs += U32(0) + U32(0);
  EXPECT_TRUE(DecodesSite(SiteWith(U32(kMaxSiteAttributes) + attrs.substr(8) + U32(0))));
  EXPECT_FALSE(DecodesSite(SiteWith(U32(kMaxSiteAttributes + 1) + attrs + U32(0))));
  EXPECT_FALSE(DecodesSite(SiteWith(U32(0xffffffff) + attrs)));
  // Server count over the limit, and over what remains.
  std::string servers;
  for (size_t i = 0; i < kMaxSiteServers + 1; ++i) servers += Server(0);
  EXPECT_FALSE(DecodesSite(SiteWith(U32(0) + U32(kMaxSiteServers + 1) + servers)));
  EXPECT_TRUE(DecodesSite(
      SiteWith(U32(0) + U32(kMaxSiteServers) + servers.substr(Server(0).size()))));
  EXPECT_FALSE(DecodesSite(SiteWith(U32(0) + U32(2) + Server(0))));
  // Interface count over the limit.
  EXPECT_TRUE(DecodesSite(SiteWith(U32(0) + U32(1) + Server(kMaxSiteInterfaces))));
  std::string over = Server(kMaxSiteInterfaces + 1);
  EXPECT_FALSE(DecodesSite(SiteWith(U32(0) + U32(1) + over)));
  // Public key over its limit.
  EXPECT_FALSE(DecodesSite(
      SiteWith(U32(0) + U32(1) + Server(0, std::string(kMaxSiteKeyBytes + 1, 'k')))));
  EXPECT_TRUE(
      DecodesSite(SiteWith(U32(0) + U32(1) + Server(0, std::string(kMaxSiteKeyBytes, 'k')))));
}

}  // namespace
}  // namespace qilian::ident
