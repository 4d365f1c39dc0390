#include "platform/broker/device_table.h"

#include <string>

#include "gtest/gtest.h"

namespace qilian::broker {
namespace {

constexpr char kDevice[] = "a1B2c3D4e5F/pump-01";

TEST(DeviceUsername, AcceptsProductKeySlashDeviceId) {
  EXPECT_TRUE(IsDeviceUsername(kDevice));
  EXPECT_TRUE(IsDeviceUsername("AAAAAAAAAAA/0"));
  EXPECT_TRUE(IsDeviceUsername("zzzzzzzzzzz/a_b-c"));
  EXPECT_TRUE(IsDeviceUsername("a1B2c3D4e5F/" + std::string(64, 'x')));
}

TEST(DeviceUsername, RefusesEverythingElse) {
  EXPECT_FALSE(IsDeviceUsername(""));
  EXPECT_FALSE(IsDeviceUsername("qilian-admin"));
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5F"));
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5F/"));                       // no device id
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5/pump"));                    // key of 10
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5F1/pump"));                  // key of 12
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5_/pump"));                   // '_' in the key
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5F/-pump"));                  // id starts with '-'
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5F/_pump"));                  // id starts with '_'
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5F/pu/mp"));                  // a second '/'
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5F/pu mp"));
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5F/pump+"));
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5F/pump#"));
  EXPECT_FALSE(IsDeviceUsername("a1B2c3D4e5F/" + std::string(65, 'x')));
  EXPECT_FALSE(IsDeviceUsername(std::string("a1B2c3D4e5F/pu\0mp", 17)));
}

TEST(DeviceTopics, OnlyUnderItsOwnRoot) {
  EXPECT_TRUE(DeviceMayUseTopic(kDevice, "/a1B2c3D4e5F/pump-01/properties/report"));
  EXPECT_TRUE(DeviceMayUseTopic(kDevice, "/a1B2c3D4e5F/pump-01/x"));
  EXPECT_FALSE(DeviceMayUseTopic(kDevice, "/a1B2c3D4e5F/pump-01"));    // the root itself
  EXPECT_FALSE(DeviceMayUseTopic(kDevice, "/a1B2c3D4e5F/pump-01/"));   // nothing after it
  EXPECT_FALSE(DeviceMayUseTopic(kDevice, "/a1B2c3D4e5F/pump-02/x"));
  EXPECT_FALSE(DeviceMayUseTopic(kDevice, "/a1B2c3D4e5F/pump-011/x"));  // a longer id
  EXPECT_FALSE(DeviceMayUseTopic(kDevice, "/a1B2c3D4e5F/pump-0/x"));
  EXPECT_FALSE(DeviceMayUseTopic(kDevice, "a1B2c3D4e5F/pump-01/x"));   // no leading '/'
  EXPECT_FALSE(DeviceMayUseTopic(kDevice, "$SYS/broker/uptime"));
  EXPECT_FALSE(DeviceMayUseTopic(kDevice, "$CONTROL/qilian-devices/v1"));
  EXPECT_FALSE(DeviceMayUseTopic(kDevice, "/a1B2c3D4e5F/pump-01/#"));  // not a topic name
  EXPECT_FALSE(DeviceMayUseTopic("qilian-admin", "/qilian-admin/x"));  // not a device
}

TEST(DeviceTopics, FiltersOnlyWithWildcardsAfterTheRoot) {
  EXPECT_TRUE(DeviceMayUseFilter(kDevice, "/a1B2c3D4e5F/pump-01/#"));
  EXPECT_TRUE(DeviceMayUseFilter(kDevice, "/a1B2c3D4e5F/pump-01/+/reply"));
  EXPECT_TRUE(DeviceMayUseFilter(kDevice, "/a1B2c3D4e5F/pump-01/properties/write"));
  EXPECT_FALSE(DeviceMayUseFilter(kDevice, "/a1B2c3D4e5F/+/#"));
  EXPECT_FALSE(DeviceMayUseFilter(kDevice, "/a1B2c3D4e5F/#"));
  EXPECT_FALSE(DeviceMayUseFilter(kDevice, "/+/pump-01/#"));
  EXPECT_FALSE(DeviceMayUseFilter(kDevice, "#"));
  EXPECT_FALSE(DeviceMayUseFilter(kDevice, "+/#"));
  EXPECT_FALSE(DeviceMayUseFilter(kDevice, "/a1B2c3D4e5F/pump-01"));
  EXPECT_FALSE(DeviceMayUseFilter(kDevice, "$share/g/a1B2c3D4e5F/pump-01/#"));
  EXPECT_FALSE(DeviceMayUseFilter(kDevice, "$SYS/#"));
  EXPECT_FALSE(DeviceMayUseFilter(kDevice, "/a1B2c3D4e5F/pump-02/#"));
}

TEST(Hex, DecodesExactLengthOnly) {
  std::array<uint8_t, 2> out{};
  EXPECT_TRUE(DecodeHex("0aFf", out));
  EXPECT_EQ(out, (std::array<uint8_t, 2>{0x0a, 0xff}));
  EXPECT_FALSE(DecodeHex("0aF", out));
  EXPECT_FALSE(DecodeHex("0aFf00", out));
  EXPECT_FALSE(DecodeHex("0g00", out));
  EXPECT_EQ(EncodeHex(out.data(), out.size()), "0aff");
}

DeviceRecord Record(std::string_view secret, uint8_t salt_byte = 7, bool enabled = true) {
  DeviceRecord r;
  r.salt.fill(salt_byte);
  r.hash = HashSecret(r.salt, secret);
  r.enabled = enabled;
  return r;
}

TEST(DeviceTable, HashIsSha256OfSaltThenSecret) {
  // SHA-256 of 16 zero bytes followed by "abc", computed independently
  // (python3: hashlib.sha256(bytes(16) + b"abc").hexdigest()).
  std::array<uint8_t, kSaltBytes> salt{};
  auto hash = HashSecret(salt, "abc");
  EXPECT_EQ(EncodeHex(hash.data(), hash.size()),
            "277e7ff6d232b9763f4a66e8d05d210da32dac9c6dbce1026ad4cc98acb5fefe");
}

TEST(DeviceTable, AuthenticatesTheRightSecretOfAnEnabledDevice) {
  DeviceTable table;
  table.Put(kDevice, Record("right"));
  EXPECT_EQ(table.Authenticate(kDevice, "right"), AuthResult::kAccepted);
  EXPECT_EQ(table.Authenticate(kDevice, "wrong"), AuthResult::kRefused);
  EXPECT_EQ(table.Authenticate(kDevice, ""), AuthResult::kRefused);
  EXPECT_EQ(table.Authenticate("a1B2c3D4e5F/other", "right"), AuthResult::kRefused);
  table.Put(kDevice, Record("right", 7, /*enabled=*/false));
  EXPECT_EQ(table.Authenticate(kDevice, "right"), AuthResult::kRefused);
}

TEST(DeviceTable, PutReturnsThePreviousRecordAndEraseSaysWhetherItWasThere) {
  DeviceTable table;
  EXPECT_EQ(table.Put(kDevice, Record("a")), std::nullopt);
  EXPECT_EQ(table.Put(kDevice, Record("b")), Record("a"));
  EXPECT_EQ(table.size(), 1u);
  EXPECT_TRUE(table.Erase(kDevice));
  EXPECT_FALSE(table.Erase(kDevice));
  EXPECT_EQ(table.Find(kDevice), nullptr);
}

TEST(DeviceTable, DisconnectOnDisableOrNewKeysOnly) {
  DeviceRecord a = Record("a");
  EXPECT_FALSE(MustDisconnect(a, a));
  EXPECT_TRUE(MustDisconnect(a, Record("b")));
  EXPECT_TRUE(MustDisconnect(a, Record("a", 8)));
  EXPECT_TRUE(MustDisconnect(a, Record("a", 7, false)));
  EXPECT_FALSE(MustDisconnect(Record("a", 7, false), a));  // enabling
}

}  // namespace
}  // namespace qilian::broker
