#include "security/events/sensor_registry.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "ident/response_code.h"
#include "store/memory_store.h"

namespace qilian::security::events {
namespace {

class SensorRegistryTest : public ::testing::Test {
 protected:
  SensorRegistryTest()
      : store_(store::NewMemoryStore({{std::string(kSecuritySpace)}})),
        sensors_(store_.get(), clock_, /*max_sensors_per_enterprise=*/2) {}

  FakeClock clock_;
  std::unique_ptr<store::KvStore> store_;
  SensorRegistry sensors_;
};

TEST_F(SensorRegistryTest, TokenAuthenticatesItsSensorOnly) {
  auto created = sensors_.Create(7, {"plant-1-line-3", "line 3 span port"});
  ASSERT_TRUE(created.ok()) << created.status();
  const Sensor& s = created->sensor;
  EXPECT_EQ(s.id.size(), kSensorIdChars);
  EXPECT_EQ(created->token.size(), 4 + 16 + 1 + 64);
  EXPECT_EQ(created->token.substr(0, 21), "qsn." + s.id + ".");
  // Only the salted hash is stored.
  std::string record;
  ASSERT_TRUE(store_->Get(kSecuritySpace, SensorKey(7, s.id), &record).ok());
  EXPECT_EQ(record.find(created->token.substr(21)), std::string::npos);

  auto caller = sensors_.Authenticate(created->token);
  ASSERT_TRUE(caller.ok()) << caller.status();
  EXPECT_EQ(caller->actor, "sensor:" + s.id);
  EXPECT_TRUE(IsSensorCaller(*caller));
  auto who = SensorCallerOf(*caller);
  ASSERT_TRUE(who.has_value());
  EXPECT_EQ(who->enterprise, 7u);
  EXPECT_EQ(who->sensor, s.id);

  std::string wrong = created->token;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(
      sensors_.Authenticate(wrong).status(),
      ident::HandleError(ident::ResponseCode::kAuthenticationFailed, "sensor token is not valid"));
  EXPECT_EQ(sensors_.Authenticate("qsn.x").status().message(), "sensor token is not valid");
  EXPECT_EQ(SensorActorOf(created->token), "sensor:" + s.id);
  EXPECT_EQ(SensorActorOf("qsn.nonsense"), "sensor");
}

TEST_F(SensorRegistryTest, RotationRetiresTheOldToken) {
  auto created = sensors_.Create(7, {"a", ""});
  ASSERT_TRUE(created.ok());
  auto rotated = sensors_.RotateToken(7, created->sensor.id);
  ASSERT_TRUE(rotated.ok());
  EXPECT_NE(rotated->token, created->token);
  EXPECT_FALSE(sensors_.Authenticate(created->token).ok());
  EXPECT_TRUE(sensors_.Authenticate(rotated->token).ok());
  // Another enterprise's sensor is a missing one.
  EXPECT_EQ(sensors_.RotateToken(8, created->sensor.id).status(),
            ident::HandleError(ident::ResponseCode::kHandleNotFound,
                               "sensor '" + created->sensor.id + "' not found"));
}

TEST_F(SensorRegistryTest, NamesAreUniqueAndCounted) {
  ASSERT_TRUE(sensors_.Create(7, {"a", ""}).ok());
  EXPECT_EQ(sensors_.Create(7, {"a", ""}).status(),
            ident::HandleError(ident::ResponseCode::kHandleAlreadyExists,
                               "enterprise 7 already has a sensor named 'a'"));
  EXPECT_TRUE(sensors_.Create(8, {"a", ""}).ok());  // another enterprise
  ASSERT_TRUE(sensors_.Create(7, {"b", ""}).ok());
  EXPECT_EQ(sensors_.Create(7, {"c", ""}).status(),
            ident::HandleError(ident::ResponseCode::kIdisIdentifierLimit,
                               "enterprise 7 has 2 sensors, the most it may have"));
  EXPECT_EQ(sensors_.Create(7, {"", ""}).status().message(), "name: is required");
  std::vector<Sensor> listed = sensors_.List(7);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "a");
  EXPECT_EQ(listed[1].name, "b");
}

TEST_F(SensorRegistryTest, DeletedSensorIsGoneAfterReload) {
  auto a = sensors_.Create(7, {"a", "first"});
  auto b = sensors_.Create(7, {"b", ""});
  ASSERT_TRUE(a.ok() && b.ok());
  store::WriteBatch batch;
  Sensor after;
  ASSERT_TRUE(sensors_.AddDelivery(a->sensor.id, 5, 1'000, clock_.Now(), &batch, &after).ok());
  ASSERT_TRUE(store_->Write(batch).ok());
  sensors_.Delivered(after);
  ASSERT_TRUE(sensors_.Delete(7, b->sensor.id).ok());
  EXPECT_FALSE(sensors_.Authenticate(b->token).ok());

  SensorRegistry reloaded(store_.get(), clock_);
  ASSERT_TRUE(reloaded.Load().ok());
  EXPECT_EQ(reloaded.size(), 1u);
  auto got = reloaded.Get(7, a->sensor.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->description, "first");
  EXPECT_EQ(got->events_received, 5u);
  EXPECT_EQ(got->last_event_ts_ns, 1'000);
  EXPECT_EQ(got->last_seen, clock_.Now());
  EXPECT_TRUE(reloaded.Authenticate(a->token).ok());
  EXPECT_FALSE(reloaded.Authenticate(b->token).ok());
}

}  // namespace
}  // namespace qilian::security::events
